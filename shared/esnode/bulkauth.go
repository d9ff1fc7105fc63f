package esnode

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
)

// bulkEntry is one action of a bulk body with its raw lines, so that the
// granted actions can be passed on byte for byte.
type bulkEntry struct {
	action string
	index  string
	id     *string
	raw    []byte // action line and source line, newlines included
}

// splitBulk cuts a bulk body into entries; ok is false when the body is
// malformed, which the bulk API itself then reports.
func splitBulk(body []byte, defaultIndex string) ([]bulkEntry, bool) {
	var out []bulkEntry
	rest, line := body, 0
	nextLine := func() ([]byte, bool) {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			return nil, false
		}
		l := rest[:i+1]
		rest = rest[i+1:]
		line++
		return l, true
	}
	for len(rest) > 0 {
		l, ok := nextLine()
		if !ok {
			return nil, false
		}
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		action, meta, err := parseActionLine(bytes.TrimRight(l, "\r\n"), line)
		if err != nil {
			return nil, false
		}
		e := bulkEntry{action: action, index: meta.Index, id: meta.ID, raw: l}
		if e.index == "" {
			e.index = defaultIndex
		}
		if action != "delete" {
			src, ok := nextLine()
			if !ok {
				return nil, false
			}
			e.raw = body[len(body)-len(rest)-len(src)-len(l) : len(body)-len(rest)]
		}
		out = append(out, e)
	}
	return out, true
}

// itemAction is the action ES authorizes for one bulk item. An index
// without an id gets a generated one and is authorized as a create, so
// create_doc suffices for it.
func itemAction(e *bulkEntry) string {
	switch e.action {
	case "create":
		return actionIndexOpCreate
	case "update":
		return actionUpdate
	case "delete":
		return actionDelete
	}
	if e.id == nil {
		return actionIndexOpCreate
	}
	return actionIndexOpIndex
}

// serveBulkAuthorized authorizes a bulk request like ES: the request needs
// a write privilege on some index (or it fails with 403 as a whole); then,
// per target index, auto-creating a missing index needs auto_configure or
// create_index and the shard request needs any write privilege; then each
// item needs its own action. Denied items are answered 403 in their place
// in the items array while the granted ones are written, so the response
// has the shape ES gives.
func (n *Node) serveBulkAuthorized(w http.ResponseWriter, r *http.Request, p *principal, pathIndex string) {
	if !p.allowsIndex(actionBulk, "") {
		n.deny(w, r, errUnauthorized(p, actionBulk, nil))
		return
	}
	body, ok := n.readBody(w, r)
	if !ok {
		return
	}
	entries, parsed := splitBulk(body, pathIndex)
	if !parsed {
		// Unreadable lines are the bulk API's 400, never a reason to let
		// items through unchecked.
		if _, e := parseBulk(body); e != nil {
			writeError(w, r, e)
			return
		}
		n.deny(w, r, errUnauthorized(p, actionBulk, nil))
		return
	}
	denials := n.bulkDenials(p, entries)
	if len(denials) == 0 {
		n.serveBody(w, r, body)
		return
	}
	var kept bytes.Buffer
	for i := range entries {
		if denials[i] == nil {
			kept.Write(entries[i].raw)
		}
	}
	var items []json.RawMessage
	took := int64(0)
	if kept.Len() > 0 {
		rec := newResponseBuffer()
		n.serveBody(rec, r, kept.Bytes())
		var resp struct {
			Took  int64             `json:"took"`
			Items []json.RawMessage `json:"items"`
		}
		if rec.status != http.StatusOK || json.Unmarshal(rec.body.Bytes(), &resp) != nil ||
			len(resp.Items) != len(entries)-len(denials) {
			rec.copyTo(w)
			return
		}
		items, took = resp.Items, resp.Took
	}
	all := make([]any, 0, len(entries))
	for i := range entries {
		if e := denials[i]; e != nil {
			all = append(all, deniedItem(&entries[i], e))
			continue
		}
		all = append(all, items[0])
		items = items[1:]
	}
	writeJSON(w, r, http.StatusOK, map[string]any{"errors": true, "took": took, "items": all})
}

// bulkDenials returns the 403 of every item the principal may not write,
// keyed by position. Checks are made once per index.
func (n *Node) bulkDenials(p *principal, entries []bulkEntry) map[int]*esError {
	creates := map[string]bool{}
	for i := range entries {
		if entries[i].action != "delete" {
			creates[entries[i].index] = true
		}
	}
	perIndex := map[string]*esError{}
	indexDenial := func(name string) *esError {
		if e, seen := perIndex[name]; seen {
			return e
		}
		var e *esError
		if creates[name] && n.lookupIndex(name) == nil && validateIndexName(name) == nil && !p.allowsIndex(actionAutoCreate, name) {
			e = errUnauthorized(p, actionAutoCreate, []string{name})
		} else if !p.allowsIndex(actionBulkShard, name) {
			e = errUnauthorized(p, actionBulkShard, []string{name})
		}
		perIndex[name] = e
		return e
	}
	out := map[int]*esError{}
	for i := range entries {
		e := &entries[i]
		if e.index == "" {
			continue // the bulk API reports the missing index
		}
		if d := indexDenial(e.index); d != nil {
			out[i] = d
			continue
		}
		if a := itemAction(e); !p.allowsIndex(a, e.index) {
			out[i] = errUnauthorized(p, a, []string{e.index})
		}
	}
	return out
}

func deniedItem(e *bulkEntry, err *esError) map[string]any {
	var id any
	if e.id != nil {
		id = *e.id
	}
	return map[string]any{e.action: map[string]any{
		"_index": e.index, "_id": id, "status": err.Status, "error": err.object(),
	}}
}

// serveBody passes the request on to the API with the given body.
func (n *Node) serveBody(w http.ResponseWriter, r *http.Request, body []byte) {
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(bytes.NewReader(body))
	r2.ContentLength = int64(len(body))
	r2.Header.Set("Content-Length", strconv.Itoa(len(body)))
	n.mux.ServeHTTP(w, r2)
}

// responseBuffer collects an API answer so granted bulk items can be merged
// with denied ones.
type responseBuffer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newResponseBuffer() *responseBuffer {
	return &responseBuffer{header: http.Header{}, status: http.StatusOK}
}

func (b *responseBuffer) Header() http.Header         { return b.header }
func (b *responseBuffer) Write(p []byte) (int, error) { return b.body.Write(p) }
func (b *responseBuffer) WriteHeader(status int)      { b.status = status }

func (b *responseBuffer) copyTo(w http.ResponseWriter) {
	for k, v := range b.header {
		w.Header()[k] = v
	}
	w.WriteHeader(b.status)
	_, _ = w.Write(b.body.Bytes())
}
