package query

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// member is one key of a JSON object with its undecoded value. Objects are
// read as ordered members rather than maps because Elasticsearch's messages
// name keys in request order ("found [a] and [b]") and because a duplicate or
// second key is itself an error for several query types.
type member struct {
	Key string
	Raw json.RawMessage
}

// tokenKind names the first token of a JSON value the way Elasticsearch's
// parser reports it in error messages.
func tokenKind(raw json.RawMessage) string {
	b := bytes.TrimLeft(raw, " \t\r\n")
	if len(b) == 0 {
		return "END_OBJECT"
	}
	switch b[0] {
	case '{':
		return "START_OBJECT"
	case '[':
		return "START_ARRAY"
	case '"':
		return "VALUE_STRING"
	case 't', 'f':
		return "VALUE_BOOLEAN"
	case 'n':
		return "VALUE_NULL"
	}
	return "VALUE_NUMBER"
}

func isObject(raw json.RawMessage) bool { return tokenKind(raw) == "START_OBJECT" }
func isArray(raw json.RawMessage) bool  { return tokenKind(raw) == "START_ARRAY" }
func isNull(raw json.RawMessage) bool   { return tokenKind(raw) == "VALUE_NULL" }

// isEmpty reports whether raw holds no JSON value at all (nil or whitespace).
func isEmpty(raw json.RawMessage) bool { return len(bytes.TrimSpace(raw)) == 0 }

var errNotObject = errors.New("not a JSON object")

// members decodes a JSON object into its ordered members.
func members(raw json.RawMessage) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errNotObject
	}
	var out []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, ok := tok.(string)
		if !ok {
			return nil, errNotObject
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, member{Key: key, Raw: v})
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("trailing data after JSON object")
	}
	return out, nil
}

// elements decodes a JSON array into its undecoded elements.
func elements(raw json.RawMessage) ([]json.RawMessage, error) {
	var out []json.RawMessage
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// scalar decodes a JSON value keeping numbers as json.Number, so that long
// values survive exactly and "1.0" keeps its spelling for keyword terms.
func scalar(raw json.RawMessage) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// stringValue decodes raw as a JSON string.
func stringValue(raw json.RawMessage) (string, bool) {
	if tokenKind(raw) != "VALUE_STRING" {
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

// boolValue accepts a JSON boolean or the strings "true"/"false", as
// Elasticsearch's parser does for boolean options.
func boolValue(raw json.RawMessage) (bool, bool) {
	v, err := scalar(raw)
	if err != nil {
		return false, false
	}
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		switch x {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

// floatValue accepts a JSON number or numeric string (boost and similar).
func floatValue(raw json.RawMessage) (float64, bool) {
	v, err := scalar(raw)
	if err != nil {
		return 0, false
	}
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case string:
		f, err := json.Number(x).Float64()
		return f, err == nil
	}
	return 0, false
}
