package esnode

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/esconnect/esconnect/shared/quartz"
)

// The connector endpoints of the Connector API, with the defaults,
// validation and status rules of Elasticsearch's ConnectorIndexService.

var connectorRoutes = map[string]connectorHandler{
	"PUT /_connector/{connector_id}":                        (*Node).handlePutConnector,
	"PUT /_connector":                                       (*Node).handlePutConnector,
	"POST /_connector":                                      (*Node).handlePutConnector,
	"GET /_connector/{connector_id}":                        (*Node).handleGetConnector,
	"GET /_connector":                                       (*Node).handleListConnectors,
	"DELETE /_connector/{connector_id}":                     (*Node).handleDeleteConnector,
	"PUT /_connector/{connector_id}/_check_in":              (*Node).handleConnectorCheckIn,
	"PUT /_connector/{connector_id}/_configuration":         (*Node).handleConnectorConfiguration,
	"PUT /_connector/{connector_id}/_status":                (*Node).handleConnectorStatus,
	"PUT /_connector/{connector_id}/_error":                 (*Node).handleConnectorError,
	"PUT /_connector/{connector_id}/_filtering":             (*Node).handleConnectorFiltering,
	"PUT /_connector/{connector_id}/_filtering/_validation": (*Node).handleConnectorFilteringValidation,
	"PUT /_connector/{connector_id}/_filtering/_activate":   (*Node).handleConnectorFilteringActivate,
	"PUT /_connector/{connector_id}/_scheduling":            (*Node).handleConnectorScheduling,
	"PUT /_connector/{connector_id}/_last_sync":             (*Node).handleConnectorLastSync,
	"PUT /_connector/{connector_id}/_service_type":          (*Node).handleConnectorServiceType,
}

// Connector statuses and the transitions the Connector Protocol allows
// (ConnectorStateMachine).
var connectorTransitions = map[string][]string{
	"created":             {"needs_configuration", "error"},
	"needs_configuration": {"configured"},
	"configured":          {"needs_configuration", "connected", "error"},
	"connected":           {"configured", "error"},
	"error":               {"connected", "configured"},
}

// defaultCron is the schedule a new connector gets for every job type.
const defaultCron = "0 0 0 * * ?"

// defaultFiltering is the single DEFAULT-domain filtering a connector is
// created with: one include-everything rule, active and draft.
func defaultFiltering(now string) []any {
	rules := func() map[string]any {
		return map[string]any{
			"advanced_snippet": map[string]any{"created_at": now, "updated_at": now, "value": map[string]any{}},
			"rules": []any{map[string]any{"created_at": now, "field": "_", "id": "DEFAULT", "order": 0,
				"policy": "include", "rule": "regex", "updated_at": now, "value": ".*"}},
			"validation": map[string]any{"errors": []any{}, "state": "valid"},
		}
	}
	return []any{map[string]any{"active": rules(), "domain": "DEFAULT", "draft": rules()}}
}

func defaultScheduling() map[string]any {
	s := map[string]any{}
	for _, k := range []string{"access_control", "full", "incremental"} {
		s[k] = map[string]any{"enabled": false, "interval": defaultCron}
	}
	return s
}

