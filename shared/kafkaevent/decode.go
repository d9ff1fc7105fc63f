package kafkaevent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// DecodeOptions controls Decode beyond the format.
type DecodeOptions struct {
	Format Format
	// BinaryValues says that string keys and values in FC CloudEvents and
	// RawData payloads are base64 (the trigger's Binary data format). The
	// payload itself cannot tell base64 text from plain text, so this is a
	// setting; it has no effect on AWS (always base64) or connector payloads
	// (always text).
	BinaryValues bool
}

// Decode decodes a trigger payload in format f (FormatAuto detects it).
//
// The error is non-nil only when the payload as a whole is unusable: not
// JSON (ErrMalformed) or not a Kafka trigger payload (ErrUnrecognised).
// Problems confined to one record are reported in Batch.Failures and never
// affect the other records.
//
// Keys, values and Failure.Raw may alias payload or a buffer shared by the
// batch; do not modify payload while the batch is in use.
func Decode(payload []byte, f Format) (Batch, error) {
	return DecodeWith(payload, DecodeOptions{Format: f})
}

// DecodeWith is Decode with options. A caller that decodes one payload
// after another can keep the memory of the batches with DecodeInto.
func DecodeWith(payload []byte, o DecodeOptions) (Batch, error) {
	return decodeWith(payload, o, &memory{})
}

// decodeWith decodes with the memory of an earlier batch (AWS events).
func decodeWith(payload []byte, o DecodeOptions, mem *memory) (Batch, error) {
	first := firstByte(payload)
	switch o.Format {
	case FormatAWS:
		return decodeAWS(payload, true, mem)
	case FormatAuto:
		switch first {
		case '{':
			// The AWS decoder goes first: it is the hot path, and probing for a
			// CloudEvent first would parse every AWS event twice.
			b, err := decodeAWS(payload, false, mem)
			if errors.Is(err, ErrUnrecognised) && looksLikeCloudEvent(payload) {
				return decodeArray(wrapArray(payload), FormatFCCloudEvents, o.BinaryValues)
			}
			return b, err
		case '[':
			return decodeArray(payload, FormatAuto, o.BinaryValues)
		}
	case FormatAlibabaConnector, FormatFCCloudEvents, FormatFCRawData:
		if first == '{' && o.Format == FormatFCCloudEvents {
			return decodeArray(wrapArray(payload), o.Format, o.BinaryValues)
		}
		if first == '[' {
			return decodeArray(payload, o.Format, o.BinaryValues)
		}
	default:
		return Batch{}, fmt.Errorf("decode: unknown format %v", o.Format)
	}
	if !json.Valid(payload) {
		return Batch{}, fmt.Errorf("%w: not valid JSON", ErrMalformed)
	}
	return Batch{}, unrecognised(payload, "")
}

func firstByte(b []byte) byte {
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 {
		return 0
	}
	return b[0]
}

// looksLikeCloudEvent tells a single CloudEvent object from an AWS event
// without a full parse; only the rare single-object FC payload pays for it.
func looksLikeCloudEvent(payload []byte) bool {
	var probe struct {
		SpecVersion *string         `json:"specversion"`
		Data        json.RawMessage `json:"data"`
	}
	if json.Unmarshal(payload, &probe) != nil {
		return false
	}
	return probe.SpecVersion != nil && len(probe.Data) > 0
}

func wrapArray(obj []byte) []byte {
	out := make([]byte, 0, len(obj)+2)
	return append(append(append(out, '['), obj...), ']')
}

const expected = "expected an AWS Kafka event (eventSource aws:kafka or SelfManagedKafka), " +
	"an Alibaba Kafka connector array, or an FC Kafka trigger array (CloudEvents or RawData)"

// unrecognised builds the error for a payload of no known shape, naming what
// it saw so that a misrouted trigger is easy to spot in the logs.
func unrecognised(payload []byte, detail string) error {
	var seen string
	switch firstByte(payload) {
	case '{':
		seen = fmt.Sprintf("JSON object with keys [%s]", strings.Join(objectKeys(payload, 10), " "))
	case '[':
		seen = "JSON array"
		var elems []json.RawMessage
		if json.Unmarshal(payload, &elems) == nil && len(elems) > 0 {
			switch firstByte(elems[0]) {
			case '{':
				seen += fmt.Sprintf(" of objects with keys [%s]", strings.Join(objectKeys(elems[0], 10), " "))
			default:
				seen += fmt.Sprintf(" starting with %s", kindOf(elems[0]))
			}
		}
	case 0:
		seen = "empty body"
	default:
		seen = kindOf(payload)
	}
	if detail != "" {
		seen += " (" + detail + ")"
	}
	return fmt.Errorf("%w: %s; %s", ErrUnrecognised, seen, expected)
}

func kindOf(v []byte) string {
	switch c := firstByte(v); {
	case c == '"':
		return "a JSON string"
	case c == '{':
		return "a JSON object"
	case c == '[':
		return "a JSON array"
	case c == 't' || c == 'f':
		return "a JSON boolean"
	case c == 'n':
		return "JSON null"
	case c == '-' || '0' <= c && c <= '9':
		return "a JSON number"
	}
	return "non-JSON bytes"
}
