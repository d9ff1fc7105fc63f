package esnode

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"time"
)

// writeOp is one document write, from a bulk line or a document API call.
type writeOp struct {
	action  string // index, create, update, delete
	id      string
	routing string
	// body is the document source (index, create) or the update request
	// body (update); nil for delete.
	body          json.RawMessage
	ifSeqNo       *int64
	ifPrimaryTerm *int64
	version       *int64
	versionType   string // "", "internal", "external", "external_gte"
}

// writeResult is what a successful write reports.
type writeResult struct {
	id      string
	result  string // created, updated, noop, deleted, not_found
	status  int
	version int64
	seqNo   int64
}

// primaryTerm is fixed: the node never fails over.
const primaryTerm = 1

// updateBody is the body of an update action.
type updateBody struct {
	Doc         json.RawMessage `json:"doc"`
	Upsert      json.RawMessage `json:"upsert"`
	DocAsUpsert bool            `json:"doc_as_upsert"`
	DetectNoop  *bool           `json:"detect_noop"`
	Script      json.RawMessage `json:"script"`
}

// validateOp rejects option combinations ES rejects before touching the
// index: an unknown version type (illegal_argument_exception), then every
// other problem at once (action_request_validation_exception).
func validateOp(op *writeOp) *esError {
	if e := versionTypeError(op); e != nil {
		return e
	}
	if msgs := opProblems(op); len(msgs) > 0 {
		return validationFailed(msgs)
	}
	return nil
}

func versionTypeError(op *writeOp) *esError {
	switch op.versionType {
	case "", "internal", "external", "external_gte":
		return nil
	}
	return errIllegalArgument("No version type match [%s]", op.versionType)
}

// opProblems lists what is wrong with op's versioning options, in the words
// of Elasticsearch's request validation.
func opProblems(op *writeOp) []string {
	var msgs []string
	external := op.versionType == "external" || op.versionType == "external_gte"
	if op.action == "update" {
		if external {
			msgs = append(msgs, "version type ["+op.versionType+"] is not supported by the update API")
		}
		if op.version != nil {
			msgs = append(msgs, "internal versioning can not be used for optimistic concurrency control. Please use `if_seq_no` and `if_primary_term` instead")
		}
	}
	if external && op.version == nil {
		msgs = append(msgs, "an external version must be given")
	}
	if !external && op.version != nil && op.action != "update" {
		msgs = append(msgs, "internal versioning can not be used for optimistic concurrency control. Please use `if_seq_no` and `if_primary_term` instead")
	}
	if (op.ifSeqNo == nil) != (op.ifPrimaryTerm == nil) {
		msgs = append(msgs, "ifSeqNo is set, but primary term is [0]")
	}
	if op.ifSeqNo != nil && external {
		msgs = append(msgs, "compare and write operations can not use versioning")
	}
	if op.action == "create" && external {
		msgs = append(msgs, "create operations only support internal versioning. use index instead")
	}
	return msgs
}

// validationFailed numbers problems the way Elasticsearch's validation
// exception does: "Validation Failed: 1: a;2: b;".
func validationFailed(msgs []string) *esError {
	var b strings.Builder
	b.WriteString("Validation Failed: ")
	for i, m := range msgs {
		fmt.Fprintf(&b, "%d: %s;", i+1, m)
	}
	return newError(http.StatusBadRequest, "action_request_validation_exception", b.String())
}

// apply performs op on the index. The caller holds ix.mu for writing.
func (ix *index) apply(op *writeOp, now time.Time) (writeResult, *esError) {
	prev := ix.live[op.id]
	var current *doc
	if prev != nil && !prev.deleted {
		current = prev
	}
	if err := ix.checkPreconditions(op, prev, current); err != nil {
		// Elasticsearch parses a document against the mapping before the
		// engine resolves versions, so a document that does not fit is a
		// 400 even when it is also stale. Answering 409 would tell a
		// DOC_ID=key sink that a rejected record is already stored (noop),
		// and it would never be dead-lettered.
		if op.action == "index" || op.action == "create" {
			if perr := ix.checkSource(op); perr != nil {
				return writeResult{}, perr
			}
		}
		return writeResult{}, err.withIndex(ix.name, ix.uuid)
	}
	switch op.action {
	case "delete":
		return ix.applyDelete(op, prev, current), nil
	case "update":
		return ix.applyUpdate(op, prev, current, now)
	}
	return ix.applyIndex(op, op.body, prev, current, now)
}

