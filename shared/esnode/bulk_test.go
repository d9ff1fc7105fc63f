package esnode_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/esconnect/esconnect/shared/esnode"
)

func TestBulkActionsAndResults(t *testing.T) {
	_, c := newNode(t, esnode.Options{})
	body := ndjson(
		`{"index":{"_index":"b","_id":"1"}}`, `{"n":1,"tag":"a"}`,
		`{"create":{"_index":"b","_id":"2"}}`, `{"n":2}`,
		`{"index":{"_index":"b","_id":"1"}}`, `{"n":10,"tag":"a"}`,
		`{"update":{"_index":"b","_id":"1"}}`, `{"doc":{"tag":"a"}}`,
		`{"update":{"_index":"b","_id":"1"}}`, `{"doc":{"tag":"b"}}`,
		`{"update":{"_index":"b","_id":"3"}}`, `{"doc":{"n":3},"doc_as_upsert":true}`,
		`{"update":{"_index":"b","_id":"4"}}`, `{"doc":{"n":4},"upsert":{"n":40}}`,
		`{"update":{"_index":"b","_id":"1"}}`, `{"doc":{"tag":"b"},"detect_noop":false}`,
		`{"delete":{"_index":"b","_id":"2"}}`,
		`{"delete":{"_index":"b","_id":"2"}}`,
		`{"index":{"_index":"b"}}`, `{"n":5}`,
	)
	status, res := read(t)(c.Bulk(strings.NewReader(body), c.Bulk.WithContext(t.Context())))
	wantStatus(t, "bulk", status, 200, res)
	if res["errors"] != false {
		t.Fatalf("errors = %v, want false: %v", res["errors"], res)
	}
	want := []struct {
		action, result string
		status         float64
		version        float64
		seqNo          float64
	}{
		{"index", "created", 201, 1, 0},
		{"create", "created", 201, 1, 1},
		{"index", "updated", 200, 2, 2},
		{"update", "noop", 200, 2, 2},
		{"update", "updated", 200, 3, 3},
		{"update", "created", 201, 1, 4},
		{"update", "created", 201, 1, 5},
		{"update", "updated", 200, 4, 6},
		{"delete", "deleted", 200, 2, 7},
		{"delete", "not_found", 404, 3, 8},
		{"index", "created", 201, 1, 9},
	}
	items := res["items"].([]any)
	if len(items) != len(want) {
		t.Fatalf("%d items, want %d", len(items), len(want))
	}
	for i, w := range want {
		it, _ := get(items[i], w.action).(obj)
		if it == nil || it["result"] != w.result || it["status"] != w.status || it["_version"] != w.version ||
			it["_seq_no"] != w.seqNo || it["_primary_term"] != float64(1) || it["_index"] != "b" {
			t.Errorf("item %d = %v, want %+v", i, items[i], w)
		}
	}
	gen, _ := get(items[10], "index._id").(string)
	if len(gen) != 20 || strings.ContainsAny(gen, "+/=") {
		t.Errorf("generated id %q is not 20 URL-safe base64 characters", gen)
	}
	if got := get(items[0], "index._shards.total"); got != float64(2) {
		t.Errorf("_shards.total = %v, want 2 (one primary, one unassigned replica)", got)
	}
	for id, wantSrc := range map[string]string{"1": `tag=b n=10`, "3": `n=3`, "4": `n=40`} {
		_, doc := read(t)(c.Get("b", id, c.Get.WithContext(t.Context())))
		src, _ := doc["_source"].(obj)
		for _, kv := range strings.Fields(wantSrc) {
			k, v, _ := strings.Cut(kv, "=")
			if got := src[k]; got == nil || stringOf(got) != v {
				t.Errorf("doc %s: %s = %v, want %s (source %v)", id, k, got, v, src)
			}
		}
		if _, ok := src["doc_as_upsert"]; ok {
			t.Errorf("doc %s stored doc_as_upsert: %v", id, src)
		}
	}
}

func stringOf(v any) string { return fmt.Sprint(v) }

