package esnode

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

type createIndexBody struct {
	Settings map[string]any  `json:"settings"`
	Mappings json.RawMessage `json:"mappings"`
	Aliases  map[string]any  `json:"aliases"`
}

func (n *Node) handleCreateIndex(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("index")
	if err := validateIndexName(name); err != nil {
		writeError(w, r, err)
		return
	}
	var body createIndexBody
	if !n.readJSONBody(w, r, &body) {
		return
	}
	mapping, err := parseMappings(body.Mappings)
	if err != nil {
		writeError(w, r, err)
		return
	}
	n.mu.Lock()
	if ix := n.indices[name]; ix != nil {
		n.mu.Unlock()
		writeError(w, r, &esError{
			Status: http.StatusBadRequest, Type: "resource_already_exists_exception",
			Reason: fmt.Sprintf("index [%s/%s] already exists", name, ix.uuid),
			Extra:  map[string]any{"index_uuid": ix.uuid, "index": name},
		})
		return
	}
	ix := n.newIndexLocked(name)
	ix.mapping = mapping
	if e := ix.applySettings(flattenSettings(body.Settings)); e != nil {
		delete(n.indices, name)
		n.mu.Unlock()
		writeError(w, r, e)
		return
	}
	n.mu.Unlock()
	writeJSON(w, r, http.StatusOK, map[string]any{"acknowledged": true, "shards_acknowledged": true, "index": name})
}

func (n *Node) handleIndexExists(w http.ResponseWriter, r *http.Request) {
	if _, err := n.resolveIndices(r.PathValue("index"), r.URL.Query()); err != nil {
		writeHead(w, r, http.StatusNotFound)
		return
	}
	writeHead(w, r, http.StatusOK)
}

func (n *Node) handleGetIndex(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodHead {
		n.handleIndexExists(w, r)
		return
	}
	ixs, err := n.resolveIndices(r.PathValue("index"), r.URL.Query())
	if err != nil {
		writeError(w, r, err)
		return
	}
	out := map[string]any{}
	for _, ix := range ixs {
		ix.mu.RLock()
		out[ix.name] = map[string]any{
			"aliases":  map[string]any{},
			"mappings": ix.mapping.render(),
			"settings": ix.renderSettings(),
		}
		ix.mu.RUnlock()
	}
	writeJSON(w, r, http.StatusOK, out)
}

func (n *Node) handleDeleteIndex(w http.ResponseWriter, r *http.Request) {
	ixs, err := n.resolveIndices(r.PathValue("index"), r.URL.Query())
	if err != nil {
		writeError(w, r, err)
		return
	}
	n.mu.Lock()
	for _, ix := range ixs {
		delete(n.indices, ix.name)
	}
	n.mu.Unlock()
	writeJSON(w, r, http.StatusOK, map[string]any{"acknowledged": true})
}

func (n *Node) handleGetMapping(w http.ResponseWriter, r *http.Request) {
	ixs, err := n.resolveIndices(r.PathValue("index"), r.URL.Query())
	if err != nil {
		writeError(w, r, err)
		return
	}
	out := map[string]any{}
	for _, ix := range ixs {
		ix.mu.RLock()
		out[ix.name] = map[string]any{"mappings": ix.mapping.render()}
		ix.mu.RUnlock()
	}
	writeJSON(w, r, http.StatusOK, out)
}

// handlePutMapping adds fields to existing indices; changing the type of a
// mapped field is refused, as in ES.
func (n *Node) handlePutMapping(w http.ResponseWriter, r *http.Request) {
	ixs, err := n.resolveIndices(r.PathValue("index"), r.URL.Query())
	if err != nil {
		writeError(w, r, err)
		return
	}
	b, ok := n.readBody(w, r)
	if !ok {
		return
	}
	update, err := parseMappings(b)
	if err != nil {
		writeError(w, r, err)
		return
	}
	for _, ix := range ixs {
		ix.mu.Lock()
		merged := ix.mapping.clone()
		e := mergeMapping(merged, update, "")
		if e == nil {
			ix.mapping = merged
		}
		ix.mu.Unlock()
		if e != nil {
			writeError(w, r, e)
			return
		}
	}
	writeJSON(w, r, http.StatusOK, map[string]any{"acknowledged": true})
}

func mergeMapping(dst, src *field, path string) *esError {
	if src.Dynamic != "" {
		dst.Dynamic = src.Dynamic
	}
	for name, sf := range src.Props {
		p := join(path, name)
		df := dst.Props[name]
		if df == nil {
			dst.Props[name] = sf
			continue
		}
		if df.Type != sf.Type {
			return errIllegalArgument("mapper [%s] cannot be changed from type [%s] to [%s]", p, df.Type, sf.Type)
		}
		if df.Props != nil && sf.Props != nil {
			if e := mergeMapping(df, sf, p); e != nil {
				return e
			}
		}
	}
	return nil
}

func (n *Node) handleGetSettings(w http.ResponseWriter, r *http.Request) {
	ixs, err := n.resolveIndices(r.PathValue("index"), r.URL.Query())
	if err != nil {
		writeError(w, r, err)
		return
	}
	out := map[string]any{}
	for _, ix := range ixs {
		ix.mu.RLock()
		out[ix.name] = map[string]any{"settings": ix.renderSettings()}
		ix.mu.RUnlock()
	}
	writeJSON(w, r, http.StatusOK, out)
}

