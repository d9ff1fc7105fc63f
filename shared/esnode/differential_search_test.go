package esnode_test

import (
	"strings"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/esconnect/esconnect/shared/esbulk"
)

// pgsyncMapping is pg-es-sync's index body (pgsync.indexMapping): the
// fields deletion filters on are keywords.
const pgsyncMapping = `{"mappings":{"properties":{` +
	`"id":{"type":"keyword"},"table":{"type":"keyword"},"schema":{"type":"keyword"},"database":{"type":"keyword"}}}}`

// soakIndex is the soak's index body (soak.indexBody).
const soakIndex = `{
  "settings": {"number_of_replicas": 0, "refresh_interval": "-1"},
  "mappings": {"properties": {"msg_body": {"properties": {
    "value": {"properties": {"seq": {"type": "long"}, "n": {"type": "long"}, "pad": {"type": "keyword", "index": false}}}
  }}}}
}`

// pgsyncScrollBody is what pgsync's scrollIDs marshals for its deletion
// query (a map, so the keys come sorted).
func pgsyncScrollBody(table, schema, database string) string {
	return `{"_source":false,"query":{"bool":{"filter":[{"term":{"` + database + `":"db"}},{"term":{"` + schema +
		`":"public"}},{"terms":{"` + table + `":["t","u"]}}]}},"sort":["_doc"]}`
}

func rows(index string) []esbulk.Action {
	var out []esbulk.Action
	for _, r := range []struct{ id, table, db string }{
		{"public_t_1", "t", "db"}, {"public_t_2", "t", "db"}, {"public_u_1", "u", "db"},
		{"public_v_1", "v", "db"}, {"public_t_3", "t", "other"},
	} {
		out = append(out, indexed(index, r.id, `{"id":"`+r.id+`","table":"`+r.table+`","schema":"public","database":"`+r.db+`"}`))
	}
	return out
}

// indexShapes are index creation, mappings and deletion.
func indexShapes(t *testing.T) []shape {
	return []shape{
		{name: "pgsync-create-index", from: "pgsync: create the index with keyword metadata fields, again (400), read the mapping", steps: []step{
			captured(t, esapi.IndicesCreateRequest{Index: "{rows}", Body: strings.NewReader(pgsyncMapping)}),
			captured(t, esapi.IndicesCreateRequest{Index: "{rows}", Body: strings.NewReader(pgsyncMapping)}),
			captured(t, esapi.IndicesGetMappingRequest{Index: []string{"{rows}"}}),
		}},
		{name: "pgsync-dynamic-index", from: "pgsync: an index created by dynamic mapping, whose mapping pgsync reads", steps: []step{
			sinkBulk(t, "false", indexed("{rows}", "public_t_1", `{"id":"1","table":"t","schema":"public","database":"db",`+
				`"n":1,"f":1.5,"b":true,"d":"2024-05-01T10:00:00Z","d2":"2024/05/01","o":{"x":"y"},"dotted.key":1,"arr":[1,2],"nul":null}`)),
			captured(t, esapi.IndicesGetMappingRequest{Index: []string{"{rows}"}}),
		}},
		{name: "soak-create-index", from: "soak: create the index with settings and mappings", steps: []step{
			captured(t, esapi.IndicesCreateRequest{Index: "{soak}", Body: strings.NewReader(soakIndex)}),
			captured(t, esapi.IndicesGetMappingRequest{Index: []string{"{soak}"}}),
			sinkBulk(t, "false", upsert("{soak}", "t-0-0", `{"msg_body":{"value":{"seq":"7","n":1,"pad":"xx"}}}`),
				upsert("{soak}", "t-0-1", `{"msg_body":{"value":{"seq":"x"}}}`)),
		}},
		{name: "index-bad-names", from: "error case: create index with invalid names", steps: []step{
			req("PUT", "/Upper", ""),
			req("PUT", "/-dash", ""),
			req("PUT", "/a*b", ""),
			req("PUT", "/"+strings.Repeat("l", 256), ""),
		}},
		{name: "index-missing", from: "error case: mapping, delete and refresh of a missing index", steps: []step{
			req("GET", "/{gone}/_mapping", ""),
			req("DELETE", "/{gone}", ""),
			captured(t, esapi.IndicesRefreshRequest{Index: []string{"{gone}"}}),
			req("HEAD", "/{gone}", ""),
		}},
		{name: "index-delete", from: "index deletion", steps: []step{
			req("PUT", "/{docs}", `{"settings":{"number_of_shards":1}}`),
			req("HEAD", "/{docs}", ""),
			req("DELETE", "/{docs}", ""),
			req("HEAD", "/{docs}", ""),
		}},
		{name: "index-put-mapping-conflict", from: "error case: changing a mapped field's type", steps: []step{
			req("PUT", "/{docs}", `{"mappings":{"properties":{"n":{"type":"long"}}}}`),
			req("PUT", "/{docs}/_mapping", `{"properties":{"n":{"type":"keyword"}}}`),
			req("PUT", "/{docs}/_mapping", `{"properties":{"m":{"type":"keyword"}}}`),
			req("GET", "/{docs}/_mapping", ""),
		}},
	}
}

