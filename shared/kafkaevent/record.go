// Package kafkaevent turns the payloads that serverless platforms deliver for
// Kafka triggers into a uniform slice of Records.
//
// Supported payloads: AWS Lambda MSK and self-managed Kafka events, the
// Alibaba Cloud Kafka "Elasticsearch sink connector" array delivered to
// Function Compute, and Function Compute 3.0 Kafka triggers (EventBridge
// CloudEvents and the RawData schema).
package kafkaevent

// Header is one Kafka record header. Value is nil when the header had no value.
type Header struct {
	Key   string
	Value []byte
}

// Record is one Kafka message as delivered by a trigger.
//
// Key and Value are nil when the message had no key or value (a Kafka null),
// which is distinct from an empty, non-nil slice.
type Record struct {
	Topic     string
	Partition int32
	Offset    int64
	// Timestamp is the record timestamp in epoch milliseconds.
	Timestamp     int64
	TimestampType string
	Key           []byte
	Value         []byte
	// ValueIsJSON reports that Value holds a JSON document that the trigger
	// delivered as structured JSON (FC CloudEvents with the Json data format),
	// rather than as the message's raw bytes.
	ValueIsJSON bool
	Headers     []Header
	// HeaderErr is why the record's headers could not be read (a value
	// that is not the documented byte array). Headers is then nil. It is
	// the record's problem only where headers are used: the sink fails the
	// record with it under INCLUDE_HEADERS=true and ignores it otherwise.
	HeaderErr error
	// ValueSize is the message's size as the trigger reported it (the
	// Alibaba connector's valueSize, which counts a string value's JSON
	// quotes, or an overflow record's real size), else the value's length.
	// Every decoder sets it; the document's valueSize is this number.
	ValueSize int
	// Overflow reports that the trigger omitted the value because it was too
	// large (Alibaba connector overflowFlag); Value is then not the message.
	Overflow bool
}

// ReplaceValue substitutes the message value, for a sink that fetched the
// real value of an Overflow record from Kafka: it clears Overflow and sets
// ValueSize to the new value's size.
func (r *Record) ReplaceValue(v []byte) {
	r.Value = v
	r.ValueSize = len(v)
	r.Overflow = false
	r.ValueIsJSON = false
}
