package kafkaevent

import (
	"encoding/json"
	"errors"
	"fmt"
)

// ErrUnrecognised is wrapped by the error Decode returns for a payload that
// matches no accepted format (or not the forced one).
var ErrUnrecognised = errors.New("unrecognised trigger payload")

// ErrMalformed is wrapped by the error Decode returns when the payload is not
// well-formed JSON, so no record boundaries can be trusted.
var ErrMalformed = errors.New("malformed trigger payload")

// ErrorType classifies a per-record failure for dead letters and metrics.
type ErrorType string

// Per-record failure types.
const (
	// ErrBadBase64 is a key, value or header that should be base64 but is not.
	ErrBadBase64 ErrorType = "bad_base64"
	// ErrMissingField is a required field (topic, partition, offset) that is
	// absent or null.
	ErrMissingField ErrorType = "missing_field"
	// ErrWrongType is a field or element of the wrong JSON type or range.
	ErrWrongType ErrorType = "wrong_type"
	// ErrBadJSON is an element that is a JSON string holding invalid JSON
	// (FC CloudEvents delivered as strings).
	ErrBadJSON ErrorType = "bad_json"
)

// RecordError is the error of a per-record failure.
type RecordError struct {
	Type ErrorType
	// Field is the JSON field at fault, empty when the whole element is.
	Field  string
	Reason string
}

func (e *RecordError) Error() string {
	if e.Field == "" {
		return string(e.Type) + ": " + e.Reason
	}
	return string(e.Type) + ": " + e.Field + ": " + e.Reason
}

func recordErr(t ErrorType, field, format string, args ...any) *RecordError {
	return &RecordError{Type: t, Field: field, Reason: fmt.Sprintf(format, args...)}
}

// Failure is one element of the payload that could not become a Record. It
// carries what could be read of it and the element's raw JSON so that a dead
// letter keeps the original.
type Failure struct {
	// Index is the element's position among all records of the payload, in
	// payload order, counting good records and failures alike.
	Index     int
	Topic     string
	Partition int32
	Offset    int64
	// HasPartition and HasOffset report that the element carried a usable
	// partition and offset; otherwise Partition and Offset are zero values.
	// Topic is empty when the element carried none.
	HasPartition bool
	HasOffset    bool
	// Raw is the element as it appeared in the payload. It aliases the
	// payload for AWS events; copy it to keep it beyond the payload.
	Raw json.RawMessage
	Err error
}

// Batch is the result of decoding one trigger payload: the good records and
// the per-record failures. Records[i] and Failures[j] together account for
// every element of the payload exactly once.
type Batch struct {
	Format  Format
	Records []Record
	// Indexes[i] is the payload position of Records[i] (see Failure.Index).
	Indexes  []int
	Failures []Failure
	// EventSource, EventSourceARN and BootstrapServers come from AWS events.
	EventSource      string
	EventSourceARN   string
	BootstrapServers string

	// mem is kept for the next DecodeInto.
	mem memory
}

// Len is the number of elements in the payload.
func (b *Batch) Len() int { return len(b.Records) + len(b.Failures) }
