package kafkaevent

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// The Alibaba payloads are decoded with encoding/json: they are arrays of
// small objects whose fields vary in type (an FC value may be a string or a
// JSON document), and their batches are bounded well below the sizes where
// the AWS hot path matters.

// aliFields is every field any of the three Alibaba element shapes uses; the
// raw form lets each field be type-checked on its own so that one bad field
// fails one record with a precise reason.
type aliFields struct {
	// CloudEvents envelope.
	SpecVersion json.RawMessage `json:"specversion"`
	Data        json.RawMessage `json:"data"`
	// Record fields (connector element, RawData element, CloudEvents data).
	Topic        json.RawMessage `json:"topic"`
	Partition    json.RawMessage `json:"partition"`
	Offset       json.RawMessage `json:"offset"`
	Timestamp    json.RawMessage `json:"timestamp"`
	Key          json.RawMessage `json:"key"`
	Value        json.RawMessage `json:"value"`
	Headers      json.RawMessage `json:"headers"`
	OverflowFlag json.RawMessage `json:"overflowFlag"`
	ValueSize    json.RawMessage `json:"valueSize"`
}

func decodeArray(payload []byte, f Format, binary bool) (Batch, error) {
	var elems []json.RawMessage
	if err := json.Unmarshal(payload, &elems); err != nil {
		return Batch{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if f == FormatAuto && len(elems) > 0 {
		f = detectArray(elems[0])
		if f == FormatAuto {
			return Batch{}, unrecognised(payload, "")
		}
	}
	b := Batch{Format: f, Records: make([]Record, 0, len(elems)), Indexes: make([]int, 0, len(elems))}
	for i, raw := range elems {
		rec, fail := decodeElement(raw, f, binary)
		if fail != nil {
			fail.Index, fail.Raw = i, raw
			b.Failures = append(b.Failures, *fail)
			continue
		}
		b.Records = append(b.Records, rec)
		b.Indexes = append(b.Indexes, i)
	}
	return b, nil
}

// detectArray picks the format from the first element of an array.
func detectArray(first json.RawMessage) Format {
	switch firstByte(first) {
	case '"':
		return FormatFCCloudEvents
	case '{':
	default:
		return FormatAuto
	}
	var a aliFields
	if json.Unmarshal(first, &a) != nil {
		return FormatAuto
	}
	switch {
	case a.SpecVersion != nil || a.Data != nil && a.Topic == nil:
		return FormatFCCloudEvents
	case a.Topic == nil:
		return FormatAuto
	case a.OverflowFlag != nil || a.ValueSize != nil:
		return FormatAlibabaConnector
	case a.Headers != nil:
		return FormatFCRawData
	}
	// Without the connector's own fields or FC's headers the two shapes
	// coincide; the connector is the older and more common sender.
	return FormatAlibabaConnector
}

func decodeElement(raw json.RawMessage, f Format, binary bool) (Record, *Failure) {
	var a aliFields
	if f == FormatFCCloudEvents && firstByte(raw) == '"' {
		var inner string
		if err := json.Unmarshal(raw, &inner); err != nil {
			return Record{}, &Failure{Err: recordErr(ErrWrongType, "", "element: %v", err)}
		}
		raw = json.RawMessage(inner)
		if firstByte(raw) != '{' || !json.Valid(raw) {
			return Record{}, &Failure{Err: recordErr(ErrBadJSON, "", "string element does not hold a JSON object")}
		}
	}
	if firstByte(raw) != '{' {
		return Record{}, &Failure{Err: recordErr(ErrWrongType, "", "element is %s, not an object", kindOf(raw))}
	}
	if err := json.Unmarshal(raw, &a); err != nil {
		return Record{}, &Failure{Err: recordErr(ErrWrongType, "", "%v", err)}
	}
	if f == FormatFCCloudEvents {
		if isNull(a.Data) || firstByte(a.Data) != '{' {
			return Record{}, &Failure{Err: recordErr(ErrMissingField, "data", "absent or not an object")}
		}
		data := a.Data
		a = aliFields{}
		if err := json.Unmarshal(data, &a); err != nil {
			return Record{}, &Failure{Err: recordErr(ErrWrongType, "data", "%v", err)}
		}
	}
	var d elementDecoder
	d.decode(&a, f, binary)
	if d.err != nil {
		return Record{}, &Failure{Topic: d.rec.Topic, Partition: d.rec.Partition, Offset: d.rec.Offset, HasPartition: d.hasPartition, HasOffset: d.hasOffset, Err: d.err}
	}
	return d.rec, nil
}

type elementDecoder struct {
	rec          Record
	hasPartition bool
	hasOffset    bool
	err          *RecordError
}

func (d *elementDecoder) fail(e *RecordError) {
	if d.err == nil {
		d.err = e
	}
}

func (d *elementDecoder) decode(a *aliFields, f Format, binary bool) {
	if isNull(a.Topic) {
		d.fail(recordErr(ErrMissingField, "topic", "absent or null"))
	} else if err := json.Unmarshal(a.Topic, &d.rec.Topic); err != nil {
		d.fail(recordErr(ErrWrongType, "topic", "not a string"))
	}
	if p, ok := d.integer("partition", a.Partition, true, 32); ok {
		d.rec.Partition, d.hasPartition = int32(p), true
	}
	if o, ok := d.integer("offset", a.Offset, true, 64); ok {
		d.rec.Offset, d.hasOffset = o, true
	}
	if ts, ok := d.integer("timestamp", a.Timestamp, false, 64); ok {
		d.rec.Timestamp = ts
	}
	binary = binary && f != FormatAlibabaConnector
	d.rec.Key = d.bytesField("key", a.Key, binary)
	if f == FormatAlibabaConnector {
		d.connector(a)
		return
	}
	d.rec.Value = d.bytesField("value", a.Value, binary)
	if v := bytes.TrimSpace(a.Value); len(v) > 0 && v[0] != '"' && !isNull(v) {
		d.rec.ValueIsJSON = true
	}
	d.rec.ValueSize = len(d.rec.Value)
	d.rec.Headers = d.fcHeaders(a.Headers)
}

func (d *elementDecoder) connector(a *aliFields) {
	var overflow bool
	if !isNull(a.OverflowFlag) && json.Unmarshal(a.OverflowFlag, &overflow) != nil {
		d.fail(recordErr(ErrWrongType, "overflowFlag", "not a boolean"))
	}
	if !isNull(a.Value) && firstByte(a.Value) != '"' {
		d.fail(recordErr(ErrWrongType, "value", "not a string"))
	}
	value := d.bytesField("value", a.Value, false)
	size, hasSize := d.integer("valueSize", a.ValueSize, false, 32)
	if size < 0 {
		d.fail(recordErr(ErrWrongType, "valueSize", "negative"))
	}
	if overflow {
		// The connector puts a placeholder in value; keeping it would index
		// the placeholder as if it were the message.
		d.rec.Overflow = true
		d.rec.ValueSize = int(size)
		if !hasSize {
			d.fail(recordErr(ErrMissingField, "valueSize", "absent on an overflow record"))
		}
		return
	}
	d.rec.Value = value
	// valueSize is kept as the connector sent it: it is the connector's
	// measure of the message (for a string value it counts the JSON quotes,
	// so "Test Payload" comes with 14), and a takeover of a connector-built
	// index must not change it. Without it, the value's length stands in.
	d.rec.ValueSize = len(value)
	if hasSize {
		d.rec.ValueSize = int(size)
	}
}

// integer reads a JSON integer field within bits; absent or null is a
// failure when required.
func (d *elementDecoder) integer(name string, raw json.RawMessage, required bool, bits uint) (int64, bool) {
	if isNull(raw) {
		if required {
			d.fail(recordErr(ErrMissingField, name, "absent or null"))
		}
		return 0, false
	}
	n, err := strconv.ParseInt(string(bytes.TrimSpace(raw)), 10, int(bits))
	if err != nil {
		d.fail(recordErr(ErrWrongType, name, "%s is not an integer within %d bits", raw, bits))
		return 0, false
	}
	return n, true
}

// bytesField reads a key or value: null/absent is nil, a string is its
// UTF-8 bytes (or base64-decoded when binary), any other JSON value is its
// compact JSON text (the FC Json data format).
func (d *elementDecoder) bytesField(name string, raw json.RawMessage, binary bool) []byte {
	if isNull(raw) {
		return nil
	}
	if firstByte(raw) != '"' {
		var buf bytes.Buffer
		// The raw value comes from a successful json.Unmarshal, so it is valid.
		_ = json.Compact(&buf, raw)
		return buf.Bytes()
	}
	var s string
	_ = json.Unmarshal(raw, &s)
	if !binary {
		return []byte(s)
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		d.fail(recordErr(ErrBadBase64, name, "%v", err))
		return nil
	}
	return b
}

// fcHeaders reads FC's serialised Kafka RecordHeaders:
// {"headers": [{"key": "k", "value": <bytes>}], "isReadOnly": false}, where
// the bytes are a base64 string (a Java byte[] in JSON) or an array of
// signed byte numbers.
func (d *elementDecoder) fcHeaders(raw json.RawMessage) []Header {
	if isNull(raw) {
		return nil
	}
	var env struct {
		Headers []struct {
			Key   string          `json:"key"`
			Value json.RawMessage `json:"value"`
		} `json:"headers"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		d.headerFail(recordErr(ErrWrongType, "headers", "%v", err))
		return nil
	}
	if env.Headers == nil {
		return nil
	}
	hs := make([]Header, 0, len(env.Headers))
	for _, h := range env.Headers {
		var v []byte
		switch firstByte(h.Value) {
		case '"':
			var s string
			_ = json.Unmarshal(h.Value, &s)
			b, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				d.headerFail(recordErr(ErrBadBase64, "headers", "header %q: %v", h.Key, err))
			}
			v = b
		case '[':
			var nums []int
			if err := json.Unmarshal(h.Value, &nums); err != nil {
				d.headerFail(recordErr(ErrWrongType, "headers", "header %q: %v", h.Key, err))
			}
			v = make([]byte, 0, len(nums))
			for _, n := range nums {
				if n < math.MinInt8 || n > math.MaxUint8 {
					d.headerFail(recordErr(ErrWrongType, "headers", "header %q: %d is not a byte", h.Key, n))
				}
				v = append(v, byte(n))
			}
		case 'n', 0:
		default:
			d.headerFail(recordErr(ErrWrongType, "headers", "header %q: value is %s", h.Key, kindOf(h.Value)))
		}
		hs = append(hs, Header{Key: h.Key, Value: v})
	}
	if d.rec.HeaderErr != nil {
		return nil
	}
	return hs
}

// headerFail records a problem with the headers (Record.HeaderErr).
func (d *elementDecoder) headerFail(e *RecordError) {
	if d.rec.HeaderErr == nil {
		d.rec.HeaderErr = e
	}
}

func isNull(raw []byte) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}
