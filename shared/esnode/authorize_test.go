package esnode_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/elastic/go-elasticsearch/v8"

	"github.com/esconnect/esconnect/shared/esnode"
)

// keyFor creates a key with the given index privileges on names (and cluster
// privileges) and returns its client.
func keyFor(t *testing.T, s *esnode.Server, admin *elasticsearch.Client, names string, privs []string, cluster ...string) *elasticsearch.Client {
	t.Helper()
	body := fmt.Sprintf(`{"name":"t","role_descriptors":{"r":{"cluster":%s,"indices":[{"names":%s,"privileges":%s}]}}}`,
		toJSON(append([]string{}, cluster...)), toJSON(strings.Split(names, ",")), toJSON(privs))
	return createKey(t, s, admin, body)
}

// TestRequestPrivileges sends each API call with a key holding one
// privilege that grants it (must pass) and with one that does not (must be
// refused with ES's 403 naming the action and the privileges that grant it).
func TestRequestPrivileges(t *testing.T) {
	s, admin := secureNode(t)
	for _, setup := range []string{"PUT /logs-a/_doc/1?refresh=true", "PUT /other/_doc/1?refresh=true"} {
		method, path, _ := strings.Cut(setup, " ")
		status, body := call(t, admin, method, path, `{"n":1}`)
		wantStatus(t, setup, status, 201, body)
	}
	tests := []struct {
		method, path, body string
		grant, deny        []string
		cluster            bool
		status             int
		action, grantedBy  string
	}{
		{"GET", "/logs-a/_search", "", []string{"read"}, []string{"view_index_metadata"}, false, 200, "indices:data/read/search", "read,all"},
		{"GET", "/logs-a/_count", "", []string{"read"}, []string{"write"}, false, 200, "indices:data/read/search", "read,all"},
		{"GET", "/logs-a/_doc/1", "", []string{"read"}, []string{"index"}, false, 200, "indices:data/read/get", "read,all"},
		{"GET", "/logs-a/_mapping", "", []string{"view_index_metadata"}, []string{"read"}, false, 200, "indices:admin/mappings/get", "view_index_metadata,manage,all"},
		{"HEAD", "/logs-a", "", []string{"view_index_metadata"}, []string{"read"}, false, 200, "", ""},
		{"POST", "/logs-a/_refresh", "", []string{"maintenance"}, []string{"write"}, false, 200, "indices:admin/refresh", "maintenance,manage,all"},
		{"POST", "/logs-a/_refresh", "", []string{"manage"}, []string{"read"}, false, 200, "indices:admin/refresh", "maintenance,manage,all"},
		{"PUT", "/logs-new", "", []string{"create_index"}, []string{"auto_configure"}, false, 200, "indices:admin/create", "create_index,manage,all"},
		{"PUT", "/logs-a/_doc/2", `{"n":2}`, []string{"index"}, []string{"create_doc"}, false, 201, "indices:data/write/index:op_type/index", "create,index,write,all"},
		{"PUT", "/logs-a/_create/3", `{"n":3}`, []string{"create_doc"}, []string{"delete"}, false, 201, "indices:data/write/index", "create_doc,create,index,write,all"},
		{"PUT", "/logs-z/_doc/1", `{"n":1}`, []string{"write", "auto_configure"}, []string{"write"}, false, 201, "indices:admin/auto_create", "auto_configure,create_index,manage,all"},
		{"POST", "/logs-a/_update/1", `{"doc":{"n":5}}`, []string{"index"}, []string{"create"}, false, 200, "indices:data/write/update", "index,write,all"},
		{"DELETE", "/logs-a/_doc/1", "", []string{"delete"}, []string{"index"}, false, 200, "indices:data/write/delete", "delete,write,all"},
		{"POST", "/logs-a/_delete_by_query?conflicts=proceed", `{"query":{"match_all":{}}}`, []string{"read", "delete"}, []string{"delete"}, false, 200, "indices:data/read/search", "read,all"},
		{"POST", "/logs-a/_delete_by_query?conflicts=proceed", `{"query":{"match_all":{}}}`, []string{"read", "delete"}, []string{"read"}, false, 200, "indices:data/write/delete/byquery", "delete,write,all"},
		{"GET", "/_cluster/health", "", []string{"monitor"}, nil, true, 200, "cluster:monitor/health", "monitor,manage,all"},
		{"GET", "/_cat/indices", "", []string{"monitor"}, nil, true, 200, "cluster:monitor/state", "monitor,manage,all"},
		{"GET", "/", "", []string{"monitor"}, nil, true, 200, "cluster:monitor/main", "monitor,manage,all"},
		{"PUT", "/_ingest/pipeline/p", `{"processors":[]}`, []string{"manage_pipeline"}, []string{"monitor"}, true, 200,
			"cluster:admin/ingest/pipeline/put", "manage_ingest_pipelines,manage_pipeline,manage,all"},
		{"GET", "/_ingest/pipeline", "", []string{"read_pipeline"}, []string{"monitor"}, true, 200,
			"cluster:admin/ingest/pipeline/get", "read_pipeline,manage_ingest_pipelines,manage_pipeline,manage,all"},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path+" "+strings.Join(tc.deny, "+"), func(t *testing.T) {
			key := func(privs []string) *elasticsearch.Client {
				if tc.cluster {
					return keyFor(t, s, admin, "logs-*", []string{"all"}, privs...)
				}
				return keyFor(t, s, admin, "logs-*", privs)
			}
			status, body := call(t, key(tc.deny), tc.method, tc.path, tc.body)
			if tc.method == "HEAD" {
				wantStatus(t, "denied HEAD", status, 403, body)
			} else {
				wantStatus(t, "denied", status, 403, body)
				want := fmt.Sprintf("action [%s] is unauthorized for API key id [", tc.action)
				reason, _ := get(body, "error.reason").(string)
				if errType(body) != "security_exception" || !strings.HasPrefix(reason, want) ||
					!strings.HasSuffix(reason, "this action is granted by the "+map[bool]string{true: "cluster", false: "index"}[tc.cluster]+" privileges ["+tc.grantedBy+"]") {
					t.Fatalf("denial %v, want %q ... granted by [%s]", body, want, tc.grantedBy)
				}
				if !tc.cluster && !strings.Contains(reason, "of user [elastic] on indices [") {
					t.Fatalf("denial %q does not name the user and indices", reason)
				}
			}
			status, body = call(t, key(tc.grant), tc.method, tc.path, tc.body)
			wantStatus(t, "granted", status, tc.status, body)
		})
	}
}

