package replay

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/kafkaevent"
	"github.com/esconnect/esconnect/shared/msgdoc"
	"github.com/esconnect/esconnect/shared/sink"
	"github.com/esconnect/esconnect/shared/targettest"
)

// openSink returns the kafka-es-sink handler with env as its settings.
func openSink(t *testing.T, env map[string]string) *sink.Handler {
	t.Helper()
	cfg, err := sink.LoadConfig(config.FromMap(env))
	if err != nil {
		t.Fatal(err)
	}
	h, closeFn, err := sink.Open(t.Context(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeFn() })
	return h
}

// TestRedriveFromESDeadLetters dead-letters records that are not JSON into an
// es:// index through the sink's dead-letter publisher, more than one scroll
// page of them, then redrives the index to `local` with the cause fixed (text
// values): every record is indexed under the id of its original topic,
// partition and offset, with its key and value.
func TestRedriveFromESDeadLetters(t *testing.T) {
	targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
		const perPartition = 600 // half of them dead letters: 600 in all, over two scroll pages
		orders, dlq := e.Index("orders"), e.Index("orders-dlq")
		first := openSink(t, sinkEnv(e, map[string]string{
			"ES_INDEX": orders, "VALUE_FORMAT": "json", "ON_FAILURE": "dlq", "DLQ_TARGET": "es://" + dlq,
		}))
		var recs []kafkaevent.Record
		for p := range int32(2) {
			for off := range int64(perPartition) {
				// Good values are JSON strings, so the first pass maps
				// msg_body.value as text and the redriven text values fit.
				value := fmt.Appendf(nil, `"v%d"`, off)
				if off%2 == 1 {
					value = fmt.Appendf(nil, "not json %d/%d", p, off)
				}
				recs = append(recs, kafkaevent.Record{
					Topic: "orders", Partition: p, Offset: off, Timestamp: 1714550400000 + off,
					TimestampType: "CREATE_TIME", Key: fmt.Appendf(nil, "k%d-%d", p, off), Value: value, ValueSize: len(value),
				})
			}
		}
		res, err := first.HandleRecords(t.Context(), recs)
		if err != nil {
			t.Fatal(err)
		}
		if res.DeadLettered != perPartition || res.Indexed != perPartition {
			t.Fatalf("first pass: %d indexed, %d dead-lettered, want %d each", res.Indexed, res.DeadLettered, perPartition)
		}
		// Dead letters are searchable after a refresh, which a cluster does by
		// itself within a second.
		refresh(t, e, dlq)

		src := OpenESDeadLetters(esTransport(t, e), dlq)
		dst, err := OpenDestination(t.Context(), "local", localOptions(sinkEnv(e, map[string]string{
			"ES_INDEX": orders, "VALUE_FORMAT": "text",
		})))
		if err != nil {
			t.Fatal(err)
		}
		sum, err := Run(t.Context(), src, dst, Options{Batch: 128})
		if err != nil {
			t.Fatalf("redrive: %v (summary %+v)", err, sum)
		}
		if err := dst.Close(); err != nil {
			t.Fatal(err)
		}
		if err := src.Close(); err != nil {
			t.Fatalf("close clears the scroll: %v", err)
		}
		if sum.Sent != perPartition || src.Total() != perPartition || len(sum.Partitions) != 2 {
			t.Fatalf("redrive summary %+v, source total %d; want %d sent over 2 partitions", sum, src.Total(), perPartition)
		}

		ids := indexIDs(t, e, orders)
		if len(ids) != 2*perPartition {
			t.Fatalf("index holds %d documents after the redrive, want %d", len(ids), 2*perPartition)
		}
		for _, r := range recs {
			id := msgdoc.OffsetID(r.Topic, r.Partition, r.Offset)
			if !ids[id] {
				t.Fatalf("%s/%d/%d is not indexed under its original id", r.Topic, r.Partition, r.Offset)
			}
			if r.Offset%2 == 0 || r.Offset%97 != 1 {
				continue
			}
			// A sample of redriven documents: the record restored whole.
			body, _ := source(t, e, orders, id)["msg_body"].(map[string]any)
			if body["key"] != string(r.Key) || body["value"] != string(r.Value) || body["topic"] != "orders" {
				t.Fatalf("redriven document %s = %v, want key %q value %q", id, body, r.Key, r.Value)
			}
		}
	})
}

// TestRedriveESDeadLetterWithoutRecord: a dead letter holding an element the
// trigger could not decode (no record to restore) stops the redrive with
// ErrNotRestorable, rather than being skipped in silence.
func TestRedriveESDeadLetterWithoutRecord(t *testing.T) {
	payload, err := os.ReadFile(filepath.Join("..", "..", "events", "alibaba-connector-bad-record.json"))
	if err != nil {
		t.Fatal(err)
	}
	targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
		dlq := e.Index("orders-dlq")
		h := openSink(t, sinkEnv(e, map[string]string{
			"ES_INDEX": e.Index("orders"), "ON_FAILURE": "dlq", "DLQ_TARGET": "es://" + dlq,
		}))
		res, err := h.Handle(t.Context(), payload)
		if err != nil {
			t.Fatal(err)
		}
		if res.DeadLettered == 0 {
			t.Fatalf("the bad-record fixture dead-lettered nothing: %+v", res)
		}
		refresh(t, e, dlq)
		src := OpenESDeadLetters(esTransport(t, e), dlq)
		defer src.Close()
		sum, err := Run(t.Context(), src, &collect{}, Options{})
		if !errors.Is(err, ErrNotRestorable) || !errors.Is(err, ErrFailed) {
			t.Fatalf("redrive error = %v, want ErrFailed wrapping ErrNotRestorable", err)
		}
		if sum.Sent != 0 {
			t.Fatalf("sent %d records from a page with an unrestorable letter", sum.Sent)
		}
	})
}

func TestESDeadLettersMissingIndex(t *testing.T) {
	targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
		src := OpenESDeadLetters(esTransport(t, e), e.Index("absent"))
		defer src.Close()
		if _, err := Run(t.Context(), src, &collect{}, Options{}); !errors.Is(err, ErrFailed) {
			t.Fatalf("redrive of a missing index: error %v, want ErrFailed", err)
		}
	})
}
