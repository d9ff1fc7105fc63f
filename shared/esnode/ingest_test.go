package esnode_test

import (
	"strconv"
	"testing"

	"github.com/esconnect/esconnect/shared/esnode"
)

func TestIngestPipelines(t *testing.T) {
	_, c := newNode(t, esnode.Options{})
	status, res := call(t, c, "PUT", "/_ingest/pipeline/p", `{"description":"none to run"}`)
	if status != 400 || errType(res) != "parse_exception" {
		t.Fatalf("pipeline without processors = %d %v, want 400 parse_exception", status, res)
	}
	status, res = call(t, c, "PUT", "/_ingest/pipeline/p", `{"description":"none to run","processors":[]}`)
	wantStatus(t, "put pipeline", status, 200, res)
	status, res = call(t, c, "GET", "/_ingest/pipeline/p", "")
	if status != 200 || get(res, "p.description") != "none to run" {
		t.Fatalf("get pipeline = %d %v", status, res)
	}
	if status, res = call(t, c, "GET", "/_ingest/pipeline/nope", ""); status != 404 || len(res) != 0 {
		t.Fatalf("get missing pipeline = %d %v, want 404 {}", status, res)
	}

	status, res = call(t, c, "POST", "/_bulk", ndjson(
		`{"index":{"_index":"i","_id":"1","pipeline":"p"}}`, `{"a":1}`,
		`{"index":{"_index":"i","_id":"2","pipeline":"nope"}}`, `{"a":1}`,
		`{"index":{"_index":"i","_id":"3","pipeline":"_none"}}`, `{"a":1}`,
		`{"update":{"_index":"i","_id":"4","pipeline":"nope"}}`, `{"doc":{"a":1},"doc_as_upsert":true}`))
	wantStatus(t, "bulk", status, 200, res)
	if _, ok := res["ingest_took"]; !ok {
		t.Errorf("bulk naming pipelines has no ingest_took: %v", res)
	}
	for i, want := range []float64{201, 400, 201, 201} {
		item := get(res, "items."+strconv.Itoa(i))
		for _, v := range item.(map[string]any) {
			if got := get(v, "status"); got != want {
				t.Errorf("item %d: status %v, want %v: %v", i, got, want, v)
			}
		}
	}
	if typ := get(res, "items.1.index.error.type"); typ != "illegal_argument_exception" {
		t.Errorf("missing pipeline error %v, want illegal_argument_exception", typ)
	}

	status, res = call(t, c, "PUT", "/i/_doc/5?pipeline=nope", `{"a":1}`)
	if status != 400 || errType(res) != "illegal_argument_exception" {
		t.Fatalf("index with a missing pipeline = %d %v", status, res)
	}
	if status, _ = call(t, c, "GET", "/i/_doc/5", ""); status != 404 {
		t.Fatalf("the refused document was stored (GET %d)", status)
	}

	status, res = call(t, c, "DELETE", "/_ingest/pipeline/p", "")
	wantStatus(t, "delete pipeline", status, 200, res)
	status, res = call(t, c, "DELETE", "/_ingest/pipeline/p", "")
	if status != 404 || errType(res) != "resource_not_found_exception" {
		t.Fatalf("delete missing pipeline = %d %v", status, res)
	}
}
