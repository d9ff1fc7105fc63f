package kafkaevent

import (
	"bytes"
	"encoding/json"
	"math"
)

// fieldKey returns an object key as bytes, unescaped when needed.
func fieldKey(raw []byte, slow bool) []byte {
	if !slow {
		return raw
	}
	return []byte(unquote(raw, slow))
}

// foldEq matches a key the way encoding/json matches struct field names:
// exact first, then case-insensitively (Unicode simple folding).
func foldEq(key []byte, name string) bool {
	if len(key) == len(name) && string(key) == name {
		return true
	}
	return bytes.EqualFold(key, []byte(name))
}

// recordState collects one AWS record while its fields are read.
type recordState struct {
	rec                    Record
	hasTopic, hasPartition bool
	hasOffset              bool
	err                    *RecordError
	keyRaw, valRaw         []byte
	keySlow, valSlow       bool
	keySet, valSet         bool
}

func (st *recordState) fail(e *RecordError) {
	if st.err == nil {
		st.err = e
	}
}

// record reads one element of a records array. Field problems make the
// record a Failure; only broken JSON syntax fails the event, because then
// the element boundaries themselves are unknown.
func (d *awsDecoder) record() error {
	s := &d.s
	index := d.index
	d.index++
	s.ws()
	start := s.i
	var st recordState
	if s.peek() != '{' {
		if err := s.skip(1); err != nil {
			return err
		}
		d.failure(index, &st, start, recordErr(ErrWrongType, "", "record is not a JSON object"))
		return nil
	}
	s.i++
	if !s.consume('}') {
		for {
			kraw, kslow, err := s.str()
			if err != nil {
				return err
			}
			if !s.consume(':') {
				return s.syntax("expected ':'")
			}
			if err := d.field(&st, fieldKey(kraw, kslow)); err != nil {
				return err
			}
			if s.consume(',') {
				continue
			}
			if s.consume('}') {
				break
			}
			return s.syntax("expected ',' or '}'")
		}
	}
	// Base64 is decoded after the whole object is read, so that a later
	// duplicate key wins as it does in encoding/json.
	if st.keySet {
		k, err := d.b64(st.keyRaw, st.keySlow)
		if err != nil {
			st.fail(recordErr(ErrBadBase64, "key", "%v", err))
		}
		st.rec.Key = k
	}
	if st.valSet {
		v, err := d.b64(st.valRaw, st.valSlow)
		if err != nil {
			st.fail(recordErr(ErrBadBase64, "value", "%v", err))
		}
		st.rec.Value = v
	}
	switch {
	case !st.hasTopic:
		st.fail(recordErr(ErrMissingField, "topic", "absent or null"))
	case !st.hasPartition:
		st.fail(recordErr(ErrMissingField, "partition", "absent or null"))
	case !st.hasOffset:
		st.fail(recordErr(ErrMissingField, "offset", "absent or null"))
	}
	if st.err != nil {
		d.failure(index, &st, start, st.err)
		return nil
	}
	st.rec.ValueSize = len(st.rec.Value)
	d.batch.Records = append(d.batch.Records, st.rec)
	d.batch.Indexes = append(d.batch.Indexes, index)
	return nil
}

func (d *awsDecoder) failure(index int, st *recordState, start int, err *RecordError) {
	d.batch.Failures = append(d.batch.Failures, Failure{
		Index:     index,
		Topic:     st.rec.Topic,
		Partition: st.rec.Partition,
		Offset:    st.rec.Offset,
		HasOffset: st.hasOffset,
		Raw:       json.RawMessage(d.s.b[start:d.s.i]),
		Err:       err,
	})
}

func (d *awsDecoder) field(st *recordState, key []byte) error {
	s := &d.s
	isNull := s.peek() == 'n'
	switch {
	case foldEq(key, "topic"):
		if isNull {
			st.hasTopic = false
			return s.skip(1)
		}
		if s.peek() != '"' {
			st.fail(recordErr(ErrWrongType, "topic", "not a string"))
			return s.skip(1)
		}
		raw, slow, err := s.str()
		if err != nil {
			return err
		}
		st.hasTopic = true
		st.rec.Topic = d.topic(raw, slow)
	case foldEq(key, "partition"):
		n, ok, err := d.intField(st, "partition", 32)
		if err != nil || isNull {
			st.hasPartition = false
			return err
		}
		if ok {
			st.hasPartition = true
			st.rec.Partition = int32(n)
		}
	case foldEq(key, "offset"):
		n, ok, err := d.intField(st, "offset", 64)
		if err != nil || isNull {
			st.hasOffset = false
			return err
		}
		if ok {
			st.hasOffset = true
			st.rec.Offset = n
		}
	case foldEq(key, "timestamp"):
		n, ok, err := d.intField(st, "timestamp", 64)
		if err != nil {
			return err
		}
		if ok && !isNull {
			st.rec.Timestamp = n
		}
	case foldEq(key, "timestampType"):
		if isNull {
			return s.skip(1)
		}
		if s.peek() != '"' {
			st.fail(recordErr(ErrWrongType, "timestampType", "not a string"))
			return s.skip(1)
		}
		raw, slow, err := s.str()
		if err != nil {
			return err
		}
		st.rec.TimestampType = timestampType(raw, slow)
	case foldEq(key, "key"), foldEq(key, "value"):
		isKey := foldEq(key, "key")
		if isNull {
			return s.skip(1)
		}
		if s.peek() != '"' {
			st.fail(recordErr(ErrWrongType, string(key), "not a string"))
			return s.skip(1)
		}
		raw, slow, err := s.str()
		if err != nil {
			return err
		}
		if isKey {
			st.keyRaw, st.keySlow, st.keySet = raw, slow, true
		} else {
			st.valRaw, st.valSlow, st.valSet = raw, slow, true
		}
	case foldEq(key, "headers"):
		return d.headers(st)
	default:
		return s.skip(1)
	}
	return nil
}

