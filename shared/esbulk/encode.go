package esbulk

import (
	"bytes"
	"strconv"

	"github.com/esconnect/esconnect/shared/jsonstr"
)

// AppendAction appends the NDJSON lines of a (the action line, then the
// source line unless it is a delete) to dst and returns the extended slice.
// It writes JSON by hand into the caller's buffer: json.Marshal per action
// would allocate a map or struct encoding for every document of a batch.
//
// Newlines inside Body are replaced by spaces. In valid JSON a raw newline
// can only be whitespace between tokens, so this changes nothing for
// Elasticsearch, while a newline left in place would split the source line
// and shift every later line of the request onto the wrong action.
func AppendAction(dst []byte, a *Action) []byte {
	dst = appendMeta(dst, a)
	if a.Op == OpDelete {
		return dst
	}
	start := len(dst)
	dst = append(dst, a.Body...)
	if !a.Flat && hasNewline(a.Body) {
		flattenNewlines(dst[start:])
	}
	return append(dst, '\n')
}

// metaLen is the length of a's action line as appendMeta writes it, exact
// unless an id, routing, pipeline or version type needs escaping (see
// metaRestLen). It sizes a batch's buffer of action lines in one
// allocation: an estimate with a safety margin cost a tenth of a 6 MB
// event's size.
func metaLen(a *Action) int {
	return metaHeadLen(a) + metaRestLen(a)
}

// metaHeadLen is the exact length of what appendMetaHead writes.
func metaHeadLen(a *Action) int {
	return len(`{"":{"_index":`) + len(a.Op.String()) + jsonstr.Len(a.Index)
}

// metaRestLen is the length of what appendMetaRest writes when none of its
// strings needs escaping, and a lower bound when one does. Ids, routings
// and pipelines with a quote, a backslash or a control character are rare,
// and the line that has one only grows the buffer: measuring the escaped
// length of every id took as long as writing it.
func metaRestLen(a *Action) int {
	n := len("}}\n")
	if a.ID != "" {
		n += len(`,"_id":""`) + len(a.ID)
	}
	if a.Routing != "" {
		n += len(`,"routing":""`) + len(a.Routing)
	}
	if a.Pipeline != "" {
		n += len(`,"pipeline":""`) + len(a.Pipeline)
	}
	if a.VersionType != "" {
		n += len(`,"version":,"version_type":""`) + jsonstr.IntLen(a.Version) + len(a.VersionType)
	}
	if a.Op == OpUpdate && a.RetryOnConflict > 0 {
		n += len(`,"retry_on_conflict":`) + jsonstr.IntLen(int64(a.RetryOnConflict))
	}
	return n
}

// hasNewline reports whether a body holds a raw newline or carriage return.
func hasNewline(b []byte) bool {
	return bytes.IndexByte(b, '\n') >= 0 || bytes.IndexByte(b, '\r') >= 0
}

// flattenNewlines replaces raw newlines and carriage returns in b by spaces.
func flattenNewlines(b []byte) {
	for i, c := range b {
		if c == '\n' || c == '\r' {
			b[i] = ' '
		}
	}
}

// appendMeta appends a's action line, newline included.
func appendMeta(dst []byte, a *Action) []byte {
	return appendMetaRest(appendMetaHead(dst, a), a)
}

// appendMetaHead appends the start of a's action line, up to its index: the
// part a batch's actions mostly share (see newBatch).
func appendMetaHead(dst []byte, a *Action) []byte {
	dst = append(dst, `{"`...)
	dst = append(dst, a.Op.String()...)
	dst = append(dst, `":{"_index":`...)
	return jsonstr.Append(dst, a.Index)
}

// appendMetaRest appends the rest of a's action line after its index,
// newline included.
func appendMetaRest(dst []byte, a *Action) []byte {
	if a.ID != "" {
		dst = append(dst, `,"_id":`...)
		dst = jsonstr.Append(dst, a.ID)
	}
	if a.Routing != "" {
		dst = append(dst, `,"routing":`...)
		dst = jsonstr.Append(dst, a.Routing)
	}
	if a.Pipeline != "" {
		dst = append(dst, `,"pipeline":`...)
		dst = jsonstr.Append(dst, a.Pipeline)
	}
	if a.VersionType != "" {
		dst = append(dst, `,"version":`...)
		dst = strconv.AppendInt(dst, a.Version, 10)
		dst = append(dst, `,"version_type":`...)
		dst = jsonstr.Append(dst, a.VersionType)
	}
	if a.Op == OpUpdate && a.RetryOnConflict > 0 {
		dst = append(dst, `,"retry_on_conflict":`...)
		dst = strconv.AppendInt(dst, int64(a.RetryOnConflict), 10)
	}
	return append(dst, "}}\n"...)
}

// invalidType is the ItemError.Type of actions rejected before sending.
const invalidType = "invalid_action"

// maxIDBytes is the longest _id Elasticsearch and OpenSearch accept.
const maxIDBytes = 512

// check rejects an action that cannot be written as a bulk item, before it
// is sent: a malformed item would fail the whole request, not just itself.
// An _id over 512 bytes and a versioned update are such items: the servers
// refuse the whole bulk request (400 action_request_validation_exception,
// illegal_argument_exception) rather than the one item.
func check(a *Action) *ItemError {
	reason := ""
	switch {
	case a.Op > OpDelete:
		reason = "unknown operation " + strconv.Itoa(int(a.Op))
	case a.Index == "":
		reason = "no index"
	case a.ID == "" && (a.Op == OpUpdate || a.Op == OpDelete):
		reason = a.Op.String() + " needs a document id"
	case len(a.ID) > maxIDBytes:
		reason = "id is " + strconv.Itoa(len(a.ID)) + " bytes, longer than " + strconv.Itoa(maxIDBytes)
	case a.Op == OpUpdate && a.VersionType != "":
		reason = "update does not take a version"
	case a.Op != OpDelete && (len(a.Body) == 0 || !a.Flat && len(bytes.TrimSpace(a.Body)) == 0):
		// A Flat body is a builder's JSON object, blank only when empty;
		// it is not read here: looking at every body of a 20,000-record
		// batch again took 1.5% of the invocation.
		reason = a.Op.String() + " needs a body"
	case a.VersionType != "" && a.VersionType != "external" && a.VersionType != "external_gte":
		reason = "version type " + strconv.Quote(a.VersionType) + " is not external or external_gte"
	default:
		return nil
	}
	return &ItemError{Type: invalidType, Reason: reason}
}
