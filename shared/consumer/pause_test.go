package consumer

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/kafkaevent"
	"github.com/esconnect/esconnect/shared/kafkaops"
	"github.com/esconnect/esconnect/shared/targettest"
)

func newAdmin(t *testing.T, c cluster) *kafkaops.Admin {
	t.Helper()
	a, err := kafkaops.New(kafkaops.Options{Brokers: c.k.Brokers, RequestTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a
}

// groupStatus is what `esconnect status` computes for the group.
func groupStatus(t *testing.T, a *kafkaops.Admin, group, topic string) kafkaops.Status {
	t.Helper()
	st, err := a.Status(t.Context(), group, []string{topic})
	if err != nil {
		t.Fatalf("status: %v", err)
	}
	return st
}

// waitState waits until the consumer announces state to the group.
func waitState(t *testing.T, c *Consumer, state string) {
	t.Helper()
	waitFor(t, 30*time.Second, func() bool { return c.Progress().State == state })
}

// waitCommitted waits until the group's commits on the topic add up to n.
func waitCommitted(t *testing.T, c cluster, n int64) {
	t.Helper()
	waitFor(t, 30*time.Second, func() bool { return sumOffsets(committed(t, c)) == n })
}

// assertIdleWhilePaused lets every paused generation wake up polls times —
// each wake-up is a moment an active partition loop would have fetched — and
// then checks that nothing was handled or committed meanwhile.
func assertIdleWhilePaused(t *testing.T, cons *Consumer, s *store, c cluster, docs int, polls int64) {
	t.Helper()
	before := cons.Progress()
	waitFor(t, 30*time.Second, func() bool { return cons.Progress().PausedPolls >= before.PausedPolls+polls })
	after := cons.Progress()
	if after.State != kafkaops.MemberPaused || after.Batches != before.Batches || after.Commits != before.Commits {
		t.Fatalf("progress while paused went from %+v to %+v", before, after)
	}
	if n, _, _ := s.snapshot(); n != docs {
		t.Fatalf("store holds %d documents while paused, want %d", n, docs)
	}
	if got := sumOffsets(committed(t, c)); got != int64(docs) {
		t.Fatalf("committed offsets add up to %d while paused, want %d", got, docs)
	}
}

// TestPauseResumeKeepsOffsets pauses a consumer that has caught up, produces
// more, and checks that the paused member stays in the group holding its
// partitions, handles and commits nothing, and is shown paused by the status;
// after Resume everything is handled exactly once.
func TestPauseResumeKeepsOffsets(t *testing.T) {
	targettest.Kafkas(t, func(t *testing.T, k *targettest.Kafka) {
		const parts, n, more = 3, 30, 15
		c := setup(t, k, parts)
		produce(t, c, 0, n)
		s := newStore()
		cfg := testConfig(c)
		cons, stop := runConsumer(t, cfg, s.handler("a"))
		s.waitDocs(t, n, 30*time.Second)
		waitCommitted(t, c, n)
		admin := newAdmin(t, c)
		active := groupStatus(t, admin, c.group, c.topic)
		if len(active.Members) != 1 || active.Members[0].State != kafkaops.MemberActive || active.Paused {
			t.Fatalf("status before the pause: %+v", active.Group)
		}

		cons.Pause()
		waitState(t, cons, kafkaops.MemberPaused)
		produce(t, c, n, more)
		paused := groupStatus(t, admin, c.group, c.topic)
		if !paused.Paused || len(paused.Members) != 1 || paused.Members[0].State != kafkaops.MemberPaused {
			t.Fatalf("status while paused: %+v", paused.Group)
		}
		// The same member, still holding every partition: nothing was handed
		// to another member and the group did not lose this one.
		if paused.Members[0].ID != active.Members[0].ID {
			t.Fatalf("member id changed from %s to %s: the consumer left the group", active.Members[0].ID, paused.Members[0].ID)
		}
		if got := len(paused.Members[0].Assigned[c.topic]); got != parts {
			t.Fatalf("paused member holds %d partitions, want %d", got, parts)
		}
		if paused.TotalLag != more {
			t.Fatalf("lag while paused = %d, want the %d records produced after the pause", paused.TotalLag, more)
		}
		assertIdleWhilePaused(t, cons, s, c, n, 5)

		cons.Resume()
		waitState(t, cons, kafkaops.MemberActive)
		s.waitDocs(t, n+more, 30*time.Second)
		waitCommitted(t, c, n+more)
		resumed := groupStatus(t, admin, c.group, c.topic)
		stop()
		assertExactlyOnce(t, s, n+more)
		if resumed.Paused || len(resumed.Members) != 1 || resumed.Members[0].State != kafkaops.MemberActive || resumed.TotalLag != 0 {
			t.Fatalf("status after the resume: %+v, lag %d", resumed.Group, resumed.TotalLag)
		}
	})
}

// TestPauseFinishesBatchInFlight pauses while the handler is inside a batch:
// the pause waits for it, its offsets are committed, and nothing after it is
// handled until Resume.
func TestPauseFinishesBatchInFlight(t *testing.T) {
	targettest.Kafkas(t, func(t *testing.T, k *targettest.Kafka) {
		const n = 20
		c := setup(t, k, 1)
		produce(t, c, 0, n)
		s := newStore()
		entered, release := make(chan struct{}), make(chan struct{})
		var once sync.Once
		h := func(ctx context.Context, recs []kafkaevent.Record) (any, error) {
			first := false
			once.Do(func() { first = true })
			if first {
				close(entered)
				select {
				case <-release:
				case <-ctx.Done():
					return nil, ctx.Err()
				}
			}
			return s.handler("a")(ctx, recs)
		}
		cfg := testConfig(c)
		cfg.Concurrency, cfg.Batch = 1, 5
		cons, stop := runConsumer(t, cfg, h)
		select {
		case <-entered:
		case <-time.After(30 * time.Second):
			t.Fatal("handler never called")
		}
		cons.Pause()
		// The rejoin waits for the partition loop, which is inside the
		// handler, so the member cannot have announced the pause yet.
		if st := cons.Progress().State; st != kafkaops.MemberActive {
			t.Fatalf("state %q while a batch is in flight, want active", st)
		}
		close(release)
		waitState(t, cons, kafkaops.MemberPaused)
		docs, _, _ := s.snapshot()
		if docs != cfg.Batch {
			t.Fatalf("%d records handled before the pause took effect, want the batch in flight (%d)", docs, cfg.Batch)
		}
		if got := committed(t, c)[0]; got != int64(cfg.Batch) {
			t.Fatalf("committed offset %d after the pause, want %d: the batch in flight must be committed", got, cfg.Batch)
		}
		assertIdleWhilePaused(t, cons, s, c, cfg.Batch, 3)

		cons.Resume()
		s.waitDocs(t, n, 30*time.Second)
		waitCommitted(t, c, n)
		stop()
		assertExactlyOnce(t, s, n)
	})
}

// TestPauseBeforeRunJoinsPaused: a consumer paused before Run joins the
// group paused and handles nothing until resumed.
func TestPauseBeforeRunJoinsPaused(t *testing.T) {
	targettest.Kafkas(t, func(t *testing.T, k *targettest.Kafka) {
		const n = 10
		c := setup(t, k, 2)
		produce(t, c, 0, n)
		s := newStore()
		cons, err := New(testConfig(c), s.handler("a"), testLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		cons.Pause()
		stop := startConsumer(t, cons)
		waitState(t, cons, kafkaops.MemberPaused)
		st := groupStatus(t, newAdmin(t, c), c.group, c.topic)
		if !st.Paused || st.TotalLag != n {
			t.Fatalf("status of a consumer started paused: paused %v, lag %d", st.Paused, st.TotalLag)
		}
		assertIdleWhilePaused(t, cons, s, c, 0, 3)
		cons.Resume()
		s.waitDocs(t, n, 30*time.Second)
		stop()
		assertExactlyOnce(t, s, n)
	})
}
