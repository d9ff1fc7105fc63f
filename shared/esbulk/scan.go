package esbulk

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
)

// maxDepth bounds the nesting the scanner skips through, so that a hostile
// answer of a million '[' cannot exhaust the stack.
const maxDepth = 512

// scanner walks a JSON document in one pass without building values: the
// bulk parser asks it for the few strings and numbers it needs and skips
// everything else in place. encoding/json's token API costs several
// microseconds per bulk item; this costs tens of nanoseconds.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next non-blank byte, 0 at the end of input.
func (s *scanner) peek() byte {
	s.ws()
	if s.i == len(s.b) {
		return 0
	}
	return s.b[s.i]
}

func (s *scanner) fail(where place, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrBadResponse, where, fmt.Sprintf(format, args...))
}

// expect consumes c or explains what was found instead.
func (s *scanner) expect(c byte, where place) error {
	switch got := s.peek(); got {
	case c:
		s.i++
		return nil
	case 0:
		return fmt.Errorf("%w: %s: expected '%c': %w", ErrBadResponse, where, c, io.ErrUnexpectedEOF)
	default:
		return s.fail(where, "expected '%c', got '%c' at byte %d", c, got, s.i)
	}
}

// more reports whether a container continues after an element: it consumes
// a ',' or stops before the closing byte.
func (s *scanner) more(closing byte, where place) (bool, error) {
	switch got := s.peek(); got {
	case ',':
		s.i++
		return true, nil
	case closing:
		return false, nil
	case 0:
		return false, fmt.Errorf("%w: %s: expected ',' or '%c': %w", ErrBadResponse, where, closing, io.ErrUnexpectedEOF)
	default:
		return false, s.fail(where, "expected ',' or '%c', got '%c' at byte %d", closing, got, s.i)
	}
}

// stringEnd returns the index of the closing quote of the string starting
// at s.i (an opening quote) and whether it holds escapes.
func (s *scanner) stringEnd(where place) (int, bool, error) {
	escaped := false
	for j := s.i + 1; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			return j, escaped, nil
		case c == '\\':
			escaped = true
			j++
		case c < 0x20:
			return 0, false, s.fail(where, "control character in a string at byte %d", j)
		}
	}
	return 0, false, fmt.Errorf("%w: %s: unterminated string: %w", ErrBadResponse, where, io.ErrUnexpectedEOF)
}

// str reads a string value; escapes (rare in ids and results) go through
// encoding/json so that \u sequences and surrogates are decoded exactly.
func (s *scanner) str(where place) (string, error) {
	if c := s.peek(); c != '"' {
		if c == 0 {
			return "", fmt.Errorf("%w: %s: expected a string: %w", ErrBadResponse, where, io.ErrUnexpectedEOF)
		}
		return "", s.fail(where, "expected a string, got '%c' at byte %d", c, s.i)
	}
	end, escaped, err := s.stringEnd(where)
	if err != nil {
		return "", err
	}
	raw := s.b[s.i : end+1]
	s.i = end + 1
	if !escaped {
		return string(raw[1 : len(raw)-1]), nil
	}
	var out string
	if err := json.Unmarshal(raw, &out); err != nil {
		return "", s.fail(where, "bad string: %v", err)
	}
	return out, nil
}

// key reads an object key and the colon after it. The key is returned as
// the bytes of the input when it has no escapes (always, for Elasticsearch's
// field names), so that matching it allocates nothing.
func (s *scanner) key(where place) ([]byte, error) {
	if c := s.peek(); c != '"' {
		if c == 0 {
			return nil, fmt.Errorf("%w: %s: expected a key: %w", ErrBadResponse, where, io.ErrUnexpectedEOF)
		}
		return nil, s.fail(where, "expected a key, got '%c' at byte %d", c, s.i)
	}
	end, escaped, err := s.stringEnd(where)
	if err != nil {
		return nil, err
	}
	k := s.b[s.i+1 : end]
	if escaped {
		var out string
		if err := json.Unmarshal(s.b[s.i:end+1], &out); err != nil {
			return nil, s.fail(where, "bad key: %v", err)
		}
		k = []byte(out)
	}
	s.i = end + 1
	return k, s.expect(':', where)
}

