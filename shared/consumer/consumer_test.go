package consumer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/esconnect/esconnect/shared/kafkaevent"
	"github.com/esconnect/esconnect/shared/kafkaops/kafkaopstest"
	"github.com/esconnect/esconnect/shared/targettest"
)

// store stands in for the index: records are keyed by topic/partition/offset,
// exactly like the sink's deterministic document ids, and it counts how often
// each was written so tests can tell repeats from losses.
type store struct {
	mu      sync.Mutex
	writes  map[string]int
	byOwner map[string]int
	changed chan struct{}
}

func newStore() *store {
	return &store{writes: map[string]int{}, byOwner: map[string]int{}, changed: make(chan struct{}, 1)}
}

func recordID(r kafkaevent.Record) string {
	return fmt.Sprintf("%s/%d/%d", r.Topic, r.Partition, r.Offset)
}

func (s *store) put(owner string, recs []kafkaevent.Record) {
	s.mu.Lock()
	for _, r := range recs {
		s.writes[recordID(r)]++
	}
	s.byOwner[owner] += len(recs)
	s.mu.Unlock()
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

func (s *store) snapshot() (docs int, writes map[string]int, byOwner map[string]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	writes = make(map[string]int, len(s.writes))
	for k, v := range s.writes {
		writes[k] = v
	}
	byOwner = make(map[string]int, len(s.byOwner))
	for k, v := range s.byOwner {
		byOwner[k] = v
	}
	return len(s.writes), writes, byOwner
}

// waitDocs waits, bounded by timeout, until the store holds n documents.
func (s *store) waitDocs(t *testing.T, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		if docs, _, _ := s.snapshot(); docs >= n {
			return
		}
		select {
		case <-s.changed:
		case <-deadline.C:
			docs, _, _ := s.snapshot()
			t.Fatalf("store holds %d documents after %v, want %d", docs, timeout, n)
		}
	}
}

func (s *store) handler(owner string) Handler {
	return func(ctx context.Context, recs []kafkaevent.Record) (any, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		s.put(owner, recs)
		return map[string]int{"indexed": len(recs)}, nil
	}
}

// cluster is the Kafka a test runs against, with the test's topic and
// group on it.
type cluster struct {
	k            *targettest.Kafka
	topic, group string
	parts        int
}

// setup creates the test's topic "orders" with parts partitions on k.
func setup(t *testing.T, k *targettest.Kafka, parts int) cluster {
	t.Helper()
	return cluster{k: k, topic: k.Topic(t, "orders", parts), group: k.Group("connect-test"), parts: parts}
}

func produce(t *testing.T, c cluster, from, n int) {
	t.Helper()
	// A transport of its own: kafka-go's default one is shared by the whole
	// process and answers for a topic created since it last read the
	// metadata, which on a shared real broker is every test's, that the
	// topic does not exist.
	tr := &kafka.Transport{}
	defer tr.CloseIdleConnections()
	w := &kafka.Writer{Addr: kafka.TCP(c.k.Brokers...), Topic: c.topic, Balancer: &kafka.RoundRobin{}, BatchTimeout: 5 * time.Millisecond,
		// kafka-go defaults to fire-and-forget; the tests read what they produced.
		RequiredAcks: kafka.RequireAll, Transport: tr}
	defer w.Close()
	msgs := make([]kafka.Message, n)
	for i := range msgs {
		msgs[i] = kafka.Message{Key: fmt.Appendf(nil, "k%d", from+i), Value: fmt.Appendf(nil, `{"n":%d}`, from+i)}
	}
	if err := w.WriteMessages(t.Context(), msgs...); err != nil {
		t.Fatalf("produce: %v", err)
	}
}

// testConfig is a consumer of c's topic in c's group with short timings.
// The session timeout is Kafka's smallest by default
// (group.min.session.timeout.ms=6000); it only matters for a member that
// dies, which no test here lets happen: a stopped consumer leaves the group.
func testConfig(c cluster) Config {
	return Config{
		Brokers: c.k.Brokers, Topics: []string{c.topic}, Group: c.group, FromEarliest: true,
		Batch: 7, Window: 20 * time.Millisecond, MaxWait: 50 * time.Millisecond,
		HeartbeatInterval: 100 * time.Millisecond, SessionTimeout: 6 * time.Second, RebalanceTimeout: 5 * time.Second,
		Backoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond,
	}
}

