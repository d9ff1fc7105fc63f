package query

import "fmt"

// Error is a request error in the shape Elasticsearch reports it: an HTTP
// status, an exception type such as "parsing_exception", and a reason. The
// node renders it as {"error":{"root_cause":[...],"type","reason"},"status"}.
type Error struct {
	Status int
	Type   string
	Reason string
	// CausedBy is the lower-level failure Elasticsearch names beneath some
	// errors (an unknown query is an unknown named object); nil when none.
	CausedBy *Error
}

// Error implements error.
func (e *Error) Error() string { return e.Type + ": " + e.Reason }

// Exception types used by this package, spelled as Elasticsearch spells them.
const (
	TypeParsing         = "parsing_exception"
	TypeXContentParse   = "x_content_parse_exception"
	TypeIllegalArgument = "illegal_argument_exception"
	TypeParse           = "parse_exception"
	TypeQueryShard      = "query_shard_exception"
)

// statusBadRequest is the HTTP status of every error this package produces:
// all of them describe a request the client must change.
const statusBadRequest = 400

func newError(typ, format string, args ...any) *Error {
	return &Error{Status: statusBadRequest, Type: typ, Reason: fmt.Sprintf(format, args...)}
}

func parsingErr(format string, args ...any) *Error {
	return newError(TypeParsing, format, args...)
}

func xcontentErr(format string, args ...any) *Error {
	return newError(TypeXContentParse, format, args...)
}

func illegalArg(format string, args ...any) *Error {
	return newError(TypeIllegalArgument, format, args...)
}