// known returns the string for the values Elasticsearch repeats on every
// item (operation names and results) without allocating a copy per item.
func known(v string) string {
	switch v {
	case "index":
		return "index"
	case "create":
		return "create"
	case "update":
		return "update"
	case "delete":
		return "delete"
	case "created":
		return "created"
	case "updated":
		return "updated"
	case "noop":
		return "noop"
	case "deleted":
		return "deleted"
	case "not_found":
		return "not_found"
	}
	return ""
}

// word reads a string that is usually one of the known values.
func (s *scanner) word(where place) (string, error) {
	if s.peek() == 'n' {
		return "", s.literal("null", where)
	}
	if s.peek() == '"' {
		if end, escaped, err := s.stringEnd(where); err == nil && !escaped {
			if v := known(string(s.b[s.i+1 : end])); v != "" {
				s.i = end + 1
				return v, nil
			}
		}
	}
	return s.str(where)
}

// id reads a document id, or null as "". An id spelled as sent (always,
// for the ids esconnect sets) is returned as sent instead of as a new copy.
func (s *scanner) id(where place, sent string) (string, error) {
	if sent != "" && s.peek() == '"' {
		if end, escaped, err := s.stringEnd(where); err == nil && !escaped && string(s.b[s.i+1:end]) == sent {
			s.i = end + 1
			return sent, nil
		}
	}
	return s.strOrNull(where)
}

// strOrNull reads a string, or null as "".
func (s *scanner) strOrNull(where place) (string, error) {
	if s.peek() == 'n' {
		return "", s.literal("null", where)
	}
	return s.str(where)
}

func (s *scanner) literal(lit string, where place) error {
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		return s.fail(where, "invalid value at byte %d", s.i)
	}
	s.i += len(lit)
	return nil
}

// number returns the text of a number value.
func (s *scanner) number(where place) ([]byte, error) {
	s.ws()
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		if (c < '0' || c > '9') && c != '-' && c != '+' && c != '.' && c != 'e' && c != 'E' {
			break
		}
		s.i++
	}
	if s.i == start {
		if s.i == len(s.b) {
			return nil, fmt.Errorf("%w: %s: expected a number: %w", ErrBadResponse, where, io.ErrUnexpectedEOF)
		}
		return nil, s.fail(where, "expected a number, got '%c' at byte %d", s.b[s.i], s.i)
	}
	return s.b[start:s.i], nil
}

// integer reads an integer value.
func (s *scanner) integer(where place) (int64, error) {
	num, err := s.number(where)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(string(num), 10, 64)
	if err != nil {
		return 0, s.fail(where, "%q is not an integer", num)
	}
	return n, nil
}

// skip passes over one value of any kind, checking its syntax.
func (s *scanner) skip(where place, depth int) error {
	if depth > maxDepth {
		return s.fail(where, "nesting deeper than %d", maxDepth)
	}
	switch c := s.peek(); c {
	case '"':
		end, _, err := s.stringEnd(where)
		if err != nil {
			return err
		}
		s.i = end + 1
		return nil
	case '{', '[':
		return s.skipContainer(c, where, depth)
	case 't':
		return s.literal("true", where)
	case 'f':
		return s.literal("false", where)
	case 'n':
		return s.literal("null", where)
	case 0:
		return fmt.Errorf("%w: %s: expected a value: %w", ErrBadResponse, where, io.ErrUnexpectedEOF)
	default:
		_, err := s.number(where)
		return err
	}
}

func (s *scanner) skipContainer(open byte, where place, depth int) error {
	closing := byte('}')
	if open == '[' {
		closing = ']'
	}
	s.i++
	if s.peek() == closing {
		s.i++
		return nil
	}
	for {
		if open == '{' {
			if _, err := s.key(where); err != nil {
				return err
			}
		}
		if err := s.skip(where, depth+1); err != nil {
			return err
		}
		more, err := s.more(closing, where)
		if err != nil {
			return err
		}
		if !more {
			s.i++
			return nil
		}
	}
}
