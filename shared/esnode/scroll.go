package esnode

import (
	"encoding/base64"
	"net/http"
	"strings"
	"sync"
	"time"
)

// scrollCtx is an open scroll: the matches as of the first search (a
// point-in-time view, as in ES) and how far the client has read.
type scrollCtx struct {
	hits    []hit
	req     *searchRequest
	ixs     []*index
	next    int
	expires time.Time
}

type scrollStore struct {
	mu   sync.Mutex
	ctxs map[string]*scrollCtx
}

func (s *scrollStore) init() { s.ctxs = map[string]*scrollCtx{} }

func (s *scrollStore) openCtx(id string, c *scrollCtx) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ctxs[id] = c
}

// open registers a scroll whose first page (size hits) was already sent.
func (s *scrollStore) open(hits []hit, sr *searchRequest, ixs []*index, now time.Time) string {
	id := scrollIDPrefix + randomUUID()
	s.openCtx(id, &scrollCtx{hits: hits, req: sr, ixs: ixs, next: sr.size, expires: now.Add(sr.scroll)})
	return id
}

// take returns the context and advances it by one page; expired contexts
// are dropped here, so memory goes back as soon as anyone scrolls again.
func (s *scrollStore) take(id string, keepAlive time.Duration, now time.Time) (*scrollCtx, int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, c := range s.ctxs {
		if now.After(c.expires) {
			delete(s.ctxs, k)
		}
	}
	c, ok := s.ctxs[id]
	if !ok {
		return nil, 0, false
	}
	from := c.next
	c.next += c.req.size
	if keepAlive > 0 {
		c.expires = now.Add(keepAlive)
	}
	return c, from, true
}

func (s *scrollStore) clear(ids []string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	freed := 0
	for _, id := range ids {
		if id == "_all" {
			freed += len(s.ctxs)
			s.ctxs = map[string]*scrollCtx{}
			continue
		}
		if _, ok := s.ctxs[id]; ok {
			delete(s.ctxs, id)
			freed++
		}
	}
	return freed
}

type scrollBody struct {
	Scroll   string `json:"scroll"`
	ScrollID string `json:"scroll_id"`
}

func (n *Node) handleScroll(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	var body scrollBody
	if !n.readJSONBody(w, r, &body) {
		return
	}
	q := r.URL.Query()
	id := firstNonEmpty(r.PathValue("id"), q.Get("scroll_id"), body.ScrollID)
	keep := firstNonEmpty(q.Get("scroll"), body.Scroll)
	if id == "" {
		writeError(w, r, newError(http.StatusBadRequest, "action_request_validation_exception", "Validation Failed: 1: scrollId is missing;"))
		return
	}
	var keepAlive time.Duration
	if keep != "" {
		d, err := parseTimeValue(keep)
		if err != nil {
			writeError(w, r, errIllegalArgument("failed to parse setting [scroll] with value [%s] as a time value", keep))
			return
		}
		keepAlive = d
	}
	if e := checkScrollID(id); e != nil {
		writeError(w, r, e)
		return
	}
	c, from, ok := n.scrolls.take(id, keepAlive, n.now())
	if !ok {
		writeError(w, r, n.shardFailure(errScrollMissing(id), -1, ""))
		return
	}
	resp := searchResponse(c.hits, from, c.req, c.ixs, time.Since(start))
	if keep == "" {
		// Without a keep-alive Elasticsearch answers this page as a plain
		// search: no scroll id, and the context is released.
		n.scrolls.clear([]string{id})
	} else {
		resp["_scroll_id"] = id
	}
	writeJSON(w, r, http.StatusOK, resp)
}

// scrollIDPrefix starts every scroll id the node hands out; like
// Elasticsearch's ids it is base64 of a length-prefixed "include_context_uuid".
const scrollIDPrefix = "FGluY2x1ZGVfY29udGV4dF91dWlk"

// checkScrollID refuses an id that cannot be one the node issued, as
// Elasticsearch refuses one it cannot decode (400, not 404).
func checkScrollID(id string) *esError {
	if _, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(id, "=")); err != nil {
		e := errIllegalArgument("Cannot parse scroll id")
		e.CausedBy = cause("illegal_argument_exception", "Illegal base64 character")
		return e
	}
	if !strings.HasPrefix(id, scrollIDPrefix) || len(id) != len(scrollIDPrefix)+22 {
		e := errIllegalArgument("Cannot parse scroll id")
		e.CausedBy = cause("e_o_f_exception", "tried to read past the end of the scroll id")
		return e
	}
	return nil
}

func (n *Node) handleClearScroll(w http.ResponseWriter, r *http.Request) {
	var body struct {
		ScrollID any `json:"scroll_id"`
	}
	if !n.readJSONBody(w, r, &body) {
		return
	}
	var ids []string
	if v := r.PathValue("id"); v != "" {
		ids = strings.Split(v, ",")
	}
	switch v := body.ScrollID.(type) {
	case string:
		ids = append(ids, v)
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok {
				ids = append(ids, s)
			}
		}
	}
	for _, id := range ids {
		if id == "_all" {
			continue
		}
		if e := checkScrollID(id); e != nil {
			writeError(w, r, e)
			return
		}
	}
	freed := n.scrolls.clear(ids)
	status := http.StatusOK
	if freed == 0 && len(ids) > 0 {
		status = http.StatusNotFound
	}
	writeJSON(w, r, status, map[string]any{"succeeded": true, "num_freed": freed})
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// handleDeleteByQuery deletes what a search would find (the refreshed
// view). A document changed since that view counts as a version conflict,
// which aborts the request unless conflicts=proceed, as in ES.
func (n *Node) handleDeleteByQuery(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	q := r.URL.Query()
	ixs, err := n.resolveIndices(r.PathValue("index"), q)
	if err != nil {
		writeError(w, r, err)
		return
	}
	policy, err := parseRefresh(q)
	if err != nil {
		writeError(w, r, err)
		return
	}
	all, ok := n.matching(w, r, ixs)
	if !ok {
		return
	}
	proceed := q.Get("conflicts") == "proceed"
	deleted, conflicts := 0, 0
	failures := []any{}
	for _, h := range all {
		seq := h.d.seqNo
		op := &writeOp{action: "delete", id: h.d.id, ifSeqNo: &seq, ifPrimaryTerm: new(int64)}
		*op.ifPrimaryTerm = primaryTerm
		_, res, e := n.execute(h.index.name, op, false)
		switch {
		case e != nil && e.Type == "version_conflict_engine_exception":
			conflicts++
			if !proceed {
				failures = append(failures, map[string]any{"index": h.index.name, "id": h.d.id, "cause": e.object(), "status": e.Status})
			}
		case e != nil:
			failures = append(failures, map[string]any{"index": h.index.name, "id": h.d.id, "cause": e.object(), "status": e.Status})
		case res.result == "deleted":
			deleted++
		}
		if len(failures) > 0 && !proceed {
			break
		}
	}
	n.afterWrite(r.Context(), policy, ixs)
	status := http.StatusOK
	if len(failures) > 0 && conflicts > 0 && !proceed {
		status = http.StatusConflict
	}
	writeJSON(w, r, status, map[string]any{
		"took": time.Since(start).Milliseconds(), "timed_out": false, "total": len(all),
		"deleted": deleted, "batches": 1, "version_conflicts": conflicts, "noops": 0,
		"retries": map[string]any{"bulk": 0, "search": 0}, "throttled_millis": 0,
		"requests_per_second": -1.0, "throttled_until_millis": 0, "failures": failures,
	})
}
