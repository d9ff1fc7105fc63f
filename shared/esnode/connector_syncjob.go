package esnode

import (
	"net/http"
	"sort"
	"strings"
)

// The sync job endpoints of the Connector API, with the rules of
// Elasticsearch's ConnectorSyncJobIndexService and its state machine.

var syncJobRoutes = map[string]connectorHandler{
	"POST /_connector/_sync_job":                                  (*Node).handlePostSyncJob,
	"GET /_connector/_sync_job":                                   (*Node).handleListSyncJobs,
	"GET /_connector/_sync_job/{connector_sync_job_id}":           (*Node).handleGetSyncJob,
	"DELETE /_connector/_sync_job/{connector_sync_job_id}":        (*Node).handleDeleteSyncJob,
	"PUT /_connector/_sync_job/{connector_sync_job_id}/_cancel":   (*Node).handleCancelSyncJob,
	"PUT /_connector/_sync_job/{connector_sync_job_id}/_check_in": (*Node).handleCheckInSyncJob,
	"PUT /_connector/_sync_job/{connector_sync_job_id}/_claim":    (*Node).handleClaimSyncJob,
	"PUT /_connector/_sync_job/{connector_sync_job_id}/_error":    (*Node).handleSyncJobError,
	"PUT /_connector/_sync_job/{connector_sync_job_id}/_stats":    (*Node).handleSyncJobStats,
}

// syncJobTransitions is ConnectorSyncJobStateMachine.
var syncJobTransitions = map[string][]string{
	"pending":     {"in_progress", "canceled"},
	"in_progress": {"canceling", "completed", "suspended", "error"},
	"suspended":   {"in_progress", "canceled"},
	"canceling":   {"canceled", "error"},
}

var (
	jobTypes       = map[string]bool{"full": true, "incremental": true, "access_control": true}
	triggerMethods = map[string]bool{"on_demand": true, "scheduled": true}
)

// accessControlPrefix names the index access-control syncs write to.
const accessControlPrefix = ".search-acl-filter-"

func checkJobTransition(prev, next string) *esError {
	for _, s := range syncJobTransitions[prev] {
		if s == next {
			return nil
		}
	}
	return errStatus(http.StatusBadRequest, "Invalid transition attempt from [%s] to [%s]. Such a status transition is not supported by the Connector Protocol.", prev, next)
}

// handlePostSyncJob creates a pending job carrying a snapshot of the
// connector: its active filtering, index, language, pipeline, service type
// and configuration.
func (n *Node) handlePostSyncJob(w http.ResponseWriter, r *http.Request) {
	body, ok := n.readObject(w, r)
	if !ok {
		return
	}
	connectorID, _, e := optString(body, "id")
	if e != nil {
		writeError(w, r, e)
		return
	}
	if strings.TrimSpace(connectorID) == "" {
		writeError(w, r, errValidation("[id] of the connector cannot be [null] or [\"\"]"))
		return
	}
	jobType, trigger := "full", "on_demand"
	for key, dst := range map[string]*string{"job_type": &jobType, "trigger_method": &trigger} {
		v, has, e := optString(body, key)
		if e != nil {
			writeError(w, r, e)
			return
		}
		if has {
			*dst = v
		}
	}
	if !jobTypes[jobType] {
		writeError(w, r, errParse("[connector_sync_job_post_request] failed to parse field [job_type]: Unknown ConnectorSyncJobType [%s]", jobType))
		return
	}
	if !triggerMethods[trigger] {
		writeError(w, r, errParse("[connector_sync_job_post_request] failed to parse field [trigger_method]: Unknown ConnectorSyncJobTriggerMethod [%s]", trigger))
		return
	}
	c, ok, e := n.loadDoc(ConnectorsIndex, connectorID)
	if e != nil {
		writeError(w, r, e)
		return
	}
	if !ok || c.src["deleted"] == true {
		writeError(w, r, errorf(http.StatusNotFound, "resource_not_found_exception", "Connector with id '%s' does not exist.", connectorID))
		return
	}
	indexName, _ := str(c.src["index_name"])
	if indexName == "" {
		writeError(w, r, errStatus(http.StatusBadRequest, "Cannot start a sync for connector [%s] with no index attached. Set the [index_name] property for the connector to enable syncing data.", connectorID))
		return
	}
	if st, _ := str(c.src["service_type"]); st == "" {
		writeError(w, r, errStatus(http.StatusBadRequest, "Cannot start a sync for connector [%s] with [service_type] not defined. Set the service type of your connector before starting the sync.", connectorID))
		return
	}
	if jobType == "access_control" {
		indexName = accessControlPrefix + indexName
	}
	snapshot := map[string]any{"id": connectorID, "index_name": indexName}
	if entry := firstFilteringOf(c.src); entry != nil && entry["active"] != nil {
		snapshot["filtering"] = entry["active"]
	}
	for _, k := range []string{"language", "pipeline", "service_type", "configuration"} {
		if v := c.src[k]; v != nil {
			snapshot[k] = v
		}
	}
	now := n.stamp()
	src := map[string]any{
		"connector": snapshot, "created_at": now, "deleted_document_count": 0,
		"indexed_document_count": 0, "indexed_document_volume": 0, "job_type": jobType,
		"last_seen": now, "metadata": map[string]any{}, "status": "pending",
		"total_document_count": 0, "trigger_method": trigger,
	}
	id := n.ids.next()
	if _, e := n.storeDoc(SyncJobsIndex, id, src, nil); e != nil {
		writeError(w, r, e)
		return
	}
	writeJSON(w, r, http.StatusCreated, map[string]any{"id": id})
}