// handlePutConnector serves PUT /_connector/{id}, PUT /_connector and
// POST /_connector: a new document with defaults, or a re-creation of an
// existing one (result updated).
func (n *Node) handlePutConnector(w http.ResponseWriter, r *http.Request) {
	body, ok := n.readObject(w, r)
	if !ok {
		return
	}
	var vals [5]string
	var has [5]bool
	for i, k := range []string{"description", "index_name", "language", "name", "service_type"} {
		var e *esError
		if vals[i], has[i], e = optString(body, k); e != nil {
			writeError(w, r, e)
			return
		}
	}
	isNative, _, e := optBool(body, "is_native")
	if e != nil {
		writeError(w, r, e)
		return
	}
	indexName := vals[1]
	if has[1] {
		if ve := validateIndexName(indexName); ve != nil {
			writeError(w, r, errValidation(ve.Type+": "+ve.Reason))
			return
		}
	}
	id := r.PathValue("connector_id")
	if id == "" {
		id = n.ids.next()
	}
	if has[1] {
		inUse, e := n.indexNameInUse(indexName, id)
		if e != nil {
			writeError(w, r, e)
			return
		}
		if inUse {
			writeError(w, r, errStatus(http.StatusBadRequest, "Index name [%s] is used by another connector.", indexName))
			return
		}
	}
	now := n.stamp()
	status := "created"
	if isNative {
		status = "needs_configuration"
	}
	src := map[string]any{
		"configuration": map[string]any{}, "custom_scheduling": map[string]any{},
		"filtering": defaultFiltering(now), "is_native": isNative,
		"last_access_control_sync_error": nil, "last_access_control_sync_status": nil,
		"last_access_control_sync_scheduled_at": nil, "last_incremental_sync_scheduled_at": nil,
		"last_sync_error": nil, "last_sync_scheduled_at": nil, "last_sync_status": nil, "last_synced": nil,
		"name": vals[3], "scheduling": defaultScheduling(), "status": status, "sync_now": false, "deleted": false,
	}
	for i, k := range []string{"description", "index_name", "language", "", "service_type"} {
		if k != "" && has[i] {
			src[k] = vals[i]
		}
	}
	res, e := n.storeDoc(ConnectorsIndex, id, src, nil)
	if e != nil {
		writeError(w, r, e)
		return
	}
	writeJSON(w, r, res.status, map[string]any{"result": res.result, "id": id})
}

// indexNameInUse reports whether another connector (not soft-deleted)
// writes to indexName.
func (n *Node) indexNameInUse(indexName, exceptID string) (bool, *esError) {
	docs, e := n.allDocs(ConnectorsIndex)
	if e != nil {
		return false, e
	}
	for _, d := range docs {
		if d.id != exceptID && d.src["index_name"] == indexName && d.src["deleted"] != true {
			return true, nil
		}
	}
	return false, nil
}

// getConnector loads a connector that is not soft-deleted.
func (n *Node) getConnector(id string) (storedDoc, *esError) {
	d, ok, e := n.loadDoc(ConnectorsIndex, id)
	if e != nil {
		return storedDoc{}, e
	}
	if !ok || d.src["deleted"] == true {
		return storedDoc{}, errConnectorNotFound(id)()
	}
	return d, nil
}

func (n *Node) handleGetConnector(w http.ResponseWriter, r *http.Request) {
	id, ok := requireID(w, r, "connector_id")
	if !ok {
		return
	}
	d, e := n.getConnector(id)
	if e != nil {
		writeError(w, r, e)
		return
	}
	writeJSON(w, r, http.StatusOK, withID(d))
}

// handleListConnectors serves GET /_connector: connectors sorted by index
// name, filtered by index_name, connector_name, service_type and a query
// over index name, name and description.
func (n *Node) handleListConnectors(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from, size, e := pageParams(q)
	if e != nil {
		writeError(w, r, e)
		return
	}
	docs, e := n.allDocs(ConnectorsIndex)
	if e != nil {
		writeError(w, r, e)
		return
	}
	in := func(param string, v any) bool {
		want := splitParam(q.Get(param))
		if len(want) == 0 {
			return true
		}
		s, _ := str(v)
		for _, x := range want {
			if x == s {
				return true
			}
		}
		return false
	}
	text := q.Get("query")
	var out []storedDoc
	for _, d := range docs {
		if d.src["deleted"] == true && q.Get("include_deleted") != "true" {
			continue
		}
		if !in("index_name", d.src["index_name"]) || !in("connector_name", d.src["name"]) || !in("service_type", d.src["service_type"]) {
			continue
		}
		if text != "" && !containsAny(text, d.src["index_name"], d.src["name"], d.src["description"]) {
			continue
		}
		out = append(out, d)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, _ := str(out[i].src["index_name"])
		b, _ := str(out[j].src["index_name"])
		return a < b
	})
	writeJSON(w, r, http.StatusOK, listPage(out, from, size))
}

