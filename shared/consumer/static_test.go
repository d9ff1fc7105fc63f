package consumer

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/kafkaevent"
	"github.com/esconnect/esconnect/shared/kafkaops"
	"github.com/esconnect/esconnect/shared/targettest"
)

// describe is the group as `esconnect status` sees it.
func describe(t *testing.T, a *kafkaops.Admin, group string) kafkaops.Group {
	t.Helper()
	g, err := a.DescribeGroup(t.Context(), group)
	if err != nil {
		t.Fatalf("describe group %s: %v", group, err)
	}
	return g
}

// TestStaticMemberLeavesOnStop stops a static member: Run returns only
// after the member has left, so the group has no member right after. The
// client alone would not leave (a static member that goes away is expected
// back), and the coordinator would keep the member for its session timeout.
func TestStaticMemberLeavesOnStop(t *testing.T) {
	targettest.Kafkas(t, func(t *testing.T, k *targettest.Kafka) {
		const n = 20
		c := setup(t, k, 2)
		produce(t, c, 0, n)
		s := newStore()
		cfg := testConfig(c)
		cfg.InstanceID = "esconnect-test-a"
		// A session the test could not wait out by accident.
		cfg.SessionTimeout = time.Minute
		_, stop := runConsumer(t, cfg, s.handler("a"))
		s.waitDocs(t, n, 30*time.Second)
		waitCommitted(t, c, n)
		admin := newAdmin(t, c)
		if g := describe(t, admin, c.group); len(g.Members) != 1 {
			t.Fatalf("group while consuming: %+v, want one member", g)
		}
		stop()
		if g := describe(t, admin, c.group); len(g.Members) != 0 {
			t.Fatalf("group right after the stop: %+v, want no members", g)
		}
		assertExactlyOnce(t, s, n)
	})
}

// TestStaticMemberFenced starts a second consumer with the instance id of
// a running one. The coordinator gives the second the first one's place;
// the first stops with ErrFenced, without leaving (which would remove the
// second), and the second consumes everything.
func TestStaticMemberFenced(t *testing.T) {
	targettest.Kafkas(t, func(t *testing.T, k *targettest.Kafka) {
		const n = 20
		c := setup(t, k, 2)
		produce(t, c, 0, n)
		s := newStore()
		cfg := testConfig(c)
		cfg.InstanceID = "esconnect-test-twin"
		first, err := New(cfg, s.handler("first"), testLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		firstDone := make(chan error, 1)
		go func() { firstDone <- first.Run(ctx) }()
		s.waitDocs(t, n, 30*time.Second)
		waitCommitted(t, c, n)

		_, stopSecond := runConsumer(t, cfg, s.handler("second"))
		select {
		case err := <-firstDone:
			if !errors.Is(err, ErrFenced) {
				t.Fatalf("first consumer's Run = %v, want ErrFenced", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("the first consumer kept running beside a second one with its instance id")
		}
		produce(t, c, n, n)
		s.waitDocs(t, 2*n, 30*time.Second)
		waitCommitted(t, c, 2*n)
		if g := describe(t, newAdmin(t, c), c.group); len(g.Members) != 1 {
			t.Fatalf("group after the first consumer stopped: %+v, want the second as its only member", g)
		}
		stopSecond()
		_, _, byOwner := s.snapshot()
		if byOwner["second"] != n {
			t.Fatalf("records per consumer %v: the second consumer should have handled the %d new ones", byOwner, n)
		}
		assertExactlyOnce(t, s, 2*n)
	})
}

// TestSessionTimeoutRefused asks for a session timeout below the broker's
// group.min.session.timeout.ms (6s on Kafka, 1s on the dev stack's kfake):
// Run returns ErrSessionTimeout instead of retrying the join for ever.
func TestSessionTimeoutRefused(t *testing.T) {
	targettest.Kafkas(t, func(t *testing.T, k *targettest.Kafka) {
		c := setup(t, k, 1)
		cfg := testConfig(c)
		cfg.SessionTimeout = 500 * time.Millisecond
		cons, err := New(cfg, func(context.Context, []kafkaevent.Record) (any, error) { return nil, nil }, testLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		if err := cons.Run(ctx); !errors.Is(err, ErrSessionTimeout) {
			t.Fatalf("Run = %v, want ErrSessionTimeout", err)
		}
	})
}

func TestValidateInstanceID(t *testing.T) {
	long := make([]byte, 250)
	for i := range long {
		long[i] = 'a'
	}
	tests := []struct {
		id string
		ok bool
	}{
		{"esconnect-1", true},
		{"ip-10-0-0-7.eu-west-1.compute.internal", true},
		{"pod_0", true},
		{string(long[:249]), true},
		{"", false},
		{string(long), false},
		{"has space", false},
		{"slash/name", false},
		{"colon:name", false},
		{"é", false},
	}
	for _, tt := range tests {
		err := ValidateInstanceID(tt.id)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateInstanceID(%q) = %v, want ok %v", tt.id, err, tt.ok)
		}
	}
}
