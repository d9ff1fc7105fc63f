// Package msgdoc turns Kafka records into Elasticsearch bulk actions: the
// msg_body document, its id, the index it goes to and its routing.
//
// # Document
//
// The source is {"msg_body": {"key", "offset", "overflowFlag", "partition",
// "timestamp", "topic", "value", "valueSize"}}, the field names and types of
// the Alibaba Cloud Kafka Elasticsearch sink connector; optional extras
// (headers, keyEncoding, valueEncoding) come after them. Bodies are built by
// appending bytes into one buffer per batch: no maps, no json.Marshal.
//
// # Ids
//
// DocID selects how documents are identified:
//
//   - IDOffset (default): id "{topic}+{partition}+{offset}", written with
//     update + doc_as_upsert. A redelivered or replayed record rewrites the
//     same document, so at-least-once delivery gives exactly-once effect.
//     With a Pipeline the write is "index" (the whole document) instead:
//     Elasticsearch does not run ingest pipelines for doc_as_upsert, and a
//     rewrite then counts as updated rather than noop.
//   - IDKey: one document per message key, written with "index" and
//     external versioning, version = the record offset. Elasticsearch itself
//     refuses a write whose offset is not greater than the stored one (409
//     version_conflict_engine_exception), so an older record never
//     overwrites a newer one, across batches and replays; the sink counts
//     that 409 as a no-op. A null value deletes the document with the same
//     versioning (NullValue). Caveats: offsets are only comparable within
//     one partition, so a key that moves between partitions (a repartitioned
//     topic, a changed partitioner) can be refused or reordered; a delete
//     leaves a tombstone that remembers its version only for
//     index.gc_deletes (60 s by default), after which an older record
//     replayed for that key is indexed again; and keys from different topics
//     written to one index share one id space. Ids are the key as text when
//     it is UTF-8, 1 to 512 bytes and does not start with "sha256:";
//     otherwise "sha256:" and the hex SHA-256 of the key bytes, which keeps
//     every id valid and deterministic.
//   - IDNone: Elasticsearch generates ids ("index" without id), as the
//     Alibaba connector does. Not replay-safe: every redelivery adds a copy.
//   - IDField: the id is made of fields of a JSON value, named by RFC 6901
//     pointers (IDFields), and written with update + doc_as_upsert (index
//     with a Pipeline) like IDOffset, so a redelivered record rewrites its own document. One
//     field gives its text (a string's text, a number or boolean as
//     written); several are joined with '+', each with '\' and '+' escaped
//     by '\', which keeps distinct field tuples apart. Ids longer than 512
//     bytes, empty or starting with "sha256:" are hashed as key ids are.
//     A missing or null field is a per-record failure (id_field_missing),
//     an object or array id_field_not_scalar, a value that is not JSON
//     value_not_json.
//
// # Field options
//
// RoutingField routes by one field, read like an id field. ValueFields
// keeps only some top-level fields of a JSON object value (a value that is
// not an object fails with value_not_object). ValueCSV splits a value into
// an object of CSVColumns strings with encoding/csv (value_not_csv,
// csv_column_count); pointers then name columns. MsgMode leaves the key or
// the value out of msg_body. The value is checked or parsed once per
// record, whichever of id, routing and body needs it first.
package msgdoc

import (
	"errors"
	"fmt"
	"time"
)

// IDStrategy selects document ids (DOC_ID).
type IDStrategy uint8

// Id strategies; see the package documentation.
const (
	IDOffset IDStrategy = iota
	IDKey
	IDNone
	// IDField builds the id from fields of the value (IDFields), written
	// like IDOffset.
	IDField
)

// ValueFormat selects how the message value is stored (VALUE_FORMAT).
type ValueFormat uint8

// Value formats.
const (
	// ValueText stores the value as a string; values that are not UTF-8 are
	// stored base64 with valueEncoding "base64". A JSON value from an FC
	// trigger is stored as its JSON text.
	ValueText ValueFormat = iota
	// ValueJSON parses the value and stores the JSON value itself; a value
	// that is not JSON is a per-record failure (value_not_json).
	ValueJSON
	// ValueBase64 stores every value base64 with valueEncoding "base64".
	ValueBase64
	// ValueCSV splits a CSV row into an object of the CSVColumns; a row with
	// another number of columns is a per-record failure (csv_column_count).
	ValueCSV
)

// MsgMode selects which of key and value msg_body keeps (MSG_MODE); the
// other fields always stay.
type MsgMode uint8

