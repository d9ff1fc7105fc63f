package kafkaevent

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// scanner is a minimal JSON reader over a byte slice for the AWS hot path.
// It validates syntax as it goes (so a payload it accepts is valid JSON) but
// never builds generic values: strings come back as sub-slices of the input,
// and only those with escapes or non-ASCII bytes take the encoding/json path,
// which keeps the common base64 key/value strings allocation-free.
type scanner struct {
	b []byte
	i int
}

// maxDepth bounds nesting in skipped values so that hostile payloads cannot
// exhaust the stack.
const maxDepth = 512

var errEOF = errors.New("unexpected end of JSON input")

func (s *scanner) syntax(what string) error {
	if s.i >= len(s.b) {
		return fmt.Errorf("%w: %w", ErrMalformed, errEOF)
	}
	return fmt.Errorf("%w: %s at byte %d", ErrMalformed, what, s.i)
}

func (s *scanner) ws() {
	// Every JSON space is at most ' ': one comparison settles the common
	// case, a token right here (Lambda's events have no spaces).
	if s.i < len(s.b) && s.b[s.i] > ' ' {
		return
	}
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *scanner) consume(c byte) bool {
	// Lambda writes no spaces: the byte is mostly right here.
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	if s.peek() == c {
		s.i++
		return true
	}
	return false
}

// str reads a string at the current position. It returns the bytes between
// the quotes and whether they need unescaping (escapes or non-ASCII bytes,
// which encoding/json would rewrite if they are invalid UTF-8).
func (s *scanner) str() (raw []byte, slow bool, err error) {
	if s.peek() != '"' {
		return nil, false, s.syntax("expected string")
	}
	s.i++
	start := s.i
	for s.i < len(s.b) {
		// Base64 keys and values are long runs of plain ASCII; skipping them
		// eight bytes at a time is most of the decoder's speed.
		for s.i+8 <= len(s.b) && plainWord(binary.LittleEndian.Uint64(s.b[s.i:])) {
			s.i += 8
		}
		if s.i >= len(s.b) {
			break
		}
		c := s.b[s.i]
		switch {
		case c == '"':
			raw = s.b[start:s.i]
			s.i++
			return raw, slow, nil
		case c == '\\':
			slow = true
			if s.i+1 >= len(s.b) {
				return nil, false, s.syntax("truncated escape")
			}
			switch s.b[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i += 2
			case 'u':
				if s.i+6 > len(s.b) || !isHex4(s.b[s.i+2:s.i+6]) {
					return nil, false, s.syntax("bad \\u escape")
				}
				s.i += 6
			default:
				return nil, false, s.syntax("bad escape")
			}
		case c < 0x20:
			return nil, false, s.syntax("control character in string")
		default:
			if c >= 0x80 {
				slow = true
			}
			s.i++
		}
	}
	return nil, false, s.syntax("unterminated string")
}

// span reads a string expected to be long plain base64 (an AWS key or
// value). When the first quote is not preceded by a backslash, it is not
// escaped and ends the string, which one vectorised byte search finds;
// checked is then false, and the caller must still validate the content
// (see awsDecoder.b64: an exact base64 decode proves there was no escape
// and no control character in it). Otherwise it is read by str and
// checked is true.
func (s *scanner) span() (raw []byte, slow, checked bool, err error) {
	if s.peek() == '"' {
		rest := s.b[s.i+1:]
		if q := bytes.IndexByte(rest, '"'); q == 0 || q > 0 && rest[q-1] != '\\' {
			s.i += q + 2
			return rest[:q], false, false, nil
		}
	}
	raw, slow, err = s.str()
	return raw, slow, true, err
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// plainWord reports that none of the eight bytes in w is a quote, a
// backslash, a control character or a non-ASCII byte (the SWAR "has zero
// byte" and "has byte less than" tests, which are exact for presence).
func plainWord(w uint64) bool {
	quote := w ^ (lsb * '"')
	backslash := w ^ (lsb * '\\')
	special := (quote - lsb) & ^quote
	special |= (backslash - lsb) & ^backslash
	special |= (w - lsb*0x20) & ^w
	special |= w
	return special&msb == 0
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// unquote returns the Go string for raw string content read by str, with
// exactly the rewriting encoding/json applies (escapes, invalid UTF-8 to
// U+FFFD).
func unquote(raw []byte, slow bool) string {
	if !slow {
		return string(raw)
	}
	q := make([]byte, 0, len(raw)+2)
	q = append(append(append(q, '"'), raw...), '"')
	var out string
	// The scanner already validated the string, so this cannot fail.
	_ = json.Unmarshal(q, &out)
	return out
}

// number reads a JSON number literal and returns it.
func (s *scanner) number() ([]byte, error) {
	s.ws()
	start := s.i
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i < len(s.b) && s.b[s.i] == '0':
		s.i++
	case s.i < len(s.b) && '1' <= s.b[s.i] && s.b[s.i] <= '9':
		s.digits()
	default:
		return nil, s.syntax("bad number")
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if s.digits() == 0 {
			return nil, s.syntax("bad fraction")
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if s.digits() == 0 {
			return nil, s.syntax("bad exponent")
		}
	}
	return s.b[start:s.i], nil
}

func (s *scanner) digits() int {
	n := 0
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		s.i++
		n++
	}
	return n
}

// parseInt parses a number literal as encoding/json does for an integer
// field: plain decimal digits only, within the range of bits.
func parseInt(lit []byte, bits uint) (int64, bool) {
	neg := false
	if len(lit) > 0 && lit[0] == '-' {
		neg = true
		lit = lit[1:]
	}
	if len(lit) == 0 {
		return 0, false
	}
	var limit uint64 = 1 << (bits - 1)
	var n uint64
	for _, c := range lit {
		if c < '0' || c > '9' {
			return 0, false
		}
		if n > (limit+9)/10 {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	if neg {
		if n > limit {
			return 0, false
		}
		return -int64(n), true
	}
	if n >= limit {
		return 0, false
	}
	return int64(n), true
}

// literal consumes true, false or null.
func (s *scanner) literal(word string) bool {
	s.ws()
	if len(s.b)-s.i >= len(word) && string(s.b[s.i:s.i+len(word)]) == word {
		s.i += len(word)
		return true
	}
	return false
}

// skip consumes one value of any type, validating it.
func (s *scanner) skip(depth int) error {
	if depth > maxDepth {
		return s.syntax("nesting too deep")
	}
	switch c := s.peek(); {
	case c == '"':
		_, _, err := s.str()
		return err
	case c == '{':
		s.i++
		if s.consume('}') {
			return nil
		}
		for {
			if _, _, err := s.str(); err != nil {
				return err
			}
			if !s.consume(':') {
				return s.syntax("expected ':'")
			}
			if err := s.skip(depth + 1); err != nil {
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
	case c == '[':
		s.i++
		if s.consume(']') {
			return nil
		}
		for {
			if err := s.skip(depth + 1); err != nil {
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
	case c == '-' || '0' <= c && c <= '9':
		_, err := s.number()
		return err
	case c == 't':
		if s.literal("true") {
			return nil
		}
	case c == 'f':
		if s.literal("false") {
			return nil
		}
	case c == 'n':
		if s.literal("null") {
			return nil
		}
	}
	return s.syntax("unexpected character")
}

// objectKeys lists the top-level keys of a JSON object for error messages,
// at most limit of them.
func objectKeys(b []byte, limit int) []string {
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if len(keys) > limit {
		keys = append(keys[:limit], "...")
	}
	return keys
}
