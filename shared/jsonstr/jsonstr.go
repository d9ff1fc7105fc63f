// Package jsonstr appends JSON string literals to byte slices. It is the one
// string escaper behind bulk action lines (esbulk), msg_body documents
// (msgdoc) and pg-es-sync rows (pgsync): those build JSON by appending bytes
// because encoding/json's reflection and allocations would dominate their
// hot paths.
package jsonstr

import "unicode/utf8"

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

const hexDigits = "0123456789abcdef"

// Byte classes: a plain byte is copied as it is, an escaped one needs an
// escape sequence, and a byte of 0x80 or above starts (or is part of) a
// multi-byte character that must be validated.
const (
	plain = iota
	escaped
	nonASCII
)

// class is indexed by every byte value, so the hot loop needs no bounds
// check and one load decides what to do.
var class = func() (t [256]uint8) {
	for c := 0; c < 0x20; c++ {
		t[c] = escaped
	}
	t['"'], t['\\'] = escaped, escaped
	for c := utf8.RuneSelf; c < 256; c++ {
		t[c] = nonASCII
	}
	return t
}()

// plainWord reports that each of the eight bytes in w is printable ASCII
// other than a quote or a backslash, so the word is copied as it is. These
// are exact SWAR presence tests: a byte of 0x80 or above also fails, and
// goes through UTF-8 validation.
func plainWord(w uint64) bool {
	quote := w ^ (lsb * '"')
	backslash := w ^ (lsb * '\\')
	special := (quote - lsb) & ^quote
	special |= (backslash - lsb) & ^backslash
	special |= (w - lsb*0x20) & ^w
	return (special|w)&msb == 0
}

// word loads eight bytes little-endian; slicing first leaves one bounds
// check instead of eight, and the compiler turns the shifts into one load.
func word[T string | []byte](w T) uint64 {
	_ = w[7]
	return uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
		uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
}

// Append appends s as a JSON string literal. Quotes, backslashes and control
// characters are escaped; invalid UTF-8 bytes become U+FFFD one for one, as
// encoding/json does, so one bad byte cannot make a whole request or
// document unparsable.
func Append[T string | []byte](dst []byte, s T) []byte {
	dst, _ = appendString(dst, s, false)
	return dst
}

// AppendValid appends s as a JSON string literal, as Append does, when s
// is valid UTF-8; otherwise it returns dst unchanged and false. It is one
// pass over s where utf8.Valid followed by Append was two, for a caller
// that stores other bytes differently (msgdoc writes them as base64).
func AppendValid[T string | []byte](dst []byte, s T) ([]byte, bool) {
	return appendString(dst, s, true)
}

// appendString is Append, or AppendValid when strict.
func appendString[T string | []byte](dst []byte, s T, strict bool) ([]byte, bool) {
	orig := len(dst)
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		// Text is mostly long runs of plain ASCII: test eight bytes at a
		// time before looking at single bytes.
		for i+8 <= len(s) && plainWord(word(s[i:i+8])) {
			i += 8
		}
		if i >= len(s) {
			break
		}
		switch c := s[i]; class[c] {
		case plain:
			i++
		case escaped:
			dst = append(dst, s[start:i]...)
			if c == '"' || c == '\\' {
				// The common escapes in JSON text values, kept out of a
				// call.
				dst = append(dst, '\\', c)
			} else {
				dst = appendEscape(dst, c)
			}
			i++
			start = i
		default:
			// At most four bytes: converting a []byte stays on the stack.
			r, size := utf8.DecodeRuneInString(string(s[i:min(i+utf8.UTFMax, len(s))]))
			if r == utf8.RuneError && size == 1 {
				if strict {
					return dst[:orig], false
				}
				dst = append(dst, s[start:i]...)
				dst = append(dst, `\ufffd`...)
				start = i + 1
			}
			i += size
		}
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"'), true
}

// Len is the length of s as Append writes it, quotes included, for a
// caller that sizes a buffer before writing: the bulk writer sizes the
// action lines of a whole batch in one allocation. Like Append it skips
// eight plain bytes at a time; counting byte by byte was a fifth of
// encoding a batch's action lines.
func Len[T string | []byte](s T) int {
	n := 2 + len(s)
	for i := 0; i < len(s); {
		for i+8 <= len(s) && plainWord(word(s[i:i+8])) {
			i += 8
		}
		if i >= len(s) {
			break
		}
		switch c := s[i]; class[c] {
		case plain:
			i++
		case escaped:
			if c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t' {
				n++
			} else {
				n += len(`\u0000`) - 1
			}
			i++
		default:
			r, size := utf8.DecodeRuneInString(string(s[i:min(i+utf8.UTFMax, len(s))]))
			if r == utf8.RuneError && size == 1 {
				n += len(`\ufffd`) - 1
			}
			i += size
		}
	}
	return n
}

// appendEscape appends the escape sequence of an ASCII byte that needs one,
// with the short forms encoding/json uses.
func appendEscape(dst []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(dst, '\\', c)
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	return append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
}
