package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// esnodeProcess is `esconnect esnode --blackhole` running as its own
// process, so that the node's work is not counted in the measured
// process, and neither side's collector sees the other's heap.
type esnodeProcess struct {
	URL string
	cmd *exec.Cmd
}

// startESNode starts the blackhole node on a free port and waits for the
// address line it prints.
func startESNode(ctx context.Context, esconnect string) (*esnodeProcess, error) {
	cmd := exec.Command(esconnect, "esnode", "--blackhole", "--addr", "127.0.0.1:0")
	dieWithParent(cmd)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting esconnect esnode: %w", err)
	}
	p := &esnodeProcess{cmd: cmd}
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		lines <- line
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case line := <-lines:
		var addr struct {
			ESNode struct {
				URL string `json:"url"`
			} `json:"esnode"`
		}
		if err := json.Unmarshal([]byte(line), &addr); err != nil || addr.ESNode.URL == "" {
			p.Stop()
			return nil, fmt.Errorf("esconnect esnode printed %q (%v); stderr: %s", line, err, stderr.String())
		}
		p.URL = addr.ESNode.URL
		return p, nil
	case <-time.After(30 * time.Second):
	case <-ctx.Done():
	}
	p.Stop()
	return nil, errors.New("esconnect esnode did not print its address within 30 s")
}

// Stop ends the node (SIGINT, then SIGKILL after 5 s).
func (p *esnodeProcess) Stop() {
	_ = p.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
}

// finished is one finished process: its wall time from start to exit and
// its CPU time (the kernel's accounting of the child). The kernel's peak
// RSS of a child is not reported: Go starts children with vfork, so it
// counts the parent's memory too.
type finished struct {
	Wall, CPU time.Duration
	Stdout    []byte
}

// runProcess runs argv with env to completion, at most for limit.
func runProcess(ctx context.Context, env []string, limit time.Duration, argv ...string) (finished, error) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = env
	dieWithParent(cmd)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return finished{}, fmt.Errorf("%s: %w\nstdout: %s\nstderr: %s", strings.Join(argv, " "), err, clip(stdout.Bytes()), clip(stderr.Bytes()))
	}
	r := finished{Wall: wall, Stdout: stdout.Bytes()}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.CPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return r, nil
}

// clip keeps error output readable.
func clip(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "..."
	}
	return string(b)
}

// rss reads a process's resident set size and its peak (VmRSS, VmHWM).
func rss(pid int) (cur, peak int64, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0, fmt.Errorf("reading the process's memory: %w", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		if err != nil {
			continue
		}
		switch name {
		case "VmRSS":
			cur = kb << 10
		case "VmHWM":
			peak = kb << 10
		}
	}
	if cur == 0 {
		return 0, 0, errors.New("no VmRSS in /proc/" + strconv.Itoa(pid) + "/status")
	}
	return cur, peak, nil
}
