package esnode_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types"

	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/esnode/esnodetest"
)

func seed(t *testing.T, c *elasticsearch.Client, index string, n int) {
	t.Helper()
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "{\"index\":{\"_index\":%q,\"_id\":\"%d\"}}\n{\"n\":%d,\"kind\":%q,\"msg\":\"hello number %d\"}\n", index, i, i, []string{"odd", "even"}[(i+1)%2], i)
	}
	status, res := read(t)(c.Bulk(strings.NewReader(b.String()), c.Bulk.WithRefresh("true"), c.Bulk.WithContext(t.Context())))
	if status != 200 || res["errors"] != false {
		t.Fatalf("seeding %s: %d %v", index, status, res)
	}
}

func TestSearch(t *testing.T) {
	_, c := newNode(t, esnode.Options{})
	seed(t, c, "logs-a", 30)
	seed(t, c, "logs-b", 5)
	tests := []struct {
		name, index, body string
		params            map[string]string
		status            int
		total             float64
		ids               string // ids of the page, comma separated; "" = not checked
		errType           string
	}{
		{"match_all default size", "logs-a", ``, nil, 200, 30, "0,1,2,3,4,5,6,7,8,9", ""},
		{"term + sort desc", "logs-a", `{"query":{"term":{"kind":"even"}},"sort":[{"n":"desc"}],"size":3}`, nil, 200, 15, "28,26,24", ""},
		{"from", "logs-a", `{"from":28,"size":5}`, nil, 200, 30, "28,29", ""},
		{"query-string size/from/sort", "logs-a", ``, map[string]string{"size": "2", "from": "1", "sort": "n:desc"}, 200, 30, "28,27", ""},
		{"wildcard indices", "logs-*", `{"query":{"range":{"n":{"lt":2}}}}`, nil, 200, 4, "0,1,0,1", ""},
		{"comma indices", "logs-b,logs-a", `{"query":{"ids":{"values":["3"]}}}`, nil, 200, 2, "3,3", ""},
		{"_all", "_all", `{"size":0}`, nil, 200, 35, "", ""},
		{"track_total_hits false", "logs-a", `{"track_total_hits":false,"size":1}`, nil, 200, -1, "0", ""},
		{"track_total_hits cap", "logs-a", `{"track_total_hits":10,"size":1}`, nil, 200, 10, "0", ""},
		// A shard refuses the window: the search reports its failure.
		{"result window", "logs-a", `{"from":9999,"size":2}`, nil, 400, 0, "", "search_phase_execution_exception"},
		{"missing index", "nope", ``, nil, 404, 0, "", "index_not_found_exception"},
		{"ignore_unavailable", "nope,logs-b", ``, map[string]string{"ignore_unavailable": "true"}, 200, 5, "", ""},
		{"allow_no_indices false", "zzz-*", ``, map[string]string{"allow_no_indices": "false"}, 404, 0, "", "index_not_found_exception"},
		{"bad query", "logs-a", `{"query":{"no_such_query":{}}}`, nil, 400, 0, "", "parsing_exception"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := "/" + tc.index + "/_search"
			sep := "?"
			for k, v := range tc.params {
				path += sep + k + "=" + v
				sep = "&"
			}
			status, res := call(t, c, "POST", path, tc.body)
			wantStatus(t, "search", status, tc.status, res)
			if tc.errType != "" {
				if errType(res) != tc.errType {
					t.Fatalf("error = %v, want %s", res, tc.errType)
				}
				return
			}
			if tc.total >= 0 && get(res, "hits.total.value") != tc.total {
				t.Fatalf("total = %v, want %v", get(res, "hits.total"), tc.total)
			}
			if tc.total < 0 && get(res, "hits.total") != nil {
				t.Fatalf("total = %v, want none", get(res, "hits.total"))
			}
			if tc.ids == "" {
				return
			}
			var ids []string
			for _, h := range get(res, "hits.hits").([]any) {
				ids = append(ids, get(h, "_id").(string))
			}
			if got := strings.Join(ids, ","); got != tc.ids {
				t.Fatalf("ids = %s, want %s", got, tc.ids)
			}
		})
	}
}

func TestSearchHitShape(t *testing.T) {
	_, c := newNode(t, esnode.Options{})
	seed(t, c, "shape", 3)
	_, res := call(t, c, "POST", "/shape/_search?_source_includes=n", `{"size":1}`)
	h := get(res, "hits.hits.0").(obj)
	if h["_score"] != 1.0 || get(res, "hits.max_score") != 1.0 || len(h["_source"].(obj)) != 1 || get(res, "_shards.total") != float64(1) || res["timed_out"] != false {
		t.Fatalf("hit = %v (response %v)", h, res)
	}
	_, res = call(t, c, "POST", "/shape/_search", `{"size":1,"sort":["n"],"_source":false}`)
	h = get(res, "hits.hits.0").(obj)
	if h["_score"] != nil || get(h, "sort.0") != float64(0) || h["_source"] != nil || get(res, "hits.max_score") != nil {
		t.Fatalf("sorted hit = %v", h)
	}
}

