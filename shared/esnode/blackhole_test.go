package esnode_test

import (
	"strings"
	"testing"

	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/esnode/esnodetest"
)

func TestBlackhole(t *testing.T) {
	s, c := newNode(t, esnode.Options{Blackhole: true})
	body := ndjson(
		`{"index":{"_index":"bh","_id":"1"}}`, `{"a":1}`,
		`{"create":{"_index":"bh"}}`, `{"a":2}`,
		`{"update":{"_index":"bh","_id":"3"}}`, `{"doc":{"a":3},"doc_as_upsert":true}`,
		`{"delete":{"_index":"bh","_id":"4"}}`,
		`{"index":{"_index":"Bad","_id":"5"}}`, `{"a":5}`,
	)
	status, res := read(t)(c.Bulk(strings.NewReader(body), c.Bulk.WithRefresh("true"), c.Bulk.WithContext(t.Context())))
	wantStatus(t, "blackhole bulk", status, 200, res)
	items := res["items"].([]any)
	want := []struct {
		action, result string
		status         float64
	}{{"index", "created", 201}, {"create", "created", 201}, {"update", "created", 201}, {"delete", "deleted", 200}}
	for i, w := range want {
		if get(items[i], w.action+".result") != w.result || get(items[i], w.action+".status") != w.status ||
			get(items[i], w.action+"._index") != "bh" || get(items[i], w.action+"._seq_no") != float64(i) {
			t.Errorf("item %d = %v, want %+v", i, items[i], w)
		}
	}
	if id, _ := get(items[1], "create._id").(string); len(id) != 20 {
		t.Errorf("generated id = %v", get(items[1], "create._id"))
	}
	if get(items[4], "index.error.type") != "invalid_index_name_exception" || res["errors"] != true {
		t.Errorf("invalid index item = %v, errors %v", items[4], res["errors"])
	}
	if st := s.Node.Stats(); st.BulkItems != 5 || st.BulkRequests != 1 {
		t.Errorf("Stats = %+v", st)
	}
	if status, _ := call(t, c, "HEAD", "/bh", ""); status != 404 {
		t.Fatalf("blackhole stored an index (HEAD %d)", status)
	}
	for _, bad := range []string{`{"index":{"_index":"bh"}}` + "\n" + `{"a":1}`, "{nope}\n", "\n"} {
		if status, _ := call(t, c, "POST", "/_bulk", bad); status != 400 {
			t.Errorf("malformed blackhole bulk %q = %d, want 400", bad, status)
		}
	}
	s.Node.SetFaults(esnode.Faults{Item429: 1})
	_, res = call(t, c, "POST", "/_bulk", bulkBody("bh", 3))
	if get(res, "items.2.index.status") != float64(429) || s.Node.Stats().Items429 != 3 {
		t.Fatalf("item 429 in blackhole mode = %v", res)
	}
}

func BenchmarkBlackholeBulk(b *testing.B) {
	s := esnodetest.Start(b, esnode.Options{Blackhole: true})
	c := esnodetest.Client(b, s)
	body := bulkBody("bench", 1000)
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for range b.N {
		res, err := c.Bulk(strings.NewReader(body))
		if err != nil || res.IsError() {
			b.Fatalf("bulk: %v %v", err, res)
		}
		res.Body.Close()
	}
	b.ReportMetric(float64(1000*b.N)/b.Elapsed().Seconds(), "docs/s")
}

func BenchmarkStoredBulk(b *testing.B) {
	s := esnodetest.Start(b, esnode.Options{})
	c := esnodetest.Client(b, s)
	body := bulkBody("bench", 1000)
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for range b.N {
		res, err := c.Bulk(strings.NewReader(body))
		if err != nil || res.IsError() {
			b.Fatalf("bulk: %v %v", err, res)
		}
		res.Body.Close()
	}
	b.ReportMetric(float64(1000*b.N)/b.Elapsed().Seconds(), "docs/s")
}

// The blackhole honours filter_path on bulk answers, as a cluster does, so
// a client reads the answer size it would read in production.
func TestBlackholeFilterPath(t *testing.T) {
	_, c := newNode(t, esnode.Options{Blackhole: true})
	body := ndjson(`{"update":{"_index":"bh","_id":"1"}}`, `{"doc":{"a":1},"doc_as_upsert":true}`)
	status, res := read(t)(c.Bulk(strings.NewReader(body), c.Bulk.WithFilterPath("took", "items.*._id", "items.*.status", "items.*.result"),
		c.Bulk.WithContext(t.Context())))
	wantStatus(t, "bulk", status, 200, res)
	if _, ok := res["errors"]; ok {
		t.Errorf("errors kept although not asked for: %v", res)
	}
	want := map[string]any{"_id": "1", "status": 201.0, "result": "created"}
	if got := get(res, "items.0.update"); toJSON(got) != toJSON(want) {
		t.Errorf("item = %v, want %v", got, want)
	}
}
