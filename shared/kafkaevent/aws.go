package kafkaevent

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	fastbase64 "github.com/segmentio/asm/base64"
)

var openBrace = []byte("{")

// AWS event sources, as in the eventSource field.
const (
	EventSourceMSK         = "aws:kafka"
	EventSourceSelfManaged = "SelfManagedKafka"
)

// decodeAWS decodes an AWS Lambda Kafka event. It yields what encoding/json
// into events.KafkaEvent followed by base64 decoding yields (see the
// differential test), with three deliberate differences: records come in
// payload order rather than map order, a record whose fields cannot be read
// becomes a Failure instead of failing the whole event, and a record
// without topic, partition or offset is a Failure rather than a zero value.
//
// It reads the payload in two passes. The first reads every record's
// fields and keeps its base64 key and value as spans of the payload; the
// second decodes them into one arena sized from those spans, so that a
// 6 MB event costs one exact allocation for its keys and values, or none
// when mem holds an arena large enough from an earlier event.
func decodeAWS(payload []byte, forced bool, mem *memory) (Batch, error) {
	d := awsDecoder{s: scanner{b: payload}, mem: mem}
	d.batch.Records, d.pending = mem.records[:0], mem.pending[:0]
	if cap(d.batch.Records) == 0 {
		// No memory from an earlier event (a first invocation, a one-shot
		// run). Every record is a JSON object and '{' cannot occur inside
		// the base64 keys and values, so counting it (a vectorised
		// single-byte count) bounds the record count closely; a guess from
		// the payload size would reserve several times the memory for
		// events with large values, or grow and copy the slices for small
		// ones. With memory the pass is skipped: append grows it if needed.
		n := bytes.Count(payload, openBrace)
		d.batch.Records = make([]Record, 0, n)
		d.pending = make([]pendingRecord, 0, n)
	}
	d.batch.Format = FormatAWS
	err := d.event(forced)
	// Kept even on failure: the memory is the point of mem.
	mem.records, mem.pending = d.batch.Records, d.pending
	if err != nil {
		if !errors.Is(err, ErrMalformed) {
			// The first pass stops at a foreign shape before reading the
			// rest, and does not validate the keys and values it only
			// delimited: invalid JSON outranks the shape.
			if serr := syntaxError(payload); serr != nil {
				return Batch{}, serr
			}
		}
		return Batch{}, err
	}
	err = d.decodeRecords()
	mem.records, mem.indexes, mem.arena = d.batch.Records, d.batch.Indexes, d.arena
	if err != nil {
		return Batch{}, err
	}
	return d.batch, nil
}

type awsDecoder struct {
	s     scanner
	mem   *memory
	batch Batch
	// pending has one entry per records element, in payload order, until
	// decodeRecords turns them into Records and Failures.
	pending []pendingRecord
	arena   []byte
	// lastTopic interns the topic string: a batch usually holds one or a
	// few topics, so most records reuse the previous string.
	lastTopic    string
	lastTopicRaw []byte
}

