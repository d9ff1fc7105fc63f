// Package esbulk writes batches of actions to Elasticsearch with the bulk API
// and accounts for every one of them: each action ends with an Outcome that
// says whether Elasticsearch stored it, rejected it for good, or could not be
// reached within the retry budget.
//
// Transient failures are re-sent, alone, with exponential backoff and full
// jitter: item 429 and circuit-breaker rejections, item 502/503/504, item 409
// on update with internal versioning, request 429 and 5xx, connection
// errors and answers that cannot be parsed. Everything else an item can get
// (parsing and illegal-argument 400s, document_missing 404, 409 on create or
// with external versions, 413 for a single document) is permanent and left
// to the caller. A 413 for several documents splits the request. The full
// table, with reasons, is in docs/elasticsearch.md.
//
// Writer.Encode runs Write's encoding without sending, for measuring it
// (the CPU path of docs/performance.md) and for looking at what would be
// sent.
package esbulk

import "net/http"

// Op is a bulk operation type.
type Op uint8

// Bulk operations, named as in the bulk API.
const (
	OpIndex Op = iota
	OpCreate
	OpUpdate
	OpDelete
)

// String returns the bulk API name of the operation.
func (o Op) String() string {
	switch o {
	case OpIndex:
		return "index"
	case OpCreate:
		return "create"
	case OpUpdate:
		return "update"
	case OpDelete:
		return "delete"
	}
	return "unknown"
}

// Action is one bulk operation and its source line.
type Action struct {
	Op    Op
	Index string
	// ID is the document id; empty lets Elasticsearch generate one (index and
	// create only).
	ID       string
	Routing  string
	Pipeline string
	// Version and VersionType ("external" or "external_gte") request external
	// versioning; zero VersionType means internal versioning and Version is
	// ignored.
	Version         int64
	VersionType     string
	RetryOnConflict int
	// Body is the source line for index and create, or the update body
	// ({"doc":..., "doc_as_upsert":true}) for update, as compact JSON without a
	// trailing newline. It is nil for delete.
	Body []byte
	// Flat says that Body holds no raw newline or carriage return, as a
	// builder that escapes every string and compacts every JSON value
	// guarantees (msgdoc): the writer then does not look for them (see
	// AppendAction). Leave it false for bodies from anywhere else.
	Flat bool
}

// Outcome is what became of one Action.
type Outcome struct {
	// Status is the HTTP status of the item's last answer, 0 if it never got one.
	Status int
	// Result is Elasticsearch's result: created, updated, noop, deleted, not_found.
	Result string
	// ID is the document id, as assigned by Elasticsearch when Action.ID was empty.
	ID string
	// Err is set when the action did not succeed.
	Err *ItemError
	// Attempts counts the bulk requests that carried this action.
	Attempts int
}

// ItemError is a failure Elasticsearch reported for one item, or the last
// transport failure for an item that was never answered.
type ItemError struct {
	Status int
	Type   string
	Reason string
	// Retriable reports that the failure was transient (429, 5xx, transport);
	// a retriable error left in a Report means the retry budget ran out.
	Retriable bool
}

func (e *ItemError) Error() string {
	return e.Type + ": " + e.Reason
}

// Forbidden reports a refusal of the credentials or of their privileges:
// a 401, or a 403 other than a cluster block (security_exception from a key
// that lacks a privilege, or a proxy's 403). Such a failure is not the
// document's fault and would hit every document alike, so it is neither
// retried nor a reason to dead-letter the record; Write's error wraps
// ErrForbidden when an action got one.
func (e *ItemError) Forbidden() bool {
	return e.Status == http.StatusUnauthorized || (e.Status == http.StatusForbidden && e.Type != typeClusterBlock)
}

// Is makes errors.Is(err, ErrForbidden) true for a forbidden ItemError.
func (e *ItemError) Is(target error) bool {
	return target == ErrForbidden && e.Forbidden()
}
