package sink

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/kafkaevent"
	"github.com/esconnect/esconnect/shared/targettest"
)

// What the sink writes, checked on every engine: ingest pipelines, Kafka
// tombstones under DOC_ID=key, index name templates and routing.

// putPipeline creates an ingest pipeline without processors (the test
// servers have no processor modules; an empty pipeline still has to exist
// for a write that names it) and deletes it when the test ends.
func putPipeline(t *testing.T, e *targettest.Engine, id string) {
	t.Helper()
	res, err := e.API.Ingest.PutPipeline(id, strings.NewReader(`{"description":"esconnect test","processors":[]}`),
		e.API.Ingest.PutPipeline.WithContext(t.Context()))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.IsError() {
		t.Fatalf("put pipeline %s on %s: %s", id, e.Name, res.Status())
	}
	t.Cleanup(func() {
		res, err := e.API.Ingest.DeletePipeline(id)
		if err != nil {
			t.Errorf("delete pipeline %s: %v", id, err)
			return
		}
		res.Body.Close()
	})
}

// TestOpenPipeline writes through ES_PIPELINE with each kind of id. A write
// that names a pipeline the server does not have is refused per item (400
// illegal_argument_exception), which shows that the pipeline is applied to
// the write at all: Elasticsearch ignores a pipeline on update +
// doc_as_upsert, so the sink must not write that way when ES_PIPELINE is set.
func TestOpenPipeline(t *testing.T) {
	ids := []struct {
		docID string
		id    func(kafkaevent.Record) string
	}{
		{"offset", offsetID},
		{"key", func(r kafkaevent.Record) string { return string(r.Key) }},
		{"field:/n", func(r kafkaevent.Record) string {
			return strings.TrimSuffix(strings.TrimPrefix(string(r.Value), `{"n":`), "}")
		}},
	}
	targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
		pipeline := e.Index("sink-pipeline")
		putPipeline(t, e, pipeline)
		recs := records("orders", 0, 3, func(i int) string { return `{"n":` + string(rune('1'+i)) + `}` })
		payload := awsEvent(t, recs)
		for _, tc := range ids {
			t.Run("existing pipeline, DOC_ID="+tc.docID, func(t *testing.T) {
				index := e.Index("piped-" + strings.TrimSuffix(strings.ReplaceAll(tc.docID, ":/", "-"), "-"))
				h := openSinkOn(t, e, map[string]string{EnvSinkIndex: index, EnvDocID: tc.docID, EnvValueFormat: "json",
					EnvPipeline: pipeline, EnvOnFailure: OnFailureFail}, nil)
				for delivery := 1; delivery <= 2; delivery++ {
					res, err := h.Handle(t.Context(), payload)
					if err != nil || res.Indexed != 3 || res.Failed != 0 {
						t.Fatalf("delivery %d: %+v, %v", delivery, counts(res), err)
					}
				}
				for _, r := range recs {
					if e.Source(t, index, tc.id(r)) == nil {
						t.Errorf("no document %s", tc.id(r))
					}
				}
				if n := e.Count(t, index); n != 3 {
					t.Errorf("%d documents, want 3", n)
				}
			})
			t.Run("missing pipeline, DOC_ID="+tc.docID, func(t *testing.T) {
				index := e.Index("unpiped")
				missing := e.Index("no-such-pipeline")
				h := openSinkOn(t, e, map[string]string{EnvSinkIndex: index, EnvDocID: tc.docID, EnvValueFormat: "json",
					EnvPipeline: missing, EnvOnFailure: OnFailureFail}, nil)
				res, err := h.Handle(t.Context(), payload)
				if !errors.Is(err, ErrRecordsFailed) {
					t.Fatalf("Handle: %+v, %v; want ErrRecordsFailed", counts(res), err)
				}
				if res.Indexed != 0 || len(res.Failures) != 3 {
					t.Fatalf("result %+v, failures %+v: want all 3 refused", counts(res), res.Failures)
				}
				for _, f := range res.Failures {
					if f.Status != http.StatusBadRequest || f.Type != "illegal_argument_exception" || !strings.Contains(f.Reason, missing) {
						t.Errorf("failure %+v, want a 400 illegal_argument_exception naming %s", f, missing)
					}
				}
			})
		}
	})
}

