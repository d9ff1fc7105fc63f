package esnode

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// bulkMeta is the metadata of a bulk action line.
type bulkMeta struct {
	Index           string  `json:"_index"`
	ID              *string `json:"_id"`
	Routing         string  `json:"routing"`
	IfSeqNo         *int64  `json:"if_seq_no"`
	IfPrimaryTerm   *int64  `json:"if_primary_term"`
	Version         *int64  `json:"version"`
	VersionType     string  `json:"version_type"`
	RetryOnConflict int     `json:"retry_on_conflict"`
	RequireAlias    bool    `json:"require_alias"`
	Pipeline        string  `json:"pipeline"`
}

// bulkMetaFields are the action line parameters ES accepts; anything else
// is a request error.
var bulkMetaFields = map[string]bool{
	"_index": true, "_id": true, "routing": true, "if_seq_no": true, "if_primary_term": true,
	"version": true, "version_type": true, "retry_on_conflict": true, "require_alias": true,
	"pipeline": true, "dynamic_templates": true, "list_executed_pipelines": true,
	"_source": true, "require_data_stream": true,
}

// bulkItem is one parsed action with its line number for error messages.
type bulkItem struct {
	action string
	meta   bulkMeta
	source []byte
	line   int
}

func errMalformedLine(line int, format string, args ...any) *esError {
	return errIllegalArgument("Malformed action/metadata line [%d], "+format, append([]any{line}, args...)...)
}

// parseActionLine reads {"<action>": {<metadata>}}.
func parseActionLine(b []byte, line int) (string, bulkMeta, *esError) {
	var meta bulkMeta
	var outer map[string]json.RawMessage
	if err := json.Unmarshal(b, &outer); err != nil {
		if e := notJSON(b, line); e != nil {
			return "", meta, e
		}
		return "", meta, errMalformedLine(line, "expected START_OBJECT or END_OBJECT but found [%s]", tokenName(b))
	}
	if len(outer) != 1 {
		return "", meta, errMalformedLine(line, "expected a single action but found %d", len(outer))
	}
	var action string
	var raw json.RawMessage
	for k, v := range outer {
		action, raw = k, v
	}
	switch action {
	case "index", "create", "update", "delete":
	default:
		return "", meta, errMalformedLine(line, "expected field [create], [delete], [index] or [update] but found [%s]", action)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return "", meta, errMalformedLine(line, "expected START_OBJECT but found [%s]", tokenName(raw))
	}
	for k := range fields {
		if !bulkMetaFields[k] {
			return "", meta, errIllegalArgument("Action/metadata line [%d] contains an unknown parameter [%s]", line, k)
		}
	}
	if err := json.Unmarshal(raw, &meta); err != nil {
		return "", meta, errIllegalArgument("Action/metadata line [%d] has a malformed parameter: %v", line, err)
	}
	return action, meta, nil
}

// notJSON is Elasticsearch's parser failure for an action line that is
// not JSON (nil when it is JSON): an end of input inside a value, or
// anything else its parser refuses.
func notJSON(b []byte, line int) *esError {
	if json.Valid(b) {
		return nil
	}
	var v any
	err := json.NewDecoder(bytes.NewReader(b)).Decode(&v)
	typ, causeType := "x_content_parse_exception", "json_parse_exception"
	if errors.Is(err, io.ErrUnexpectedEOF) {
		typ, causeType = "x_content_e_o_f_exception", "json_e_o_f_exception"
	}
	reason := fmt.Sprintf("Malformed action/metadata line [%d]: %v", line, err)
	return &esError{Status: http.StatusBadRequest, Type: typ, Reason: reason, CausedBy: cause(causeType, reason)}
}

// tokenName names the first JSON token of b like Jackson does in ES errors.
func tokenName(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return "null"
	}
	switch b[0] {
	case '{':
		return "START_OBJECT"
	case '[':
		return "START_ARRAY"
	case '"':
		return "VALUE_STRING"
	case 't':
		return "VALUE_TRUE"
	case 'f':
		return "VALUE_FALSE"
	case 'n':
		return "VALUE_NULL"
	}
	return "VALUE_NUMBER_INT"
}

// parseBulk splits an NDJSON bulk body into items. Malformed action lines
// fail the whole request, as in ES.
func parseBulk(body []byte) ([]bulkItem, *esError) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, newError(http.StatusBadRequest, "action_request_validation_exception", "Validation Failed: 1: no requests added;")
	}
	if body[len(body)-1] != '\n' {
		return nil, errIllegalArgument("The bulk request must be terminated by a newline [\\n]")
	}
	var items []bulkItem
	line := 0
	rest := body
	next := func() ([]byte, bool) {
		if len(rest) == 0 {
			return nil, false
		}
		i := bytes.IndexByte(rest, '\n')
		l := rest[:i]
		rest = rest[i+1:]
		line++
		return bytes.TrimRight(l, "\r"), true
	}
	for {
		l, ok := next()
		if !ok {
			break
		}
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		action, meta, err := parseActionLine(l, line)
		if err != nil {
			return nil, err
		}
		it := bulkItem{action: action, meta: meta, line: line}
		if action != "delete" {
			src, ok := next()
			if !ok {
				return nil, errIllegalArgument("The bulk request must be terminated by a newline [\\n]")
			}
			it.source = src
		}
		items = append(items, it)
	}
	if len(items) == 0 {
		return nil, newError(http.StatusBadRequest, "action_request_validation_exception", "Validation Failed: 1: no requests added;")
	}
	return items, nil
}