// searchShapes are the searches, counts and scrolls of pgsync, the replay
// es:// source, the soak and the demo.
func searchShapes(t *testing.T) []shape {
	docSort := opaque("hits.hits.*.sort")
	return []shape{
		{name: "pgsync-scroll-ids", from: "pgsync: scroll the ids of the synced tables, page by page, then clear the scroll", steps: []step{
			captured(t, esapi.IndicesCreateRequest{Index: "{rows}", Body: strings.NewReader(pgsyncMapping)}),
			sinkBulk(t, "false", rows("{rows}")...),
			captured(t, esapi.IndicesRefreshRequest{Index: []string{"{rows}"}}),
			captured(t, esapi.CountRequest{Index: []string{"{rows}"}}),
			with(captured(t, esapi.SearchRequest{Index: []string{"{rows}"}, Body: strings.NewReader(pgsyncScrollBody("table", "schema", "database")),
				Size: esapi.IntPtr(2), Scroll: 2 * time.Minute}), saving("sid", "_scroll_id"), docSort),
			with(captured(t, esapi.ScrollRequest{ScrollID: "$(sid)", Scroll: 2 * time.Minute}), docSort),
			with(captured(t, esapi.ScrollRequest{ScrollID: "$(sid)", Scroll: 2 * time.Minute}), docSort),
			captured(t, esapi.ClearScrollRequest{ScrollID: []string{"$(sid)"}}),
			captured(t, esapi.ScrollRequest{ScrollID: "$(sid)", Scroll: 2 * time.Minute}),
			captured(t, esapi.ClearScrollRequest{ScrollID: []string{"$(sid)"}}),
		}},
		{name: "pgsync-scroll-keyword-subfields", from: "pgsync: the deletion query on a dynamically mapped index (.keyword sub-fields)", steps: []step{
			sinkBulk(t, "true", rows("{rows}")...),
			with(captured(t, esapi.SearchRequest{Index: []string{"{rows}"}, Body: strings.NewReader(pgsyncScrollBody("table.keyword", "schema.keyword", "database.keyword")),
				Size: esapi.IntPtr(1000), Scroll: 2 * time.Minute}), saving("sid", "_scroll_id"), docSort),
			with(captured(t, esapi.SearchRequest{Index: []string{"{rows}"}, Body: strings.NewReader(pgsyncScrollBody("table", "schema", "database")),
				Size: esapi.IntPtr(1000), Scroll: 2 * time.Minute}), docSort),
			captured(t, esapi.ClearScrollRequest{ScrollID: []string{"$(sid)"}}),
		}},
		{name: "replay-es-scroll", from: "replay es:// source: scroll the dead letters with sort=_doc and track_total_hits", steps: []step{
			sinkBulk(t, "true",
				esbulk.Action{Op: esbulk.OpCreate, Index: "{dlq}", ID: "t-0-1", Body: []byte(`{"record":{"topic":"t","partition":0,"offset":1}}`)},
				esbulk.Action{Op: esbulk.OpCreate, Index: "{dlq}", ID: "t-0-2", Body: []byte(`{"record":{"topic":"t","partition":0,"offset":2}}`)},
				esbulk.Action{Op: esbulk.OpCreate, Index: "{dlq}", ID: "t-1-1", Body: []byte(`{"record":{"topic":"t","partition":1,"offset":1}}`)}),
			with(captured(t, esapi.SearchRequest{Index: []string{"{dlq}"}, Scroll: 5 * time.Minute, Size: esapi.IntPtr(2),
				Sort: []string{"_doc"}, TrackTotalHits: true}), saving("sid", "_scroll_id"), docSort),
			with(captured(t, esapi.ScrollRequest{ScrollID: "$(sid)", Scroll: 5 * time.Minute}), docSort),
			with(captured(t, esapi.ScrollRequest{ScrollID: "$(sid)", Scroll: 5 * time.Minute}), docSort),
			captured(t, esapi.ClearScrollRequest{ScrollID: []string{"$(sid)"}}),
		}},
		{name: "soak-check", from: "soak: refresh, scroll with _source filtering, count", steps: []step{
			captured(t, esapi.IndicesCreateRequest{Index: "{soak}", Body: strings.NewReader(soakIndex)}),
			sinkBulk(t, "false", upsert("{soak}", "t-0-0", `{"msg_body":{"partition":0,"offset":0,"value":{"seq":1,"n":1}}}`),
				upsert("{soak}", "t-1-0", `{"msg_body":{"partition":1,"offset":0,"value":{"seq":2,"n":2}}}`)),
			captured(t, esapi.CountRequest{Index: []string{"{soak}"}}),
			captured(t, esapi.IndicesRefreshRequest{Index: []string{"{soak}"}}),
			with(captured(t, esapi.SearchRequest{Index: []string{"{soak}"}, Scroll: time.Minute, Size: esapi.IntPtr(1000),
				Body: strings.NewReader(`{"query":{"match_all":{}},"sort":["_doc"],"_source":["msg_body.partition","msg_body.offset"]}`)}),
				saving("sid", "_scroll_id"), docSort),
			with(captured(t, esapi.ScrollRequest{ScrollID: "$(sid)", Scroll: time.Minute}), docSort),
			captured(t, esapi.ClearScrollRequest{ScrollID: []string{"$(sid)"}}),
			captured(t, esapi.CountRequest{Index: []string{"{soak}"}}),
		}},
		{name: "demo-search-pretty", from: "demo: refresh, then search ?pretty", steps: []step{
			sinkBulk(t, "false", upsert("{demo}", "orders-0-0", `{"msg_key":"k","msg_body":{"order":1,"total":9.5}}`),
				upsert("{demo}", "orders-0-1", `{"msg_key":"k2","msg_body":{"order":2,"total":3}}`)),
			captured(t, esapi.IndicesRefreshRequest{Index: []string{"{demo}"}}),
			captured(t, esapi.SearchRequest{Index: []string{"{demo}"}, Pretty: true}),
		}},
		{name: "search-missing-index", from: "error case: search and count of a missing index", steps: []step{
			captured(t, esapi.SearchRequest{Index: []string{"{gone}"}}),
			captured(t, esapi.CountRequest{Index: []string{"{gone}"}}),
			captured(t, esapi.SearchRequest{Index: []string{"{gone}"}, IgnoreUnavailable: esapi.BoolPtr(true)}),
			captured(t, esapi.SearchRequest{Index: []string{"{gone}"}, Scroll: time.Minute}),
		}},
		{name: "search-window-too-large", from: "error case: from + size over index.max_result_window", steps: []step{
			req("PUT", "/{docs}", ""),
			req("POST", "/{docs}/_search", `{"from":9995,"size":10}`),
		}},
		{name: "search-sort-errors", from: "error case: sorting on a text field and on an unmapped field", steps: []step{
			req("PUT", "/{docs}/_doc/1?refresh=true", `{"s":"a","n":1}`),
			req("POST", "/{docs}/_search", `{"sort":[{"s":"asc"}]}`),
			req("POST", "/{docs}/_search", `{"sort":[{"nofield":"asc"}]}`),
			// The node's query parser does not track positions in the body
			// (docs/esnode.md, known differences).
			with(req("POST", "/{docs}/_search", `{"query":{"nope":{}}}`), func(s *step) {
				s.known = []string{"error.line", "error.col", "error.root_cause.*.line", "error.root_cause.*.col"}
			}),
		}},
		{name: "search-sorted", from: "search sorted on a field, with from and size", steps: []step{
			sinkBulk(t, "true", indexed("{docs}", "a", `{"n":3,"s":"c"}`), indexed("{docs}", "b", `{"n":1,"s":"a"}`),
				indexed("{docs}", "c", `{"n":2,"s":"b"}`)),
			with(req("POST", "/{docs}/_search", `{"sort":[{"n":"desc"}],"size":2}`), func(s *step) { s.ordered = true }),
			with(req("POST", "/{docs}/_search", `{"sort":[{"s.keyword":"asc"}],"from":1}`), func(s *step) { s.ordered = true }),
		}},
		{name: "search-visibility", from: "search and count see writes only after a refresh", steps: []step{
			req("PUT", "/{docs}", `{"settings":{"refresh_interval":"-1"}}`),
			req("PUT", "/{docs}/_doc/1", `{"a":1}`),
			req("GET", "/{docs}/_count", ""),
			req("POST", "/{docs}/_refresh", ""),
			req("GET", "/{docs}/_count", ""),
			req("GET", "/{docs}/_search", `{"query":{"term":{"a":1}}}`),
		}},
		{name: "scroll-expiry", from: "error case: a scroll used after its keep-alive ran out", steps: []step{
			sinkBulk(t, "true", indexed("{docs}", "a", `{"v":1}`), indexed("{docs}", "b", `{"v":2}`)),
			with(req("POST", "/{docs}/_search?scroll=1s&size=1", ""), saving("sid", "_scroll_id")),
			// Without a scroll parameter the keep-alive is not renewed; each
			// try still counts as a use, hence tries further apart than it.
			{method: "POST", path: "/_search/scroll", body: `{"scroll_id":"$(sid)"}`, pollUntil: 404},
		}},
		{name: "scroll-continue-without-keepalive", from: "a scroll continued without the scroll parameter", steps: []step{
			sinkBulk(t, "true", indexed("{docs}", "a", `{"v":1}`), indexed("{docs}", "b", `{"v":2}`)),
			with(req("POST", "/{docs}/_search?scroll=1m&size=1", ""), saving("sid", "_scroll_id")),
			req("POST", "/_search/scroll", `{"scroll_id":"$(sid)"}`),
			req("DELETE", "/_search/scroll", `{"scroll_id":["$(sid)"]}`),
		}},
		{name: "scroll-unknown-id", from: "error case: a scroll id that is not one", steps: []step{
			req("POST", "/_search/scroll", `{"scroll":"1m","scroll_id":"garbage"}`),
			req("DELETE", "/_search/scroll", `{"scroll_id":"garbage"}`),
			req("POST", "/_search/scroll", `{"scroll":"1m","scroll_id":"!!!"}`),
		}},
	}
}
