package esnode

import (
	"net/http"
	"strings"
)

// execute runs one write against an index: validation, auto-creation,
// write block, then the write itself under the index lock.
func (n *Node) execute(indexName string, op *writeOp, requireAlias bool) (*index, writeResult, *esError) {
	if err := validateOp(op); err != nil {
		return nil, writeResult{}, err
	}
	if err := validateID(op.id); err != nil {
		return nil, writeResult{}, err
	}
	// A delete only looks the index up, so a name no index can have is
	// just not found.
	if err := validateIndexName(indexName); err != nil && op.action != "delete" {
		return nil, writeResult{}, err
	}
	if requireAlias {
		// The node has no aliases, so a write that requires one always fails.
		e := errIndexNotFound(indexName)
		e.Reason = "no such index [" + indexName + "] and [require_alias] request flag is [true] and [" + indexName + "] is not an alias"
		return nil, writeResult{}, e
	}
	var ix *index
	if op.action == "delete" {
		// Deletes never create an index.
		if ix = n.lookupIndex(indexName); ix == nil {
			return nil, writeResult{}, errIndexNotFound(indexName)
		}
	} else {
		var err *esError
		if ix, err = n.writeIndex(indexName); err != nil {
			return nil, writeResult{}, err
		}
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.writeBlock {
		n.stats.writeBlocked.Add(1)
		return ix, writeResult{}, errWriteBlocked(indexName)
	}
	res, err := ix.apply(op, n.now())
	return ix, res, err
}

// writeResponse renders a write result as the document APIs and bulk items do.
func writeResponse(ix *index, res writeResult, forced bool) map[string]any {
	shards := ix.shards()
	if res.result == "noop" {
		shards = map[string]any{"total": 0, "successful": 0, "failed": 0}
	}
	out := map[string]any{
		"_index": ix.name, "_id": res.id, "_version": res.version, "result": res.result,
		"_shards": shards, "_seq_no": res.seqNo, "_primary_term": primaryTerm,
	}
	if forced && res.result != "noop" {
		out["forced_refresh"] = true
	}
	return out
}

// opFromQuery reads the per-request write parameters of the document APIs.
func opFromQuery(q map[string][]string, op *writeOp) *esError {
	op.routing = first(q["routing"])
	var err *esError
	if op.ifSeqNo, err = parseInt64Param(q, "if_seq_no"); err != nil {
		return err
	}
	if op.ifPrimaryTerm, err = parseInt64Param(q, "if_primary_term"); err != nil {
		return err
	}
	if op.version, err = parseInt64Param(q, "version"); err != nil {
		return err
	}
	op.versionType = first(q["version_type"])
	return nil
}

func (n *Node) handleIndexDoc(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	op := &writeOp{action: "index", id: r.PathValue("id")}
	if strings.Contains(r.URL.Path, "/_create/") || first(q["op_type"]) == "create" {
		op.action = "create"
	}
	if r.Pattern == "POST /{index}/_doc" {
		// POST /{index}/_doc: ES generates the id and uses create semantics.
		op.id = n.ids.next()
		op.action = "create"
	}
	n.writeDoc(w, r, op)
}

func (n *Node) handleDeleteDoc(w http.ResponseWriter, r *http.Request) {
	n.writeDoc(w, r, &writeOp{action: "delete", id: r.PathValue("id")})
}

func (n *Node) handleUpdateDoc(w http.ResponseWriter, r *http.Request) {
	n.writeDoc(w, r, &writeOp{action: "update", id: r.PathValue("id")})
}

func (n *Node) writeDoc(w http.ResponseWriter, r *http.Request, op *writeOp) {
	q := r.URL.Query()
	policy, err := parseRefresh(q)
	if err == nil {
		err = opFromQuery(q, op)
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	if e := n.checkPipeline(op.action, first(q["pipeline"])); e != nil {
		writeError(w, r, e)
		return
	}
	if op.action != "delete" {
		b, ok := n.readBody(w, r)
		if !ok {
			return
		}
		if len(strings.TrimSpace(string(b))) == 0 {
			writeError(w, r, newError(http.StatusBadRequest, "parse_exception", "request body is required"))
			return
		}
		op.body = b
	}
	ix, res, e := n.execute(r.PathValue("index"), op, first(q["require_alias"]) == "true")
	if e != nil {
		writeError(w, r, e)
		return
	}
	n.afterWrite(r.Context(), policy, []*index{ix})
	writeJSON(w, r, res.status, writeResponse(ix, res, policy == refreshNow))
}

// getDoc reads a document: realtime from the live map, or as search sees
// it with realtime=false.
func (n *Node) getDoc(r *http.Request) (*index, *doc, *esError) {
	name := r.PathValue("index")
	ix := n.lookupIndex(name)
	if ix == nil {
		return nil, nil, errIndexNotFound(name)
	}
	id := r.PathValue("id")
	realtime := r.URL.Query().Get("realtime") != "false"
	if !realtime {
		ix.refreshIfDue(n.now())
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	d := ix.live[id]
	if !realtime {
		d = ix.searchable[id]
	}
	if d == nil || d.deleted {
		return ix, nil, nil
	}
	return ix, d, nil
}

func (n *Node) handleGetDoc(w http.ResponseWriter, r *http.Request) {
	ix, d, err := n.getDoc(r)
	if err != nil {
		if r.Method == http.MethodHead {
			writeHead(w, r, err.Status)
			return
		}
		writeError(w, r, err)
		return
	}
	if r.Method == http.MethodHead {
		status := http.StatusOK
		if d == nil {
			status = http.StatusNotFound
		}
		writeHead(w, r, status)
		return
	}
	id := r.PathValue("id")
	if d == nil {
		writeJSON(w, r, http.StatusNotFound, map[string]any{"_index": ix.name, "_id": id, "found": false})
		return
	}
	out := map[string]any{
		"_index": ix.name, "_id": d.id, "_version": d.version, "_seq_no": d.seqNo,
		"_primary_term": primaryTerm, "found": true,
	}
	if d.routing != "" {
		out["_routing"] = d.routing
	}
	src, e := filterStoredSource(r.URL.Query(), d.source)
	if e != nil {
		writeError(w, r, e)
		return
	}
	if src != nil {
		out["_source"] = src
	}
	writeJSON(w, r, http.StatusOK, out)
}

func (n *Node) handleGetSource(w http.ResponseWriter, r *http.Request) {
	ix, d, err := n.getDoc(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if d == nil {
		writeError(w, r, errorf(http.StatusNotFound, "resource_not_found_exception",
			"Document not found [%s]/[%s]", ix.name, r.PathValue("id")))
		return
	}
	src, e := filterStoredSource(r.URL.Query(), d.source)
	if e != nil {
		writeError(w, r, e)
		return
	}
	writeJSON(w, r, http.StatusOK, src)
}
