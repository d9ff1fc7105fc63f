package soak

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/esconnect/esconnect/shared/targettest"
)

// soakIndex creates the soak's index on e under the name base (made private
// to the test on a real engine) and returns a client, as Run does, and the
// index's name.
func soakIndex(t *testing.T, e *targettest.Engine, base string) (esapi.Transport, string) {
	t.Helper()
	es, err := newESClient(e.Env())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(es.CloseIdleConnections)
	name := e.Index(base)
	if err := createIndex(t.Context(), es, name); err != nil {
		t.Fatal(err)
	}
	return es, name
}

// bulkDocs writes msg_body documents with the given ids and positions to
// index.
func bulkDocs(t *testing.T, es esapi.Transport, index string, docs map[string]position) {
	t.Helper()
	var b bytes.Buffer
	for id, p := range docs {
		fmt.Fprintf(&b, `{"index":{"_index":%q,"_id":%q}}`+"\n", index, id)
		fmt.Fprintf(&b, `{"msg_body":{"partition":%d,"offset":%d,"value":{"seq":1,"n":1}}}`+"\n", p.partition, p.offset)
	}
	var out struct {
		Errors bool `json:"errors"`
	}
	res, err := esapi.BulkRequest{Body: &b}.Do(t.Context(), es)
	if err := call("bulk", res, err, &out); err != nil || out.Errors {
		t.Fatalf("bulk: %v, item errors %t", err, out.Errors)
	}
}

func TestScrollAllPages(t *testing.T) {
	targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
		es, index := soakIndex(t, e, index)
		docs := map[string]position{}
		for i := range 2*scrollPage + 17 {
			docs[fmt.Sprintf("id-%d", i)] = position{i % 3, int64(i)}
		}
		bulkDocs(t, es, index, docs)

		seen := map[string]position{}
		n, err := scrollAll(t.Context(), es, index, 10*scrollPage, func(h hit) {
			seen[h.ID] = position{h.Source.MsgBody.Partition, h.Source.MsgBody.Offset}
		})
		if err != nil {
			t.Fatal(err)
		}
		if n != len(docs) || len(seen) != len(docs) {
			t.Fatalf("scroll returned %d hits, %d ids; want %d", n, len(seen), len(docs))
		}
		for id, p := range docs {
			if seen[id] != p {
				t.Fatalf("%s: scrolled %+v, want %+v", id, seen[id], p)
			}
		}
		if c, err := count(t.Context(), es, index); err != nil || c != len(docs) {
			t.Errorf("count = %d, %v; want %d", c, err, len(docs))
		}

		// A bound below the hits ends the scroll with an error instead of
		// reading on.
		if _, err := scrollAll(t.Context(), es, index, scrollPage, func(hit) {}); err == nil {
			t.Error("scroll past its bound succeeded")
		}
	})
}

func TestCreateIndexMapsTheConflictField(t *testing.T) {
	targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
		es, index := soakIndex(t, e, index)
		var b bytes.Buffer
		fmt.Fprintf(&b, `{"index":{"_index":%q,"_id":"poison"}}`+"\n"+`{"msg_body":{"value":{"seq":1,"n":"poison-1"}}}`+"\n", index)
		var out struct {
			Items []map[string]struct {
				Status int `json:"status"`
			} `json:"items"`
		}
		res, err := esapi.BulkRequest{Body: &b}.Do(t.Context(), es)
		if err := call("bulk", res, err, &out); err != nil {
			t.Fatal(err)
		}
		if len(out.Items) != 1 || out.Items[0]["index"].Status != 400 {
			t.Fatalf("poison item answered %+v, want a 400 mapping conflict", out.Items)
		}
		// The index exists already: creating it again is an error, not a reset.
		if err := createIndex(t.Context(), es, index); err == nil {
			t.Error("second createIndex succeeded")
		}
	})
}
