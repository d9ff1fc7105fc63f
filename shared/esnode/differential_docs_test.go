package esnode_test

import (
	"strings"
	"testing"

	"github.com/elastic/go-elasticsearch/v8/esapi"
)

// documentShapes are the single-document APIs: the demo's GET, and the
// error cases of versioning, ids, updates and deletes.
func documentShapes(t *testing.T) []shape {
	return []shape{
		{name: "demo-get-pretty", from: "demo: GET /{index}/_doc/{id}?pretty of a synced row", steps: []step{
			req("PUT", "/{docs}/_doc/public_t_1?refresh=true", `{"id":"1","name":"a","tags":["x","y"],"nested":{"n":1.5}}`),
			captured(t, esapi.GetRequest{Index: "{docs}", DocumentID: "public_t_1", Pretty: true}),
			captured(t, esapi.GetRequest{Index: "{docs}", DocumentID: "missing", Pretty: true}),
		}},
		{name: "doc-index-get-source", from: "document API: index, get, get _source, head", steps: []step{
			req("PUT", "/{docs}/_doc/1", `{"a":"b"}`),
			req("PUT", "/{docs}/_doc/1", `{"a":"c"}`),
			req("GET", "/{docs}/_source/1", ""),
			req("GET", "/{docs}/_source/2", ""),
			req("HEAD", "/{docs}/_doc/1", ""),
			req("HEAD", "/{docs}/_doc/2", ""),
		}},
		{name: "doc-generated-id", from: "document API: POST /{index}/_doc", steps: []step{
			with(req("POST", "/{docs}/_doc", `{"a":1}`), opaque("_id")),
		}},
		{name: "doc-create-on-existing", from: "error case: version conflict, create on an existing id", steps: []step{
			req("PUT", "/{docs}/_create/1", `{"a":1}`),
			req("PUT", "/{docs}/_create/1", `{"a":2}`),
			req("PUT", "/{docs}/_doc/1?op_type=create", `{"a":3}`),
			getDoc("docs", "1"),
		}},
		{name: "doc-external-version-not-greater", from: "error case: version conflict, external version not greater", steps: []step{
			req("PUT", "/{docs}/_doc/1?version=10&version_type=external", `{"a":1}`),
			req("PUT", "/{docs}/_doc/1?version=10&version_type=external", `{"a":2}`),
			req("PUT", "/{docs}/_doc/1?version=9&version_type=external", `{"a":3}`),
			req("PUT", "/{docs}/_doc/1?version=10&version_type=external_gte", `{"a":4}`),
			getDoc("docs", "1"),
		}},
		{name: "doc-if-seq-no", from: "error case: compare-and-write with a stale seq_no", steps: []step{
			req("PUT", "/{docs}/_doc/1", `{"a":1}`),
			req("PUT", "/{docs}/_doc/1?if_seq_no=0&if_primary_term=1", `{"a":2}`),
			req("PUT", "/{docs}/_doc/1?if_seq_no=0&if_primary_term=1", `{"a":3}`),
		}},
		{name: "doc-missing-index", from: "error case: get, get _source, delete, update and head of a document in a missing index", steps: []step{
			req("GET", "/{gone}/_doc/1", ""),
			req("GET", "/{gone}/_source/1", ""),
			req("DELETE", "/{gone}/_doc/1", ""),
			req("HEAD", "/{gone}/_doc/1", ""),
			req("HEAD", "/{gone}", ""),
		}},
		{name: "doc-bad-ids", from: "error case: an _id over 512 bytes on the document API", steps: []step{
			req("PUT", "/{docs}/_doc/"+strings.Repeat("x", 513), `{"a":1}`),
			req("PUT", "/{docs}/_doc/"+strings.Repeat("x", 512), `{"a":1}`),
		}},
		{name: "doc-bad-index-name", from: "error case: invalid index names on the document API", steps: []step{
			req("PUT", "/Upper/_doc/1", `{"a":1}`),
			req("PUT", "/_under/_doc/1", `{"a":1}`),
			req("PUT", "/"+strings.Repeat("l", 256)+"/_doc/1", `{"a":1}`),
		}},
		{name: "doc-too-large", from: "error case: a document body over http.max_content_length (413)", steps: []step{
			req("PUT", "/{docs}/_doc/big", `{"p":"`+strings.Repeat("z", maxContentLength+1024)+`"}`),
			req("HEAD", "/{docs}", ""),
		}},
		{name: "doc-mapping-conflict", from: "error case: document API mapping conflicts", steps: []step{
			req("PUT", "/{docs}/_doc/1", `{"n":1,"o":{"x":1}}`),
			req("PUT", "/{docs}/_doc/2", `{"n":"abc"}`),
			req("PUT", "/{docs}/_doc/3", `{"o":"flat"}`),
			req("PUT", "/{docs}/_doc/4", `{"n":{"x":1}}`),
			req("PUT", "/{docs}/_doc/5", `not json`),
			req("PUT", "/{docs}/_doc/6", `[1,2]`),
		}},
		{name: "doc-update-noop", from: "update API: noop, detect_noop false, upsert and doc_as_upsert", steps: []step{
			req("POST", "/{docs}/_update/1", `{"doc":{"a":1},"doc_as_upsert":true}`),
			req("POST", "/{docs}/_update/1", `{"doc":{"a":1}}`),
			req("POST", "/{docs}/_update/1", `{"doc":{"a":1},"detect_noop":false}`),
			req("POST", "/{docs}/_update/1", `{"doc":{"b":2}}`),
			req("POST", "/{docs}/_update/2", `{"doc":{"a":1},"upsert":{"a":0}}`),
			getDoc("docs", "1"),
			getDoc("docs", "2"),
		}},
		{name: "doc-update-missing", from: "error case: update of a missing document without upsert", steps: []step{
			req("PUT", "/{docs}", ""),
			req("POST", "/{docs}/_update/1", `{"doc":{"a":1}}`),
			req("POST", "/{gone}/_update/1", `{"doc":{"a":1}}`),
			req("HEAD", "/{gone}", ""),
		}},
		{name: "doc-delete-missing", from: "error case: delete of a missing document, and of one deleted already", steps: []step{
			req("PUT", "/{docs}/_doc/1", `{"a":1}`),
			req("DELETE", "/{docs}/_doc/1", ""),
			req("DELETE", "/{docs}/_doc/1", ""),
			req("DELETE", "/{docs}/_doc/2", ""),
			getDoc("docs", "1"),
			req("PUT", "/{docs}/_doc/1", `{"a":2}`),
		}},
		{name: "doc-validation", from: "error case: document API requests the request validation refuses", steps: []step{
			req("PUT", "/{docs}/_doc/1", `{"a":1}`),
			req("POST", "/{docs}/_update/1", `{}`),
			req("PUT", "/{docs}/_doc/1?version_type=external", `{"a":1}`),
			req("PUT", "/{docs}/_create/1?version=3&version_type=external", `{"a":1}`),
			req("POST", "/{docs}/_update/1?version=3", `{"doc":{"a":2}}`),
			req("PUT", "/{docs}/_doc/1?version=3&version_type=foo", `{"a":1}`),
			req("PUT", "/{docs}/_doc/1?if_seq_no=0", `{"a":1}`),
			req("PUT", "/{docs}/_doc/1", ``),
			getDoc("docs", "1"),
		}},
		{name: "doc-pipelines", from: "document API with an existing and a missing pipeline; pipeline reads and deletes", steps: []step{
			req("PUT", "/_ingest/pipeline/{pipe}", `{"processors":[]}`),
			req("PUT", "/{docs}/_doc/1?pipeline={pipe}", `{"a":1}`),
			req("PUT", "/{docs}/_doc/2?pipeline={nopipe}", `{"a":1}`),
			req("POST", "/{docs}/_bulk?pipeline={nopipe}", ndjson(`{"index":{"_id":"3"}}`, `{"a":1}`,
				`{"index":{"_id":"4","pipeline":"_none"}}`, `{"a":1}`, `{"create":{"_id":"5","pipeline":"{pipe}"}}`, `{"a":1}`)),
			req("GET", "/_ingest/pipeline/{pipe}", ""),
			req("GET", "/_ingest/pipeline/{nopipe}", ""),
			req("PUT", "/_ingest/pipeline/{pipe2}", `{"description":"no processors"}`),
			req("DELETE", "/_ingest/pipeline/{nopipe}", ""),
		}},
		{name: "doc-routing", from: "document API with routing", steps: []step{
			req("PUT", "/{docs}/_doc/1?routing=r", `{"a":1}`),
			req("GET", "/{docs}/_doc/1?routing=r", ""),
			req("DELETE", "/{docs}/_doc/1?routing=r", ""),
		}},
	}
}