func firstFilteringOf(src map[string]any) map[string]any {
	list, _ := src["filtering"].([]any)
	if len(list) == 0 {
		return nil
	}
	entry, _ := object(list[0])
	return entry
}

func (n *Node) handleGetSyncJob(w http.ResponseWriter, r *http.Request) {
	id, ok := requireID(w, r, "connector_sync_job_id")
	if !ok {
		return
	}
	d, found, e := n.loadDoc(SyncJobsIndex, id)
	if e == nil && !found {
		e = errSyncJobNotFound(id)()
	}
	if e != nil {
		writeError(w, r, e)
		return
	}
	writeJSON(w, r, http.StatusOK, withID(d))
}

// handleListSyncJobs lists jobs newest first, filtered by connector_id,
// status and job_type.
func (n *Node) handleListSyncJobs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from, size, e := pageParams(q)
	if e != nil {
		writeError(w, r, e)
		return
	}
	if s := q.Get("status"); s != "" && !syncStatuses[s] {
		writeError(w, r, errIllegalArgument("Unknown ConnectorSyncStatus: %s", s))
		return
	}
	types := splitParam(q.Get("job_type"))
	for _, t := range types {
		if !jobTypes[t] {
			writeError(w, r, errIllegalArgument("Unknown ConnectorSyncJobType [%s]", t))
			return
		}
	}
	docs, e := n.allDocs(SyncJobsIndex)
	if e != nil {
		writeError(w, r, e)
		return
	}
	var out []storedDoc
	for _, d := range docs {
		c, _ := object(d.src["connector"])
		if id := q.Get("connector_id"); id != "" && (c == nil || c["id"] != id) {
			continue
		}
		if s := q.Get("status"); s != "" && d.src["status"] != s {
			continue
		}
		if len(types) > 0 {
			jt, _ := str(d.src["job_type"])
			if !contains(types, jt) {
				continue
			}
		}
		out = append(out, d)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, _ := str(out[i].src["created_at"])
		b, _ := str(out[j].src["created_at"])
		return a > b
	})
	writeJSON(w, r, http.StatusOK, listPage(out, from, size))
}

func (n *Node) handleDeleteSyncJob(w http.ResponseWriter, r *http.Request) {
	id, ok := requireID(w, r, "connector_sync_job_id")
	if !ok {
		return
	}
	if _, found, e := n.loadDoc(SyncJobsIndex, id); e != nil || !found {
		if e == nil {
			e = errSyncJobNotFound(id)()
		}
		writeError(w, r, e)
		return
	}
	if _, _, e := n.execute(SyncJobsIndex, &writeOp{action: "delete", id: id}, false); e != nil {
		writeError(w, r, e)
		return
	}
	n.refreshConnectorIndices()
	writeJSON(w, r, http.StatusOK, map[string]any{"acknowledged": true})
}

// updateSyncJob runs change on an existing job and answers the result.
func (n *Node) updateSyncJob(w http.ResponseWriter, r *http.Request, body map[string]any, change func(body, src map[string]any) *esError) {
	id, ok := requireID(w, r, "connector_sync_job_id")
	if !ok {
		return
	}
	res, e := n.modify(SyncJobsIndex, id, errSyncJobNotFound(id), func(d storedDoc) *esError { return change(body, d.src) })
	if e != nil {
		writeError(w, r, e)
		return
	}
	writeConnectorResult(w, r, res)
}