// intField reads an integer field; null reads as ok with no value.
func (d *awsDecoder) intField(st *recordState, name string, bits uint) (int64, bool, error) {
	s := &d.s
	if s.literal("null") {
		return 0, true, nil
	}
	if c := s.peek(); c != '-' && (c < '0' || c > '9') {
		st.fail(recordErr(ErrWrongType, name, "not a number"))
		return 0, false, s.skip(1)
	}
	lit, err := s.number()
	if err != nil {
		return 0, false, err
	}
	n, ok := parseInt(lit, bits)
	if !ok {
		st.fail(recordErr(ErrWrongType, name, "%s is not an integer within %d bits", lit, bits))
		return 0, false, nil
	}
	return n, true, nil
}

func (d *awsDecoder) topic(raw []byte, slow bool) string {
	if !slow && d.lastTopicRaw != nil && bytes.Equal(raw, d.lastTopicRaw) {
		return d.lastTopic
	}
	t := unquote(raw, slow)
	if !slow {
		d.lastTopic, d.lastTopicRaw = t, raw
	}
	return t
}

// timestampType avoids an allocation for the two values Kafka defines.
func timestampType(raw []byte, slow bool) string {
	switch string(raw) {
	case "CREATE_TIME":
		return "CREATE_TIME"
	case "LOG_APPEND_TIME":
		return "LOG_APPEND_TIME"
	}
	return unquote(raw, slow)
}

// headers reads [{"name": [signed bytes...]}, ...]. encoding/json decodes
// each object into a map, so within one object a repeated name keeps its
// last value; the order of names within one object is not meaningful there
// and is the payload order here.
func (d *awsDecoder) headers(st *recordState) error {
	s := &d.s
	if s.literal("null") {
		st.rec.Headers = nil
		return nil
	}
	if s.peek() != '[' {
		st.fail(recordErr(ErrWrongType, "headers", "not an array"))
		return s.skip(1)
	}
	s.i++
	var hs []Header
	if s.consume(']') {
		st.rec.Headers = []Header{}
		return nil
	}
	for {
		var err error
		if hs, err = d.headerObject(st, hs); err != nil {
			return err
		}
		if s.consume(',') {
			continue
		}
		if s.consume(']') {
			break
		}
		return s.syntax("expected ',' or ']'")
	}
	if hs == nil {
		hs = []Header{}
	}
	st.rec.Headers = hs
	return nil
}

func (d *awsDecoder) headerObject(st *recordState, hs []Header) ([]Header, error) {
	s := &d.s
	if s.literal("null") {
		return hs, nil
	}
	if s.peek() != '{' {
		st.fail(recordErr(ErrWrongType, "headers", "element is not an object"))
		return hs, s.skip(1)
	}
	s.i++
	if s.consume('}') {
		return hs, nil
	}
	first := len(hs)
	for {
		kraw, kslow, err := s.str()
		if err != nil {
			return hs, err
		}
		if !s.consume(':') {
			return hs, s.syntax("expected ':'")
		}
		name := unquote(kraw, kslow)
		val, err := d.signedBytes(st)
		if err != nil {
			return hs, err
		}
		replaced := false
		for i := first; i < len(hs); i++ {
			if hs[i].Key == name {
				hs[i].Value, replaced = val, true
			}
		}
		if !replaced {
			hs = append(hs, Header{Key: name, Value: val})
		}
		if s.consume(',') {
			continue
		}
		if s.consume('}') {
			return hs, nil
		}
		return hs, s.syntax("expected ',' or '}'")
	}
}

// signedBytes reads an array of numbers in [-128, 127] as bytes: the Java
// byte[] of the header, where negative numbers are bytes >= 0x80.
func (d *awsDecoder) signedBytes(st *recordState) ([]byte, error) {
	s := &d.s
	if s.literal("null") {
		return []byte{}, nil
	}
	if s.peek() != '[' {
		st.fail(recordErr(ErrWrongType, "headers", "value is not an array of bytes"))
		return nil, s.skip(1)
	}
	s.i++
	out := []byte{}
	if s.consume(']') {
		return out, nil
	}
	for {
		if c := s.peek(); c != '-' && (c < '0' || c > '9') {
			st.fail(recordErr(ErrWrongType, "headers", "value element is not a number"))
			if err := s.skip(1); err != nil {
				return nil, err
			}
		} else {
			lit, err := s.number()
			if err != nil {
				return nil, err
			}
			n, ok := parseInt(lit, 8)
			if !ok || n < math.MinInt8 || n > math.MaxInt8 {
				st.fail(recordErr(ErrWrongType, "headers", "%s is not a signed byte", lit))
			}
			out = append(out, byte(int8(n)))
		}
		if s.consume(',') {
			continue
		}
		if s.consume(']') {
			return out, nil
		}
		return nil, s.syntax("expected ',' or ']'")
	}
}
