package kafkaevent

import (
	"bytes"
	"encoding/base64"
	"fmt"
)

// AWS event sources, as in the eventSource field.
const (
	EventSourceMSK         = "aws:kafka"
	EventSourceSelfManaged = "SelfManagedKafka"
)

var openBrace = []byte("{")

// decodeAWS decodes an AWS Lambda Kafka event. It yields what encoding/json
// into events.KafkaEvent followed by base64 decoding yields (see the
// differential test), with three deliberate differences: records come in
// payload order rather than map order, a record whose fields cannot be read
// becomes a Failure instead of failing the whole event, and a record
// without topic, partition or offset is a Failure rather than a zero value.
//
// Keys and values are decoded into one arena allocated for the batch and
// sized by arenaSize, so that a 6 MB event costs one exact allocation.
func decodeAWS(payload []byte, forced bool) (Batch, error) {
	d := awsDecoder{s: scanner{b: payload}}
	d.arena = make([]byte, 0, arenaSize(payload))
	// Every record is a JSON object and '{' cannot occur inside the base64
	// keys and values, so counting it (a vectorised single-byte count) bounds
	// the record count closely; a guess from the payload size would reserve
	// several times the memory for events with large values.
	d.batch.Records = make([]Record, 0, bytes.Count(payload, openBrace))
	d.batch.Indexes = make([]int, 0, cap(d.batch.Records))
	d.batch.Format = FormatAWS
	if err := d.event(forced); err != nil {
		return Batch{}, err
	}
	return d.batch, nil
}

type awsDecoder struct {
	s     scanner
	batch Batch
	arena []byte
	index int
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

// arenaSize returns the decoded size of the payload's "key" and "value"
// strings, found with vectorised searches. 3/4 of the whole payload would
// also hold them, but the JSON around each record is a tenth of a typical
// event, and that slack counted against the 6 MB event's heap budget. A
// payload spelled otherwise (escaped or case-folded field names) is sized
// too small, and alloc falls back to fresh memory for what does not fit.
func arenaSize(payload []byte) int {
	n := 0
	for _, field := range [][]byte{arenaFieldValue, arenaFieldKey} {
		rest := payload
		for {
			i := bytes.Index(rest, field)
			if i < 0 {
				break
			}
			rest = bytes.TrimLeft(rest[i+len(field):], " \t\r\n")
			if len(rest) == 0 || rest[0] != '"' {
				continue
			}
			j := bytes.IndexByte(rest[1:], '"')
			if j < 0 {
				break
			}
			n += base64.StdEncoding.DecodedLen(j)
			rest = rest[j+2:]
		}
	}
	return n
}

var (
	arenaFieldValue = []byte(`"value":`)
	arenaFieldKey   = []byte(`"key":`)
)

// alloc returns n bytes from the arena, or fresh memory once it is used up.
func (d *awsDecoder) alloc(n int) []byte {
	l := len(d.arena)
	if cap(d.arena)-l >= n {
		d.arena = d.arena[:l+n]
		return d.arena[l : l+n : l+n]
	}
	return make([]byte, n)
}

func (d *awsDecoder) b64(raw []byte, slow bool) ([]byte, error) {
	if slow {
		raw = []byte(unquote(raw, slow))
	}
	dst := d.alloc(base64.StdEncoding.DecodedLen(len(raw)))
	n, err := base64.StdEncoding.Decode(dst, raw)
	if err != nil {
		return nil, err
	}
	return dst[:n], nil
}
