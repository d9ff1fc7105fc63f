package esbulk

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// realResponse is a bulk answer in the shape Elasticsearch 8 sends, with the
// fields the writer ignores left in.
const realResponse = `{"took":30,"errors":true,"items":[
 {"index":{"_index":"test","_id":"1","_version":1,"result":"created","_shards":{"total":2,"successful":1,"failed":0},"_seq_no":0,"_primary_term":1,"status":201}},
 {"delete":{"_index":"test","_id":"2","_version":1,"result":"not_found","_shards":{"total":2,"successful":1,"failed":0},"_seq_no":1,"_primary_term":2,"status":404}},
 {"create":{"_index":"test","_id":"3","status":409,"error":{"type":"version_conflict_engine_exception","reason":"[3]: version conflict, document already exists (current version [1])","index_uuid":"x","shard":"0","index":"test"}}},
 {"update":{"_index":"test","_id":"4","status":400,"error":{"type":"document_parsing_exception","reason":"[1:15] failed to parse field [n] of type [long]","caused_by":{"type":"illegal_argument_exception","reason":"For input string: \"abc\""}}}}
],"ingest_took":0}`

func TestParseBulkResponse(t *testing.T) {
	items := make([]itemResult, 4)
	took, err := parseBulkResponse([]byte(realResponse), items)
	if err != nil {
		t.Fatal(err)
	}
	if took != 30 {
		t.Errorf("took = %d", took)
	}
	want := []struct {
		op, id, result, errType string
		status                  int
	}{
		{"index", "1", "created", "", 201},
		{"delete", "2", "not_found", "", 404},
		{"create", "3", "", "version_conflict_engine_exception", 409},
		{"update", "4", "", "document_parsing_exception", 400},
	}
	for i, w := range want {
		it := items[i]
		errType := ""
		if it.Error != nil {
			errType = it.Error.Type
		}
		if it.op != w.op || it.ID != w.id || it.Result != w.result || it.Status != w.status || errType != w.errType {
			t.Errorf("item %d = %+v (error %q), want %+v", i, it, errType, w)
		}
	}
	if r := items[3].Error.reason(); !strings.Contains(r, `caused by illegal_argument_exception: For input string: "abc"`) {
		t.Errorf("reason does not carry the cause: %q", r)
	}
}

func TestParseBulkResponseRejects(t *testing.T) {
	tests := []struct {
		name, body string
		items      int
		want       string
	}{
		{"empty", ``, 1, "expected '{'"},
		{"not json", `<html>502</html>`, 1, "response"},
		{"truncated", `{"took":1,"errors":false,"items":[{"index":{"_id":"1","status":201}}`, 2, "unexpected EOF"},
		{"fewer items", `{"items":[{"index":{"_id":"1","status":201}}]}`, 2, "1 items for 2 actions"},
		{"more items", `{"items":[{"index":{"status":201}},{"index":{"status":201}}]}`, 1, "more items than the 1 actions"},
		{"no items", `{"took":1,"errors":false}`, 1, "no items array"},
		{"item without status", `{"items":[{"index":{"_id":"1"}}]}`, 1, "items[0] has no status"},
		{"item not an object", `{"items":[1]}`, 1, "items[0]"},
		{"items not an array", `{"items":{}}`, 1, "items: expected '['"},
		{"status not a number", `{"items":[{"index":{"status":"ok"}}]}`, 1, "items[0]"},
		{"two ops in one item", `{"items":[{"index":{"status":201},"create":{"status":201}}]}`, 1, "items[0]: expected '}'"},
		{"trailing garbage inside", `{"items":[],"took":}`, 0, "took"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseBulkResponse([]byte(tt.body), make([]itemResult, tt.items))
			if !errors.Is(err, ErrBadResponse) {
				t.Fatalf("err = %v, want ErrBadResponse", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestParseErrorBody(t *testing.T) {
	tests := []struct {
		name, body, typ, reason string
	}{
		{"es error", `{"error":{"root_cause":[],"type":"security_exception","reason":"missing authentication credentials"},"status":401}`,
			"security_exception", "missing authentication credentials"},
		{"string error", `{"error":"Incorrect HTTP method","status":405}`, "", "Incorrect HTTP method"},
		{"html", `<html><body>502 Bad Gateway</body></html>`, "", `<html><body>502 Bad Gateway</body></html>`},
		{"long body cut", strings.Repeat("x", 300), "", strings.Repeat("x", 200) + "..."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			typ, reason := parseErrorBody([]byte(tt.body))
			if typ != tt.typ || reason != tt.reason {
				t.Errorf("parseErrorBody = %q, %q; want %q, %q", typ, reason, tt.typ, tt.reason)
			}
		})
	}
}

// FuzzParseBulkResponse checks that no input panics the parser and that
// every rejection is an ErrBadResponse that says what was wrong.
func FuzzParseBulkResponse(f *testing.F) {
	f.Add(realResponse, 4)
	f.Add(`{"items":[{"index":{"status":201}}]}`, 1)
	f.Add(`{"items":[{"index":{"status":429,"error":{"type":"es_rejected_execution_exception","reason":"x"}}}]}`, 1)
	f.Add(`{"items":[{"index":{"status":400,"error":"text"}}]}`, 1)
	f.Add(`{"took":1,"items":[]}`, 0)
	f.Add(`[`, 1)
	f.Fuzz(func(t *testing.T, body string, n int) {
		if n < 0 || n > 64 {
			return
		}
		items := make([]itemResult, n)
		_, err := parseBulkResponse([]byte(body), items)
		if err == nil {
			for i, it := range items {
				if it.Status == 0 {
					t.Fatalf("accepted item %d without status: %q", i, body)
				}
			}
			return
		}
		if !errors.Is(err, ErrBadResponse) {
			t.Fatalf("err = %v, not an ErrBadResponse", err)
		}
		if len(err.Error()) <= len(ErrBadResponse.Error())+2 {
			t.Fatalf("err %q does not name the problem", err)
		}
	})
}

// BenchmarkParseBulkResponse parses a 1000-item answer for doc_as_upsert
// updates, one rejected item in 50, as Elasticsearch 8 writes it in full and
// as it writes it with the writer's filter_path.
func BenchmarkParseBulkResponse(b *testing.B) {
	const n = 1000
	for _, shape := range []struct{ name, ok string }{
		{"full", `{"update":{"_index":"kafka-orders","_id":"orders-3-%d","_version":1,"result":"created",` +
			`"_shards":{"total":2,"successful":1,"failed":0},"_seq_no":%d,"_primary_term":1,"status":201}}`},
		{"filtered", `{"update":{"_id":"orders-3-%d","result":"created","status":201}}`},
	} {
		var body bytes.Buffer
		body.WriteString(`{"took":41,"errors":true,"items":[`)
		for i := range n {
			if i > 0 {
				body.WriteByte(',')
			}
			if i%50 == 0 {
				fmt.Fprintf(&body, `{"update":{"_id":"orders-3-%d","status":429,"error":{"type":"es_rejected_execution_exception",`+
					`"reason":"rejected execution of primary operation on EsThreadPoolExecutor[name = node-1/write, queue capacity = 10000]"}}}`, i)
				continue
			}
			if shape.name == "full" {
				fmt.Fprintf(&body, shape.ok, i, i)
			} else {
				fmt.Fprintf(&body, shape.ok, i)
			}
		}
		body.WriteString(`]}`)
		b.Run(shape.name, func(b *testing.B) {
			items := make([]itemResult, n)
			b.SetBytes(int64(body.Len()))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := parseBulkResponse(body.Bytes(), items); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
