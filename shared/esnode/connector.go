package esnode

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// This file is the Connector API's plumbing: routing, and reading and
// writing connector and sync job documents. Like Elasticsearch, the node
// keeps them as ordinary documents of .elastic-connectors and
// .elastic-connectors-sync-jobs, so the document APIs (GET, _update with
// if_seq_no, _search) see what the Connector API wrote, and the other way
// round. Elasticsearch reaches them through aliases of -v1 indices; the
// node has no aliases and stores them under the alias names.

// Index names of the connector protocol.
const (
	ConnectorsIndex = ".elastic-connectors"
	SyncJobsIndex   = ".elastic-connectors-sync-jobs"
)

// connectorActionPrefix starts the name of every Connector API action;
// connectorActions maps each route to the rest, the name Elasticsearch
// gives the transport action behind it, so the built-in privileges
// manage_connector and monitor_connector (and action patterns in role
// descriptors) grant what they grant there.
const connectorActionPrefix = "cluster:admin/xpack/connector/"

var connectorActions = map[string]string{
	"PUT /_connector/{connector_id}":                        "put",
	"PUT /_connector":                                       "put",
	"POST /_connector":                                      "post",
	"GET /_connector/{connector_id}":                        "get",
	"GET /_connector":                                       "list",
	"DELETE /_connector/{connector_id}":                     "delete",
	"PUT /_connector/{connector_id}/_check_in":              "update_last_seen",
	"PUT /_connector/{connector_id}/_configuration":         "update_configuration",
	"PUT /_connector/{connector_id}/_status":                "update_status",
	"PUT /_connector/{connector_id}/_error":                 "update_error",
	"PUT /_connector/{connector_id}/_filtering":             "update_filtering",
	"PUT /_connector/{connector_id}/_filtering/_validation": "update_filtering/draft_validation",
	"PUT /_connector/{connector_id}/_filtering/_activate":   "update_filtering/activate",
	"PUT /_connector/{connector_id}/_scheduling":            "update_scheduling",
	"PUT /_connector/{connector_id}/_last_sync":             "update_last_sync_stats",
	"PUT /_connector/{connector_id}/_service_type":          "update_service_type",

	"POST /_connector/_sync_job":                                  "sync_job/post",
	"GET /_connector/_sync_job":                                   "sync_job/list",
	"GET /_connector/_sync_job/{connector_sync_job_id}":           "sync_job/get",
	"DELETE /_connector/_sync_job/{connector_sync_job_id}":        "sync_job/delete",
	"PUT /_connector/_sync_job/{connector_sync_job_id}/_cancel":   "sync_job/cancel",
	"PUT /_connector/_sync_job/{connector_sync_job_id}/_check_in": "sync_job/check_in",
	"PUT /_connector/_sync_job/{connector_sync_job_id}/_claim":    "sync_job/claim",
	"PUT /_connector/_sync_job/{connector_sync_job_id}/_error":    "sync_job/update_error",
	"PUT /_connector/_sync_job/{connector_sync_job_id}/_stats":    "sync_job/update_stats",
}

// maxModifyAttempts bounds the read-modify-write retries of one request when
// concurrent requests keep changing the same document.
const maxModifyAttempts = 20

type connectorNodeKey struct{}

type connectorHandler func(n *Node, w http.ResponseWriter, r *http.Request)

// connectorMux routes /_connector requests. It is separate from the node's
// mux because /_connector/{id} and /{index}/_mapping would be overlapping
// patterns there; the node hands every /_connector path to it first. It is
// built on first use, not at start (see lazyRegexp).
var connectorMux = sync.OnceValue(func() *http.ServeMux {
	m := http.NewServeMux()
	h := func(pattern string, f connectorHandler) {
		m.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			f(r.Context().Value(connectorNodeKey{}).(*Node), w, r)
		})
	}
	for pattern, f := range connectorRoutes {
		h(pattern, f)
	}
	for pattern, f := range syncJobRoutes {
		h(pattern, f)
	}
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, r, http.StatusMethodNotAllowed, map[string]any{
			"error":  "Incorrect HTTP method for uri [" + r.URL.RequestURI() + "] and method [" + r.Method + "]",
			"status": http.StatusMethodNotAllowed,
		})
	})
	return m
})

