package esnode_test

import (
	"strings"
	"testing"

	"github.com/esconnect/esconnect/shared/esnode"
)

func TestDocumentAPIs(t *testing.T) {
	_, c := newNode(t, esnode.Options{})
	ctx := c.Index.WithContext(t.Context())
	status, res := read(t)(c.Index("d", strings.NewReader(`{"title":"hello","n":1}`), c.Index.WithDocumentID("1"), ctx))
	wantStatus(t, "index", status, 201, res)
	status, res = read(t)(c.Index("d", strings.NewReader(`{"n":2}`), c.Index.WithDocumentID("1"), c.Index.WithOpType("create"), ctx))
	wantStatus(t, "op_type=create on existing", status, 409, res)
	if errType(res) != "version_conflict_engine_exception" {
		t.Fatalf("error = %v", res)
	}
	status, res = read(t)(c.Create("d", "1", strings.NewReader(`{"n":2}`), c.Create.WithContext(t.Context())))
	wantStatus(t, "_create on existing", status, 409, res)

	status, res = read(t)(c.Index("d", strings.NewReader(`{"n":3}`), ctx))
	wantStatus(t, "POST _doc", status, 201, res)
	if id, _ := res["_id"].(string); len(id) != 20 {
		t.Fatalf("generated id %q", res["_id"])
	}

	status, res = read(t)(c.Get("d", "1", c.Get.WithContext(t.Context())))
	wantStatus(t, "get", status, 200, res)
	if res["found"] != true || res["_version"] != float64(1) || res["_seq_no"] != float64(0) || get(res, "_source.title") != "hello" {
		t.Fatalf("get = %v", res)
	}
	status, res = read(t)(c.Get("d", "1", c.Get.WithSourceIncludes("n"), c.Get.WithContext(t.Context())))
	wantStatus(t, "get with _source_includes", status, 200, res)
	if src, _ := res["_source"].(obj); len(src) != 1 || src["n"] != float64(1) {
		t.Fatalf("_source_includes=n gave %v", res)
	}
	status, _ = read(t)(c.Exists("d", "1", c.Exists.WithContext(t.Context())))
	wantStatus(t, "HEAD doc", status, 200, nil)
	status, _ = read(t)(c.Exists("d", "2", c.Exists.WithContext(t.Context())))
	wantStatus(t, "HEAD missing doc", status, 404, nil)

	// Optimistic concurrency.
	status, res = read(t)(c.Index("d", strings.NewReader(`{"n":4}`), c.Index.WithDocumentID("1"),
		c.Index.WithIfSeqNo(0), c.Index.WithIfPrimaryTerm(1), ctx))
	wantStatus(t, "if_seq_no match", status, 200, res)
	status, res = read(t)(c.Index("d", strings.NewReader(`{"n":5}`), c.Index.WithDocumentID("1"),
		c.Index.WithIfSeqNo(0), c.Index.WithIfPrimaryTerm(1), ctx))
	wantStatus(t, "if_seq_no stale", status, 409, res)

	// External versions.
	status, res = read(t)(c.Index("d", strings.NewReader(`{"n":6}`), c.Index.WithDocumentID("x"),
		c.Index.WithVersion(10), c.Index.WithVersionType("external"), ctx))
	wantStatus(t, "external create", status, 201, res)
	if res["_version"] != float64(10) {
		t.Fatalf("external version = %v", res["_version"])
	}
	status, res = read(t)(c.Index("d", strings.NewReader(`{"n":7}`), c.Index.WithDocumentID("x"),
		c.Index.WithVersion(10), c.Index.WithVersionType("external"), ctx))
	wantStatus(t, "external equal", status, 409, res)
	status, res = read(t)(c.Index("d", strings.NewReader(`{"n":7}`), c.Index.WithDocumentID("x"),
		c.Index.WithVersion(10), c.Index.WithVersionType("external_gte"), ctx))
	wantStatus(t, "external_gte equal", status, 200, res)

	// Update API.
	status, res = read(t)(c.Update("d", "1", strings.NewReader(`{"doc":{"extra":{"a":1}}}`), c.Update.WithContext(t.Context())))
	wantStatus(t, "update", status, 200, res)
	status, res = read(t)(c.Update("d", "1", strings.NewReader(`{"doc":{"extra":{"b":2}}}`), c.Update.WithContext(t.Context())))
	wantStatus(t, "update merge", status, 200, res)
	_, doc := read(t)(c.Get("d", "1", c.Get.WithContext(t.Context())))
	if get(doc, "_source.extra.a") != float64(1) || get(doc, "_source.extra.b") != float64(2) || get(doc, "_source.n") != float64(4) {
		t.Fatalf("merged source = %v", doc["_source"])
	}
	status, res = read(t)(c.Update("d", "1", strings.NewReader(`{"doc":{"n":4}}`), c.Update.WithContext(t.Context())))
	if status != 200 || res["result"] != "noop" || get(res, "_shards.total") != float64(0) {
		t.Fatalf("noop update = %d %v", status, res)
	}
	status, res = read(t)(c.Update("d", "missing", strings.NewReader(`{"doc":{"n":1}}`), c.Update.WithContext(t.Context())))
	wantStatus(t, "update missing", status, 404, res)
	if errType(res) != "document_missing_exception" || get(res, "error.reason") != "[missing]: document missing" {
		t.Fatalf("error = %v", res)
	}

	// Delete.
	status, res = read(t)(c.Delete("d", "1", c.Delete.WithContext(t.Context())))
	if status != 200 || res["result"] != "deleted" {
		t.Fatalf("delete = %d %v", status, res)
	}
	status, res = read(t)(c.Delete("d", "1", c.Delete.WithContext(t.Context())))
	if status != 404 || res["result"] != "not_found" {
		t.Fatalf("second delete = %d %v", status, res)
	}
	status, res = read(t)(c.Get("d", "1", c.Get.WithContext(t.Context())))
	if status != 404 || res["found"] != false {
		t.Fatalf("get deleted = %d %v", status, res)
	}
	status, res = read(t)(c.Index("d", strings.NewReader(`{"n":1}`), c.Index.WithDocumentID("1"), ctx))
	if status != 201 || res["_version"] != float64(7) {
		t.Fatalf("re-create after delete = %d %v, want created with the version after the tombstone", status, res)
	}
	status, res = read(t)(c.Get("nope", "1", c.Get.WithContext(t.Context())))
	if status != 404 || errType(res) != "index_not_found_exception" {
		t.Fatalf("get from missing index = %d %v", status, res)
	}
}

