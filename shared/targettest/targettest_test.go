package targettest

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

// TestEngineIndicesAreDeleted: what a test writes under its index names is
// gone once it ends on a real server, and the names do not collide between
// tests.
func TestEngineIndicesAreDeleted(t *testing.T) {
	Engines(t, func(t *testing.T, e *Engine) {
		if e.Version == "" || e.Major() < 1 {
			t.Fatalf("%s reports version %q", e.Name, e.Version)
		}
		var index string
		var api = e.API
		t.Run("write", func(t *testing.T) {
			inner := *e
			if e.Real() {
				inner.token = newToken()
				t.Cleanup(func() { inner.deleteIndices(t) })
			}
			index = inner.Index("targettest")
			if e.Real() == (index == "targettest") {
				t.Fatalf("index name %q on %s", index, e.Name)
			}
			res, err := api.Index(index, strings.NewReader(`{"a":1}`), api.Index.WithDocumentID("1"),
				api.Index.WithRefresh("true"), api.Index.WithContext(t.Context()))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusCreated {
				t.Fatalf("index: %s", res.Status())
			}
		})
		res, err := api.Indices.Exists([]string{index}, api.Indices.Exists.WithContext(t.Context()))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		want := http.StatusOK
		if e.Real() {
			want = http.StatusNotFound
		}
		if res.StatusCode != want {
			t.Fatalf("HEAD %s after the subtest: %d, want %d", index, res.StatusCode, want)
		}
	})
}

// TestKafkaTopic: a topic made through the target has its partitions, takes
// messages and gives them back.
func TestKafkaTopic(t *testing.T) {
	Kafkas(t, func(t *testing.T, k *Kafka) {
		topic := k.Topic(t, "targettest", 3)
		if k.Real() == (topic == "targettest") {
			t.Fatalf("topic name %q on %s", topic, k.Name)
		}
		// A transport of its own: kafka-go's default one caches metadata
		// across tests and reports a topic newer than its cache as unknown.
		tr := &kafka.Transport{}
		defer tr.CloseIdleConnections()
		w := &kafka.Writer{Addr: kafka.TCP(k.Brokers...), Topic: topic, RequiredAcks: kafka.RequireAll,
			Balancer: &kafka.RoundRobin{}, BatchTimeout: time.Millisecond, Transport: tr}
		defer w.Close()
		msgs := []kafka.Message{{Value: []byte("a")}, {Value: []byte("b")}, {Value: []byte("c")}}
		if err := w.WriteMessages(t.Context(), msgs...); err != nil {
			t.Fatal(err)
		}
		got := 0
		for p := range 3 {
			r := kafka.NewReader(kafka.ReaderConfig{Brokers: k.Brokers, Topic: topic, Partition: p, MaxWait: 50 * time.Millisecond})
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			m, err := r.ReadMessage(ctx)
			cancel()
			r.Close()
			if err != nil && err != io.EOF {
				t.Fatalf("partition %d: %v", p, err)
			}
			if len(m.Value) == 1 {
				got++
			}
		}
		if got != 3 {
			t.Fatalf("read %d messages from the 3 partitions, want one from each", got)
		}
	})
}
