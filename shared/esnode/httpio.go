package esnode

import (
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// compatibleJSON is the media type of REST API compatibility mode, which
// clients send with ELASTIC_CLIENT_APIVERSIONING=true.
const compatibleJSON = "application/vnd.elasticsearch+json;compatible-with=8"

// acceptedMediaTypes are the request body types ES 8 takes.
var acceptedMediaTypes = map[string]bool{
	"application/json":                       true,
	"application/x-ndjson":                   true,
	"application/vnd.elasticsearch+json":     true,
	"application/vnd.elasticsearch+x-ndjson": true,
}

// checkContentType refuses body media types ES does not parse (406).
// A missing Content-Type is taken as JSON, which is friendlier for curl.
func checkContentType(r *http.Request) *esError {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || !acceptedMediaTypes[mt] {
		return newError(http.StatusNotAcceptable, "media_type_header_exception", "Content-Type header ["+ct+"] is not supported")
	}
	return nil
}

func responseContentType(r *http.Request) string {
	if r != nil && strings.Contains(r.Header.Get("Accept"), "vnd.elasticsearch") {
		return compatibleJSON
	}
	return "application/json"
}

// writeTooLarge answers 413 like ES's HTTP layer: no body.
func writeTooLarge(w http.ResponseWriter) {
	w.Header().Set("Content-Length", "0")
	w.Header().Set("Connection", "close")
	w.WriteHeader(http.StatusRequestEntityTooLarge)
}

// readBody reads the whole request body; a body over max_content_length
// gets 413 (written here, signalled by ok=false).
func (n *Node) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		if errMaxBytes(err) {
			n.stats.tooLarge.Add(1)
			writeTooLarge(w)
			return nil, false
		}
		writeError(w, r, errorf(http.StatusBadRequest, "parse_exception", "reading request body: %v", err))
		return nil, false
	}
	return b, true
}

// readJSONBody reads an optional JSON object body into v.
func (n *Node) readJSONBody(w http.ResponseWriter, r *http.Request, v any) bool {
	b, ok := n.readBody(w, r)
	if !ok {
		return false
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return true
	}
	if err := json.Unmarshal(b, v); err != nil {
		writeError(w, r, errorf(http.StatusBadRequest, "x_content_parse_exception", "[1:1] failed to parse request body: %v", err))
		return false
	}
	return true
}

// refreshPolicy is the ?refresh= parameter of writes.
type refreshPolicy int

const (
	refreshNone refreshPolicy = iota
	refreshNow
	refreshWaitFor
)

func parseRefresh(q map[string][]string) (refreshPolicy, *esError) {
	v, ok := q["refresh"]
	if !ok {
		return refreshNone, nil
	}
	switch first(v) {
	case "", "true":
		return refreshNow, nil
	case "false":
		return refreshNone, nil
	case "wait_for":
		return refreshWaitFor, nil
	}
	return refreshNone, errIllegalArgument("Unknown value for refresh: [%s].", first(v))
}

// parseInt64Param reads an optional integer query parameter.
func parseInt64Param(q map[string][]string, name string) (*int64, *esError) {
	v, ok := q[name]
	if !ok || first(v) == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(first(v), 10, 64)
	if err != nil {
		return nil, errIllegalArgument("Failed to parse int parameter [%s] with value [%s]", name, first(v))
	}
	return &n, nil
}
