//go:build unix

package consumer

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// PauseSignal and ResumeSignal pause and resume the consumer when
// HandleSignals is on.
//
// SIGUSR1/SIGUSR2 rather than SIGTSTP/SIGCONT: the shell's job control
// owns those. Ctrl-Z sends SIGTSTP and expects the process to freeze, and
// `fg`/`bg` send SIGCONT to any stopped job; a frozen process stops
// heartbeating, so the group would hand its partitions to other members
// after the session timeout — the opposite of a pause. SIGUSR1 and SIGUSR2
// have no other meaning to the shell or to the Go runtime once caught.
var (
	PauseSignal  os.Signal = syscall.SIGUSR1
	ResumeSignal os.Signal = syscall.SIGUSR2
)

// HandleSignals pauses the consumer on PauseSignal and resumes it on
// ResumeSignal until ctx ends or stop is called. The handler is installed
// before HandleSignals returns; stop restores the signals' previous
// disposition and waits for the handling goroutine to exit.
func (c *Consumer) HandleSignals(ctx context.Context) (stop func()) {
	ch := make(chan os.Signal, 4)
	signal.Notify(ch, PauseSignal, ResumeSignal)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case s := <-ch:
				c.log.Info("signal received", "signal", s.String())
				c.setPaused(s == PauseSignal)
			}
		}
	}()
	return func() {
		signal.Stop(ch)
		cancel()
		<-done
	}
}
