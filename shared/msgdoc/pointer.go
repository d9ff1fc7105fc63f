package msgdoc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrPointer is wrapped by the errors of malformed JSON pointers.
var ErrPointer = errors.New("invalid JSON pointer")

// pointer is an RFC 6901 JSON pointer split into its reference tokens,
// with ~1 and ~0 already unescaped.
type pointer struct {
	text   string
	tokens []string
}

// parsePointer parses a pointer to a field ("/a/b"). The empty pointer,
// which RFC 6901 defines as the whole document, is refused: ids and routing
// come from fields, and an empty entry in a comma list is far more likely a
// typing mistake than a request for the whole value.
func parsePointer(s string) (pointer, error) {
	if s == "" {
		return pointer{}, fmt.Errorf("%w: empty; a pointer to a field looks like /name", ErrPointer)
	}
	if s[0] != '/' {
		return pointer{}, fmt.Errorf("%w %q: it must start with /", ErrPointer, s)
	}
	if !utf8.ValidString(s) {
		return pointer{}, fmt.Errorf("%w %q: not UTF-8", ErrPointer, s)
	}
	tokens := strings.Split(s[1:], "/")
	for i, tok := range tokens {
		for j := 0; j < len(tok); j++ {
			if tok[j] == '~' && (j+1 == len(tok) || (tok[j+1] != '0' && tok[j+1] != '1')) {
				return pointer{}, fmt.Errorf("%w %q: ~ must be followed by 0 or 1", ErrPointer, s)
			}
		}
		// RFC 6901 section 4: ~1 first, then ~0, so that "~01" becomes "~1".
		tokens[i] = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
	}
	return pointer{text: s, tokens: tokens}, nil
}

// The functions below walk JSON text that is already known to be valid
// (json.Valid, or produced by a JSON encoder), so they only find boundaries
// and never report syntax errors. This reads a few fields of a large value
// without decoding all of it into maps.

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// skipString returns the index after the string whose quote is at b[i].
// Values hold long strings; IndexByte finds the next quote much faster than
// a byte loop, and a quote after an odd run of backslashes is escaped.
func skipString(b []byte, i int) int {
	for i++; ; i++ {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return len(b)
		}
		i += j
		n := 0
		for k := i - 1; b[k] == '\\'; k-- {
			n++
		}
		if n%2 == 0 {
			return i + 1
		}
	}
}

// skipValue returns the index after the value that starts at b[i].
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = skipString(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return len(b)
	}
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && !isSpace(b[i]) {
		i++
	}
	return i
}

// members yields the raw quoted key and raw value of each member of the
// object obj (which starts with '{'), in document order.
func members(obj []byte) iter.Seq2[[]byte, []byte] {
	return func(yield func([]byte, []byte) bool) {
		i := skipSpace(obj, 1)
		for i < len(obj) && obj[i] == '"' {
			ks := i
			i = skipString(obj, i)
			key := obj[ks:i]
			i = skipSpace(obj, skipSpace(obj, i)+1) // past ':'
			vs := i
			i = skipValue(obj, i)
			if !yield(key, obj[vs:i]) {
				return
			}
			i = skipSpace(obj, i)
			if i < len(obj) && obj[i] == ',' {
				i = skipSpace(obj, i+1)
			}
		}
	}
}

// keyText returns the text of a raw quoted key.
func keyText(raw []byte) string {
	inner := raw[1 : len(raw)-1]
	if !strings.Contains(string(inner), `\`) {
		return string(inner)
	}
	var s string
	// raw is a valid JSON string, so this cannot fail.
	_ = json.Unmarshal(raw, &s)
	return s
}

// keyIs reports whether the raw quoted key has the text name, without
// allocating for keys that hold no escapes.
func keyIs(raw []byte, name string) bool {
	inner := raw[1 : len(raw)-1]
	if len(inner) == len(name) && string(inner) == name {
		return true
	}
	return strings.Contains(string(inner), `\`) && keyText(raw) == name
}

// lookup returns the raw value that p points to in doc, or false when a
// step does not exist. Duplicate object keys resolve to the last one, as
// encoding/json does.
func lookup(doc []byte, p pointer) ([]byte, bool) {
	v := doc[skipSpace(doc, 0):]
	for _, tok := range p.tokens {
		if len(v) == 0 {
			return nil, false
		}
		var next []byte
		found := false
		switch v[0] {
		case '{':
			for k, val := range members(v) {
				if keyIs(k, tok) {
					next, found = val, true
				}
			}
		case '[':
			n, ok := arrayIndex(tok)
			if !ok {
				return nil, false
			}
			i := skipSpace(v, 1)
			for ; i < len(v) && v[i] != ']'; n-- {
				end := skipValue(v, i)
				if n == 0 {
					next, found = v[i:end], true
					break
				}
				i = skipSpace(v, end)
				if i < len(v) && v[i] == ',' {
					i = skipSpace(v, i+1)
				}
			}
		}
		if !found {
			return nil, false
		}
		v = next
	}
	return v, true
}

// arrayIndex reads an RFC 6901 array index: decimal digits without a
// leading zero. "-" (the element after the last) never exists.
func arrayIndex(tok string) (int, bool) {
	if tok == "" || (len(tok) > 1 && tok[0] == '0') {
		return 0, false
	}
	for i := 0; i < len(tok); i++ {
		if tok[i] < '0' || tok[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(tok)
	return n, err == nil
}

// scalarKind classifies a raw JSON value for use as id or routing text.
type scalarKind uint8

const (
	scalarOK scalarKind = iota
	scalarNull
	scalarComposite
)

// scalarText returns the text of a string, or the literal of a number or
// boolean as written in the value (so 1 and 1.0 are different texts).
func scalarText(raw []byte) (string, scalarKind) {
	switch raw[0] {
	case '"':
		return keyText(raw), scalarOK
	case '{', '[':
		return "", scalarComposite
	case 'n':
		return "", scalarNull
	}
	return string(raw), scalarOK
}