// TestOpenNullValues sends Kafka tombstones (null values) under DOC_ID=key
// with each NULL_VALUE policy. delete removes the key's document with the
// tombstone's offset as external version, so an older record replayed
// afterwards is refused by the engine (while it remembers the delete,
// index.gc_deletes); ignore skips the record; index stores the document
// without a value.
func TestOpenNullValues(t *testing.T) {
	rec := func(key string, off int64, value *string) kafkaevent.Record {
		r := kafkaevent.Record{Topic: "users", Offset: off, Timestamp: 1709633700000 + off, Key: []byte(key)}
		if value != nil {
			r.Value, r.ValueSize = []byte(*value), len(*value)
		}
		return r
	}
	v := func(s string) *string { return &s }
	targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
		index := e.Index("users")
		steps := []struct {
			name      string
			nullValue string
			batch     []kafkaevent.Record
			want      tally
			present   map[string]bool // key -> whether its document exists afterwards
		}{
			{"first values", "delete", []kafkaevent.Record{rec("u1", 10, v("a")), rec("u2", 11, v("b"))},
				tally{Received: 2, Indexed: 2, Created: 2, BulkRequests: 1}, map[string]bool{"u1": true, "u2": true}},
			{"tombstone deletes", "delete", []kafkaevent.Record{rec("u1", 12, nil)},
				tally{Received: 1, Indexed: 1, Deleted: 1, BulkRequests: 1}, map[string]bool{"u1": false, "u2": true}},
			{"older record replayed after the delete", "delete", []kafkaevent.Record{rec("u1", 10, v("a"))},
				tally{Received: 1, Indexed: 1, Noop: 1, BulkRequests: 1}, map[string]bool{"u1": false}},
			{"tombstone of a key never stored", "delete", []kafkaevent.Record{rec("u3", 13, nil)},
				tally{Received: 1, Indexed: 1, Deleted: 1, BulkRequests: 1}, map[string]bool{"u3": false}},
			{"ignored tombstone", "ignore", []kafkaevent.Record{rec("u2", 14, nil)},
				tally{Received: 1, Skipped: 1}, map[string]bool{"u2": true}},
			{"indexed tombstone", "index", []kafkaevent.Record{rec("u2", 15, nil)},
				tally{Received: 1, Indexed: 1, Updated: 1, BulkRequests: 1}, map[string]bool{"u2": true}},
		}
		for _, s := range steps {
			h := openSinkOn(t, e, map[string]string{EnvSinkIndex: index, EnvDocID: "key", EnvNullValue: s.nullValue}, nil)
			res, err := h.Handle(t.Context(), awsEvent(t, s.batch))
			if err != nil || counts(res) != s.want {
				t.Fatalf("%s: %+v, %v; want %+v", s.name, counts(res), err, s.want)
			}
			for key, want := range s.present {
				if got := e.Source(t, index, key) != nil; got != want {
					t.Errorf("%s: document %s exists %t, want %t", s.name, key, got, want)
				}
			}
		}
		// NULL_VALUE=index stored offset 15 without a value.
		want := wantSource(rec("u2", 15, nil))
		if got := e.Source(t, index, "u2"); !reflect.DeepEqual(got, want) {
			t.Errorf("u2 after the indexed tombstone:\n got %v\nwant %v", got, want)
		}
		if n := e.Count(t, index); n != 1 {
			t.Errorf("%d documents, want 1 (u2)", n)
		}
	})
}

// TestOpenIndexTemplates writes records of two topics around midnight in
// TIMEZONE: each lands in the index its topic and local date name.
func TestOpenIndexTemplates(t *testing.T) {
	at := func(s string) int64 {
		ts, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return ts.UnixMilli()
	}
	recs := []kafkaevent.Record{
		{Topic: "orders", Offset: 1, Timestamp: at("2024-03-05T15:59:59Z"), Value: []byte("before midnight in Shanghai")},
		{Topic: "orders", Offset: 2, Timestamp: at("2024-03-05T16:00:00Z"), Value: []byte("midnight in Shanghai")},
		{Topic: "payments", Offset: 3, Timestamp: at("2024-03-05T16:00:00Z"), Value: []byte("other topic")},
	}
	for i := range recs {
		recs[i].ValueSize = len(recs[i].Value)
	}
	targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
		// The test's token is part of the template, so that the cleanup
		// finds every index the template makes.
		h := openSinkOn(t, e, map[string]string{EnvSinkIndex: e.Index("kafka-{topic}-{yyyy.MM.dd}"), EnvTimezone: "Asia/Shanghai"}, nil)
		res, err := h.Handle(t.Context(), awsEvent(t, recs))
		if err != nil || res.Created != 3 {
			t.Fatalf("Handle: %+v, %v", counts(res), err)
		}
		want := []string{e.Index("kafka-orders-2024.03.05"), e.Index("kafka-orders-2024.03.06"), e.Index("kafka-payments-2024.03.06")}
		for i, index := range want {
			if got := e.Source(t, index, offsetID(recs[i])); !reflect.DeepEqual(got, wantSource(recs[i])) {
				t.Errorf("%s/%s: %v", index, offsetID(recs[i]), got)
			}
			if n := e.Count(t, index); n != 1 {
				t.Errorf("%s holds %d documents, want 1", index, n)
			}
		}
	})
}