func TestCountAndTypedClient(t *testing.T) {
	s, c := newNode(t, esnode.Options{})
	seed(t, c, "typed", 12)
	tc, err := elasticsearch.NewTypedClient(esnodetest.Config(t, s))
	if err != nil {
		t.Fatal(err)
	}
	res, err := tc.Search().Index("typed").Query(&types.Query{Term: map[string]types.TermQuery{"kind": {Value: "odd"}}}).Size(2).Do(t.Context())
	if err != nil {
		t.Fatalf("typed search: %v", err)
	}
	if res.Hits.Total.Value != 6 || len(res.Hits.Hits) != 2 || *res.Hits.Hits[0].Id_ != "1" {
		t.Fatalf("typed search: total %d, %d hits", res.Hits.Total.Value, len(res.Hits.Hits))
	}
	cnt, err := tc.Count().Index("typed").Do(t.Context())
	if err != nil || cnt.Count != 12 {
		t.Fatalf("typed count = %v, %v", cnt, err)
	}
	_, body := read(t)(c.Count(c.Count.WithIndex("typed"), c.Count.WithBody(strings.NewReader(`{"query":{"match":{"msg":"number"}}}`)), c.Count.WithContext(t.Context())))
	if body["count"] != float64(12) || get(body, "_shards.successful") != float64(1) {
		t.Fatalf("count = %v", body)
	}
}

func TestScroll(t *testing.T) {
	_, c := newNode(t, esnode.Options{})
	seed(t, c, "sc", 25)
	_, res := read(t)(c.Search(c.Search.WithIndex("sc"), c.Search.WithScroll(60e9), c.Search.WithSize(10), c.Search.WithSort("n:asc"), c.Search.WithContext(t.Context())))
	id, _ := res["_scroll_id"].(string)
	if id == "" {
		t.Fatalf("no _scroll_id: %v", res)
	}
	// A write after the scroll started is not seen: the scroll is a snapshot.
	call(t, c, "PUT", "/sc/_doc/new?refresh=true", `{"n":100}`)
	seen := len(get(res, "hits.hits").([]any))
	for page := 0; page < 10; page++ {
		status, r := read(t)(c.Scroll(c.Scroll.WithScrollID(id), c.Scroll.WithScroll(60e9), c.Scroll.WithContext(t.Context())))
		wantStatus(t, "scroll", status, 200, r)
		n := len(get(r, "hits.hits").([]any))
		if n == 0 {
			break
		}
		seen += n
	}
	if seen != 25 {
		t.Fatalf("scrolled %d hits, want 25", seen)
	}
	status, r := read(t)(c.ClearScroll(c.ClearScroll.WithScrollID(id), c.ClearScroll.WithContext(t.Context())))
	if status != 200 || r["num_freed"] != float64(1) {
		t.Fatalf("clear scroll = %d %v", status, r)
	}
	status, r = call(t, c, "POST", "/_search/scroll", `{"scroll":"1m","scroll_id":"`+id+`"}`)
	if status != 404 || errType(r) != "search_phase_execution_exception" || get(r, "error.root_cause.0.type") != "search_context_missing_exception" {
		t.Fatalf("scroll after clear = %d %v", status, r)
	}
	status, r = call(t, c, "POST", "/_search/scroll", `{"scroll":"1m","scroll_id":"not-an-esnode-id"}`)
	if status != 400 || errType(r) != "illegal_argument_exception" {
		t.Fatalf("scroll with a bad id = %d %v", status, r)
	}
}

func TestDeleteByQuery(t *testing.T) {
	_, c := newNode(t, esnode.Options{})
	seed(t, c, "dbq", 10)
	status, res := read(t)(c.DeleteByQuery([]string{"dbq"}, strings.NewReader(`{"query":{"term":{"kind":"odd"}}}`),
		c.DeleteByQuery.WithRefresh(true), c.DeleteByQuery.WithContext(t.Context())))
	wantStatus(t, "delete_by_query", status, 200, res)
	if res["deleted"] != float64(5) || res["total"] != float64(5) || len(res["failures"].([]any)) != 0 {
		t.Fatalf("delete_by_query = %v", res)
	}
	if got := esnodetest.Count(t, c, "dbq"); got != 5 {
		t.Fatalf("count after delete_by_query with refresh = %d, want 5", got)
	}
}

// A scroll page asked for without a keep-alive is the last one, as in
// Elasticsearch: no scroll id comes back and the context is gone.
func TestScrollWithoutKeepAlive(t *testing.T) {
	_, c := newNode(t, esnode.Options{})
	seed(t, c, "nk", 3)
	status, res := call(t, c, "POST", "/nk/_search?scroll=1m&size=1", "")
	wantStatus(t, "search", status, 200, res)
	id, _ := res["_scroll_id"].(string)
	status, res = call(t, c, "POST", "/_search/scroll", `{"scroll_id":"`+id+`"}`)
	wantStatus(t, "scroll", status, 200, res)
	if _, has := res["_scroll_id"]; has || len(get(res, "hits.hits").([]any)) != 1 {
		t.Fatalf("page without keep-alive = %v, want one hit and no scroll id", res)
	}
	status, res = call(t, c, "POST", "/_search/scroll", `{"scroll":"1m","scroll_id":"`+id+`"}`)
	wantStatus(t, "scroll after the last page", status, 404, res)
}
