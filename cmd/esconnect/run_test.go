package main

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/segmentio/kafka-go"

	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/msgdoc"
)

func produceValues(t *testing.T, broker, topic string, from, n int) {
	t.Helper()
	w := &kafka.Writer{Addr: kafka.TCP(broker), Topic: topic, Balancer: &kafka.RoundRobin{}, BatchTimeout: 5 * time.Millisecond}
	defer w.Close()
	msgs := make([]kafka.Message, n)
	for i := range msgs {
		msgs[i] = kafka.Message{Key: fmt.Appendf(nil, "k%d", from+i), Value: fmt.Appendf(nil, `"v%d"`, from+i)}
	}
	if err := w.WriteMessages(t.Context(), msgs...); err != nil {
		t.Fatal(err)
	}
}

// waitIndexed polls the index, bounded by timeout, until it holds n
// documents, and returns their ids.
func waitIndexed(t *testing.T, es *elasticsearch.Client, n int, timeout time.Duration) map[string]bool {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		ids := indexedIDs(t, es, "replayed")
		if len(ids) >= n {
			out := map[string]bool{}
			for id := range ids {
				out[id] = true
			}
			return out
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("index holds %d documents after %v, want %d", len(ids), timeout, n)
		}
	}
}

// startRun runs `esconnect run kafka-es-sink` in the background; stop
// cancels it as SIGTERM would and waits for it to return.
func startRun(t *testing.T, broker string) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- runConsumer(ctx, []string{"kafka-es-sink", "--brokers", broker, "--topic", "orders", "--batch", "5", "--window", "20ms", "--concurrency", "1"}, io.Discard, io.Discard)
	}()
	stopped := false
	var result error
	stop = func() error {
		if stopped {
			return result
		}
		stopped = true
		cancel()
		select {
		case result = <-done:
		case <-time.After(30 * time.Second):
			t.Fatal("run did not stop within 30s")
		}
		return result
	}
	t.Cleanup(func() { stop() })
	return stop
}

// TestRunKilledMidBatchLosesAndDuplicatesNothing stops the consumer while a
// bulk request is held by the node's latency fault, then restarts it: every
// record ends up indexed exactly once under its offset id.
func TestRunKilledMidBatchLosesAndDuplicatesNothing(t *testing.T) {
	s, es := replayStack(t, "orders", nil)
	broker := s.KafkaAddrs[0]
	produceValues(t, broker, "orders", 0, 20)

	stop := startRun(t, broker)
	waitIndexed(t, es, 20, 30*time.Second)

	// Hold the next bulk request long enough to stop the consumer inside
	// the handler call.
	s.ES.Node.SetFaults(esnode.Faults{Latency: time.Minute})
	before := s.ES.Node.Stats().Delayed
	produceValues(t, broker, "orders", 20, 20)
	tick := time.NewTicker(10 * time.Millisecond)
	deadline := time.Now().Add(30 * time.Second)
	for s.ES.Node.Stats().Delayed == before {
		if time.Now().After(deadline) {
			t.Fatal("no request reached the node")
		}
		<-tick.C
	}
	tick.Stop()
	if err := stop(); err != nil {
		t.Fatalf("run returned %v on shutdown", err)
	}
	s.ES.Node.SetFaults(esnode.Faults{})
	if n := len(indexedIDs(t, es, "replayed")); n != 20 {
		t.Fatalf("after the interrupted run the index holds %d documents, want 20", n)
	}

	stop2 := startRun(t, broker)
	ids := waitIndexed(t, es, 40, 30*time.Second)
	if err := stop2(); err != nil {
		t.Fatal(err)
	}
	if len(ids) != 40 {
		t.Fatalf("index holds %d documents, want 40", len(ids))
	}
	for p := range 3 {
		for off := range 40 {
			delete(ids, msgdoc.OffsetID("orders", int32(p), int64(off)))
		}
	}
	if len(ids) != 0 {
		t.Fatalf("documents with unexpected ids: %v", ids)
	}
}

func TestRunUsage(t *testing.T) {
	tests := [][]string{
		nil,
		{"pg-es-sync"},
		{"kafka-es-sink", "--from", "middle", "--brokers", "127.0.0.1:1", "--topic", "t"},
	}
	for _, args := range tests {
		err := runConsumer(t.Context(), args, io.Discard, io.Discard)
		if ec, ok := err.(*exitCodeError); !ok || ec.code != 2 {
			t.Errorf("run %q = %v, want exit code 2", args, err)
		}
	}
}
