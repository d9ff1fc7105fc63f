package esnode_test

import (
	"strings"
	"testing"

	"github.com/esconnect/esconnect/shared/esbulk"
)

// upsert is the sink's action for DOC_ID=offset and DOC_ID=field (msgdoc):
// update with doc_as_upsert.
func upsert(index, id, doc string) esbulk.Action {
	return esbulk.Action{Op: esbulk.OpUpdate, Index: index, ID: id, Body: []byte(`{"doc":` + doc + `,"doc_as_upsert":true}`)}
}

// keyed is the sink's action for DOC_ID=key: index with the record's
// offset as external version.
func keyed(index, id string, version int64, doc string) esbulk.Action {
	return esbulk.Action{Op: esbulk.OpIndex, Index: index, ID: id, Version: version, VersionType: "external", Body: []byte(doc)}
}

func indexed(index, id, doc string) esbulk.Action {
	return esbulk.Action{Op: esbulk.OpIndex, Index: index, ID: id, Body: []byte(doc)}
}

func getDoc(index, id string) step { return req("GET", "/{"+index+"}/_doc/"+id, "") }

// bulkShapes are the bulk requests of the sink, the dead-letter es://
// target and pg-es-sync, as esbulk sends them, with the item errors they
// meet.
func bulkShapes(t *testing.T) []shape {
	return []shape{
		{name: "sink-upsert-new", from: "esbulk: DOC_ID=offset, update+doc_as_upsert creating documents, refresh=true", steps: []step{
			sinkBulk(t, "true", upsert("{docs}", "t-0-1", `{"msg_body":{"n":1,"s":"a"}}`), upsert("{docs}", "t-0-2", `{"msg_body":{"n":2}}`)),
			getDoc("docs", "t-0-1"),
			getDoc("docs", "t-0-2"),
		}},
		{name: "sink-upsert-redelivered", from: "esbulk: the same upsert again (noop), then a changed one (updated)", steps: []step{
			sinkBulk(t, "true", upsert("{docs}", "t-0-1", `{"msg_body":{"n":1}}`)),
			sinkBulk(t, "true", upsert("{docs}", "t-0-1", `{"msg_body":{"n":1}}`)),
			sinkBulk(t, "true", upsert("{docs}", "t-0-1", `{"msg_body":{"n":3}}`)),
			getDoc("docs", "t-0-1"),
		}},
		{name: "sink-upsert-merges-objects", from: "esbulk: DOC_ID=field, a partial doc merged into the stored one", steps: []step{
			sinkBulk(t, "false", upsert("{docs}", "k", `{"a":{"x":1},"b":[1,2],"c":"keep"}`)),
			sinkBulk(t, "false", upsert("{docs}", "k", `{"a":{"y":2},"b":[3]}`)),
			getDoc("docs", "k"),
		}},
		{name: "sink-index-generated-ids", from: "esbulk: DOC_ID=none, index without _id", steps: []step{
			with(sinkBulk(t, "true", esbulk.Action{Op: esbulk.OpIndex, Index: "{docs}", Body: []byte(`{"v":1}`)},
				esbulk.Action{Op: esbulk.OpIndex, Index: "{docs}", Body: []byte(`{"v":2}`)}), opaque("items.*.index._id")),
			req("GET", "/{docs}/_count", ""),
		}},
		{name: "sink-external-versions", from: "esbulk: DOC_ID=key, index with version_type=external, newer, older and equal offsets", steps: []step{
			sinkBulk(t, "false", keyed("{docs}", "key1", 5, `{"v":5}`)),
			sinkBulk(t, "false", keyed("{docs}", "key1", 7, `{"v":7}`)),
			sinkBulk(t, "false", keyed("{docs}", "key1", 6, `{"v":6}`), keyed("{docs}", "key1", 7, `{"v":7}`)),
			getDoc("docs", "key1"),
		}},
		{name: "sink-external-delete", from: "esbulk: DOC_ID=key with NULL_VALUE=delete: delete with an external version", steps: []step{
			sinkBulk(t, "false", keyed("{docs}", "key1", 5, `{"v":5}`)),
			sinkBulk(t, "false", esbulk.Action{Op: esbulk.OpDelete, Index: "{docs}", ID: "key1", Version: 6, VersionType: "external"}),
			sinkBulk(t, "false", esbulk.Action{Op: esbulk.OpDelete, Index: "{docs}", ID: "key1", Version: 6, VersionType: "external"},
				esbulk.Action{Op: esbulk.OpDelete, Index: "{docs}", ID: "never", Version: 3, VersionType: "external"}),
			sinkBulk(t, "false", keyed("{docs}", "key1", 6, `{"v":6}`), keyed("{docs}", "key1", 8, `{"v":8}`)),
			getDoc("docs", "key1"),
		}},
		{name: "sink-routing", from: "esbulk: ROUTING=key or field, routing on the action line", steps: []step{
			sinkBulk(t, "true", esbulk.Action{Op: esbulk.OpUpdate, Index: "{docs}", ID: "a", Routing: "r1",
				Body: []byte(`{"doc":{"v":1},"doc_as_upsert":true}`)}),
			req("GET", "/{docs}/_doc/a?routing=r1", ""),
			req("GET", "/{docs}/_search", `{"query":{"ids":{"values":["a"]}}}`),
		}},
		{name: "sink-pipeline", from: "esbulk: PIPELINE set, an existing pipeline without processors", steps: []step{
			req("PUT", "/_ingest/pipeline/{pipe}", `{"description":"differential","processors":[]}`),
			sinkBulk(t, "false", esbulk.Action{Op: esbulk.OpIndex, Index: "{docs}", ID: "a", Pipeline: "{pipe}", Body: []byte(`{"v":1}`)},
				esbulk.Action{Op: esbulk.OpUpdate, Index: "{docs}", ID: "b", Pipeline: "{pipe}", Body: []byte(`{"doc":{"v":2},"doc_as_upsert":true}`)}),
			getDoc("docs", "a"),
			getDoc("docs", "b"),
		}},
		{name: "sink-pipeline-missing", from: "error case: PIPELINE names a pipeline that does not exist", steps: []step{
			sinkBulk(t, "false", esbulk.Action{Op: esbulk.OpIndex, Index: "{docs}", ID: "a", Pipeline: "{nopipe}", Body: []byte(`{"v":1}`)},
				esbulk.Action{Op: esbulk.OpUpdate, Index: "{docs}", ID: "b", Pipeline: "{nopipe}", Body: []byte(`{"doc":{"v":2},"doc_as_upsert":true}`)}),
			req("HEAD", "/{docs}", ""),
		}},
		{name: "sink-refresh-wait-for", from: "esbulk: ES_REFRESH=wait_for, then a search sees the documents", steps: []step{
			sinkBulk(t, "wait_for", upsert("{docs}", "a", `{"v":1}`), indexed("{docs}", "b", `{"v":2}`)),
			req("GET", "/{docs}/_search", ""),
		}},
		{name: "sink-refresh-default", from: "esbulk: default refresh (none), realtime get", steps: []step{
			sinkBulk(t, "false", indexed("{docs}", "a", `{"v":1}`)),
			getDoc("docs", "a"),
			req("GET", "/{docs}/_doc/a?realtime=false", ""),
		}},
		{name: "sink-mapping-conflicts", from: "error case: item mapping conflicts (string into long, object vs value) beside a good item", steps: []step{
			sinkBulk(t, "false", indexed("{docs}", "a", `{"n":1,"o":{"x":1},"v":"text"}`)),
			sinkBulk(t, "false", indexed("{docs}", "b", `{"n":"not a number"}`), indexed("{docs}", "c", `{"o":1}`),
				indexed("{docs}", "d", `{"v":{"x":1}}`), indexed("{docs}", "e", `{"n":"12"}`),
				upsert("{docs}", "f", `{"n":"twelve"}`)),
			req("GET", "/{docs}/_mapping", ""),
			getDoc("docs", "e"),
		}},
		{name: "sink-upsert-conflict-into-stored", from: "error case: an update whose partial doc does not fit the mapping", steps: []step{
			sinkBulk(t, "false", upsert("{docs}", "a", `{"n":1}`)),
			sinkBulk(t, "false", upsert("{docs}", "a", `{"n":{"deep":true}}`)),
			getDoc("docs", "a"),
		}},
		{name: "deadletter-create-twice", from: "deadletter es://: create with the letter's id, then the same letter again (409)", steps: []step{
			sinkBulk(t, "false", esbulk.Action{Op: esbulk.OpCreate, Index: "{dlq}", ID: "topic-0-42",
				Body: []byte(`{"@timestamp":"2024-05-01T10:00:00.000Z","error":{"type":"document_parsing_exception"},"record":{"topic":"topic","partition":0,"offset":42}}`)}),
			sinkBulk(t, "false", esbulk.Action{Op: esbulk.OpCreate, Index: "{dlq}", ID: "topic-0-42", Body: []byte(`{"again":true}`)}),
			getDoc("dlq", "topic-0-42"),
		}},
		{name: "pgsync-rows-and-deletes", from: "pgsync: bulk index of rows, then bulk deletes of stale ids (one already gone)", steps: []step{
			sinkBulk(t, "false", indexed("{rows}", "public_t_1", `{"id":"1","table":"t","schema":"public","database":"db","name":"a"}`),
				indexed("{rows}", "public_t_2", `{"id":"2","table":"t","schema":"public","database":"db","name":"b"}`)),
			sinkBulk(t, "false", esbulk.Action{Op: esbulk.OpDelete, Index: "{rows}", ID: "public_t_2"},
				esbulk.Action{Op: esbulk.OpDelete, Index: "{rows}", ID: "public_t_9"}),
			getDoc("rows", "public_t_2"),
		}},
		{name: "pgsync-job-record", from: "pgsync: the sync job record indexed under its id, twice", steps: []step{
			sinkBulk(t, "false", indexed("{jobs}", "job-1", `{"id":"job-1","status":"in_progress","trigger_method":"scheduled",`+
				`"connector":{"index_name":"rows","service_type":"postgresql"},"started_at":"2024-05-01T10:00:00.123456Z","indexed_document_count":0,`+
				`"metadata":{"rows_per_second":0.5,"tables":["public.t"]}}`)),
			sinkBulk(t, "false", indexed("{jobs}", "job-1", `{"id":"job-1","status":"completed","trigger_method":"scheduled",`+
				`"connector":{"index_name":"rows","service_type":"postgresql"},"started_at":"2024-05-01T10:00:00.123456Z","indexed_document_count":2,`+
				`"completed_at":"2024-05-01T10:00:01Z","metadata":{"rows_per_second":2.25,"tables":["public.t"]}}`)),
			getDoc("jobs", "job-1"),
			req("GET", "/{jobs}/_mapping", ""),
		}},
		{name: "bulk-missing-index-delete-update", from: "error case: bulk delete and update without upsert on an index that does not exist", steps: []step{
			sinkBulk(t, "false", esbulk.Action{Op: esbulk.OpDelete, Index: "{gone}", ID: "a"}),
			req("HEAD", "/{gone}", ""),
			sinkBulk(t, "false", esbulk.Action{Op: esbulk.OpUpdate, Index: "{gone2}", ID: "a", Body: []byte(`{"doc":{"v":1}}`)}),
			req("HEAD", "/{gone2}", ""),
		}},
		{name: "bulk-item-errors-unfiltered", from: "error case: item errors as a bulk client without filter_path sees them", steps: []step{
			req("POST", "/_bulk", ndjson(`{"index":{"_index":"{docs}","_id":"1"}}`, `{"n":1}`,
				`{"index":{"_index":"{docs}","_id":"2"}}`, `{"n":"x"}`,
				`{"create":{"_index":"{docs}","_id":"1"}}`, `{"n":1}`,
				`{"update":{"_index":"{docs}","_id":"9"}}`, `{"doc":{"n":1}}`,
				`{"index":{"_index":"{docs}","_id":"3"}}`, `not json`,
				`{"index":{"_index":"{docs}","_id":"4"}}`, `[1]`,
				`{"index":{"_index":"{docs}","_id":"5","version":1,"version_type":"external"}}`, `{"n":5}`,
				`{"index":{"_index":"{docs}","_id":"5","version":1,"version_type":"external"}}`, `{"n":5}`,
				`{"delete":{"_index":"{docs}","_id":"7"}}`)),
		}},
		{name: "bulk-mapping-conflicts-by-type", from: "error case: values that do not fit long, float, boolean, date, text and object fields", steps: []step{
			req("POST", "/_bulk", ndjson(`{"index":{"_index":"{docs}","_id":"1"}}`, `{"f":1.5,"b":true,"d":"2024-01-01","l":1,"k":"x","o":{"a":1}}`)),
			req("POST", "/_bulk", ndjson(
				`{"index":{"_index":"{docs}","_id":"2"}}`, `{"f":"abc"}`,
				`{"index":{"_index":"{docs}","_id":"3"}}`, `{"b":"abc"}`,
				`{"index":{"_index":"{docs}","_id":"4"}}`, `{"d":"abc"}`,
				`{"index":{"_index":"{docs}","_id":"5"}}`, `{"l":true}`,
				`{"index":{"_index":"{docs}","_id":"6"}}`, `{"l":"1.5"}`,
				`{"index":{"_index":"{docs}","_id":"7"}}`, `{"l":1.5}`,
				`{"index":{"_index":"{docs}","_id":"8"}}`, `{"f":{"x":1}}`,
				`{"index":{"_index":"{docs}","_id":"9"}}`, `{"b":{"x":1}}`,
				`{"index":{"_index":"{docs}","_id":"10"}}`, `{"d":{"x":1}}`,
				`{"index":{"_index":"{docs}","_id":"11"}}`, `{"k":{"x":1}}`,
				`{"index":{"_index":"{docs}","_id":"12"}}`, `{"o":[1]}`,
				`{"index":{"_index":"{docs}","_id":"13"}}`, `{"b":1}`,
				`{"index":{"_index":"{docs}","_id":"14"}}`, `{"l":"99999999999999999999"}`,
				`{"index":{"_index":"{docs}","_id":"15"}}`, `{"d":true}`,
				`{"index":{"_index":"{docs}","_id":"16"}}`, `{"l":"12"}`,
				`{"index":{"_index":"{docs}","_id":"17"}}`, `{"l":9223372036854775807}`,
				`{"index":{"_index":"{docs}","_id":"18"}}`, `{"l":9223372036854775808}`)),
			getDoc("docs", "6"),
		}},
		{name: "bulk-bad-ids", from: "error case: empty _id and an _id over 512 bytes on bulk items", steps: []step{
			req("POST", "/_bulk", ndjson(`{"index":{"_index":"{docs}","_id":""}}`, `{"v":1}`,
				`{"update":{"_index":"{docs}","_id":""}}`, `{"doc":{"v":3},"doc_as_upsert":true}`,
				`{"index":{"_index":"{docs}","_id":"ok"}}`, `{"v":1}`)),
			req("POST", "/_bulk", ndjson(`{"create":{"_index":"{docs}","_id":"`+strings.Repeat("x", 513)+`"}}`, `{"v":2}`,
				`{"index":{"_index":"{docs}","_id":"ok2"}}`, `{"v":1}`)),
			req("POST", "/_bulk", ndjson(`{"index":{"_index":"{docs}","_id":"`+strings.Repeat("y", 512)+`"}}`, `{"v":4}`)),
			getDoc("docs", "ok2"),
		}},
		{name: "bulk-bad-index-names", from: "error case: invalid index names on bulk items", steps: []step{
			req("POST", "/_bulk", ndjson(`{"index":{"_index":"Upper","_id":"1"}}`, `{"v":1}`,
				`{"index":{"_index":"_under","_id":"1"}}`, `{"v":1}`,
				`{"index":{"_index":"a*b","_id":"1"}}`, `{"v":1}`,
				`{"index":{"_index":"`+strings.Repeat("l", 256)+`","_id":"1"}}`, `{"v":1}`,
				`{"delete":{"_index":"has space","_id":"1"}}`)),
		}},
		{name: "bulk-too-large", from: "error case: one document over http.max_content_length, sent alone by esbulk (413)", steps: []step{
			sinkBulk(t, "false", indexed("{docs}", "big", `{"p":"`+strings.Repeat("z", maxContentLength+1024)+`"}`)),
			req("HEAD", "/{docs}", ""),
		}},
		{name: "bulk-no-trailing-newline", from: "error case: bulk body without the final newline", steps: []step{
			req("POST", "/_bulk", `{"index":{"_index":"{docs}","_id":"1"}}`+"\n"+`{"v":1}`),
		}},
		{name: "bulk-malformed-action-line", from: "error case: an action line that is not JSON", steps: []step{
			req("POST", "/_bulk", ndjson(`{"index":{"_index":"{docs}","_id":"1"}}`, `{"v":1}`, `not json`, `{"v":2}`)),
			req("HEAD", "/{docs}", ""),
		}},
		{name: "bulk-truncated-action-line", from: "error case: an action line cut short", steps: []step{
			req("POST", "/_bulk", ndjson(`{"index":{"_index":"{docs}","_id":"1"}}`, `{"v":1}`, `{"index":`, `{"v":2}`)),
		}},
		{name: "bulk-validation-errors", from: "error case: actions the bulk request validation refuses as a whole", steps: []step{
			req("POST", "/_bulk", ndjson(`{"index":{"_index":"{docs}","_id":"ok"}}`, `{"v":1}`, `{"index":{"_index":"{docs}","_id":"1","version_type":"external"}}`, `{"v":1}`)),
			req("POST", "/_bulk", ndjson(`{"index":{"_index":"{docs}","_id":"ok"}}`, `{"v":1}`, `{"create":{"_index":"{docs}","_id":"1","version":3,"version_type":"external"}}`, `{"v":1}`)),
			req("POST", "/_bulk", ndjson(`{"index":{"_index":"{docs}","_id":"ok"}}`, `{"v":1}`, `{"update":{"_index":"{docs}","_id":"1","version":3}}`, `{"doc":{"v":1}}`)),
			req("POST", "/_bulk", ndjson(`{"index":{"_index":"{docs}","_id":"ok"}}`, `{"v":1}`, `{"delete":{"_index":"{docs}"}}`)),
			req("POST", "/_bulk", ndjson(`{"index":{"_index":"{docs}","_id":"ok"}}`, `{"v":1}`, `{"index":{"_id":"1"}}`, `{"v":1}`)),
			req("POST", "/_bulk", ndjson(`{"index":{"_index":"{docs}","_id":"ok"}}`, `{"v":1}`, `{"update":{"_index":"{docs}","_id":"1"}}`, `{}`)),
			req("POST", "/_bulk", ndjson(`{"index":{"_index":"{docs}","_id":"ok"}}`, `{"v":1}`, `{"update":{"_index":"{docs}","_id":"1"}}`, `{"upsert":{"v":1}}`)),
			req("POST", "/_bulk", ndjson(`{"index":{"_index":"{docs}","_id":"ok"}}`, `{"v":1}`, `{"index":{"_index":"{docs}","_id":"1","version":3}}`, `{"v":1}`)),
			req("POST", "/_bulk", ndjson(`{"index":{"_index":"{docs}","_id":"ok"}}`, `{"v":1}`, `{"index":{"_index":"{docs}","_id":"1","if_seq_no":3}}`, `{"v":1}`)),
			req("POST", "/_bulk", ndjson(`{"index":{"_index":"{docs}","_id":"ok"}}`, `{"v":1}`, `{"index":{"_index":"{docs}","_id":"1","version":3,"version_type":"foo"}}`, `{"v":1}`)),
			req("POST", "/_bulk", ndjson(`{"delete":{"_index":"{docs}"}}`, `{"update":{"_index":"{docs}"}}`, `{"doc":{}}`)),
			req("HEAD", "/{docs}", ""),
		}},
		{name: "bulk-unknown-action", from: "error case: an action that is not index, create, update or delete", steps: []step{
			req("POST", "/_bulk", ndjson(`{"upsert":{"_index":"{docs}","_id":"1"}}`, `{"v":1}`)),
		}},
		{name: "bulk-unknown-parameter", from: "error case: an action line with a parameter bulk does not know", steps: []step{
			req("POST", "/_bulk", ndjson(`{"index":{"_index":"{docs}","_id":"1","colour":"red"}}`, `{"v":1}`)),
		}},
		{name: "bulk-empty", from: "error case: an empty bulk body", steps: []step{
			req("POST", "/_bulk", "\n"),
		}},
		{name: "bulk-index-in-path", from: "bulk with the index in the path and actions without _index", steps: []step{
			with(req("POST", "/{docs}/_bulk", ndjson(`{"index":{"_id":"1"}}`, `{"v":1}`, `{"create":{}}`, `{"v":2}`,
				`{"delete":{"_id":"1"}}`)), opaque("items.1.create._id")),
		}},
		{name: "bulk-update-missing-doc", from: "error case: update without upsert of a missing document, and with an upsert body", steps: []step{
			req("PUT", "/{docs}", ""),
			req("POST", "/_bulk", ndjson(`{"update":{"_index":"{docs}","_id":"a"}}`, `{"doc":{"v":1}}`,
				`{"update":{"_index":"{docs}","_id":"b"}}`, `{"doc":{"v":1},"upsert":{"v":0}}`,
				`{"update":{"_index":"{docs}","_id":"b"}}`, `{"doc":{"v":1},"upsert":{"v":0}}`)),
			getDoc("docs", "b"),
		}},
		{name: "bulk-detect-noop-false", from: "update with detect_noop false stores the same doc again", steps: []step{
			req("POST", "/_bulk", ndjson(`{"update":{"_index":"{docs}","_id":"a"}}`, `{"doc":{"v":1},"doc_as_upsert":true}`,
				`{"update":{"_index":"{docs}","_id":"a"}}`, `{"doc":{"v":1},"detect_noop":false}`,
				`{"update":{"_index":"{docs}","_id":"a"}}`, `{"doc":{"v":1}}`)),
		}},
	}
}