func testLogger(t *testing.T) *slog.Logger {
	t.Helper()
	if testing.Verbose() {
		return slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	return slog.New(slog.DiscardHandler)
}

// runConsumer runs a consumer in the background and returns its stop
// function, which cancels it and waits for Run to return.
func runConsumer(t *testing.T, cfg Config, h Handler) (*Consumer, func()) {
	t.Helper()
	c, err := New(cfg, h, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	return c, startConsumer(t, c)
}

// startConsumer runs c in the background and returns its stop function,
// which cancels it and waits for Run to return.
func startConsumer(t *testing.T, c *Consumer) func() {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Error("Run did not return within 30s of cancel")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// committed returns the group's committed offset per partition, -1 where
// none, through kafkaopstest, which waits out a coordinator that a fresh
// real broker is still loading.
func committed(t *testing.T, c cluster) map[int]int64 {
	t.Helper()
	parts := make([]int, c.parts)
	for i := range parts {
		parts[i] = i
	}
	return kafkaopstest.Open(t, c.k).Committed(t, c.group, c.topic, parts...)
}

func sumOffsets(m map[int]int64) int64 {
	var n int64
	for _, v := range m {
		if v > 0 {
			n += v
		}
	}
	return n
}

func assertExactlyOnce(t *testing.T, s *store, n int) {
	t.Helper()
	docs, writes, _ := s.snapshot()
	if docs != n {
		t.Fatalf("store holds %d documents, want %d", docs, n)
	}
	for id, w := range writes {
		if w != 1 {
			t.Errorf("record %s written %d times", id, w)
		}
	}
}

func TestConsumeCommitsAfterHandler(t *testing.T) {
	targettest.Kafkas(t, func(t *testing.T, k *targettest.Kafka) {
		const n = 60
		c := setup(t, k, 3)
		produce(t, c, 0, n)
		s := newStore()
		_, stop := runConsumer(t, testConfig(c), s.handler("a"))
		s.waitDocs(t, n, 30*time.Second)
		stop()
		assertExactlyOnce(t, s, n)
		if got := sumOffsets(committed(t, c)); got != n {
			t.Fatalf("committed offsets add up to %d, want %d", got, n)
		}
	})
}

// TestConsumerKilledMidBatch cancels the consumer while the handler is inside
// a batch, then restarts it: the interrupted batch must be processed by the
// restart, and nothing finished before must be processed again.
func TestConsumerKilledMidBatch(t *testing.T) {
	targettest.Kafkas(t, func(t *testing.T, k *targettest.Kafka) {
		const n = 40
		c := setup(t, k, 2)
		produce(t, c, 0, n)
		s := newStore()

		entered := make(chan struct{})
		var calls sync.Mutex
		callN := 0
		blocking := func(ctx context.Context, recs []kafkaevent.Record) (any, error) {
			calls.Lock()
			callN++
			third := callN == 3
			calls.Unlock()
			if third {
				// Hold this batch until shutdown cancels it, as a slow bulk
				// request would be held when SIGTERM arrives.
				close(entered)
				<-ctx.Done()
				return nil, ctx.Err()
			}
			return s.handler("first")(ctx, recs)
		}
		cfg := testConfig(c)
		cfg.Concurrency = 1
		_, stop := runConsumer(t, cfg, blocking)
		select {
		case <-entered:
		case <-time.After(30 * time.Second):
			t.Fatal("handler never reached the third batch")
		}
		stop()
		before, _, _ := s.snapshot()
		if before >= n {
			t.Fatalf("first run stored %d of %d records although a batch was interrupted", before, n)
		}

		_, stop2 := runConsumer(t, cfg, s.handler("second"))
		s.waitDocs(t, n, 30*time.Second)
		stop2()
		assertExactlyOnce(t, s, n)
		if got := sumOffsets(committed(t, c)); got != n {
			t.Fatalf("committed offsets add up to %d, want %d", got, n)
		}
	})
}

// TestConsumerRebalance starts a second member while the first is consuming:
// both must end up with work, every record must be stored, and the commits
// must cover everything.
func TestConsumerRebalance(t *testing.T) {
	targettest.Kafkas(t, func(t *testing.T, k *targettest.Kafka) {
		const parts, n = 4, 200
		c := setup(t, k, parts)
		s := newStore()
		cfg := testConfig(c)

		a, stopA := runConsumer(t, cfg, s.handler("a"))
		produce(t, c, 0, n/2)
		s.waitDocs(t, n/4, 30*time.Second)
		b, stopB := runConsumer(t, cfg, s.handler("b"))
		// Produce the second half only once the group has split the partitions,
		// so both members are sure to get records.
		waitFor(t, 30*time.Second, func() bool {
			na, nb := len(a.Assigned()), len(b.Assigned())
			return na > 0 && nb > 0 && na+nb == parts
		})
		produce(t, c, n/2, n/2)
		s.waitDocs(t, n, 60*time.Second)
		stopA()
		stopB()

		docs, writes, byOwner := s.snapshot()
		if docs != n {
			t.Fatalf("store holds %d documents, want %d", docs, n)
		}
		if byOwner["a"] == 0 || byOwner["b"] == 0 {
			t.Fatalf("records per member = %v; the rebalance did not share the partitions", byOwner)
		}
		repeats := 0
		for _, w := range writes {
			repeats += w - 1
		}
		// A repeat is allowed only for a batch whose commit raced the
		// rebalance; it is logged, and with deterministic ids it changes nothing.
		t.Logf("records per member %v, repeated writes %d", byOwner, repeats)
		if got := sumOffsets(committed(t, c)); got != n {
			t.Fatalf("committed offsets add up to %d, want %d", got, n)
		}
	})
}

// waitFor polls cond, which reads state the consumer publishes, until it
// holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("condition not met within %v", timeout)
		}
	}
}