func TestWriteBlock(t *testing.T) {
	s, c := newNode(t, esnode.Options{})
	call(t, c, "PUT", "/wb", "")
	status, res := call(t, c, "PUT", "/wb/_settings", `{"index.blocks.write":true}`)
	wantStatus(t, "put settings", status, 200, res)
	status, res = call(t, c, "PUT", "/wb/_doc/1", `{"a":1}`)
	wantStatus(t, "write to blocked index", status, 403, res)
	if errType(res) != "cluster_block_exception" {
		t.Fatalf("error = %v", res)
	}
	status, res = call(t, c, "POST", "/_bulk", ndjson(`{"index":{"_index":"wb","_id":"1"}}`, `{"a":1}`))
	if status != 200 || get(res, "items.0.index.status") != float64(403) || get(res, "items.0.index.error.type") != "cluster_block_exception" {
		t.Fatalf("bulk into blocked index = %d %v", status, res)
	}
	if got := s.Node.Stats().WriteBlocked; got != 2 {
		t.Fatalf("Stats.WriteBlocked = %d, want 2", got)
	}
	s.Node.SetWriteBlock("wb", false)
	if status, res = call(t, c, "PUT", "/wb/_doc/1", `{"a":1}`); status != 201 {
		t.Fatalf("write after unblock = %d %v", status, res)
	}
	s.Node.SetWriteBlock("wb", true)
	if status, _ = call(t, c, "PUT", "/wb/_doc/2", `{"a":1}`); status != 403 {
		t.Fatalf("write after SetWriteBlock = %d", status)
	}
}