func containsAny(text string, vals ...any) bool {
	for _, v := range vals {
		if s, ok := str(v); ok && strings.Contains(s, text) {
			return true
		}
	}
	return false
}

func splitParam(v string) []string {
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

// pageParams reads from and size, which default to 0 and 100.
func pageParams(q map[string][]string) (int, int, *esError) {
	from, size := 0, 100
	if v, e := parseInt64Param(q, "from"); e != nil {
		return 0, 0, e
	} else if v != nil {
		from = int(*v)
	}
	if v, e := parseInt64Param(q, "size"); e != nil {
		return 0, 0, e
	} else if v != nil {
		size = int(*v)
	}
	if from < 0 || size < 0 {
		return 0, 0, errValidation("[from] parameter cannot be negative, found [" + itoa(from) + "]")
	}
	if from+size > 10000 {
		return 0, 0, errValidation("Result window is too large, from + size must be less than or equal to: [10000]")
	}
	return from, size, nil
}

func listPage(docs []storedDoc, from, size int) map[string]any {
	results := []any{}
	for i := from; i < len(docs) && i < from+size; i++ {
		results = append(results, withID(docs[i]))
	}
	return map[string]any{"count": len(docs), "results": results}
}

// handleDeleteConnector soft-deletes a connector (hard=true removes the
// document); delete_sync_jobs=true removes its sync jobs too.
func (n *Node) handleDeleteConnector(w http.ResponseWriter, r *http.Request) {
	id, ok := requireID(w, r, "connector_id")
	if !ok {
		return
	}
	q := r.URL.Query()
	if q.Get("hard") == "true" {
		if _, e := n.getConnectorOrDeleted(id); e != nil {
			writeError(w, r, e)
			return
		}
		if _, _, e := n.execute(ConnectorsIndex, &writeOp{action: "delete", id: id}, false); e != nil {
			writeError(w, r, e)
			return
		}
	} else {
		if _, e := n.modify(ConnectorsIndex, id, errConnectorNotFound(id), func(d storedDoc) *esError {
			if d.src["deleted"] == true {
				return errConnectorNotFound(id)()
			}
			d.src["deleted"] = true
			return nil
		}); e != nil {
			writeError(w, r, e)
			return
		}
	}
	if q.Get("delete_sync_jobs") == "true" {
		jobs, e := n.allDocs(SyncJobsIndex)
		if e != nil {
			writeError(w, r, e)
			return
		}
		for _, j := range jobs {
			if c, _ := object(j.src["connector"]); c != nil && c["id"] == id {
				if _, _, e := n.execute(SyncJobsIndex, &writeOp{action: "delete", id: j.id}, false); e != nil {
					writeError(w, r, e)
					return
				}
			}
		}
	}
	n.refreshConnectorIndices()
	writeJSON(w, r, http.StatusOK, map[string]any{"acknowledged": true})
}

func (n *Node) getConnectorOrDeleted(id string) (storedDoc, *esError) {
	d, ok, e := n.loadDoc(ConnectorsIndex, id)
	if e != nil {
		return storedDoc{}, e
	}
	if !ok {
		return storedDoc{}, errConnectorNotFound(id)()
	}
	return d, nil
}

func (n *Node) refreshConnectorIndices() {
	for _, name := range []string{ConnectorsIndex, SyncJobsIndex} {
		if ix := n.lookupIndex(name); ix != nil {
			n.afterWrite(context.Background(), refreshNow, []*index{ix})
		}
	}
}

// updateConnector runs change on a connector that exists and is not
// soft-deleted, and answers the update result.
func (n *Node) updateConnector(w http.ResponseWriter, r *http.Request, change func(src map[string]any) *esError) {
	id, ok := requireID(w, r, "connector_id")
	if !ok {
		return
	}
	res, e := n.modify(ConnectorsIndex, id, errConnectorNotFound(id), func(d storedDoc) *esError {
		if d.src["deleted"] == true {
			return errConnectorNotFound(id)()
		}
		return change(d.src)
	})
	if e != nil {
		writeError(w, r, e)
		return
	}
	writeConnectorResult(w, r, res)
}

// updateWithBody reads the body first, then updates.
func (n *Node) updateWithBody(w http.ResponseWriter, r *http.Request, change func(body, src map[string]any) *esError) {
	body, ok := n.readObject(w, r)
	if !ok {
		return
	}
	n.updateConnector(w, r, func(src map[string]any) *esError { return change(body, src) })
}

func (n *Node) handleConnectorCheckIn(w http.ResponseWriter, r *http.Request) {
	n.updateConnector(w, r, func(src map[string]any) *esError {
		src["last_seen"] = n.stamp()
		return nil
	})
}

// Configuration field types and display types the API accepts.
var (
	configTypes    = map[string]bool{"str": true, "int": true, "list": true, "bool": true}
	configDisplays = map[string]bool{"text": true, "textbox": true, "textarea": true, "numeric": true, "toggle": true, "dropdown": true}
)

// handleConnectorConfiguration replaces the whole configuration schema
// ("configuration") or sets values of known fields ("values"); either way
// the connector becomes configured, as Elasticsearch does it.
func (n *Node) handleConnectorConfiguration(w http.ResponseWriter, r *http.Request) {
	n.updateWithBody(w, r, func(body, src map[string]any) *esError {
		full, hasFull := body["configuration"]
		values, hasValues := body["values"]
		switch {
		case hasFull && full != nil:
			cfg, ok := object(full)
			if !ok {
				return errParse("[configuration] must be an object")
			}
			for name, v := range cfg {
				field, ok := object(v)
				if !ok {
					return errParse("[configuration] field [%s] must be an object", name)
				}
				if t, ok := field["type"].(string); field["type"] != nil && (!ok || !configTypes[t]) {
					return errIllegalArgument("Unknown ConfigurationFieldType [%v] of field [%s]", field["type"], name)
				}
				if d, ok := field["display"].(string); field["display"] != nil && (!ok || !configDisplays[d]) {
					return errIllegalArgument("Unknown ConfigurationDisplayType [%v] of field [%s]", field["display"], name)
				}
			}
			src["configuration"] = cfg
		case hasValues && values != nil:
			vals, ok := object(values)
			if !ok {
				return errParse("[values] must be an object")
			}
			cfg, _ := object(src["configuration"])
			var unknown []string
			for k := range vals {
				if _, ok := cfg[k]; !ok {
					unknown = append(unknown, k)
				}
			}
			if len(unknown) > 0 {
				sort.Strings(unknown)
				return errStatus(http.StatusBadRequest, "Unknown [configuration] fields in the request payload: [%s]. Remove them from request or register their schema first.",
					strings.Join(unknown, ", "))
			}
			for k, v := range vals {
				field, _ := object(cfg[k])
				field["value"] = v
			}
		default:
			return errStatus(http.StatusBadRequest, "[configuration] and [values] cannot both be null.")
		}
		src["status"] = "configured"
		return nil
	})
}

func (n *Node) handleConnectorStatus(w http.ResponseWriter, r *http.Request) {
	n.updateWithBody(w, r, func(body, src map[string]any) *esError {
		next, has, e := optString(body, "status")
		if e != nil {
			return e
		}
		if !has {
			return errValidation("[status] cannot be [null]")
		}
		if _, known := connectorTransitions[next]; !known {
			return errIllegalArgument("Unknown ConnectorStatus: %s", next)
		}
		prev, _ := str(src["status"])
		valid := false
		for _, s := range connectorTransitions[prev] {
			valid = valid || s == next
		}
		if !valid {
			return errStatus(http.StatusBadRequest, "Invalid transition attempt from [%s] to [%s]. Such a status transition is not supported by the Connector Protocol.", prev, next)
		}
		src["status"] = next
		return nil
	})
}

// handleConnectorError sets error; a non-empty error makes the connector
// error, a null one connected. The status rules do not apply here.
func (n *Node) handleConnectorError(w http.ResponseWriter, r *http.Request) {
	n.updateWithBody(w, r, func(body, src map[string]any) *esError {
		v, present := body["error"]
		if !present {
			return errValidation("[error] is missing")
		}
		msg, isStr := v.(string)
		if v != nil && !isStr {
			return errParse("[connector_update_error_request] failed to parse field [error]: expected a string or null")
		}
		if v == nil || msg == "" {
			src["error"] = nil
			src["status"] = "connected"
		} else {
			src["error"] = msg
			src["status"] = "error"
		}
		return nil
	})
}

// handleConnectorFiltering replaces the whole filtering list, or, given
// rules and/or advanced_snippet, the draft of the DEFAULT domain, whose
// validation then goes back to edited.
func (n *Node) handleConnectorFiltering(w http.ResponseWriter, r *http.Request) {
	n.updateWithBody(w, r, func(body, src map[string]any) *esError {
		if f, ok := body["filtering"]; ok && f != nil {
			list, ok := f.([]any)
			if !ok || len(list) == 0 {
				return errValidation("[filtering] cannot be empty")
			}
			for i, item := range list {
				if _, ok := object(item); !ok {
					return errParse("[filtering] entry %d must be an object", i)
				}
			}
			src["filtering"] = list
			return nil
		}
		rules, hasRules := body["rules"]
		snippet, hasSnippet := body["advanced_snippet"]
		if !hasRules && !hasSnippet {
			return errValidation("[advanced_snippet] and [rules] cannot be both [null]")
		}
		draft := defaultDraft(src)
		now := n.stamp()
		if hasSnippet {
			s, ok := object(snippet)
			if !ok {
				return errParse("[advanced_snippet] must be an object")
			}
			s["created_at"], s["updated_at"] = firstNonNil(s["created_at"], now), firstNonNil(s["updated_at"], now)
			draft["advanced_snippet"] = s
		}
		if hasRules {
			list, ok := rules.([]any)
			if !ok {
				return errParse("[rules] must be an array")
			}
			draft["rules"] = list
		}
		draft["validation"] = map[string]any{"errors": []any{}, "state": "edited"}
		return nil
	})
}

func firstNonNil(v, def any) any {
	if v == nil {
		return def
	}
	return v
}

// defaultDraft returns the draft rules of the first filtering entry,
// creating the entry when the connector has none.
func defaultDraft(src map[string]any) map[string]any {
	entry := firstFiltering(src)
	draft, ok := object(entry["draft"])
	if !ok {
		draft = map[string]any{}
		entry["draft"] = draft
	}
	return draft
}

func firstFiltering(src map[string]any) map[string]any {
	list, _ := src["filtering"].([]any)
	if len(list) > 0 {
		if entry, ok := object(list[0]); ok {
			return entry
		}
	}
	entry := map[string]any{"domain": "DEFAULT"}
	src["filtering"] = []any{entry}
	return entry
}

func (n *Node) handleConnectorFilteringValidation(w http.ResponseWriter, r *http.Request) {
	n.updateWithBody(w, r, func(body, src map[string]any) *esError {
		v, ok := object(body["validation"])
		if !ok {
			return errValidation("[validation] cannot be [null]")
		}
		switch v["state"] {
		case "edited", "valid", "invalid":
		default:
			return errIllegalArgument("Unknown FilteringValidationState: %v", v["state"])
		}
		if v["errors"] == nil {
			v["errors"] = []any{}
		}
		defaultDraft(src)["validation"] = v
		return nil
	})
}

// handleConnectorFilteringActivate makes a valid draft the active rules.
func (n *Node) handleConnectorFilteringActivate(w http.ResponseWriter, r *http.Request) {
	n.updateConnector(w, r, func(src map[string]any) *esError {
		entry := firstFiltering(src)
		draft, _ := object(entry["draft"])
		validation, _ := object(draft["validation"])
		state, _ := str(validation["state"])
		if state != "valid" {
			return errStatus(http.StatusBadRequest, "Filtering draft needs to be validated by the connector service before activation. Current filtering draft validation state [%s] is not equal to [valid].", state)
		}
		copied, _ := decodeSource(mustJSON(draft))
		entry["active"] = copied
		return nil
	})
}

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

// handleConnectorScheduling merges the given schedules into the current
// ones; every interval must be a valid Quartz cron expression.
func (n *Node) handleConnectorScheduling(w http.ResponseWriter, r *http.Request) {
	n.updateWithBody(w, r, func(body, src map[string]any) *esError {
		sched, ok := object(body["scheduling"])
		if !ok || len(sched) == 0 {
			return errValidation("[scheduling] cannot be [null] or empty")
		}
		current, _ := object(src["scheduling"])
		if current == nil {
			current = defaultScheduling()
		}
		for kind, v := range sched {
			if kind != "access_control" && kind != "full" && kind != "incremental" {
				return errParse("[scheduling] unknown field [%s]", kind)
			}
			s, ok := object(v)
			if !ok {
				return errParse("[scheduling.%s] must be an object", kind)
			}
			if iv, ok := s["interval"].(string); ok {
				if _, err := quartz.Parse(iv); err != nil {
					return errParse("[scheduling.%s.interval] %s", kind, err.Error())
				}
			} else if s["interval"] != nil {
				return errParse("[scheduling.%s.interval] must be a string", kind)
			}
			cur, _ := object(current[kind])
			if cur == nil {
				cur = map[string]any{}
			}
			for k, val := range s {
				cur[k] = val
			}
			current[kind] = cur
		}
		src["scheduling"] = current
		return nil
	})
}

// Sync statuses a job or a connector's last_*_status may take.
var syncStatuses = map[string]bool{"pending": true, "in_progress": true, "canceling": true, "canceled": true,
	"suspended": true, "completed": true, "error": true}

// handleConnectorLastSync sets the given last_* sync fields (and
// sync_cursor); fields left out keep their value.
func (n *Node) handleConnectorLastSync(w http.ResponseWriter, r *http.Request) {
	dates := []string{"last_access_control_sync_scheduled_at", "last_incremental_sync_scheduled_at",
		"last_seen", "last_sync_scheduled_at", "last_synced"}
	statuses := []string{"last_access_control_sync_status", "last_sync_status"}
	counts := []string{"last_deleted_document_count", "last_indexed_document_count"}
	texts := []string{"last_access_control_sync_error", "last_sync_error"}
	n.updateWithBody(w, r, func(body, src map[string]any) *esError {
		for k, v := range body {
			if v == nil {
				continue
			}
			switch {
			case contains(dates, k):
				s, ok := v.(string)
				if _, err := time.Parse(time.RFC3339Nano, s); !ok || err != nil {
					return errParse("[connector_update_last_sync_stats_request] failed to parse field [%s]: %v is not a date", k, v)
				}
			case contains(statuses, k):
				if s, ok := v.(string); !ok || !syncStatuses[s] {
					return errIllegalArgument("Unknown ConnectorSyncStatus: %v", v)
				}
			case contains(counts, k):
				if _, ok := v.(json.Number); !ok {
					return errParse("[connector_update_last_sync_stats_request] failed to parse field [%s]: expected a number", k)
				}
			case contains(texts, k):
				if _, ok := v.(string); !ok {
					return errParse("[connector_update_last_sync_stats_request] failed to parse field [%s]: expected a string", k)
				}
			case k == "sync_cursor":
			default:
				return errParse("[connector_update_last_sync_stats_request] unknown field [%s]", k)
			}
			src[k] = v
		}
		return nil
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// handleConnectorServiceType sets service_type; a connector past created
// needs configuring again.
func (n *Node) handleConnectorServiceType(w http.ResponseWriter, r *http.Request) {
	n.updateWithBody(w, r, func(body, src map[string]any) *esError {
		st, has, e := optString(body, "service_type")
		if e != nil {
			return e
		}
		if !has || st == "" {
			return errValidation("[service_type] cannot be [null] or [\"\"]")
		}
		src["service_type"] = st
		if src["status"] != "created" {
			src["status"] = "needs_configuration"
		}
		return nil
	})
}
