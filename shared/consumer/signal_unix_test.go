//go:build unix

package consumer

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/kafkaevent"
	"github.com/esconnect/esconnect/shared/kafkaops"
)

// TestHandleSignals sends the pause and resume signals to this test process
// while the handler is installed, and removes the handler before returning,
// so that the signals' default disposition is back for the other tests.
func TestHandleSignals(t *testing.T) {
	c, err := New(Config{Brokers: []string{"127.0.0.1:1"}, Topics: []string{"t"}}, func(context.Context, []kafkaevent.Record) (any, error) { return nil, nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	stop := c.HandleSignals(t.Context())
	defer stop()
	for _, tt := range []struct {
		sig  syscall.Signal
		want string
	}{
		{syscall.SIGUSR1, kafkaops.MemberPaused},
		{syscall.SIGUSR2, kafkaops.MemberActive},
		{syscall.SIGUSR1, kafkaops.MemberPaused},
	} {
		_, wake := c.wanted()
		if err := syscall.Kill(syscall.Getpid(), tt.sig); err != nil {
			t.Fatal(err)
		}
		if state, _ := c.wanted(); state != tt.want {
			// Delivery is asynchronous: wait for the state to change.
			select {
			case <-wake:
			case <-time.After(10 * time.Second):
				t.Fatalf("after %v the wanted state is still %q", tt.sig, state)
			}
		}
		if state, _ := c.wanted(); state != tt.want {
			t.Fatalf("after %v the wanted state is %q, want %q", tt.sig, state, tt.want)
		}
	}
}
