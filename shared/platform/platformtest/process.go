package platformtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// Process is a started function binary whose output is kept line by line.
type Process struct {
	Cmd     *exec.Cmd
	Stdout  *Lines
	Stderr  *Lines
	Started time.Time
	exited  chan struct{}
	waitErr error
}

// Start runs bin with exactly env (plus nothing inherited, so a developer's
// AWS_LAMBDA_RUNTIME_API or PLATFORM cannot leak in) and kills it at cleanup.
func Start(tb testing.TB, bin string, env map[string]string) *Process {
	tb.Helper()
	cmd := exec.Command(bin)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &Process{Cmd: cmd, Stdout: newLines(), Stderr: newLines(), exited: make(chan struct{})}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatalf("stdout pipe: %v", err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		tb.Fatalf("stderr pipe: %v", err)
	}
	p.Started = time.Now()
	if err := cmd.Start(); err != nil {
		tb.Fatalf("starting %s: %v", bin, err)
	}
	var readers sync.WaitGroup
	readers.Add(2)
	go func() { defer readers.Done(); p.Stdout.readFrom(stdout) }()
	go func() { defer readers.Done(); p.Stderr.readFrom(stderr) }()
	go func() {
		// Wait closes the pipes, so the readers must finish first.
		readers.Wait()
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.exited
		if tb.Failed() {
			tb.Logf("%s stdout:\n%s\nstderr:\n%s", bin, p.Stdout, p.Stderr)
		}
	})
	return p
}

// Wait waits for the process to exit and returns its exit code.
func (p *Process) Wait(ctx context.Context) (int, error) {
	select {
	case <-p.exited:
	case <-ctx.Done():
		return -1, fmt.Errorf("waiting for the process to exit: %w", ctx.Err())
	}
	var ee *exec.ExitError
	if errors.As(p.waitErr, &ee) {
		return ee.ExitCode(), nil
	}
	return p.Cmd.ProcessState.ExitCode(), p.waitErr
}

// Signal sends sig to the process.
func (p *Process) Signal(sig os.Signal) error { return p.Cmd.Process.Signal(sig) }

// Lines collects a stream's lines and wakes waiters on each new one.
type Lines struct {
	mu     sync.Mutex
	lines  []string
	notify chan struct{} // closed and replaced on every new line
	done   bool
}

func newLines() *Lines { return &Lines{notify: make(chan struct{})} }

func (l *Lines) readFrom(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 8<<20)
	for sc.Scan() {
		l.mu.Lock()
		l.lines = append(l.lines, sc.Text())
		close(l.notify)
		l.notify = make(chan struct{})
		l.mu.Unlock()
	}
	l.mu.Lock()
	l.done = true
	close(l.notify)
	l.notify = make(chan struct{})
	l.mu.Unlock()
}

// All returns the lines so far.
func (l *Lines) All() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

func (l *Lines) String() string { return strings.Join(l.All(), "\n") }

// WaitFor returns the first line for which match is true, waiting for it
// until ctx ends or the stream closes.
func (l *Lines) WaitFor(ctx context.Context, match func(string) bool) (string, error) {
	for next := 0; ; {
		l.mu.Lock()
		lines, done, notify := l.lines, l.done, l.notify
		l.mu.Unlock()
		for ; next < len(lines); next++ {
			if match(lines[next]) {
				return lines[next], nil
			}
		}
		if done {
			return "", errors.New("stream closed before the expected line")
		}
		select {
		case <-notify:
		case <-ctx.Done():
			return "", fmt.Errorf("waiting for a line: %w", ctx.Err())
		}
	}
}