func TestOnFailureFailStopsOnlyThatPartition(t *testing.T) {
	targettest.Kafkas(t, func(t *testing.T, k *targettest.Kafka) {
		const n = 20
		c := setup(t, k, 2)
		produce(t, c, 0, n)
		s := newStore()
		errBoom := errors.New("boom")
		h := func(ctx context.Context, recs []kafkaevent.Record) (any, error) {
			if recs[0].Partition == 1 {
				return nil, errBoom
			}
			return s.handler("a")(ctx, recs)
		}
		cfg := testConfig(c)
		cfg.Retries = 1
		cons, stop := runConsumer(t, cfg, h)
		s.waitDocs(t, n/2, 30*time.Second)
		// Partition 1 is stopped once its retries are spent.
		waitFor(t, 10*time.Second, func() bool { return len(cons.Stopped()) > 0 })
		stop()
		stopped := cons.Stopped()
		err, ok := stopped[c.topic+"/1"]
		if !ok || len(stopped) != 1 {
			t.Fatalf("stopped partitions = %v, want only %s/1", stopped, c.topic)
		}
		if !errors.Is(err, ErrPartitionStopped) || !errors.Is(err, errBoom) {
			t.Fatalf("stop error = %v, want ErrPartitionStopped wrapping the handler error", err)
		}
		got := committed(t, c)
		if got[1] > 0 {
			t.Fatalf("partition 1 committed offset %d although every batch failed", got[1])
		}
		if got[0] != n/2 {
			t.Fatalf("partition 0 committed offset %d, want %d", got[0], n/2)
		}
	})
}

func TestNewRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no brokers", Config{Topics: []string{"t"}}},
		{"no topics", Config{Brokers: []string{"127.0.0.1:1"}}},
		{"bad policy", Config{Brokers: []string{"127.0.0.1:1"}, Topics: []string{"t"}, OnFailure: "ignore"}},
		{"heartbeat", Config{Brokers: []string{"127.0.0.1:1"}, Topics: []string{"t"}, HeartbeatInterval: time.Minute, SessionTimeout: time.Second}},
		{"heartbeat above the default session", Config{Brokers: []string{"127.0.0.1:1"}, Topics: []string{"t"}, HeartbeatInterval: DefaultSessionTimeout}},
		{"instance id", Config{Brokers: []string{"127.0.0.1:1"}, Topics: []string{"t"}, InstanceID: "host name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.cfg, func(context.Context, []kafkaevent.Record) (any, error) { return nil, nil }, nil); !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("New error = %v, want ErrInvalidConfig", err)
			}
		})
	}
}

// TestSlowPartitionDoesNotHoldUpOthers holds the handler of partition 0
// inside its first batch: partition 1 must still be consumed to the end,
// and once partition 0 is released everything is stored exactly once.
func TestSlowPartitionDoesNotHoldUpOthers(t *testing.T) {
	targettest.Kafkas(t, func(t *testing.T, k *targettest.Kafka) {
		const n = 80
		c := setup(t, k, 2)
		produce(t, c, 0, n)
		s := newStore()
		release := make(chan struct{})
		h := func(ctx context.Context, recs []kafkaevent.Record) (any, error) {
			if recs[0].Partition == 0 {
				select {
				case <-release:
				case <-ctx.Done():
					return nil, ctx.Err()
				}
			}
			return s.handler("a")(ctx, recs)
		}
		cfg := testConfig(c)
		cfg.Concurrency = 2
		_, stop := runConsumer(t, cfg, h)
		// Round robin put half of the records on each partition.
		s.waitDocs(t, n/2, 30*time.Second)
		if docs, writes, _ := s.snapshot(); docs != n/2 {
			t.Fatalf("store holds %d documents while partition 0 is held, want partition 1's %d", docs, n/2)
		} else {
			for id := range writes {
				if !strings.HasPrefix(id, c.topic+"/1/") {
					t.Fatalf("record %s stored while partition 0 is held", id)
				}
			}
		}
		close(release)
		s.waitDocs(t, n, 30*time.Second)
		stop()
		assertExactlyOnce(t, s, n)
	})
}
