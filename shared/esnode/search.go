package esnode

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// searchBody is the part of a search request the node understands.
type searchBody struct {
	Query          json.RawMessage `json:"query"`
	Size           *int            `json:"size"`
	From           *int            `json:"from"`
	Sort           json.RawMessage `json:"sort"`
	Source         json.RawMessage `json:"_source"`
	TrackTotalHits json.RawMessage `json:"track_total_hits"`
}

// searchRequest is a parsed search: body and query-string merged.
type searchRequest struct {
	query      matcher
	sort       []sortSpec
	filter     sourceFilter
	size, from int
	trackTotal int // -1 exact, 0 off, N: count up to N
	scroll     time.Duration
	// windowErr is from + size over the result window, which each shard
	// refuses.
	windowErr *esError
}

// hit is one matched document with what its rendering needs.
type hit struct {
	index *index
	d     *doc
	qd    *searchDoc
	sort  []any // sort values, computed while the index mapping is at hand
}

func (n *Node) parseSearch(r *http.Request, body []byte) (*searchRequest, *esError) {
	var sb searchBody
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, &sb); err != nil {
			return nil, errorf(http.StatusBadRequest, "x_content_parse_exception", "[1:1] failed to parse search request: %v", err)
		}
	}
	q := r.URL.Query()
	sr := &searchRequest{size: defaultSearchSize, trackTotal: maxResultWindow}
	intParam := func(name string, dst *int) *esError {
		if v := q.Get(name); v != "" {
			i, err := strconv.Atoi(v)
			if err != nil {
				return errIllegalArgument("Failed to parse int parameter [%s] with value [%s]", name, v)
			}
			*dst = i
		}
		return nil
	}
	if sb.Size != nil {
		sr.size = *sb.Size
	}
	if sb.From != nil {
		sr.from = *sb.From
	}
	if err := intParam("size", &sr.size); err != nil {
		return nil, err
	}
	if err := intParam("from", &sr.from); err != nil {
		return nil, err
	}
	if sr.size < 0 {
		return nil, errIllegalArgument("[size] parameter cannot be negative, found [%d]", sr.size)
	}
	if sr.from < 0 {
		return nil, errIllegalArgument("[from] parameter cannot be negative, found [%d]", sr.from)
	}
	if v := q.Get("scroll"); v != "" {
		d, err := parseTimeValue(v)
		if err != nil || d <= 0 {
			return nil, errIllegalArgument("failed to parse setting [scroll] with value [%s] as a time value", v)
		}
		sr.scroll = d
		if sr.from > 0 {
			return nil, newError(http.StatusBadRequest, "action_request_validation_exception", "Validation Failed: 1: using [from] is not allowed in a scroll context;")
		}
	}
	window := sr.from + sr.size
	if sr.scroll > 0 {
		window = sr.size
	}
	if window > maxResultWindow {
		// Checked by every shard, so reported as their failure (collect).
		sr.windowErr = errIllegalArgument("Result window is too large, from + size must be less than or equal to: [%d] but was [%d]. "+
			"See the scroll api for a more efficient way to request large data sets. This limit can be set by changing the [index.max_result_window] index level setting.",
			maxResultWindow, window)
	}
	tth := string(bytes.TrimSpace(sb.TrackTotalHits))
	if v := q.Get("track_total_hits"); v != "" {
		tth = v
	}
	switch tth {
	case "":
	case "true":
		sr.trackTotal = -1
	case "false":
		sr.trackTotal = 0
	default:
		i, err := strconv.Atoi(tth)
		if err != nil || i < -1 {
			return nil, errIllegalArgument("[track_total_hits] must be a boolean or an integer, got [%s]", tth)
		}
		sr.trackTotal = i
	}
	var err *esError
	if sr.query, err = parseQuery(sb.Query); err != nil {
		return nil, err
	}
	if v := q.Get("sort"); v != "" {
		sr.sort, err = parseSortParam(v)
	} else {
		sr.sort, err = parseSort(sb.Sort)
	}
	if err != nil {
		return nil, err
	}
	if q.Has("_source") || q.Has("_source_includes") || q.Has("_source_excludes") {
		sr.filter, err = parseSourceParams(q.Get("_source"), q.Get("_source_includes"), q.Get("_source_excludes"))
	} else {
		sr.filter, err = parseSourceFilter(sb.Source)
	}
	if err != nil {
		return nil, err
	}
	return sr, nil
}