// Message modes.
const (
	// MsgDefault keeps key and value.
	MsgDefault MsgMode = iota
	// MsgKey keeps the key and leaves out the value.
	MsgKey
	// MsgValue keeps the value and leaves out the key.
	MsgValue
)

// NullValuePolicy says what IDKey does with a record whose value is null
// (NULL_VALUE). Other strategies index such records without a value.
type NullValuePolicy uint8

// Null value policies.
const (
	// NullDelete deletes the key's document (a Kafka tombstone).
	NullDelete NullValuePolicy = iota
	// NullIgnore skips the record; it is counted as skipped.
	NullIgnore
	// NullIndex indexes the document without a value.
	NullIndex
)

// Routing selects the shard routing of documents (ES_ROUTING).
type Routing uint8

// Routing choices.
const (
	RoutingNone Routing = iota
	// RoutingKey routes by the message key (encoded like an IDKey id);
	// records with a null key get no routing.
	RoutingKey
	// RoutingField routes by a field of the value (RoutingField, encoded
	// like an IDKey id); a record without it is a per-record failure.
	RoutingField
)

// Options configure a Builder. The zero value of every field is its
// default, except Index, which is required.
type Options struct {
	// Index is the index name template (ES_INDEX), e.g.
	// "kafka-{topic}-{yyyy.MM.dd}".
	Index string
	// Location is the time zone of the template's date parts (TIMEZONE);
	// nil means UTC.
	Location *time.Location
	// AllowDotIndex permits index names starting with '.' (ES_INDEX_ALLOW_DOT).
	AllowDotIndex bool
	DocID         IDStrategy
	ValueFormat   ValueFormat
	// MaxValueBytes truncates longer values (MAX_VALUE_BYTES); 0 means no
	// limit. Truncated documents have overflowFlag true and the original
	// valueSize.
	MaxValueBytes int
	// IncludeHeaders adds msg_body.headers (INCLUDE_HEADERS).
	IncludeHeaders bool
	NullValue      NullValuePolicy
	Routing        Routing
	// Pipeline is the ingest pipeline of every action (ES_PIPELINE).
	Pipeline string

	// IDFields are the RFC 6901 JSON pointers whose values make the id
	// under IDField (DOC_ID=field:/a,/b). Under ValueCSV they name columns.
	IDFields []string
	// RoutingField is the JSON pointer of Routing=RoutingField
	// (ES_ROUTING=field:/a).
	RoutingField string
	// ValueFields keeps only these top-level fields of the value
	// (VALUE_FIELDS); it needs ValueJSON or ValueCSV.
	ValueFields []string
	// CSVColumns names the columns of ValueCSV (CSV_COLUMNS).
	CSVColumns []string
	// MsgMode keeps key and value, or only one of them (MSG_MODE).
	MsgMode MsgMode
}

// Builder builds bulk actions from records. It is safe for use by one
// goroutine at a time (it caches index names).
type Builder struct {
	o      Options
	index  indexCache
	fields fieldState
	// topic and topicJSON are the last record's topic and its JSON
	// string: a batch usually has one topic, escaped once.
	topic     string
	topicJSON []byte
	// idEnds holds where each offset id of a batch ends in the batch's
	// string of ids; kept for the next batch.
	idEnds []int
}

// New validates o, reporting every problem at once, and returns a Builder.
func New(o Options) (*Builder, error) {
	var errs []error
	if o.Location == nil {
		o.Location = time.UTC
	}
	t, err := parseIndexTemplate(o.Index, o.Location, o.AllowDotIndex)
	if err != nil {
		errs = append(errs, err)
	}
	if o.DocID > IDField {
		errs = append(errs, fmt.Errorf("unknown id strategy %d", o.DocID))
	}
	if o.ValueFormat > ValueCSV {
		errs = append(errs, fmt.Errorf("unknown value format %d", o.ValueFormat))
	}
	if o.NullValue > NullIndex {
		errs = append(errs, fmt.Errorf("unknown null value policy %d", o.NullValue))
	}
	if o.Routing > RoutingField {
		errs = append(errs, fmt.Errorf("unknown routing %d", o.Routing))
	}
	if o.MaxValueBytes < 0 {
		errs = append(errs, fmt.Errorf("max value bytes %d is negative", o.MaxValueBytes))
	}
	fs, ferrs := compileFields(&o)
	errs = append(errs, ferrs...)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &Builder{o: o, index: indexCache{t: t}, fields: fs}, nil
}
