// Package errtype names the kinds of failure the functions report to their
// platform as errorType: the word a user reads first in CloudWatch, in
// Lambda's invocation result and in Function Compute's error body. Every
// name and what to do about it is in one table, docs/deploy.md
// ("errorType").
//
// A package marks its sentinel errors with a type by declaring them with
// New (or Fallback). The platform adapters ask an error for its type through
// interface{ ErrorType() string }, and take the first typed error in the
// wrapped chain, in the order errors.As walks it; a Fallback type counts
// only when the chain holds no other typed error.
package errtype

// The errorType values of the functions' failures.
const (
	// Config: a setting is missing or invalid; the function cannot start.
	Config = "ConfigError"
	// InvalidPayload: the event is not a trigger payload the function reads.
	InvalidPayload = "InvalidPayload"
	// ElasticsearchUnavailable: Elasticsearch or OpenSearch did not confirm
	// the writes (unreachable, overloaded, too slow for the deadline).
	ElasticsearchUnavailable = "ElasticsearchUnavailable"
	// NotElasticsearch: the endpoint answered, but not as the configured
	// distribution does (for OpenSearch, set ES_DISTRIBUTION=opensearch).
	NotElasticsearch = "NotElasticsearch"
	// Forbidden: the cluster refused the credentials or their privileges.
	Forbidden = "Forbidden"
	// RecordsFailed: records failed for good (mapping conflict, bad
	// encoding, ...) and ON_FAILURE=fail, or they cannot be handed back.
	RecordsFailed = "RecordsFailed"
	// DeadLetterUnavailable: the dead-letter target did not acknowledge.
	DeadLetterUnavailable = "DeadLetterUnavailable"
	// KafkaUnavailable: the brokers the function reads from itself
	// (FETCH_OVERFLOW) could not be reached.
	KafkaUnavailable = "KafkaUnavailable"
	// PostgresUnavailable: pg-es-sync could not connect to the database.
	PostgresUnavailable = "PostgresUnavailable"
	// PostgresNotFound: a configured schema or table is not in the database.
	PostgresNotFound = "PostgresNotFound"
	// Deadline: the invocation ran out of time before it could finish.
	Deadline = "DeadlineExceeded"
	// SyncFailed: any other reason a pg-es-sync run ended in status error.
	SyncFailed = "SyncFailed"
)

// New returns a sentinel error with message msg whose ErrorType is typ.
// Compare it with errors.Is, as any sentinel.
func New(typ, msg string) error { return &sentinel{typ: typ, msg: msg} }

// Fallback is New for a sentinel that wraps causes of many kinds: its type
// is reported only when no cause in the chain has a type of its own.
func Fallback(typ, msg string) error { return &fallback{typ: typ, msg: msg} }

// Wrap gives err the type typ, keeping its message and its chain.
func Wrap(typ string, err error) error {
	if err == nil {
		return nil
	}
	return &wrapped{typ: typ, err: err}
}

type sentinel struct{ typ, msg string }

func (s *sentinel) Error() string     { return s.msg }
func (s *sentinel) ErrorType() string { return s.typ }

// fallback has no ErrorType method, so that a typed cause it wraps is
// found first.
type fallback struct{ typ, msg string }

func (f *fallback) Error() string { return f.msg }

// FallbackErrorType is asked only when no error in the chain has an
// ErrorType.
func (f *fallback) FallbackErrorType() string { return f.typ }

type wrapped struct {
	typ string
	err error
}

func (w *wrapped) Error() string     { return w.err.Error() }
func (w *wrapped) Unwrap() error     { return w.err }
func (w *wrapped) ErrorType() string { return w.typ }
