package msgdoc

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/esconnect/esconnect/shared/esbulk"
	"github.com/esconnect/esconnect/shared/jsonstr"
	"github.com/esconnect/esconnect/shared/kafkaevent"
)

// ErrorType classifies a record that cannot become an action.
type ErrorType string

// Build failure types.
const (
	// ErrValueNotJSON is a value that is not JSON under ValueJSON.
	ErrValueNotJSON ErrorType = "value_not_json"
	// ErrNullKey is a record without key under IDKey.
	ErrNullKey ErrorType = "null_key"
	// ErrInvalidIndex is a record whose rendered index name is invalid
	// (for example a topic that makes the name start with '_').
	ErrInvalidIndex ErrorType = "invalid_index"
	// ErrIDFieldMissing is a record whose value lacks an IDField field, or
	// has it null.
	ErrIDFieldMissing ErrorType = "id_field_missing"
	// ErrIDFieldNotScalar is an IDField field holding an object or array.
	ErrIDFieldNotScalar ErrorType = "id_field_not_scalar"
	// ErrRoutingFieldMissing is a record whose value lacks the RoutingField
	// field, or has it null.
	ErrRoutingFieldMissing ErrorType = "routing_field_missing"
	// ErrRoutingFieldNotScalar is a RoutingField field holding an object or
	// array.
	ErrRoutingFieldNotScalar ErrorType = "routing_field_not_scalar"
	// ErrValueNotObject is a JSON value that is not an object under
	// ValueFields.
	ErrValueNotObject ErrorType = "value_not_object"
	// ErrValueNotCSV is a value that is not one UTF-8 CSV row under ValueCSV.
	ErrValueNotCSV ErrorType = "value_not_csv"
	// ErrCSVColumnCount is a CSV row whose column count differs from
	// CSVColumns.
	ErrCSVColumnCount ErrorType = "csv_column_count"
	// ErrBadHeaders is a record whose headers could not be read, under
	// IncludeHeaders (without it the headers are not used).
	ErrBadHeaders ErrorType = "bad_headers"
)

// Error is why one record did not become an action; it goes to the dead
// letter with the record.
type Error struct {
	Type   ErrorType
	Reason string
}

func (e *Error) Error() string { return string(e.Type) + ": " + e.Reason }

// SkipReason says why a record was skipped by policy.
type SkipReason string

// Skip reasons.
const (
	// SkipNullValue is a null-value record under IDKey with NullIgnore.
	SkipNullValue SkipReason = "null_value_ignored"
)

// Skip is a record skipped by an explicit policy.
type Skip struct {
	Record int
	Reason SkipReason
}

// Failure is a record that could not become an action.
type Failure struct {
	Record int
	Err    *Error
}

// Batch is the result of Build. Every input record appears exactly once:
// as an action (ActionRecords), a Skip or a Failure.
type Batch struct {
	Actions []esbulk.Action
	// ActionRecords[i] is the index in the input of the record behind
	// Actions[i].
	ActionRecords []int
	Skipped       []Skip
	Failures      []Failure

	// arena holds the bodies; with Actions and ActionRecords it is kept
	// for the next BuildInto.
	arena []byte
}

// bodyOverhead is the room reserved per body beyond its key, value and
// topic: the fixed part of {"doc":{"msg_body":{...}},"doc_as_upsert":true}.
const bodyOverhead = 200

// maxIDBytes is Elasticsearch's limit on document ids.
const maxIDBytes = 512

const hashedIDPrefix = "sha256:"

// KeyID returns the document id (and routing value) for a message key:
// the key itself when it is UTF-8, 1 to 512 bytes and does not start with
// "sha256:", otherwise "sha256:" followed by the hex SHA-256 of the key.
// Reserving the prefix keeps the two forms from colliding.
func KeyID(key []byte) string {
	if len(key) > 0 && len(key) <= maxIDBytes && utf8.Valid(key) && !strings.HasPrefix(string(key), hashedIDPrefix) {
		return string(key)
	}
	sum := sha256.Sum256(key)
	return hashedIDPrefix + hex.EncodeToString(sum[:])
}

// OffsetID returns the IDOffset document id "{topic}+{partition}+{offset}".
func OffsetID(topic string, partition int32, offset int64) string {
	return string(appendOffsetID(make([]byte, 0, offsetIDLen(topic, partition, offset)), topic, partition, offset))
}