func (d *awsDecoder) event(forced bool) error {
	s := &d.s
	if !s.consume('{') {
		if s.peek() == 0 {
			return s.syntax("empty payload")
		}
		return s.syntax("expected '{'")
	}
	sawRecords := false
	if !s.consume('}') {
		for {
			kraw, kslow, err := s.str()
			if err != nil {
				return err
			}
			if !s.consume(':') {
				return s.syntax("expected ':'")
			}
			key := fieldKey(kraw, kslow)
			switch {
			case foldEq(key, "eventSource"):
				if d.batch.EventSource, err = d.topString(); err != nil {
					return err
				}
			case foldEq(key, "eventSourceArn"):
				if d.batch.EventSourceARN, err = d.topString(); err != nil {
					return err
				}
			case foldEq(key, "bootstrapServers"):
				if d.batch.BootstrapServers, err = d.topString(); err != nil {
					return err
				}
			case foldEq(key, "records"):
				sawRecords = true
				if err := d.records(); err != nil {
					return err
				}
			default:
				if err := s.skip(1); err != nil {
					return err
				}
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
	if s.peek() != 0 {
		return s.syntax("data after the event object")
	}
	switch d.batch.EventSource {
	case EventSourceMSK, EventSourceSelfManaged, "aws:" + EventSourceSelfManaged:
	default:
		if !forced || !sawRecords {
			return unrecognised(s.b, fmt.Sprintf("eventSource %q", d.batch.EventSource))
		}
	}
	return nil
}

// topString reads a string or null; anything else fails the event, because
// encoding/json would fail it too and the field says what the event is.
func (d *awsDecoder) topString() (string, error) {
	if d.s.literal("null") {
		return "", nil
	}
	raw, slow, err := d.s.str()
	if err != nil {
		return "", err
	}
	return unquote(raw, slow), nil
}

func (d *awsDecoder) records() error {
	s := &d.s
	if s.literal("null") {
		return nil
	}
	if s.peek() != '{' {
		// Valid JSON of another shape (an SQS or Kinesis event has a
		// "Records" array, which matches case-insensitively).
		if err := s.skip(1); err != nil {
			return err
		}
		return unrecognised(s.b, "records is not an object")
	}
	s.i++
	if s.consume('}') {
		return nil
	}
	for {
		// The topic-partition key carries nothing the records do not.
		if _, _, err := s.str(); err != nil {
			return err
		}
		if !s.consume(':') {
			return s.syntax("expected ':'")
		}
		if err := d.group(); err != nil {
			return err
		}
		if s.consume(',') {
			continue
		}
		if s.consume('}') {
			return nil
		}
		return s.syntax("expected ',' or '}'")
	}
}

func (d *awsDecoder) group() error {
	s := &d.s
	if s.literal("null") {
		return nil
	}
	if !s.consume('[') {
		return s.syntax("records: expected an array of records")
	}
	if s.consume(']') {
		return nil
	}
	for {
		if err := d.record(); err != nil {
			return err
		}
		if s.consume(',') {
			continue
		}
		if s.consume(']') {
			return nil
		}
		return s.syntax("expected ',' or ']'")
	}
}

// alloc returns n bytes from the arena, or fresh memory once it is used up.
func (d *awsDecoder) alloc(n int) []byte {
	l := len(d.arena)
	if cap(d.arena)-l >= n {
		d.arena = d.arena[:l+n]
		return d.arena[l : l+n : l+n]
	}
	return make([]byte, n)
}

// b64 decodes a key or value string. A string the first pass delimited
// without validating it (checked false) is proven plain base64 by an exact
// decode; anything else is validated first, which may find that the
// payload is not JSON at all: that is returned as fatal.
func (d *awsDecoder) b64(raw []byte, slow, checked bool) (b []byte, err, fatal error) {
	if !checked {
		dst := d.alloc(base64.StdEncoding.DecodedLen(len(raw)))
		n, err := decodeBase64(dst, raw)
		if err == nil && plainBase64Len(raw) == n {
			return dst[:n], nil, nil
		}
		if slow, fatal = d.check(raw); fatal != nil {
			return nil, nil, fatal
		}
		if !slow && err != nil {
			// A valid string without escapes or non-ASCII bytes: the
			// decode's error stands.
			return nil, err, nil
		}
	}
	if slow {
		raw = []byte(unquote(raw, slow))
	}
	dst := d.alloc(base64.StdEncoding.DecodedLen(len(raw)))
	n, err := decodeBase64(dst, raw)
	if err != nil {
		return nil, err, nil
	}
	return dst[:n], nil, nil
}

// decodeBase64 is encoding/base64's StdEncoding.Decode, vectorised: the
// segmentio/asm decoder (AVX2 on amd64, NEON on arm64) decodes whole blocks
// several times faster and leaves the rest, including anything it does not
// accept, to encoding/base64, so results are the standard library's. Its
// error offsets count from that rest, so a failure is decoded again by
// encoding/base64 alone for an error that names the right byte. Plain
// padded base64, what AWS sends, first takes decodePlain.
func decodeBase64(dst, src []byte) (int, error) {
	if n, ok := decodePlain(dst, src); ok {
		return n, nil
	}
	n, err := fastbase64.StdEncoding.Decode(dst, src)
	if err != nil {
		return base64.StdEncoding.Decode(dst, src)
	}
	return n, nil
}

// decodePlain decodes padded base64 without line breaks, as encoding/base64
// does, and reports false, having decoded nothing that counts, for
// anything else. segmentio/asm hands the last 13 to 44 characters of every
// string to encoding/base64, whose padded last group is slow: that tail
// and a short key took as long as 30 vectorised blocks. Here the vectorised
// decoder gets a prefix of whole blocks and 16 characters, whole groups
// that encoding/base64 decodes without padding, and the rest goes through
// decodeGroups.
func decodePlain(dst, src []byte) (int, bool) {
	if len(src)%4 != 0 {
		return 0, false
	}
	n, split := 0, 0
	// The prefix leaves at least the last group, where padding may be.
	if blocks := (len(src) - 4 - 16) / 32; blocks > 0 {
		split = blocks*32 + 16
		m, err := fastbase64.StdEncoding.Decode(dst, src[:split])
		// Any padding or line break in the prefix shows as a short count.
		if err != nil || m != split/4*3 {
			return 0, false
		}
		n = m
	}
	m, ok := decodeGroups(dst[n:], src[split:])
	return n + m, ok
}

// b64Values maps each byte to its value in the standard alphabet, or to
// 0xff.
var b64Values = func() (t [256]byte) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := range t {
		t[i] = 0xff
	}
	for i := range len(alphabet) {
		t[alphabet[i]] = byte(i)
	}
	return t
}()

// decodeGroups decodes groups of four characters, the last of which may
// end in one or two '=', as encoding/base64 does (the bits that padding
// leaves over are ignored, as its non-strict decoding does); false for
// anything else.
func decodeGroups(dst, src []byte) (int, bool) {
	n := 0
	for ; len(src) > 4; src = src[4:] {
		a, b, c, d := b64Values[src[0]], b64Values[src[1]], b64Values[src[2]], b64Values[src[3]]
		// Values are below 64, 0xff is not.
		if (a|b|c|d)&0xc0 != 0 {
			return 0, false
		}
		v := uint32(a)<<18 | uint32(b)<<12 | uint32(c)<<6 | uint32(d)
		dst[n], dst[n+1], dst[n+2] = byte(v>>16), byte(v>>8), byte(v)
		n += 3
	}
	if len(src) == 0 {
		return n, true
	}
	a, b, c, d := b64Values[src[0]], b64Values[src[1]], b64Values[src[2]], b64Values[src[3]]
	if (a|b)&0xc0 != 0 {
		return 0, false
	}
	switch {
	case src[2] == '=' && src[3] == '=':
		dst[n] = a<<2 | b>>4
		return n + 1, true
	case src[3] == '=':
		if c&0xc0 != 0 {
			return 0, false
		}
		v := uint32(a)<<18 | uint32(b)<<12 | uint32(c)<<6
		dst[n], dst[n+1] = byte(v>>16), byte(v>>8)
		return n + 2, true
	case (c|d)&0xc0 != 0:
		return 0, false
	}
	v := uint32(a)<<18 | uint32(b)<<12 | uint32(c)<<6 | uint32(d)
	dst[n], dst[n+1], dst[n+2] = byte(v>>16), byte(v>>8), byte(v)
	return n + 3, true
}

// plainBase64Len is the decoded length of padded base64 without line
// breaks. The standard decoder skips CR and LF, which cannot occur raw in a
// JSON string, so a decode of any other length means the string needs
// validating.
func plainBase64Len(raw []byte) int {
	if len(raw)%4 != 0 {
		return -1
	}
	n := len(raw) / 4 * 3
	for i := len(raw) - 1; i >= 0 && i >= len(raw)-2 && raw[i] == '='; i-- {
		n--
	}
	return n
}

// check validates a string the first pass only delimited. raw is a span of
// the payload, so its position there follows from its capacity.
func (d *awsDecoder) check(raw []byte) (slow bool, err error) {
	s := scanner{b: d.s.b, i: cap(d.s.b) - cap(raw) - 1}
	_, slow, err = s.str()
	return slow, err
}

// syntaxError returns ErrMalformed with encoding/json's account of the
// first syntax error in payload, or nil for valid JSON.
func syntaxError(payload []byte) error {
	var v json.RawMessage
	err := json.Unmarshal(payload, &v)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("%w: %v at byte %d", ErrMalformed, se, se.Offset)
	}
	if err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return nil
}
