package esnode_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/esconnect/esconnect/shared/esnode"
)

func TestInfoThroughClient(t *testing.T) {
	_, c := newNode(t, esnode.Options{Version: "8.14.3"})
	status, body := read(t)(c.Info(c.Info.WithContext(t.Context())))
	wantStatus(t, "info", status, 200, body)
	if get(body, "version.number") != "8.14.3" || get(body, "tagline") != "You Know, for Search" ||
		get(body, "version.build_flavor") != "default" || get(body, "cluster_uuid") == "" {
		t.Fatalf("info = %v", body)
	}
}

// TestRawHTTP checks exact shapes as curl would see them.
func TestRawHTTP(t *testing.T) {
	s, _ := newNode(t, esnode.Options{})
	tests := []struct {
		name, method, path, ctype, body string
		status                          int
		want                            string // exact JSON body; "" = not checked
	}{
		{"root", "GET", "/", "", "", 200, ""},
		{"head root", "HEAD", "/", "", "", 200, ""},
		{"create", "PUT", "/raw", "application/json", `{"settings":{"number_of_replicas":0}}`, 200,
			`{"acknowledged":true,"index":"raw","shards_acknowledged":true}`},
		{"missing doc", "GET", "/raw/_doc/x", "", "", 404, `{"_id":"x","_index":"raw","found":false}`},
		{"index doc", "PUT", "/raw/_doc/1", "application/vnd.elasticsearch+json; compatible-with=8", `{"a":1}`, 201,
			`{"_id":"1","_index":"raw","_primary_term":1,"_seq_no":0,"_shards":{"failed":0,"successful":1,"total":1},"_version":1,"result":"created"}`},
		{"missing index", "GET", "/nope/_search", "", "", 404,
			`{"error":{"index":"nope","index_uuid":"_na_","reason":"no such index [nope]","resource.id":"nope","resource.type":"index_or_alias",` +
				`"root_cause":[{"index":"nope","index_uuid":"_na_","reason":"no such index [nope]","resource.id":"nope","resource.type":"index_or_alias","type":"index_not_found_exception"}],` +
				`"type":"index_not_found_exception"},"status":404}`},
		{"bad media type", "POST", "/raw/_doc", "text/plain", `{"a":1}`, 406,
			`{"error":"Content-Type header [text/plain] is not supported","status":406}`},
		{"no route", "GET", "/raw/_nothing_here/x/y", "", "", 400,
			`{"error":"no handler found for uri [/raw/_nothing_here/x/y] and method [GET]","status":400}`},
		{"bulk ndjson compat", "POST", "/_bulk", "application/vnd.elasticsearch+x-ndjson; compatible-with=8",
			"{\"delete\":{\"_index\":\"raw\",\"_id\":\"zz\"}}\n", 200, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), tc.method, s.URL+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if tc.ctype != "" {
				req.Header.Set("Content-Type", tc.ctype)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, b)
			}
			if got := resp.Header.Get("X-Elastic-Product"); got != "Elasticsearch" {
				t.Fatalf("X-Elastic-Product = %q", got)
			}
			if tc.want == "" {
				return
			}
			// Compare as canonical JSON: ES key order is not significant.
			var got, want any
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("body %s: %v", b, err)
			}
			_ = json.Unmarshal([]byte(tc.want), &want)
			gb, _ := json.Marshal(got)
			wb, _ := json.Marshal(want)
			if string(gb) != string(wb) {
				t.Fatalf("body\n got %s\nwant %s", gb, wb)
			}
		})
	}
}

func TestClusterHealth(t *testing.T) {
	_, c := newNode(t, esnode.Options{})
	call(t, c, "PUT", "/h1", `{"settings":{"index":{"number_of_replicas":0}}}`)
	status, body := read(t)(c.Cluster.Health(c.Cluster.Health.WithContext(t.Context())))
	wantStatus(t, "health", status, 200, body)
	if body["status"] != "green" || body["active_primary_shards"] != float64(1) {
		t.Fatalf("health = %v", body)
	}
	call(t, c, "PUT", "/h2", "")
	_, body = read(t)(c.Cluster.Health(c.Cluster.Health.WithContext(t.Context())))
	if body["status"] != "yellow" || body["unassigned_shards"] != float64(1) {
		t.Fatalf("health with a replica on one node = %v, want yellow", body)
	}
}
