package esnode

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// esError is an Elasticsearch error: the HTTP status, the exception type and
// its reason, plus the extra fields ES puts beside them (index, index_uuid,
// shard, resource.id, header...). It renders both as a request-level error
// body and as a bulk item error.
type esError struct {
	Status int
	Type   string
	Reason string
	Extra  map[string]any
	// CausedBy is rendered as "caused_by", as ES does for parse failures.
	CausedBy *esError
	// RootCause, when set, is the root_cause of a request-level answer
	// instead of the error itself (a search phase failure names the shard
	// failure beneath it).
	RootCause *esError
}

func (e *esError) Error() string { return fmt.Sprintf("%s: %s", e.Type, e.Reason) }

// object renders the error as ES renders one entry of "root_cause" or an item
// "error": type and reason first, then the extras.
func (e *esError) object() map[string]any {
	m := make(map[string]any, 3+len(e.Extra))
	for k, v := range e.Extra {
		m[k] = v
	}
	m["type"] = e.Type
	m["reason"] = e.Reason
	if e.CausedBy != nil {
		m["caused_by"] = e.CausedBy.object()
	}
	return m
}

// body renders the request-level envelope {"error": {...}, "status": N}.
func (e *esError) body() map[string]any {
	rc := e
	if e.RootCause != nil {
		rc = e.RootCause
	}
	root := rc.object()
	delete(root, "caused_by")
	top := e.object()
	top["root_cause"] = []any{root}
	return map[string]any{"error": top, "status": e.Status}
}

func newError(status int, typ, reason string) *esError {
	return &esError{Status: status, Type: typ, Reason: reason}
}

func errorf(status int, typ, format string, args ...any) *esError {
	return newError(status, typ, fmt.Sprintf(format, args...))
}

// withIndex adds the index, index_uuid and shard fields ES attaches to
// document-level errors.
func (e *esError) withIndex(index, uuid string) *esError {
	if e.Extra == nil {
		e.Extra = map[string]any{}
	}
	e.Extra["index"] = index
	e.Extra["index_uuid"] = uuid
	e.Extra["shard"] = "0"
	return e
}

func errIndexNotFound(index string) *esError {
	return &esError{
		Status: http.StatusNotFound,
		Type:   "index_not_found_exception",
		Reason: "no such index [" + index + "]",
		Extra: map[string]any{
			"resource.type": "index_or_alias",
			"resource.id":   index,
			"index_uuid":    "_na_",
			"index":         index,
		},
	}
}

func errIllegalArgument(format string, args ...any) *esError {
	return errorf(http.StatusBadRequest, "illegal_argument_exception", format, args...)
}

// writeJSON answers with status and v encoded as JSON; ?pretty indents it the
// way curl users expect.
func writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	if r != nil {
		if f := parseFilterPath(r.URL.Query().Get("filter_path")); f != nil {
			v = f.apply(v)
		}
	}
	writeUnfiltered(w, r, status, v)
}

// writeUnfiltered is writeJSON without filter_path, which Elasticsearch
// does not apply to error answers.
func writeUnfiltered(w http.ResponseWriter, r *http.Request, status int, v any) {
	var b []byte
	var err error
	if r != nil && r.URL.Query().Has("pretty") {
		b, err = json.MarshalIndent(v, "", "  ")
	} else {
		b, err = json.Marshal(v)
	}
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"type":"exception","reason":"encoding response"},"status":500}`)
	}
	w.Header().Set("Content-Type", responseContentType(r))
	w.WriteHeader(status)
	if r == nil || r.Method != http.MethodHead {
		_, _ = w.Write(b)
		_, _ = w.Write([]byte("\n"))
	}
}

// writeError answers with the ES error envelope.
func writeError(w http.ResponseWriter, r *http.Request, e *esError) {
	writeUnfiltered(w, r, e.Status, e.body())
}

// writeHead answers a HEAD-style request: a status and no body.
func writeHead(w http.ResponseWriter, r *http.Request, status int) {
	w.Header().Set("Content-Type", responseContentType(r))
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(status)
}
