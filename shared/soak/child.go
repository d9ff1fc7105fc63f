package soak

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ModuleRoot returns the directory of the main module that dir belongs to,
// as `go env GOMOD` reports it.
func ModuleRoot(ctx context.Context, dir string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "env", "GOMOD")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD in %s: %w", dir, err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("go env GOMOD in %s: not inside a module", dir)
	}
	return filepath.Dir(mod), nil
}

// Build compiles the esconnect command of the module at moduleDir into the
// executable out. It is built without the race detector even when the
// caller runs under it: the child is the system under test, and at race
// speed it would take minutes to consume a CI-sized soak.
func Build(ctx context.Context, moduleDir, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/esconnect")
	cmd.Dir = moduleDir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build ./cmd/esconnect in %s: %w\n%s", moduleDir, err, stderr.Bytes())
	}
	return nil
}

// errChildStopped is wrapped when the consumer stopped a partition: it
// would never catch up, so the run fails at once instead of timing out.
var errChildStopped = errors.New("consumer stopped a partition")

// child is one `esconnect run kafka-es-sink` process.
type child struct {
	cmd  *exec.Cmd
	log  *logWatch
	done chan struct{}
	err  error // Wait's result, valid once done is closed
}

// stopGrace is how long a SIGTERM'd consumer gets to finish its batch in
// flight and leave the group before it is killed.
const stopGrace = 30 * time.Second

// startChild starts bin with args and env, its stderr going to logPath.
// ctx ending kills the process.
func startChild(ctx context.Context, bin string, args, env []string, logPath string) (*child, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("consumer log: %w", err)
	}
	lw := &logWatch{w: f}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	cmd.Stdout = lw
	cmd.Stderr = lw
	cmd.WaitDelay = stopGrace
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start consumer %s: %w", bin, err)
	}
	c := &child{cmd: cmd, log: lw, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		f.Close()
		close(c.done)
	}()
	return c, nil
}

// exited reports whether the process ended, with Wait's error.
func (c *child) exited() (bool, error) {
	select {
	case <-c.done:
		return true, c.err
	default:
		return false, nil
	}
}

// kill sends SIGKILL and waits for the process to be gone, so that nothing
// it had in flight can still reach Kafka or the node afterwards.
func (c *child) kill() {
	_ = c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.done
}

// stop asks the consumer to shut down (SIGTERM) and returns its exit error;
// a consumer still running after stopGrace is killed.
func (c *child) stop() error {
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signal consumer: %w", err)
	}
	t := time.NewTimer(stopGrace)
	defer t.Stop()
	select {
	case <-c.done:
		return c.err
	case <-t.C:
		c.kill()
		return fmt.Errorf("consumer still running %v after SIGTERM; killed", stopGrace)
	}
}

// logWatch copies the consumer's log to a file and keeps the lines a
// failure report needs: error-level lines, and whether a partition was
// stopped.
type logWatch struct {
	w io.Writer

	mu      sync.Mutex
	partial []byte
	errors  []string // last error-level lines
	stopped string   // first "partition stopped" line
}

// keptErrorLines bounds the error lines kept for a failure report.
const keptErrorLines = 5

func (l *logWatch) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		l.line(l.partial[:i])
		l.partial = l.partial[i+1:]
	}
	// Writing to the file is best effort: a full disk must not block the
	// consumer, whose pipe this is.
	_, _ = l.w.Write(p)
	return len(p), nil
}

// line looks at one slog JSON line. The consumer reports a stopped
// partition only in its log (the process keeps serving the others), so the
// log message is the one signal there is.
func (l *logWatch) line(b []byte) {
	var rec struct {
		Level string `json:"level"`
		Msg   string `json:"msg"`
	}
	if json.Unmarshal(b, &rec) != nil || rec.Level != "ERROR" {
		return
	}
	s := string(b)
	if len(l.errors) == keptErrorLines {
		l.errors = l.errors[1:]
	}
	l.errors = append(l.errors, s)
	if l.stopped == "" && strings.HasPrefix(rec.Msg, "partition stopped") {
		l.stopped = s
	}
}

// stoppedLine is the consumer's "partition stopped" line, or "".
func (l *logWatch) stoppedLine() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stopped
}

// errorLines returns the last error-level lines.
func (l *logWatch) errorLines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.errors...)
}