func (ix *index) checkPreconditions(op *writeOp, prev, current *doc) *esError {
	conflict := func(format string, args ...any) *esError {
		return errorf(http.StatusConflict, "version_conflict_engine_exception", "[%s]: version conflict, "+format, append([]any{op.id}, args...)...)
	}
	if op.action == "create" && current != nil {
		return conflict("document already exists (current version [%d])", current.version)
	}
	if op.ifSeqNo != nil {
		if current == nil {
			return conflict("required seqNo [%d], primary term [%d]. but no document was found", *op.ifSeqNo, *op.ifPrimaryTerm)
		}
		if current.seqNo != *op.ifSeqNo || *op.ifPrimaryTerm != primaryTerm {
			return conflict("required seqNo [%d], primary term [%d]. current document has seqNo [%d] and primary term [%d]",
				*op.ifSeqNo, *op.ifPrimaryTerm, current.seqNo, primaryTerm)
		}
	}
	if op.version != nil && prev != nil {
		switch op.versionType {
		case "external":
			if prev.version >= *op.version {
				return conflict("current version [%d] is higher or equal to the one provided [%d]", prev.version, *op.version)
			}
		case "external_gte":
			if prev.version > *op.version {
				return conflict("current version [%d] is higher than the one provided [%d]", prev.version, *op.version)
			}
		}
	}
	return nil
}

// nextVersion is the version a write gets: the external one when given,
// else one more than the last (tombstones included, as in ES).
func nextVersion(op *writeOp, prev *doc) int64 {
	if op.version != nil && (op.versionType == "external" || op.versionType == "external_gte") {
		return *op.version
	}
	if prev == nil {
		return 1
	}
	return prev.version + 1
}

func (ix *index) store(d *doc) {
	ix.live[d.id] = d
	ix.pending[d.id] = d
	ix.nextSeqNo++
}

func (ix *index) applyDelete(op *writeOp, prev, current *doc) writeResult {
	d := &doc{id: op.id, routing: op.routing, version: nextVersion(op, prev), seqNo: ix.nextSeqNo, deleted: true}
	ix.store(d)
	if current == nil {
		return writeResult{id: op.id, result: "not_found", status: http.StatusNotFound, version: d.version, seqNo: d.seqNo}
	}
	ix.deletedDocs++
	return writeResult{id: op.id, result: "deleted", status: http.StatusOK, version: d.version, seqNo: d.seqNo}
}

// parseSource decodes a document source; numbers stay json.Number so that
// mapping checks see them as written.
func parseSource(raw json.RawMessage, id string) (map[string]any, *esError) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var src map[string]any
	err := dec.Decode(&src)
	if err == nil && dec.More() {
		err = fmt.Errorf("unexpected data after the document")
	}
	var notObject *json.UnmarshalTypeError
	switch {
	case err == nil && src != nil:
		return src, nil
	case errors.As(err, &notObject), err == nil:
		// Valid JSON that is not an object: an array, a string, null.
		return nil, newError(http.StatusBadRequest, "document_parsing_exception", "Malformed content, must start with an object")
	}
	// Not JSON at all: Elasticsearch passes on its parser's failure.
	return nil, &esError{
		Status: http.StatusBadRequest,
		Type:   "document_parsing_exception",
		Reason: fmt.Sprintf("failed to parse document with id '%s': %v", id, err),
		CausedBy: &esError{Type: "x_content_parse_exception", Reason: err.Error(),
			CausedBy: &esError{Type: "json_parse_exception", Reason: err.Error()}},
	}
}