// TestWildcardsSeeOnlyGrantedIndices: a pattern is narrowed to the indices
// the key may read instead of failing; a concrete name outside the grant
// fails.
func TestWildcardsSeeOnlyGrantedIndices(t *testing.T) {
	s, admin := secureNode(t)
	for _, ix := range []string{"a-1", "a-2", "b"} {
		status, body := call(t, admin, "PUT", "/"+ix+"/_doc/1?refresh=true", `{"n":1}`)
		wantStatus(t, "seed "+ix, status, 201, body)
	}
	c := keyFor(t, s, admin, "a-*", []string{"read"})
	tests := []struct {
		path   string
		status int
		count  float64
	}{
		{"/_count", 200, 2},
		{"/*/_count", 200, 2},
		{"/b*/_count", 200, 0},
		{"/a-1,b*/_count", 200, 1},
		{"/a-1,b/_count", 403, 0},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			status, body := call(t, c, "GET", tc.path, "")
			wantStatus(t, tc.path, status, tc.status, body)
			if status == 200 && body["count"] != tc.count {
				t.Fatalf("count %v, want %v", body["count"], tc.count)
			}
			if status == 403 && !strings.Contains(get(body, "error.reason").(string), "on indices [b]") {
				t.Fatalf("denial %v does not name b alone", body)
			}
		})
	}
}

func TestScrollNeedsReadSomewhere(t *testing.T) {
	s, admin := secureNode(t)
	status, body := call(t, admin, "PUT", "/a-1/_doc/1?refresh=true", `{"n":1}`)
	wantStatus(t, "seed", status, 201, body)
	reader := keyFor(t, s, admin, "a-*", []string{"read"})
	status, body = call(t, reader, "POST", "/a-1/_search?scroll=1m&size=1", `{}`)
	wantStatus(t, "search", status, 200, body)
	scroll := `{"scroll":"1m","scroll_id":"` + body["_scroll_id"].(string) + `"}`
	writer := keyFor(t, s, admin, "a-*", []string{"write"})
	status, body = call(t, writer, "POST", "/_search/scroll", scroll)
	wantStatus(t, "scroll without read", status, 403, body)
	status, body = call(t, reader, "POST", "/_search/scroll", scroll)
	wantStatus(t, "scroll", status, 200, body)
	status, body = call(t, writer, "DELETE", "/_search/scroll", scroll)
	wantStatus(t, "clear scroll is open to every caller", status, 200, body)
}
