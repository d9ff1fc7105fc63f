package soak

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/esnode/esnodetest"
)

// soakIndex starts a node with the soak's index and returns a client.
func soakIndex(t *testing.T) esapi.Transport {
	t.Helper()
	s := esnodetest.Start(t, esnode.Options{})
	es, err := newESClient(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	if err := createIndex(t.Context(), es, index); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(es.CloseIdleConnections)
	return es
}

// bulkDocs writes msg_body documents with the given ids and positions.
func bulkDocs(t *testing.T, es esapi.Transport, docs map[string]position) {
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
	es := soakIndex(t)
	docs := map[string]position{}
	for i := range 2*scrollPage + 17 {
		docs[fmt.Sprintf("id-%d", i)] = position{i % 3, int64(i)}
	}
	bulkDocs(t, es, docs)

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
}

func TestCreateIndexMapsTheConflictField(t *testing.T) {
	es := soakIndex(t)
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
}