// handlePutSettings updates dynamic settings: refresh_interval,
// number_of_replicas and blocks.write are the ones with an effect.
func (n *Node) handlePutSettings(w http.ResponseWriter, r *http.Request) {
	ixs, err := n.resolveIndices(r.PathValue("index"), r.URL.Query())
	if err != nil {
		writeError(w, r, err)
		return
	}
	var body map[string]any
	if !n.readJSONBody(w, r, &body) {
		return
	}
	if s, ok := body["settings"].(map[string]any); ok && len(body) == 1 {
		body = s
	}
	flat := flattenSettings(body)
	if _, ok := flat["index.number_of_shards"]; ok {
		writeError(w, r, errIllegalArgument("Can't update non dynamic settings [[index.number_of_shards]] for open indices"))
		return
	}
	for _, ix := range ixs {
		ix.mu.Lock()
		e := ix.applySettings(flat)
		if v, ok := flat["index.blocks.write"]; ok && v != "true" {
			delete(ix.settings, "index.blocks.write")
		}
		ix.mu.Unlock()
		if e != nil {
			writeError(w, r, e)
			return
		}
	}
	writeJSON(w, r, http.StatusOK, map[string]any{"acknowledged": true})
}

func (n *Node) handleHealth(w http.ResponseWriter, r *http.Request) {
	ixs, err := n.resolveIndices(r.PathValue("index"), r.URL.Query())
	if err != nil {
		writeError(w, r, err)
		return
	}
	status, shards, unassigned := "green", 0, 0
	for _, ix := range ixs {
		ix.mu.RLock()
		if ix.health() == "yellow" {
			status = "yellow"
		}
		unassigned += ix.replicas
		ix.mu.RUnlock()
		shards++
	}
	active := 100.0
	if shards+unassigned > 0 {
		active = 100 * float64(shards) / float64(shards+unassigned)
	}
	writeJSON(w, r, http.StatusOK, map[string]any{
		"cluster_name": "esconnect", "status": status, "timed_out": false,
		"number_of_nodes": 1, "number_of_data_nodes": 1,
		"active_primary_shards": shards, "active_shards": shards, "relocating_shards": 0,
		"initializing_shards": 0, "unassigned_shards": unassigned, "unassigned_primary_shards": 0,
		"delayed_unassigned_shards": 0, "number_of_pending_tasks": 0, "number_of_in_flight_fetch": 0,
		"task_max_waiting_in_queue_millis": 0, "active_shards_percent_as_number": active,
	})
}

// handleCatIndices answers _cat/indices; counts and sizes reflect refreshed
// data, as in ES. Without format=json it prints the text table.
func (n *Node) handleCatIndices(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ixs, err := n.resolveIndices(r.PathValue("index"), q)
	if err != nil {
		writeError(w, r, err)
		return
	}
	rawBytes := q.Get("bytes") == "b"
	rows := make([]map[string]any, 0, len(ixs))
	now := n.now()
	for _, ix := range ixs {
		ix.refreshIfDue(now)
		ix.mu.RLock()
		size := formatBytes(ix.searchBytes, rawBytes)
		rows = append(rows, map[string]any{
			"health": ix.health(), "status": "open", "index": ix.name, "uuid": ix.uuid,
			"pri": "1", "rep": strconv.Itoa(ix.replicas),
			"docs.count": strconv.Itoa(len(ix.searchable)), "docs.deleted": strconv.FormatInt(ix.deletedDocs, 10),
			"store.size": size, "pri.store.size": size, "dataset.size": size,
		})
		ix.mu.RUnlock()
	}
	if q.Get("format") == "json" {
		writeJSON(w, r, http.StatusOK, rows)
		return
	}
	cols := []string{"health", "status", "index", "uuid", "pri", "rep", "docs.count", "docs.deleted", "store.size", "pri.store.size", "dataset.size"}
	var sb strings.Builder
	if q.Has("v") {
		sb.WriteString(strings.Join(cols, " ") + "\n")
	}
	for _, row := range rows {
		vals := make([]string, len(cols))
		for i, c := range cols {
			vals[i] = fmt.Sprint(row[c])
		}
		sb.WriteString(strings.Join(vals, " ") + "\n")
	}
	w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(sb.String()))
}

// formatBytes renders a size like ES's ByteSizeValue ("225b", "4.5kb").
func formatBytes(b int64, raw bool) string {
	if raw {
		return strconv.FormatInt(b, 10)
	}
	units := []string{"b", "kb", "mb", "gb", "tb"}
	v := float64(b)
	i := 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if i == 0 {
		return strconv.FormatInt(b, 10) + "b"
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + units[i]
}

func (n *Node) handleRefresh(w http.ResponseWriter, r *http.Request) {
	ixs, err := n.resolveIndices(r.PathValue("index"), r.URL.Query())
	if err != nil {
		writeError(w, r, err)
		return
	}
	now := n.now()
	// Each index's primary is refreshed; its replicas count as shards
	// that did not answer, being unassigned on one node.
	total := 0
	for _, ix := range ixs {
		ix.mu.Lock()
		ix.refresh(now)
		total += 1 + ix.replicas
		ix.mu.Unlock()
	}
	writeJSON(w, r, http.StatusOK, map[string]any{
		"_shards": map[string]any{"total": total, "successful": len(ixs), "failed": 0},
	})
}

// afterWrite applies a write's refresh policy to the indices it touched.
// wait_for blocks until the index's next periodic refresh; with periodic
// refresh disabled (-1) it refreshes at once rather than hang, which is the
// one place the node is kinder than ES.
func (n *Node) afterWrite(ctx context.Context, policy refreshPolicy, ixs []*index) {
	switch policy {
	case refreshNow:
		now := n.now()
		for _, ix := range ixs {
			ix.mu.Lock()
			ix.refresh(now)
			ix.mu.Unlock()
		}
	case refreshWaitFor:
		for _, ix := range ixs {
			if at, ok := ix.nextRefresh(n.now()); ok {
				t := time.NewTimer(time.Until(at))
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
					return
				}
			}
			ix.mu.Lock()
			ix.refresh(n.now())
			ix.mu.Unlock()
		}
	}
}