// TestOpenRoutingByKey: ES_ROUTING=key routes each document by its message
// key, with offset ids and with key ids (where a tombstone's delete must be
// routed the same way to find the document); a record without a key is not
// routed.
func TestOpenRoutingByKey(t *testing.T) {
	targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
		t.Run("offset ids", func(t *testing.T) {
			index := e.Index("routed-offset")
			recs := records("orders", 0, 2, func(int) string { return "v" })
			recs[1].Key = nil
			h := openSinkOn(t, e, map[string]string{EnvSinkIndex: index, EnvRouting: "key"}, nil)
			if res, err := h.Handle(t.Context(), awsEvent(t, recs)); err != nil || res.Created != 2 {
				t.Fatalf("Handle: %+v, %v", counts(res), err)
			}
			for i, want := range []string{"k-0", ""} {
				if r := storedRouting(t, e, index, offsetID(recs[i])); r != want {
					t.Errorf("record %d: _routing %q, want %q", i, r, want)
				}
			}
		})
		t.Run("key ids and a tombstone", func(t *testing.T) {
			index := e.Index("routed-key")
			h := openSinkOn(t, e, map[string]string{EnvSinkIndex: index, EnvRouting: "key", EnvDocID: "key"}, nil)
			put := kafkaevent.Record{Topic: "users", Offset: 5, Key: []byte("tenant-7"), Value: []byte("v"), ValueSize: 1}
			if res, err := h.Handle(t.Context(), awsEvent(t, []kafkaevent.Record{put})); err != nil || res.Created != 1 {
				t.Fatalf("Handle: %+v, %v", counts(res), err)
			}
			if r := storedRouting(t, e, index, "tenant-7"); r != "tenant-7" {
				t.Errorf("_routing %q, want tenant-7", r)
			}
			tomb := kafkaevent.Record{Topic: "users", Offset: 6, Key: []byte("tenant-7")}
			if res, err := h.Handle(t.Context(), awsEvent(t, []kafkaevent.Record{tomb})); err != nil || res.Deleted != 1 {
				t.Fatalf("tombstone: %+v, %v", counts(res), err)
			}
			if n := e.Count(t, index); n != 0 {
				t.Errorf("%d documents after the routed delete, want 0", n)
			}
		})
	})
}

// TestOpenGeneratedIDs: DOC_ID=none lets the engine generate ids, as the
// Alibaba connector does, so a re-delivered batch is stored a second time
// (the documented price of that mode) and every write counts as created.
func TestOpenGeneratedIDs(t *testing.T) {
	targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
		index := e.Index("generated")
		h := openSinkOn(t, e, map[string]string{EnvSinkIndex: index, EnvDocID: "none"}, nil)
		recs := records("orders", 0, 3, func(i int) string { return "v" })
		for delivery := 1; delivery <= 2; delivery++ {
			res, err := h.Handle(t.Context(), awsEvent(t, recs))
			if want := (tally{Received: 3, Indexed: 3, Created: 3, BulkRequests: 1}); err != nil || counts(res) != want {
				t.Fatalf("delivery %d: %+v, %v; want %+v", delivery, counts(res), err, want)
			}
		}
		hits := e.SearchAll(t, index)
		offsets := map[float64]int{}
		for _, h := range hits {
			if h.ID == "" || h.ID == offsetID(recs[0]) {
				t.Errorf("id %q is not one the engine generated", h.ID)
			}
			offsets[h.Source["msg_body"].(map[string]any)["offset"].(float64)]++
		}
		if len(hits) != 6 || !reflect.DeepEqual(offsets, map[float64]int{0: 2, 1: 2, 2: 2}) {
			t.Errorf("%d documents, offsets %v: want each of the 3 records twice", len(hits), offsets)
		}
	})
}