func TestBulkItemErrors(t *testing.T) {
	_, c := newNode(t, esnode.Options{})
	call(t, c, "PUT", "/e", `{"mappings":{"properties":{"obj":{"properties":{"x":{"type":"keyword"}}},"num":{"type":"long"}}}}`)
	call(t, c, "PUT", "/e/_doc/exists", `{"num":1}`)
	tests := []struct {
		name, action, source string
		status               float64
		errType              string
	}{
		{"create existing", `{"create":{"_index":"e","_id":"exists"}}`, `{"num":2}`, 409, "version_conflict_engine_exception"},
		{"if_seq_no mismatch", `{"index":{"_index":"e","_id":"exists","if_seq_no":7,"if_primary_term":1}}`, `{"num":2}`, 409, "version_conflict_engine_exception"},
		{"if_seq_no missing doc", `{"index":{"_index":"e","_id":"nope","if_seq_no":0,"if_primary_term":1}}`, `{"num":2}`, 409, "version_conflict_engine_exception"},
		{"external not greater", `{"index":{"_index":"e","_id":"exists","version":1,"version_type":"external"}}`, `{"num":2}`, 409, "version_conflict_engine_exception"},
		// Elasticsearch parses the document before it resolves versions.
		{"external not greater, mapping conflict", `{"index":{"_index":"e","_id":"exists","version":1,"version_type":"external"}}`, `{"num":"many"}`, 400, "document_parsing_exception"},
		{"create existing, mapping conflict", `{"create":{"_index":"e","_id":"exists"}}`, `{"num":"many"}`, 400, "document_parsing_exception"},
		{"update missing", `{"update":{"_index":"e","_id":"nope"}}`, `{"doc":{"num":1}}`, 404, "document_missing_exception"},
		{"string into object", `{"index":{"_index":"e","_id":"p1"}}`, `{"obj":"flat"}`, 400, "document_parsing_exception"},
		{"object into long", `{"index":{"_index":"e","_id":"p2"}}`, `{"num":{"a":1}}`, 400, "document_parsing_exception"},
		{"word into long", `{"index":{"_index":"e","_id":"p3"}}`, `{"num":"many"}`, 400, "document_parsing_exception"},
		{"malformed source", `{"index":{"_index":"e","_id":"p4"}}`, `{"num":`, 400, "document_parsing_exception"},
		{"empty id", `{"index":{"_index":"e","_id":""}}`, `{"num":1}`, 400, "illegal_argument_exception"},
		{"uppercase index", `{"index":{"_index":"Upper","_id":"1"}}`, `{"num":1}`, 400, "invalid_index_name_exception"},
		{"illegal char", `{"index":{"_index":"a*b","_id":"1"}}`, `{"num":1}`, 400, "invalid_index_name_exception"},
		{"leading underscore", `{"index":{"_index":"_x","_id":"1"}}`, `{"num":1}`, 400, "invalid_index_name_exception"},
		{"leading dash", `{"index":{"_index":"-x","_id":"1"}}`, `{"num":1}`, 400, "invalid_index_name_exception"},
		{"leading plus", `{"index":{"_index":"+x","_id":"1"}}`, `{"num":1}`, 400, "invalid_index_name_exception"},
		{"long index name", `{"index":{"_index":"` + strings.Repeat("i", 256) + `","_id":"1"}}`, `{"num":1}`, 400, "invalid_index_name_exception"},
		{"require_alias", `{"index":{"_index":"e","_id":"ra","require_alias":true}}`, `{"num":1}`, 404, "index_not_found_exception"},
		{"delete in missing index", `{"delete":{"_index":"gone","_id":"1"}}`, "", 404, "index_not_found_exception"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lines := []string{`{"index":{"_index":"e","_id":"ok"}}`, `{"num":5}`, tc.action}
			if tc.source != "" {
				lines = append(lines, tc.source)
			}
			status, res := read(t)(c.Bulk(strings.NewReader(ndjson(lines...)), c.Bulk.WithContext(t.Context())))
			wantStatus(t, "bulk", status, 200, res)
			if res["errors"] != true {
				t.Fatalf("errors = %v, want true", res["errors"])
			}
			items := res["items"].([]any)
			if s := get(items[0], "index.status"); s != float64(200) && s != float64(201) {
				t.Fatalf("the good item failed too: %v", items[0])
			}
			var item obj
			for _, v := range items[1].(obj) {
				item, _ = v.(obj)
			}
			if item["status"] != tc.status || get(item, "error.type") != tc.errType || get(item, "error.reason") == "" {
				t.Fatalf("item = %v, want status %v %s", item, tc.status, tc.errType)
			}
		})
	}
	// A rejected document leaves no trace in the mapping.
	_, m := call(t, c, "GET", "/e/_mapping", "")
	if get(m, "e.mappings.properties.num.type") != "long" || get(m, "e.mappings.properties.obj.properties.x.type") != "keyword" {
		t.Fatalf("mapping changed by rejected documents: %v", m)
	}
}

