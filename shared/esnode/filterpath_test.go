package esnode_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/esconnect/esconnect/shared/esnode"
)

// The expected answers are what Elasticsearch 8.19 answers to the same
// requests.
func TestFilterPath(t *testing.T) {
	s, c := newNode(t, esnode.Options{})
	res, err := c.Index("f", strings.NewReader(`{"a":{"b":1,"c":[{"d":1},{"e":2}],"n":null}}`), c.Index.WithDocumentID("1"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	for _, tc := range []struct {
		name, path, want string
		status           int
	}{
		{"one leaf through an array", "/f/_doc/1?filter_path=_source.a.c.d", `{"_source":{"a":{"c":[{"d":1}]}}}`, 200},
		{"double star", "/f/_doc/1?filter_path=**.d", `{"_source":{"a":{"c":[{"d":1}]}}}`, 200},
		{"wildcard and exclusion", "/f/_doc/1?filter_path=_sou*.a,-**.e", `{"_source":{"a":{"b":1,"c":[{"d":1}],"n":null}}}`, 200},
		{"exclusion only", "/f/_doc/1?filter_path=-_source,-_seq_no,-_primary_term,-_version",
			`{"_index":"f","_id":"1","found":true}`, 200},
		{"several fields", "/f/_doc/1?filter_path=_id,found", `{"_id":"1","found":true}`, 200},
		{"nothing matches", "/f/_doc/1?filter_path=nothing", `{}`, 200},
		{"a 404 that is not an error is filtered", "/f/_doc/2?filter_path=nothing", `{}`, 404},
		{"errors are not filtered", "/missing/_doc/1?filter_path=_id", "", 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := http.Get(s.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tc.status, b)
			}
			var got any
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("%v: %s", err, b)
			}
			if tc.want == "" {
				if e, _ := got.(map[string]any)["error"].(map[string]any); e["type"] != "index_not_found_exception" {
					t.Fatalf("answer %s, want the whole index_not_found_exception error", b)
				}
				return
			}
			var want any
			if err := json.Unmarshal([]byte(tc.want), &want); err != nil {
				t.Fatal(err)
			}
			gj, _ := json.Marshal(got)
			wj, _ := json.Marshal(want)
			if string(gj) != string(wj) {
				t.Fatalf("answer %s, want %s", gj, wj)
			}
		})
	}
}