// isConnectorAPI reports whether the request is for the Connector API.
func isConnectorAPI(r *http.Request) bool {
	return r.URL.Path == "/_connector" || strings.HasPrefix(r.URL.Path, "/_connector/")
}

// serveConnectorAPI authorizes and runs a Connector API request. A
// restricted API key needs the cluster privilege of the route's action
// (connectorActions); a path no route matches is answered without a check,
// as Elasticsearch answers it before any action runs.
func (n *Node) serveConnectorAPI(w http.ResponseWriter, r *http.Request) {
	if p := principalOf(r); p.restricted() {
		_, pattern := connectorMux().Handler(r)
		if name, ok := connectorActions[pattern]; ok && !p.allowsCluster(connectorActionPrefix+name) {
			n.deny(w, r, errUnauthorized(p, connectorActionPrefix+name, nil))
			return
		}
	}
	connectorMux().ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), connectorNodeKey{}, n)))
}

// stamp is how Elasticsearch renders an Instant.
func (n *Node) stamp() string { return n.now().UTC().Format(time.RFC3339Nano) }

// storedDoc is a connector or sync job document as read: its source and the
// sequence number a conditional write must match.
type storedDoc struct {
	id    string
	src   map[string]any
	seqNo int64
}

// loadDoc reads a document in realtime; ok is false when the index or the
// document does not exist.
func (n *Node) loadDoc(index, id string) (storedDoc, bool, *esError) {
	ix := n.lookupIndex(index)
	if ix == nil {
		return storedDoc{}, false, nil
	}
	ix.mu.RLock()
	d := ix.live[id]
	ix.mu.RUnlock()
	if d == nil || d.deleted {
		return storedDoc{}, false, nil
	}
	src, err := decodeSource(d.source)
	if err != nil {
		return storedDoc{}, false, errorf(http.StatusInternalServerError, "exception", "stored document [%s] is not JSON: %v", id, err)
	}
	return storedDoc{id: id, src: src, seqNo: d.seqNo}, true, nil
}

// allDocs lists the live documents of an index in write order.
func (n *Node) allDocs(index string) ([]storedDoc, *esError) {
	ix := n.lookupIndex(index)
	if ix == nil {
		return nil, nil
	}
	ix.mu.RLock()
	docs := make([]*doc, 0, len(ix.live))
	for _, d := range ix.live {
		if !d.deleted {
			docs = append(docs, d)
		}
	}
	ix.mu.RUnlock()
	out := make([]storedDoc, 0, len(docs))
	for _, d := range docs {
		src, err := decodeSource(d.source)
		if err != nil {
			return nil, errorf(http.StatusInternalServerError, "exception", "stored document [%s] is not JSON: %v", d.id, err)
		}
		out = append(out, storedDoc{id: d.id, src: src, seqNo: d.seqNo})
	}
	sortStored(out)
	return out, nil
}

func sortStored(docs []storedDoc) {
	sort.Slice(docs, func(i, j int) bool { return docs[i].seqNo < docs[j].seqNo })
}

func decodeSource(raw json.RawMessage) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}

// storeDoc writes a whole source and refreshes, as the Connector API writes
// with refresh=true. ifSeqNo, when set, makes the write conditional.
func (n *Node) storeDoc(indexName, id string, src map[string]any, ifSeqNo *int64) (writeResult, *esError) {
	body, err := json.Marshal(src)
	if err != nil {
		return writeResult{}, errorf(http.StatusInternalServerError, "exception", "encoding document: %v", err)
	}
	op := &writeOp{action: "index", id: id, body: body}
	if ifSeqNo != nil {
		term := int64(primaryTerm)
		op.ifSeqNo, op.ifPrimaryTerm = ifSeqNo, &term
	}
	ix, res, e := n.execute(indexName, op, false)
	if e != nil {
		return writeResult{}, e
	}
	n.afterWrite(context.Background(), refreshNow, []*index{ix})
	return res, nil
}