func TestBulkMalformedRequests(t *testing.T) {
	_, c := newNode(t, esnode.Options{})
	tests := []struct {
		name, body, errType, reasonHas string
	}{
		{"no trailing newline", `{"index":{"_index":"m","_id":"1"}}` + "\n" + `{"a":1}`, "illegal_argument_exception", "terminated by a newline"},
		{"truncated action line", ndjson(`{"index":{"_index":"m","_id":"1"}}`, `{"a":1}`, `{"index":`, `{"a":1}`), "x_content_e_o_f_exception", "line [3]"},
		{"action line not json", ndjson(`{"index":{"_index":"m","_id":"1"}}`, `{"a":1}`, `not json`, `{"a":1}`), "x_content_parse_exception", "line [3]"},
		{"action line not an object", ndjson(`["index"]`, `{"a":1}`), "illegal_argument_exception", "line [1]"},
		{"unknown action", ndjson(`{"upsert":{"_index":"m","_id":"1"}}`, `{"a":1}`), "illegal_argument_exception", "found [upsert]"},
		{"unknown parameter", ndjson(`{"index":{"_index":"m","_id":"1","colour":"red"}}`, `{"a":1}`), "illegal_argument_exception", "unknown parameter [colour]"},
		{"empty", "\n", "action_request_validation_exception", "no requests added"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, res := call(t, c, "POST", "/_bulk", tc.body)
			wantStatus(t, "bulk", status, 400, res)
			reason, _ := get(res, "error.reason").(string)
			if errType(res) != tc.errType || !strings.Contains(reason, tc.reasonHas) || res["status"] != float64(400) {
				t.Fatalf("error = %v, want %s containing %q", res, tc.errType, tc.reasonHas)
			}
		})
	}
	if code, _ := call(t, c, "HEAD", "/m", ""); code != 404 {
		t.Fatalf("a rejected bulk request created index m (HEAD status %d)", code)
	}
}

func TestBulkPathIndexRoutingAndRefresh(t *testing.T) {
	_, c := newNode(t, esnode.Options{})
	status, _ := call(t, c, "PUT", "/_ingest/pipeline/kept", `{"processors":[]}`)
	wantStatus(t, "put pipeline", status, 200, nil)
	status, res := read(t)(c.Bulk(strings.NewReader(ndjson(`{"index":{"_id":"1"}}`, `{"a":1}`)),
		c.Bulk.WithIndex("p"), c.Bulk.WithRouting("r1"), c.Bulk.WithPipeline("kept"), c.Bulk.WithRefresh("true"),
		c.Bulk.WithContext(t.Context())))
	wantStatus(t, "bulk", status, 200, res)
	if get(res, "items.0.index._index") != "p" || get(res, "items.0.index.forced_refresh") != true {
		t.Fatalf("items = %v", res["items"])
	}
	_, doc := read(t)(c.Get("p", "1", c.Get.WithContext(t.Context())))
	if doc["_routing"] != "r1" {
		t.Fatalf("routing not kept: %v", doc)
	}
	_, cnt := read(t)(c.Count(c.Count.WithIndex("p"), c.Count.WithContext(t.Context())))
	if cnt["count"] != float64(1) {
		t.Fatalf("refresh=true did not make the write searchable: %v", cnt)
	}
}

// These fail the whole bulk request in Elasticsearch 8 (the differential
// test holds the node to it): nothing of the request is written.
func TestBulkValidation(t *testing.T) {
	_, c := newNode(t, esnode.Options{})
	for _, tc := range []struct{ name, action, source, errType string }{
		{"long id", `{"index":{"_index":"v","_id":"` + strings.Repeat("x", 513) + `"}}`, `{"n":1}`, "action_request_validation_exception"},
		{"update without id", `{"update":{"_index":"v"}}`, `{"doc":{"n":1}}`, "action_request_validation_exception"},
		{"update with an empty id", `{"update":{"_index":"v","_id":""}}`, `{"doc":{"n":1}}`, "action_request_validation_exception"},
		{"delete without id", `{"delete":{"_index":"v"}}`, "", "action_request_validation_exception"},
		{"update without doc", `{"update":{"_index":"v","_id":"1"}}`, `{"upsert":{"n":1}}`, "action_request_validation_exception"},
		{"external without version", `{"index":{"_index":"v","_id":"1","version_type":"external"}}`, `{"n":1}`, "action_request_validation_exception"},
		{"create with external version", `{"create":{"_index":"v","_id":"1","version":3,"version_type":"external"}}`, `{"n":1}`, "action_request_validation_exception"},
		{"internal version on index", `{"index":{"_index":"v","_id":"1","version":3}}`, `{"n":1}`, "action_request_validation_exception"},
		{"if_seq_no without term", `{"index":{"_index":"v","_id":"1","if_seq_no":3}}`, `{"n":1}`, "action_request_validation_exception"},
		{"update with a version", `{"update":{"_index":"v","_id":"1","version":3}}`, `{"doc":{"n":1}}`, "illegal_argument_exception"},
		{"unknown version type", `{"index":{"_index":"v","_id":"1","version":3,"version_type":"foo"}}`, `{"n":1}`, "illegal_argument_exception"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lines := []string{`{"index":{"_index":"v","_id":"ok"}}`, `{"n":5}`, tc.action}
			if tc.source != "" {
				lines = append(lines, tc.source)
			}
			status, res := call(t, c, "POST", "/_bulk", ndjson(lines...))
			wantStatus(t, "bulk", status, 400, res)
			if errType(res) != tc.errType {
				t.Fatalf("error %v, want %s", res, tc.errType)
			}
			if status, _ := call(t, c, "GET", "/v/_doc/ok", ""); status != 404 {
				t.Fatalf("the good item was written (GET answered %d)", status)
			}
		})
	}
}
