package msgdoc

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/esconnect/esconnect/shared/jsonstr"
	"github.com/esconnect/esconnect/shared/kafkaevent"
)

func appendBase64(dst, b []byte) []byte {
	dst = append(dst, '"')
	n := base64.StdEncoding.EncodedLen(len(b))
	l := len(dst)
	dst = append(dst, make([]byte, n)...)
	base64.StdEncoding.Encode(dst[l:], b)
	return append(dst, '"')
}

// appendBytesField appends "name":value for bytes that are stored as text
// when they are UTF-8 and base64 otherwise; it reports whether base64 was used.
func appendBytesField(dst []byte, name string, b []byte, forceBase64 bool) ([]byte, bool) {
	dst = append(dst, name...)
	if !forceBase64 {
		if out, ok := jsonstr.AppendValid(dst, b); ok {
			return out, false
		}
	}
	return appendBase64(dst, b), true
}

// truncateUTF8 cuts b to at most n bytes without splitting a character.
func truncateUTF8(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	for n > 0 && !utf8.RuneStart(b[n]) {
		n--
	}
	return b[:n]
}

// appendMsgBody appends {"msg_body":{...}} for r. It returns the failure
// type when the value cannot be stored in the configured format.
func (bld *Builder) appendMsgBody(dst []byte, r *kafkaevent.Record) ([]byte, *Error) {
	o := &bld.o
	keyB64 := false
	dst = append(dst, `{"msg_body":{`...)
	if r.Key != nil && o.MsgMode != MsgValue {
		dst, keyB64 = appendBytesField(dst, `"key":`, r.Key, false)
		dst = append(dst, ',')
	}
	dst = append(dst, `"offset":`...)
	dst = jsonstr.AppendInt(dst, r.Offset)

	// Decide the value first: truncation and overflow set overflowFlag,
	// which precedes value in the connector's field order.
	var (
		value     []byte
		overflow  bool
		valueKind valueKind
		err       *Error
	)
	if o.MsgMode == MsgKey {
		// No value is stored, so none is truncated: only a value the
		// trigger did not deliver is an overflow.
		overflow = r.Overflow
	} else if value, overflow, valueKind, err = bld.value(r); err != nil {
		return dst, err
	}
	dst = append(dst, `,"overflowFlag":`...)
	dst = strconv.AppendBool(dst, overflow)
	dst = append(dst, `,"partition":`...)
	dst = jsonstr.AppendInt(dst, int64(r.Partition))
	dst = append(dst, `,"timestamp":`...)
	dst = jsonstr.AppendInt(dst, r.Timestamp)
	dst = append(dst, `,"topic":`...)
	if r.Topic != bld.topic || bld.topicJSON == nil {
		bld.topic, bld.topicJSON = r.Topic, jsonstr.Append(bld.topicJSON[:0], r.Topic)
	}
	dst = append(dst, bld.topicJSON...)
	valueB64 := false
	switch valueKind {
	case valueText:
		dst, valueB64 = appendBytesField(dst, `,"value":`, value, false)
	case valueBase64:
		dst, valueB64 = appendBytesField(dst, `,"value":`, value, true)
	case valueRawJSON:
		dst = append(dst, `,"value":`...)
		dst = appendCompactJSON(dst, value)
	case valueKeptJSON:
		dst = append(dst, `,"value":`...)
		dst = bld.appendKept(dst, value)
	case valueCSVRow:
		dst = append(dst, `,"value":`...)
		dst = bld.appendCSVObject(dst, bld.fields.cur.row)
	}
	dst = append(dst, `,"valueSize":`...)
	// Every decoder sets ValueSize: the size the trigger reported (the
	// Alibaba connector's valueSize, an overflow record's real size) or the
	// value's length.
	dst = jsonstr.AppendInt(dst, int64(r.ValueSize))
	if o.IncludeHeaders && r.Headers != nil {
		dst = appendHeaders(dst, r.Headers)
	}
	if keyB64 {
		dst = append(dst, `,"keyEncoding":"base64"`...)
	}
	if valueB64 {
		dst = append(dst, `,"valueEncoding":"base64"`...)
	}
	return append(dst, "}}"...), nil
}

type valueKind uint8

const (
	valueAbsent valueKind = iota
	valueText
	valueBase64
	valueRawJSON
	// valueKeptJSON is a JSON object of which VALUE_FIELDS keeps some members.
	valueKeptJSON
	// valueCSVRow is the parsed CSV row of the record (fields.cur.row).
	valueCSVRow
)

// value decides what goes into msg_body.value and whether the document
// is marked as overflowed.
func (bld *Builder) value(r *kafkaevent.Record) ([]byte, bool, valueKind, *Error) {
	if r.Overflow {
		return nil, true, valueAbsent, nil
	}
	if r.Value == nil {
		return nil, false, valueAbsent, nil
	}
	max := bld.o.MaxValueBytes
	over := max > 0 && len(r.Value) > max
	switch bld.o.ValueFormat {
	case ValueJSON:
		if err := bld.checkJSON(r); err != nil {
			return nil, false, valueAbsent, err
		}
		kind := valueRawJSON
		v := r.Value
		if bld.fields.keep != nil {
			if v = v[skipSpace(v, 0):]; v[0] != '{' {
				return nil, false, valueAbsent, &Error{Type: ErrValueNotObject, Reason: "VALUE_FIELDS needs a JSON object value"}
			}
			kind = valueKeptJSON
		}
		if over {
			// A truncated JSON document is not JSON; the value is left out
			// as for a connector overflow record.
			return nil, true, valueAbsent, nil
		}
		return v, false, kind, nil
	case ValueCSV:
		if _, err := bld.csvRow(r); err != nil {
			return nil, false, valueAbsent, err
		}
		if over {
			// Cutting the row would change its columns; like JSON, the
			// value is left out.
			return nil, true, valueAbsent, nil
		}
		return nil, false, valueCSVRow, nil
	case ValueBase64:
		if over {
			return r.Value[:max], true, valueBase64, nil
		}
		return r.Value, false, valueBase64, nil
	}
	if over {
		if utf8.Valid(r.Value) {
			return truncateUTF8(r.Value, max), true, valueText, nil
		}
		return r.Value[:max], true, valueText, nil
	}
	return r.Value, false, valueText, nil
}

// appendCompactJSON appends a valid JSON value without insignificant
// whitespace, so that the body stays on one NDJSON line.
func appendCompactJSON(dst, v []byte) []byte {
	if !bytes.ContainsAny(v, " \t\r\n") {
		return append(dst, v...)
	}
	buf := bytes.NewBuffer(dst)
	// v is valid JSON (checked by the caller or by the trigger decoder).
	_ = json.Compact(buf, v)
	return buf.Bytes()
}

// appendHeaders appends ,"headers":[{"key":k,"value":v},...]; values that
// are not UTF-8 are base64 with "valueEncoding":"base64"; a null value is
// left out.
func appendHeaders(dst []byte, hs []kafkaevent.Header) []byte {
	dst = append(dst, `,"headers":[`...)
	for i, h := range hs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"key":`...)
		if utf8.ValidString(h.Key) {
			dst = jsonstr.Append(dst, h.Key)
		} else {
			dst = jsonstr.Append(dst, string([]rune(h.Key)))
		}
		if h.Value != nil {
			var b64 bool
			dst, b64 = appendBytesField(dst, `,"value":`, h.Value, false)
			if b64 {
				dst = append(dst, `,"valueEncoding":"base64"`...)
			}
		}
		dst = append(dst, '}')
	}
	return append(dst, ']')
}