// collect runs the query over the refreshed documents of ixs and sorts the
// matches.
func (n *Node) collect(ixs []*index, sr *searchRequest) ([]hit, *esError) {
	now := n.now()
	var hits []hit
	for _, ix := range ixs {
		if sr.windowErr != nil {
			return nil, n.shardFailure(sr.windowErr, 0, ix.name)
		}
		ix.refreshIfDue(now)
		ix.mu.RLock()
		m := indexMapping{root: ix.mapping}
		if err := checkSearch(sr.query, sr.sort, m); err != nil {
			ix.mu.RUnlock()
			if err.Type == "query_shard_exception" {
				err.Extra = map[string]any{"index_uuid": ix.uuid, "index": ix.name}
			}
			return nil, n.shardFailure(err, 0, ix.name)
		}
		for _, d := range ix.visibleDocs() {
			src, err := parseSource(d.source, d.id)
			if err != nil {
				continue
			}
			qd := &searchDoc{Index: ix.name, ID: d.id, Source: src, Seq: d.seqNo}
			if sr.query.Matches(qd, m) {
				hits = append(hits, hit{index: ix, d: d, qd: qd})
			}
		}
		ix.mu.RUnlock()
	}
	if len(sr.sort) > 0 {
		docs := make([]*searchDoc, len(hits))
		byDoc := make(map[*searchDoc]hit, len(hits))
		for i, h := range hits {
			docs[i] = h.qd
			byDoc[h.qd] = h
		}
		mappings := map[string]fieldTypes{}
		for _, ix := range ixs {
			ix.mu.RLock()
			mappings[ix.name] = indexMapping{root: ix.mapping.clone()}
			ix.mu.RUnlock()
		}
		sortDocs(docs, sr.sort, func(name string) fieldTypes { return mappings[name] })
		for i, d := range docs {
			hits[i] = byDoc[d]
			hits[i].sort = sortValues(d, sr.sort, mappings[d.Index])
		}
	}
	return hits, nil
}

// renderHits renders one page of hits.
func renderHits(page []hit, sr *searchRequest) []any {
	out := make([]any, 0, len(page))
	for _, h := range page {
		m := map[string]any{"_index": h.index.name, "_id": h.d.id, "_score": 1.0}
		if len(sr.sort) > 0 {
			m["_score"] = nil
			m["sort"] = h.sort
		}
		if h.d.routing != "" {
			m["_routing"] = h.d.routing
		}
		if src, ok := sr.filter.apply(h.qd.Source); ok {
			m["_source"] = src
		}
		out = append(out, m)
	}
	return out
}

func searchShards(ixs []*index) map[string]any {
	return map[string]any{"total": len(ixs), "successful": len(ixs), "skipped": 0, "failed": 0}
}

// searchResponse renders the response for hits[from:from+size].
func searchResponse(all []hit, from int, sr *searchRequest, ixs []*index, took time.Duration) map[string]any {
	end := min(from+sr.size, len(all))
	var page []hit
	if from < len(all) {
		page = all[from:end]
	}
	hits := map[string]any{"max_score": nil, "hits": renderHits(page, sr)}
	if len(page) > 0 && len(sr.sort) == 0 {
		hits["max_score"] = 1.0
	}
	switch {
	case sr.trackTotal < 0:
		hits["total"] = map[string]any{"value": len(all), "relation": "eq"}
	case sr.trackTotal > 0 && len(all) > sr.trackTotal:
		hits["total"] = map[string]any{"value": sr.trackTotal, "relation": "gte"}
	case sr.trackTotal > 0:
		hits["total"] = map[string]any{"value": len(all), "relation": "eq"}
	}
	return map[string]any{
		"took": took.Milliseconds(), "timed_out": false, "_shards": searchShards(ixs), "hits": hits,
	}
}

func (n *Node) handleSearch(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	ixs, err := n.resolveIndices(r.PathValue("index"), r.URL.Query())
	if err != nil {
		writeError(w, r, err)
		return
	}
	body, ok := n.readBody(w, r)
	if !ok {
		return
	}
	sr, err := n.parseSearch(r, body)
	if err != nil {
		writeError(w, r, err)
		return
	}
	all, err := n.collect(ixs, sr)
	if err != nil {
		writeError(w, r, err)
		return
	}
	resp := searchResponse(all, sr.from, sr, ixs, time.Since(start))
	if sr.scroll > 0 {
		resp["_scroll_id"] = n.scrolls.open(all, sr, ixs, n.now())
	}
	writeJSON(w, r, http.StatusOK, resp)
}

func (n *Node) handleCount(w http.ResponseWriter, r *http.Request) {
	ixs, err := n.resolveIndices(r.PathValue("index"), r.URL.Query())
	if err != nil {
		writeError(w, r, err)
		return
	}
	all, ok := n.matching(w, r, ixs)
	if !ok {
		return
	}
	writeJSON(w, r, http.StatusOK, map[string]any{"count": len(all), "_shards": searchShards(ixs)})
}

// matching reads a body with only a query (count, delete_by_query) and
// returns the documents of ixs it matches; on a bad body or query it has
// already answered the error and reports false.
func (n *Node) matching(w http.ResponseWriter, r *http.Request, ixs []*index) ([]hit, bool) {
	var sb searchBody
	if !n.readJSONBody(w, r, &sb) {
		return nil, false
	}
	qm, err := parseQuery(sb.Query)
	if err != nil {
		writeError(w, r, err)
		return nil, false
	}
	all, err := n.collect(ixs, &searchRequest{query: qm})
	if err != nil {
		writeError(w, r, err)
		return nil, false
	}
	return all, true
}
