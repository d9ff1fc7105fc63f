package esbulk

import (
	"net/http"
)

// verdict is what the writer does with an answered item.
type verdict uint8

const (
	done      verdict = iota // stored, deleted, noop or not_found: final
	permanent                // rejected for good: reported, not retried
	retriable                // transient: re-sent in the next round
)

// Error types that mean "back off and try again" whatever the status says.
const (
	typeRejected       = "es_rejected_execution_exception"
	typeCircuitBreaker = "circuit_breaking_exception"
	// typeClusterBlock is a 403 for a write block: index.blocks.write or
	// read_only_allow_delete, which Elasticsearch sets on its own when a
	// disk passes the flood-stage watermark and lifts once space is freed.
	typeClusterBlock = "cluster_block_exception"
)

// retriableType reports error types that are transient whatever the status.
func retriableType(typ string) bool {
	return typ == typeRejected || typ == typeCircuitBreaker || typ == typeClusterBlock
}

// classifyItem decides the fate of one answered item.
//
// 409 is the subtle case. On update with internal versioning it means a
// concurrent write moved the document between the get and the put of the
// update (retry_on_conflict was exhausted); re-sending recomputes the merge
// and is correct. On create it means the document exists, and with external
// versions it means a newer version is stored: both are answers for the
// caller to interpret (often "already done"), so retrying would only repeat
// the same answer.
func classifyItem(a *Action, it *itemResult) verdict {
	if it.Error != nil && retriableType(it.Error.Type) {
		return retriable
	}
	switch {
	case it.Status >= 200 && it.Status < 300:
		return done
	case it.Status == http.StatusNotFound && it.Error == nil:
		// A delete of a missing document answers 404 result not_found
		// without an error: the document is gone, which is what was asked.
		return done
	case it.Status == http.StatusConflict:
		if a.Op == OpUpdate && a.VersionType == "" {
			return retriable
		}
		return permanent
	case retriableStatus(it.Status):
		return retriable
	}
	return permanent
}

// retriableStatus reports item statuses that are transient: backpressure and
// a shard that is moving, recovering or unreachable. An item 500 is not
// among them: Elasticsearch uses it for failures in the document's own
// processing (a script error, an ingest pipeline failure) that recur.
func retriableStatus(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// retriableRequest reports whole-request answers worth retrying: 429 and
// every 5xx, which come from the node or a proxy in front of it being
// overloaded, restarting or failing over, and a cluster block. The other
// 4xx (bad credentials, missing privileges, a malformed request) would fail
// the same way again.
func retriableRequest(status int, typ string) bool {
	return status == http.StatusTooManyRequests || status >= 500 || retriableType(typ)
}