func (n *Node) handleBulk(w http.ResponseWriter, r *http.Request) {
	n.stats.bulkRequests.Add(1)
	if n.opts.Blackhole {
		n.handleBlackholeBulk(w, r)
		return
	}
	start := time.Now()
	q := r.URL.Query()
	policy, perr := parseRefresh(q)
	if perr != nil {
		writeError(w, r, perr)
		return
	}
	body, ok := n.readBody(w, r)
	if !ok {
		return
	}
	items, perr := parseBulk(body)
	if perr != nil {
		writeError(w, r, perr)
		return
	}
	defaults := bulkDefaults{
		index:        r.PathValue("index"),
		routing:      first(q["routing"]),
		pipeline:     first(q["pipeline"]),
		requireAlias: first(q["require_alias"]) == "true",
	}
	if e := validateBulk(items, defaults); e != nil {
		writeError(w, r, e)
		return
	}
	faults := n.faults.get()
	results := make([]any, len(items))
	touched := map[*index]bool{}
	failed, ingest := false, false
	for i := range items {
		if p := items[i].pipeline(defaults); p != "" && p != noPipeline && items[i].action != "update" && items[i].action != "delete" {
			ingest = true
		}
		res, ix := n.bulkOne(&items[i], defaults, faults, policy == refreshNow)
		if ix != nil {
			touched[ix] = true
		}
		if res.failed {
			failed = true
		}
		results[i] = map[string]any{items[i].action: res.body}
	}
	n.stats.bulkItems.Add(int64(len(items)))
	ixs := make([]*index, 0, len(touched))
	for ix := range touched {
		ixs = append(ixs, ix)
	}
	n.afterWrite(r.Context(), policy, ixs)
	out := map[string]any{"errors": failed, "took": time.Since(start).Milliseconds(), "items": results}
	if ingest {
		// Elasticsearch reports the time spent in pipelines whenever a
		// request names one; the node runs none.
		out["ingest_took"] = 0
	}
	writeJSON(w, r, http.StatusOK, out)
}

// pipeline is the pipeline an item names, its own or the request's.
func (it *bulkItem) pipeline(d bulkDefaults) string {
	if it.meta.Pipeline != "" {
		return it.meta.Pipeline
	}
	return d.pipeline
}

type bulkDefaults struct {
	index, routing, pipeline string
	requireAlias             bool
}

type bulkResult struct {
	body   map[string]any
	failed bool
}

func (n *Node) bulkOne(it *bulkItem, d bulkDefaults, faults Faults, forced bool) (bulkResult, *index) {
	name := it.meta.Index
	if name == "" {
		name = d.index
	}
	op := &writeOp{
		action: it.action, routing: it.meta.Routing, body: it.source,
		ifSeqNo: it.meta.IfSeqNo, ifPrimaryTerm: it.meta.IfPrimaryTerm,
		version: it.meta.Version, versionType: it.meta.VersionType,
	}
	if op.routing == "" {
		op.routing = d.routing
	}
	fail := func(e *esError) bulkResult {
		body := map[string]any{"_index": name, "_id": op.id, "status": e.Status, "error": e.object()}
		if op.id == "" {
			body["_id"] = nil
		}
		return bulkResult{body: body, failed: true}
	}
	switch {
	case it.meta.ID != nil:
		op.id = *it.meta.ID
	case it.action == "index" || it.action == "create":
		op.id = n.ids.next()
	default:
		return fail(newError(http.StatusBadRequest, "action_request_validation_exception", "Validation Failed: 1: id is missing;")), nil
	}
	if name == "" {
		return fail(newError(http.StatusBadRequest, "action_request_validation_exception", "Validation Failed: 1: index is missing;")), nil
	}
	// Pipelines are resolved before anything else happens to the item.
	if e := n.checkPipeline(it.action, it.pipeline(d)); e != nil {
		return fail(e), nil
	}
	if faults.Item429 > 0 && n.faults.roll() < faults.Item429 {
		n.stats.items429.Add(1)
		return fail(errBulkRejected(name, 1)), nil
	}
	ix, res, err := n.execute(name, op, it.meta.RequireAlias || d.requireAlias)
	if err != nil {
		return fail(err), ix
	}
	body := writeResponse(ix, res, forced)
	if res.result == "noop" {
		// Unlike the update API, a bulk item reports a noop with the
		// shards of the index.
		body["_shards"] = ix.shards()
	}
	body["status"] = res.status
	return bulkResult{body: body}, ix
}