// modify applies change to a stored document and writes it back on the
// sequence number it read, retrying when another request wrote in
// between. It answers the result a partial update gives: updated, or noop
// when the document came out the same.
func (n *Node) modify(index, id string, notFound func() *esError, change func(d storedDoc) *esError) (string, *esError) {
	for range maxModifyAttempts {
		d, ok, e := n.loadDoc(index, id)
		if e != nil {
			return "", e
		}
		if !ok {
			return "", notFound()
		}
		before, _ := json.Marshal(d.src)
		if e := change(d); e != nil {
			return "", e
		}
		after, _ := json.Marshal(d.src)
		if bytes.Equal(before, after) {
			return "noop", nil
		}
		seq := d.seqNo
		_, e = n.storeDoc(index, id, d.src, &seq)
		if e == nil {
			return "updated", nil
		}
		if e.Status != http.StatusConflict {
			return "", e
		}
	}
	return "", errorf(http.StatusConflict, "version_conflict_engine_exception",
		"[%s]: version conflict, the document kept changing during the update", id)
}

// readObject reads a JSON object body; an empty body is an empty object.
func (n *Node) readObject(w http.ResponseWriter, r *http.Request) (map[string]any, bool) {
	b, ok := n.readBody(w, r)
	if !ok {
		return nil, false
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return map[string]any{}, true
	}
	m, err := decodeSource(b)
	if err != nil || m == nil {
		writeError(w, r, errorf(http.StatusBadRequest, "x_content_parse_exception", "[1:1] failed to parse request body: expected an object"))
		return nil, false
	}
	return m, true
}

// Errors the Connector API answers.

func errValidation(msgs ...string) *esError {
	var b strings.Builder
	b.WriteString("Validation Failed: ")
	for i, m := range msgs {
		b.WriteString(itoa(i+1) + ": " + m + ";")
	}
	return newError(http.StatusBadRequest, "action_request_validation_exception", b.String())
}

func errStatus(status int, format string, args ...any) *esError {
	return errorf(status, "status_exception", format, args...)
}

func errParse(format string, args ...any) *esError {
	return errorf(http.StatusBadRequest, "x_content_parse_exception", format, args...)
}

func errConnectorNotFound(id string) func() *esError {
	return func() *esError {
		return errorf(http.StatusNotFound, "resource_not_found_exception", "connector [%s] not found", id)
	}
}

func errSyncJobNotFound(id string) func() *esError {
	return func() *esError {
		return errorf(http.StatusNotFound, "resource_not_found_exception", "connector sync job [%s] not found", id)
	}
}

// requireID answers 400 for an empty path id, as the API's validation does.
func requireID(w http.ResponseWriter, r *http.Request, name string) (string, bool) {
	id := r.PathValue(name)
	if strings.TrimSpace(id) == "" {
		writeError(w, r, errValidation("["+name+"] cannot be [null] or [\"\"]"))
		return "", false
	}
	return id, true
}

// Typed reads of decoded JSON values.

func str(v any) (string, bool) {
	s, ok := v.(string)
	return s, ok
}

func optString(m map[string]any, key string) (string, bool, *esError) {
	v, ok := m[key]
	if !ok || v == nil {
		return "", false, nil
	}
	s, isStr := v.(string)
	if !isStr {
		return "", false, errParse("[%s] failed to parse field [%s]: expected a string", key, key)
	}
	return s, true, nil
}

func optInt(m map[string]any, key string) (int64, bool, *esError) {
	v, ok := m[key]
	if !ok || v == nil {
		return 0, false, nil
	}
	num, isNum := v.(json.Number)
	if !isNum {
		return 0, false, errParse("[%s] failed to parse field [%s]: expected a number", key, key)
	}
	i, err := num.Int64()
	if err != nil {
		return 0, false, errParse("[%s] failed to parse field [%s]: %v", key, key, err)
	}
	return i, true, nil
}

func optBool(m map[string]any, key string) (bool, bool, *esError) {
	v, ok := m[key]
	if !ok || v == nil {
		return false, false, nil
	}
	b, isBool := v.(bool)
	if !isBool {
		return false, false, errParse("[%s] failed to parse field [%s]: expected a boolean", key, key)
	}
	return b, true, nil
}

func object(v any) (map[string]any, bool) {
	m, ok := v.(map[string]any)
	return m, ok
}

// writeConnectorResult answers {"result": ...} as update actions do.
func writeConnectorResult(w http.ResponseWriter, r *http.Request, result string) {
	writeJSON(w, r, http.StatusOK, map[string]any{"result": result})
}

// withID renders a stored document as GET and list answer it: the id first,
// then the source.
func withID(d storedDoc) map[string]any {
	out := make(map[string]any, len(d.src)+1)
	for k, v := range d.src {
		out[k] = v
	}
	out["id"] = d.id
	return out
}