// appendOffsetID appends the OffsetID of a record to dst. The numbers go
// straight into dst: strconv's buffer and the copy out of it were a twentieth
// of building a batch of 1 KiB documents.
func appendOffsetID(dst []byte, topic string, partition int32, offset int64) []byte {
	dst = append(dst, topic...)
	dst = append(dst, '+')
	dst = jsonstr.AppendInt(dst, int64(partition))
	dst = append(dst, '+')
	return jsonstr.AppendInt(dst, offset)
}

// offsetIDLen is the length of the OffsetID of a record.
func offsetIDLen(topic string, partition int32, offset int64) int {
	return len(topic) + 2 + jsonstr.IntLen(int64(partition)) + jsonstr.IntLen(offset)
}

// maxKeptIDEnds bounds the offsets of ids a Builder keeps for the next
// batch.
const maxKeptIDEnds = 1 << 17

// Build turns records into actions. Bodies of the whole batch share one
// buffer; the actions stay valid as long as the batch is referenced.
//
// To index the real value of an Overflow record, fetch it and call
// Record.ReplaceValue before Build.
func (bld *Builder) Build(records []kafkaevent.Record) Batch {
	var out Batch
	bld.BuildInto(&out, records)
	out.arena = nil
	return out
}

// BuildInto is Build into out, reusing the memory out kept from an earlier
// BuildInto (its actions and the buffer of bodies), for a caller that
// builds one batch after another: a warm function's invocations. The
// earlier actions and their bodies are overwritten, so nothing of them may
// be in use any more.
func (bld *Builder) BuildInto(out *Batch, records []kafkaevent.Record) {
	out.Reset()
	if cap(out.Actions) < len(records) {
		out.Actions = make([]esbulk.Action, 0, len(records))
		out.ActionRecords = make([]int, 0, len(records))
	}
	size := 0
	for i := range records {
		// The fixed part of a body (field names, numbers, the update
		// wrapper) takes 170 to 200 bytes; escaping or base64 can make a
		// body larger than estimated, and such bodies get their own memory
		// below rather than growing (and copying) the shared buffer.
		size += len(records[i].Key) + len(records[i].Value) + len(records[i].Topic) + bodyOverhead
	}
	arena := out.arena[:0]
	if cap(arena) < size {
		arena = make([]byte, 0, size)
	}
	// Offset ids are written into one string for the batch, sized exactly,
	// of which each id is a part: a string per record was a thousand
	// allocations for a thousand records.
	offsetIDs := bld.o.DocID == IDOffset
	var ids []byte
	idEnds := bld.idEnds[:0]
	if offsetIDs {
		if cap(idEnds) < len(records) {
			idEnds = make([]int, 0, len(records))
		}
		n := 0
		for i := range records {
			n += offsetIDLen(records[i].Topic, records[i].Partition, records[i].Offset)
		}
		ids = make([]byte, 0, n)
	}
	for i := range records {
		r := &records[i]
		// The action is filled in place: returning it by value and
		// appending it copied its 17 words twice per record.
		out.Actions = append(out.Actions, esbulk.Action{})
		a := &out.Actions[len(out.Actions)-1]
		skip, err := bld.action(a, r)
		switch {
		case err != nil:
			out.Actions = out.Actions[:len(out.Actions)-1]
			out.Failures = append(out.Failures, Failure{Record: i, Err: err})
			continue
		case skip != "":
			out.Actions = out.Actions[:len(out.Actions)-1]
			out.Skipped = append(out.Skipped, Skip{Record: i, Reason: skip})
			continue
		}
		if a.Op != esbulk.OpDelete {
			free := arena[len(arena):]
			body, berr := bld.appendBody(free, r, a.Op)
			if berr != nil {
				out.Actions = out.Actions[:len(out.Actions)-1]
				out.Failures = append(out.Failures, Failure{Record: i, Err: berr})
				continue
			}
			if cap(body) == cap(free) {
				// Still inside the shared buffer: claim the bytes.
				arena = arena[:len(arena)+len(body)]
			}
			// Every string in a body is escaped and every JSON value
			// compacted: no raw newline can occur in it.
			a.Body, a.Flat = body[:len(body):len(body)], true
		}
		if offsetIDs {
			ids = appendOffsetID(ids, r.Topic, r.Partition, r.Offset)
			idEnds = append(idEnds, len(ids))
		}
		out.ActionRecords = append(out.ActionRecords, i)
	}
	out.arena = arena
	if offsetIDs {
		// ids is never written again, and nothing else refers to it: it can
		// become the string without a copy, as strings.Builder does.
		all, start := unsafe.String(unsafe.SliceData(ids), len(ids)), 0
		for k, end := range idEnds {
			out.Actions[k].ID = all[start:end]
			start = end
		}
	}
	if cap(idEnds) > maxKeptIDEnds {
		idEnds = nil
	}
	bld.idEnds = idEnds
}

