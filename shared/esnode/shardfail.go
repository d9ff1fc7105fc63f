package esnode

import "net/http"

// shardFailure is how a search reports a failure of its query phase on a
// shard (a result window too large, a sort the mapping cannot serve, a
// scroll context that is gone): a search_phase_execution_exception whose
// root cause is the shard's failure, with the status of that failure.
// shard is -1 and index "" when the failure belongs to no known shard, as
// for a missing scroll context.
func (n *Node) shardFailure(cause *esError, shard int, index string) *esError {
	failed := map[string]any{"shard": shard, "index": nil, "reason": cause.object()}
	if index != "" {
		failed["index"] = index
		failed["node"] = n.nodeID
	}
	e := &esError{
		Status: cause.Status, Type: "search_phase_execution_exception", Reason: "all shards failed",
		Extra:     map[string]any{"phase": "query", "grouped": true, "failed_shards": []any{failed}},
		RootCause: cause,
	}
	// Elasticsearch carries a Java exception (an illegal argument) as the
	// cause twice over, its own exceptions about the shard's query not at
	// all, and a missing context once.
	switch cause.Type {
	case "illegal_argument_exception":
		inner := *cause
		outer := *cause
		outer.CausedBy = &inner
		e.CausedBy = &outer
	case "search_context_missing_exception":
		e.CausedBy = cause
	}
	return e
}

func errScrollMissing(id string) *esError {
	return &esError{
		Status: http.StatusNotFound, Type: "search_context_missing_exception",
		Reason: "No search context found for id [" + id + "]",
	}
}