func (n *Node) withJobBody(w http.ResponseWriter, r *http.Request, change func(body, src map[string]any) *esError) {
	body, ok := n.readObject(w, r)
	if !ok {
		return
	}
	n.updateSyncJob(w, r, body, change)
}

// handleCancelSyncJob cancels a job that has not started at once and asks
// a running one to stop (canceling); the connector service finishes it.
func (n *Node) handleCancelSyncJob(w http.ResponseWriter, r *http.Request) {
	n.updateSyncJob(w, r, nil, func(_, src map[string]any) *esError {
		prev, _ := str(src["status"])
		now := n.stamp()
		if prev == "pending" || prev == "suspended" {
			src["status"] = "canceled"
			src["cancelation_requested_at"], src["canceled_at"], src["completed_at"] = now, now, now
			return nil
		}
		if e := checkJobTransition(prev, "canceling"); e != nil {
			return e
		}
		src["status"] = "canceling"
		src["cancelation_requested_at"] = now
		return nil
	})
}

func (n *Node) handleCheckInSyncJob(w http.ResponseWriter, r *http.Request) {
	n.updateSyncJob(w, r, nil, func(_, src map[string]any) *esError {
		src["last_seen"] = n.stamp()
		return nil
	})
}

// handleClaimSyncJob marks a job in_progress for a worker. Like
// Elasticsearch's, it does not look at the job's current status: two
// workers claiming the same job both succeed, so a service that must run a
// job once claims it with a conditional update of the document instead.
func (n *Node) handleClaimSyncJob(w http.ResponseWriter, r *http.Request) {
	n.withJobBody(w, r, func(body, src map[string]any) *esError {
		host, has, e := optString(body, "worker_hostname")
		if e != nil {
			return e
		}
		if !has {
			return errValidation("[worker_hostname] of the connector sync job cannot be [null]")
		}
		now := n.stamp()
		src["worker_hostname"], src["status"], src["last_seen"], src["started_at"] = host, "in_progress", now, now
		if cursor, ok := body["sync_cursor"]; ok && cursor != nil {
			c, _ := object(src["connector"])
			if c == nil {
				c = map[string]any{}
				src["connector"] = c
			}
			c["sync_cursor"] = cursor
		}
		return nil
	})
}

func (n *Node) handleSyncJobError(w http.ResponseWriter, r *http.Request) {
	n.withJobBody(w, r, func(body, src map[string]any) *esError {
		msg, has, e := optString(body, "error")
		if e != nil {
			return e
		}
		if !has {
			return errValidation("[error] of the connector sync job cannot be [null]")
		}
		prev, _ := str(src["status"])
		if e := checkJobTransition(prev, "error"); e != nil {
			return e
		}
		src["error"], src["status"] = msg, "error"
		return nil
	})
}

// handleSyncJobStats sets the ingestion counts (and last_seen, metadata).
func (n *Node) handleSyncJobStats(w http.ResponseWriter, r *http.Request) {
	n.withJobBody(w, r, func(body, src map[string]any) *esError {
		var msgs []string
		vals := map[string]int64{}
		for _, k := range []string{"deleted_document_count", "indexed_document_count", "indexed_document_volume", "total_document_count"} {
			v, has, e := optInt(body, k)
			if e != nil {
				return e
			}
			switch {
			case !has && k != "total_document_count":
				msgs = append(msgs, "["+k+"] cannot be [null].")
			case has && v < 0:
				msgs = append(msgs, "["+k+"] cannot be negative.")
			case has:
				vals[k] = v
			}
		}
		if len(msgs) > 0 {
			return errValidation(msgs...)
		}
		for k, v := range vals {
			src[k] = v
		}
		src["last_seen"] = n.stamp()
		if ls, has, e := optString(body, "last_seen"); e != nil {
			return e
		} else if has {
			src["last_seen"] = ls
		}
		if m, ok := body["metadata"]; ok && m != nil {
			mo, isObj := object(m)
			if !isObj {
				return errParse("[connector_sync_job_update_stats_request] failed to parse field [metadata]: expected an object")
			}
			src["metadata"] = mo
		}
		return nil
	})
}