// checkSource parses op's document against the mapping without storing
// it or changing the mapping.
func (ix *index) checkSource(op *writeOp) *esError {
	src, perr := parseSource(op.body, op.id)
	if perr != nil {
		return perr
	}
	m := &mapper{root: ix.mapping, docID: op.id}
	return m.checkDoc(src)
}

func (ix *index) applyIndex(op *writeOp, body json.RawMessage, prev, current *doc, now time.Time) (writeResult, *esError) {
	// Parsing and mapping failures name no index or shard, unlike the
	// engine's version conflicts and missing documents.
	src, perr := parseSource(body, op.id)
	if perr != nil {
		return writeResult{}, perr
	}
	m := &mapper{root: ix.mapping, docID: op.id}
	if err := m.checkDoc(src); err != nil {
		return writeResult{}, err
	}
	m.commit()
	d := &doc{
		id: op.id, source: compactSource(body), routing: op.routing,
		version: nextVersion(op, prev), seqNo: ix.nextSeqNo, createdTime: now,
	}
	ix.store(d)
	if current == nil {
		return writeResult{id: op.id, result: "created", status: http.StatusCreated, version: d.version, seqNo: d.seqNo}, nil
	}
	return writeResult{id: op.id, result: "updated", status: http.StatusOK, version: d.version, seqNo: d.seqNo}, nil
}

func (ix *index) applyUpdate(op *writeOp, prev, current *doc, now time.Time) (writeResult, *esError) {
	var ub updateBody
	if err := json.Unmarshal(op.body, &ub); err != nil {
		return writeResult{}, errorf(http.StatusBadRequest, "x_content_parse_exception", "[1:1] [UpdateRequest] failed to parse: %v", err)
	}
	if len(ub.Script) > 0 && string(ub.Script) != "null" {
		return writeResult{}, errIllegalArgument("scripted updates are not supported by this node")
	}
	if current == nil {
		var insert json.RawMessage
		switch {
		case len(ub.Upsert) > 0 && string(ub.Upsert) != "null":
			insert = ub.Upsert
		case ub.DocAsUpsert && len(ub.Doc) > 0:
			insert = ub.Doc
		default:
			return writeResult{}, errorf(http.StatusNotFound, "document_missing_exception", "[%s]: document missing", op.id).withIndex(ix.name, ix.uuid)
		}
		return ix.applyIndex(op, insert, prev, nil, now)
	}
	if len(ub.Doc) == 0 || string(ub.Doc) == "null" {
		return writeResult{}, newError(http.StatusBadRequest, "action_request_validation_exception", "Validation Failed: 1: script or doc is missing;")
	}
	old, perr := parseSource(current.source, op.id)
	if perr != nil {
		return writeResult{}, perr
	}
	patch, perr := parseSource(ub.Doc, op.id)
	if perr != nil {
		return writeResult{}, perr
	}
	changed := mergeInto(old, patch)
	detectNoop := ub.DetectNoop == nil || *ub.DetectNoop
	if !changed && detectNoop {
		return writeResult{id: op.id, result: "noop", status: http.StatusOK, version: current.version, seqNo: current.seqNo}, nil
	}
	merged, err := json.Marshal(old)
	if err != nil {
		return writeResult{}, errorf(http.StatusInternalServerError, "exception", "encoding merged source: %v", err)
	}
	return ix.applyIndex(op, merged, prev, current, now)
}

// mergeInto merges patch into dst the way a partial update does: objects
// are merged recursively, everything else is replaced. It reports whether
// dst changed.
func mergeInto(dst, patch map[string]any) bool {
	changed := false
	for k, pv := range patch {
		if pm, ok := pv.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				if mergeInto(dm, pm) {
					changed = true
				}
				continue
			}
		}
		if old, ok := dst[k]; !ok || !reflect.DeepEqual(old, pv) {
			changed = true
		}
		dst[k] = pv
	}
	return changed
}

// compactSource keeps the source as sent, minus surrounding whitespace, in
// a buffer of its own (the request buffer is reused).
func compactSource(b json.RawMessage) json.RawMessage {
	b = bytes.TrimSpace(b)
	out := make(json.RawMessage, len(b))
	copy(out, b)
	return out
}
