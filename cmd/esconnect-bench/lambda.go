package main

import (
	"context"
	"fmt"
	"os/exec"
	"sync"
	"time"

	"github.com/esconnect/esconnect/shared/platform/runtimeapi"
)

// lambdaProcess is a function binary started as Lambda starts one, with
// its own Runtime API emulator.
type lambdaProcess struct {
	api     *runtimeapi.Server
	cmd     *exec.Cmd
	started time.Time
	stderr  *tail
	exited  chan struct{}
}

// startLambda starts bin with env and AWS_LAMBDA_RUNTIME_API pointing at a
// new emulator. It does not wait for the function to be ready.
func startLambda(bin string, env []string) (*lambdaProcess, error) {
	api, err := runtimeapi.Start()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin)
	cmd.Env = append(append([]string{}, env...), "AWS_LAMBDA_RUNTIME_API="+api.Addr())
	dieWithParent(cmd)
	p := &lambdaProcess{api: api, cmd: cmd, stderr: &tail{max: 8 << 10}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stderr, p.stderr
	p.started = time.Now()
	if err := cmd.Start(); err != nil {
		_ = api.Close()
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	return p, nil
}

// readyAfter waits for the first next request and returns the time from
// process start to it.
func (p *lambdaProcess) readyAfter(ctx context.Context, limit time.Duration) (time.Duration, error) {
	select {
	case <-p.api.Ready():
		return p.api.ReadyAt().Sub(p.started), nil
	case <-p.exited:
		return 0, fmt.Errorf("%s exited before asking for an invocation: %s %s", p.cmd.Path, initError(p.api), p.stderr)
	case <-time.After(limit):
		return 0, fmt.Errorf("%s not ready within %s: %s", p.cmd.Path, limit, p.stderr)
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// initError is what the function posted to init/error, if anything.
func initError(api *runtimeapi.Server) string {
	if e, ok := api.InitError(); ok {
		return e.String()
	}
	return ""
}

// invoke runs one invocation and fails on an error result.
func (p *lambdaProcess) invoke(ctx context.Context, payload []byte, limit time.Duration) (*runtimeapi.Invocation, error) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	inv, err := p.api.Invoke(ctx, payload, limit)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %s", p.cmd.Path, err, p.stderr)
	}
	if inv.ErrorType != "" {
		return nil, fmt.Errorf("%s answered %s: %s", p.cmd.Path, inv.ErrorType, clip(inv.ErrorBody))
	}
	return inv, nil
}

// stop kills the process and closes its emulator.
func (p *lambdaProcess) stop() {
	_ = p.cmd.Process.Kill()
	<-p.exited
	_ = p.api.Close()
}

// tail keeps the last max bytes written to it, for error messages.
type tail struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.b) == 0 {
		return "(no output)"
	}
	return "output: " + string(t.b)
}
