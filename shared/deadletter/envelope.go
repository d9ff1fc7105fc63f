package deadletter

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/esconnect/esconnect/shared/kafkaevent"
)

// Version is the envelope version Encode writes and Decode accepts. A change
// that old readers would misread bumps it.
const Version = 1

// ErrVersion reports an envelope of an unknown version, or a document that
// is not a dead-letter envelope at all.
var ErrVersion = errors.New("not a version 1 esconnect dead letter")

// Encodings of byte fields: text when the bytes are valid UTF-8 (JSON keeps
// them exact), base64 otherwise.
const (
	EncodingText   = "text"
	EncodingBase64 = "base64"
)

// envelope is the JSON form of a Letter; the documentation of the format is
// docs/kafka-es-sink.md, keep both in step.
type envelope struct {
	Version  int            `json:"esconnect_dead_letter"`
	Function string         `json:"function"`
	Time     time.Time      `json:"time"`
	Error    envelopeError  `json:"error"`
	Record   envelopeRecord `json:"record"`
	// RawJSON is the undecodable trigger element as a string rather than an
	// embedded object: the bytes stay exact, and an es:// index does not map
	// arbitrary fields from it.
	RawJSON         *string `json:"raw_json,omitempty"`
	RawJSONEncoding string  `json:"raw_json_encoding,omitempty"`
}

type envelopeError struct {
	Type   string `json:"type"`
	Reason string `json:"reason"`
	Status int    `json:"status"`
}

type envelopeRecord struct {
	Topic         string           `json:"topic"`
	Partition     int32            `json:"partition"`
	Offset        int64            `json:"offset"`
	Timestamp     int64            `json:"timestamp"`
	TimestampType string           `json:"timestamp_type,omitempty"`
	Key           *string          `json:"key"`
	KeyEncoding   string           `json:"key_encoding,omitempty"`
	Value         *string          `json:"value"`
	ValueEncoding string           `json:"value_encoding,omitempty"`
	ValueIsJSON   bool             `json:"value_is_json,omitempty"`
	ValueSize     int              `json:"value_size"`
	Overflow      bool             `json:"overflow,omitempty"`
	Headers       []envelopeHeader `json:"headers"`
}

type envelopeHeader struct {
	Key           string  `json:"key"`
	Value         *string `json:"value"`
	ValueEncoding string  `json:"value_encoding,omitempty"`
}

// Encode returns the JSON envelope of l. Key, value and header values are
// kept exactly: as JSON strings when valid UTF-8, base64 otherwise, and null
// for a Kafka null.
func Encode(l Letter) ([]byte, error) {
	r := l.Record
	env := envelope{
		Version:  Version,
		Function: l.Function,
		Time:     l.Time.UTC(),
		Error:    envelopeError{Type: l.Error.Type, Reason: l.Error.Reason, Status: l.Error.Status},
		Record: envelopeRecord{
			Topic: r.Topic, Partition: r.Partition, Offset: r.Offset,
			Timestamp: r.Timestamp, TimestampType: r.TimestampType,
			ValueIsJSON: r.ValueIsJSON, ValueSize: r.ValueSize, Overflow: r.Overflow,
			Headers: []envelopeHeader{},
		},
	}
	env.Record.Key, env.Record.KeyEncoding = encodeBytes(r.Key)
	env.Record.Value, env.Record.ValueEncoding = encodeBytes(r.Value)
	for _, h := range r.Headers {
		v, enc := encodeBytes(h.Value)
		env.Record.Headers = append(env.Record.Headers, envelopeHeader{Key: h.Key, Value: v, ValueEncoding: enc})
	}
	if l.Raw != nil {
		// A trigger element that is not UTF-8 is kept as base64 so that no
		// byte is lost.
		env.RawJSON, env.RawJSONEncoding = encodeBytes(l.Raw)
	}
	b, err := json.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("encode dead letter: %w", err)
	}
	return b, nil
}

// Decode parses an envelope written by Encode and restores the letter,
// including the record's exact bytes.
func Decode(b []byte) (Letter, error) {
	var env envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return Letter{}, fmt.Errorf("decode dead letter: %w", err)
	}
	if env.Version != Version {
		return Letter{}, fmt.Errorf("decode dead letter: version %d: %w", env.Version, ErrVersion)
	}
	er := env.Record
	l := Letter{
		Function: env.Function,
		Time:     env.Time,
		Error:    Cause{Type: env.Error.Type, Reason: env.Error.Reason, Status: env.Error.Status},
		Record: kafkaevent.Record{
			Topic: er.Topic, Partition: er.Partition, Offset: er.Offset,
			Timestamp: er.Timestamp, TimestampType: er.TimestampType,
			ValueIsJSON: er.ValueIsJSON, ValueSize: er.ValueSize, Overflow: er.Overflow,
		},
	}
	var err error
	if l.Record.Key, err = decodeBytes(er.Key, er.KeyEncoding); err != nil {
		return Letter{}, fmt.Errorf("decode dead letter key: %w", err)
	}
	if l.Record.Value, err = decodeBytes(er.Value, er.ValueEncoding); err != nil {
		return Letter{}, fmt.Errorf("decode dead letter value: %w", err)
	}
	for i, h := range er.Headers {
		v, err := decodeBytes(h.Value, h.ValueEncoding)
		if err != nil {
			return Letter{}, fmt.Errorf("decode dead letter header %d: %w", i, err)
		}
		l.Record.Headers = append(l.Record.Headers, kafkaevent.Header{Key: h.Key, Value: v})
	}
	if l.Raw, err = decodeBytes(env.RawJSON, env.RawJSONEncoding); err != nil {
		return Letter{}, fmt.Errorf("decode dead letter raw_json: %w", err)
	}
	return l, nil
}

func encodeBytes(b []byte) (*string, string) {
	if b == nil {
		return nil, ""
	}
	if utf8.Valid(b) {
		s := string(b)
		return &s, ""
	}
	s := base64.StdEncoding.EncodeToString(b)
	return &s, EncodingBase64
}

func decodeBytes(s *string, enc string) ([]byte, error) {
	if s == nil {
		return nil, nil
	}
	switch enc {
	case "", EncodingText:
		return []byte(*s), nil
	case EncodingBase64:
		return base64.StdEncoding.DecodeString(*s)
	}
	return nil, fmt.Errorf("unknown encoding %q", enc)
}
