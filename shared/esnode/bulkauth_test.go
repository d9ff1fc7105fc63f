package esnode_test

import (
	"strings"
	"testing"
)

// TestBulkItemPrivileges: each item is authorized on its own, denied items
// are answered 403 in place, granted ones are written, as ES does.
func TestBulkItemPrivileges(t *testing.T) {
	bulk := ndjson(
		`{"index":{"_index":"a-1","_id":"1"}}`, `{"n":1}`,
		`{"create":{"_index":"a-1","_id":"2"}}`, `{"n":2}`,
		`{"update":{"_index":"a-1","_id":"3"}}`, `{"doc":{"n":3},"doc_as_upsert":true}`,
		`{"delete":{"_index":"a-1","_id":"old"}}`,
		`{"index":{"_index":"a-1"}}`, `{"n":5}`,
		`{"index":{"_index":"b","_id":"1"}}`, `{"n":6}`,
		`{"index":{"_index":"a-new","_id":"1"}}`, `{"n":7}`,
	)
	// Denials by action and privileges that grant it; the index goes in
	// the %s.
	const (
		ok         = ""
		bulkShard  = "indices:data/write/bulk[s]|b|create_doc,create,delete,index,write,all"
		autoCreate = "indices:admin/auto_create|a-new|auto_configure,create_index,manage,all"
		opIndex    = "indices:data/write/index:op_type/index|a-1|create,index,write,all"
		opIndexNew = "indices:data/write/index:op_type/index|a-new|create,index,write,all"
		opCreate   = "indices:data/write/index:op_type/create|a-1|create_doc,create,index,write,all"
		update     = "indices:data/write/update|a-1|index,write,all"
		del        = "indices:data/write/delete|a-1|delete,write,all"
	)
	tests := []struct {
		name  string
		privs []string
		want  []string // per item: ok, or action|index|granted-by
	}{
		{"write+auto_configure", []string{"write", "auto_configure"}, []string{ok, ok, ok, ok, ok, bulkShard, ok}},
		{"write", []string{"write"}, []string{ok, ok, ok, ok, ok, bulkShard, autoCreate}},
		{"create_doc+auto_configure", []string{"create_doc", "auto_configure"}, []string{opIndex, ok, update, del, ok, bulkShard, opIndexNew}},
		{"index+create_index", []string{"index", "create_index"}, []string{ok, ok, ok, del, ok, bulkShard, ok}},
		{"delete", []string{"delete"}, []string{opIndex, opCreate, update, ok, opCreate, bulkShard, autoCreate}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, admin := secureNode(t)
			for _, ix := range []string{"a-1", "b"} {
				status, body := call(t, admin, "PUT", "/"+ix+"/_doc/old?refresh=true", `{"n":0}`)
				wantStatus(t, "seed", status, 201, body)
			}
			c := keyFor(t, s, admin, "a-*", tc.privs)
			status, body := call(t, c, "POST", "/_bulk", bulk)
			wantStatus(t, "bulk", status, 200, body)
			items, _ := body["items"].([]any)
			if len(items) != len(tc.want) || body["errors"] != true {
				t.Fatalf("answer %v: want %d items and errors true", body, len(tc.want))
			}
			for i, w := range tc.want {
				for op, v := range items[i].(map[string]any) {
					it := v.(map[string]any)
					reason, _ := get(it, "error.reason").(string)
					if w == ok {
						if it["error"] != nil {
							t.Errorf("item %d (%s) failed: %v", i, op, it["error"])
						}
						continue
					}
					parts := strings.Split(w, "|")
					pre := "action [" + parts[0] + "] is unauthorized for API key id ["
					post := "] of user [elastic] on indices [" + parts[1] + "], this action is granted by the index privileges [" + parts[2] + "]"
					if it["status"] != float64(403) || get(it, "error.type") != "security_exception" ||
						!strings.HasPrefix(reason, pre) || !strings.HasSuffix(reason, post) {
						t.Errorf("item %d (%s) = %v, want 403 %s...%s", i, op, it, pre, post)
					}
				}
			}
		})
	}
}

func TestBulkWithoutAnyWritePrivilegeFailsWhole(t *testing.T) {
	s, admin := secureNode(t)
	c := keyFor(t, s, admin, "*", []string{"read"})
	status, body := call(t, c, "POST", "/_bulk", ndjson(`{"index":{"_index":"a","_id":"1"}}`, `{}`))
	wantStatus(t, "bulk", status, 403, body)
	want := "this action is granted by the index privileges [create_doc,create,delete,index,write,all]"
	if r, _ := get(body, "error.reason").(string); !strings.HasPrefix(r, "action [indices:data/write/bulk] is unauthorized") || !strings.HasSuffix(r, want) {
		t.Fatalf("denial %v", body)
	}
	status, body = call(t, keyFor(t, s, admin, "*", []string{"write"}), "POST", "/_bulk", "{\"index\":{}}\n{}")
	wantStatus(t, "malformed bulk", status, 400, body)
}