// Reset forgets b's actions, keeping the memory for the next BuildInto.
// The actions are zeroed, so that the batch holds on to no body or string
// of the last records.
func (b *Batch) Reset() {
	clear(b.Actions)
	clear(b.Failures)
	*b = Batch{Actions: b.Actions[:0], ActionRecords: b.ActionRecords[:0], arena: b.arena[:0],
		Skipped: b.Skipped[:0], Failures: b.Failures[:0]}
}

// Retained is the memory b keeps for the next BuildInto, in bytes.
func (b *Batch) Retained() int {
	return cap(b.Actions)*int(unsafe.Sizeof(esbulk.Action{})) + cap(b.ActionRecords)*int(unsafe.Sizeof(0)) + cap(b.arena)
}

func (bld *Builder) appendBody(dst []byte, r *kafkaevent.Record, op esbulk.Op) ([]byte, *Error) {
	if op != esbulk.OpUpdate {
		return bld.appendMsgBody(dst, r)
	}
	dst = append(dst, `{"doc":`...)
	dst, err := bld.appendMsgBody(dst, r)
	if err != nil {
		return dst, err
	}
	return append(dst, `,"doc_as_upsert":true}`...), nil
}

// upsertOp is the operation of offset and field ids: update +
// doc_as_upsert, or index (the whole document) with a pipeline, since
// Elasticsearch does not run ingest pipelines for doc_as_upsert (it accepts
// the write and ignores the pipeline, even one that does not exist).
func (bld *Builder) upsertOp() esbulk.Op {
	if bld.o.Pipeline != "" {
		return esbulk.OpIndex
	}
	return esbulk.OpUpdate
}

// action decides the operation, index, id, routing and versioning of r,
// into a; a is dropped when it returns a skip or an error.
func (bld *Builder) action(a *esbulk.Action, r *kafkaevent.Record) (SkipReason, *Error) {
	o := &bld.o
	// Forget the previous record's parsed value; action runs first for
	// every record.
	bld.fields.cur = recordCache{}
	if o.IncludeHeaders && r.HeaderErr != nil {
		return "", &Error{Type: ErrBadHeaders, Reason: r.HeaderErr.Error()}
	}
	index, err := bld.index.name(r.Topic, r.Timestamp)
	if err != nil {
		return "", &Error{Type: ErrInvalidIndex, Reason: err.Error()}
	}
	*a = esbulk.Action{Index: index, Pipeline: o.Pipeline}
	switch o.Routing {
	case RoutingKey:
		if r.Key != nil {
			a.Routing = KeyID(r.Key)
		}
	case RoutingField:
		var e *Error
		if a.Routing, e = bld.fieldRouting(r); e != nil {
			return "", e
		}
	}
	switch o.DocID {
	case IDOffset:
		// The id is set by BuildInto, with the batch's other offset ids.
		a.Op = bld.upsertOp()
	case IDField:
		// Like offset ids, field ids are written with update +
		// doc_as_upsert: a redelivered record rewrites its own document.
		var e *Error
		if a.ID, e = bld.fieldID(r); e != nil {
			return "", e
		}
		a.Op = bld.upsertOp()
	case IDNone:
		a.Op = esbulk.OpIndex
	case IDKey:
		if r.Key == nil {
			return "", &Error{Type: ErrNullKey, Reason: "DOC_ID=key needs a message key; this record has none"}
		}
		a.Op = esbulk.OpIndex
		if o.Routing == RoutingKey {
			a.ID = a.Routing // already KeyID(r.Key)
		} else {
			a.ID = KeyID(r.Key)
		}
		a.Version, a.VersionType = r.Offset, "external"
		if r.Value == nil && !r.Overflow {
			switch o.NullValue {
			case NullDelete:
				a.Op, a.Pipeline = esbulk.OpDelete, ""
			case NullIgnore:
				return SkipNullValue, nil
			}
		}
	}
	return "", nil
}
