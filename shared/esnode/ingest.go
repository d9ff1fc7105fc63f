package esnode

import (
	"encoding/json"
	"net/http"
	"sort"
	"sync"
)

// Ingest pipeline actions, for authorization.
const (
	actionPutPipeline    = "cluster:admin/ingest/pipeline/put"
	actionGetPipeline    = "cluster:admin/ingest/pipeline/get"
	actionDeletePipeline = "cluster:admin/ingest/pipeline/delete"
)

// noPipeline is the pipeline name that means "none", overriding a default.
const noPipeline = "_none"

// pipelineStore keeps the ingest pipelines by id. Their processors are kept
// as sent and never run (docs/esnode.md); what matters to clients is that a
// write naming a pipeline that does not exist fails, as in Elasticsearch.
type pipelineStore struct {
	mu sync.RWMutex
	m  map[string]json.RawMessage
}

func (s *pipelineStore) get(id string) (json.RawMessage, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.m[id]
	return p, ok
}

// errNoPipeline is the failure of a write that names a missing pipeline.
func errNoPipeline(id string) *esError {
	return errIllegalArgument("pipeline with id [%s] does not exist", id)
}

// checkPipeline fails an index or create that names a pipeline the node
// does not have. Updates and deletes do not go through pipelines.
func (n *Node) checkPipeline(action, id string) *esError {
	if id == "" || id == noPipeline || action == "update" || action == "delete" {
		return nil
	}
	if _, ok := n.pipelines.get(id); !ok {
		return errNoPipeline(id)
	}
	return nil
}

func (n *Node) handlePutPipeline(w http.ResponseWriter, r *http.Request) {
	var body map[string]json.RawMessage
	if !n.readJSONBody(w, r, &body) {
		return
	}
	procs, ok := body["processors"]
	if !ok {
		e := newError(http.StatusBadRequest, "parse_exception", "[processors] required property is missing")
		e.Extra = map[string]any{"property_name": "processors"}
		writeError(w, r, e)
		return
	}
	var list []json.RawMessage
	if err := json.Unmarshal(procs, &list); err != nil {
		e := newError(http.StatusBadRequest, "parse_exception", "[processors] property isn't a list, but of type [object]")
		e.Extra = map[string]any{"property_name": "processors"}
		writeError(w, r, e)
		return
	}
	def, err := json.Marshal(body)
	if err != nil {
		writeError(w, r, errorf(http.StatusInternalServerError, "exception", "encoding pipeline: %v", err))
		return
	}
	n.pipelines.mu.Lock()
	if n.pipelines.m == nil {
		n.pipelines.m = map[string]json.RawMessage{}
	}
	n.pipelines.m[r.PathValue("id")] = def
	n.pipelines.mu.Unlock()
	writeJSON(w, r, http.StatusOK, map[string]any{"acknowledged": true})
}

// handleGetPipeline lists one pipeline, or all; a missing one is 404 with
// an empty object, as Elasticsearch answers.
func (n *Node) handleGetPipeline(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	out := map[string]any{}
	n.pipelines.mu.RLock()
	ids := make([]string, 0, len(n.pipelines.m))
	for k := range n.pipelines.m {
		if id == "" || wildcardMatch(id, k) {
			ids = append(ids, k)
		}
	}
	sort.Strings(ids)
	for _, k := range ids {
		out[k] = n.pipelines.m[k]
	}
	n.pipelines.mu.RUnlock()
	status := http.StatusOK
	if id != "" && len(out) == 0 {
		status = http.StatusNotFound
	}
	writeJSON(w, r, status, out)
}

func (n *Node) handleDeletePipeline(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	n.pipelines.mu.Lock()
	_, ok := n.pipelines.m[id]
	delete(n.pipelines.m, id)
	n.pipelines.mu.Unlock()
	if !ok {
		writeError(w, r, newError(http.StatusNotFound, "resource_not_found_exception", "pipeline ["+id+"] is missing"))
		return
	}
	writeJSON(w, r, http.StatusOK, map[string]any{"acknowledged": true})
}
