package query

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxTokenLength is the standard tokenizer's default max_token_length: longer
// runs are split into pieces of this many runes.
const maxTokenLength = 255

// eachToken runs a simplified version of Elasticsearch's "standard" analyzer
// over s and calls fn with every lowercased token until fn returns true; it
// reports whether fn did. The rules follow Unicode word segmentation (UAX #29)
// closely enough for log and event text: letters, digits, marks and "_" form
// words; "." and apostrophes join two letters or two digits ("example.com",
// "don't", "3.14"); ":" joins letters; "," and ";" join digits ("1,000");
// every Han or Hiragana character is a token on its own. Everything else
// separates tokens.
func eachToken(s string, fn func(tok string) bool) bool {
	start := -1 // byte offset of the current token, -1 when outside a token
	runes := 0  // runes in the current token
	emit := func(end int) bool {
		if start < 0 {
			return false
		}
		tok := strings.ToLower(s[start:end])
		start, runes = -1, 0
		return fn(tok)
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case isIdeographic(r):
			if emit(i) {
				return true
			}
			if fn(s[i : i+size]) {
				return true
			}
		case isWordRune(r):
			if start < 0 {
				start = i
			}
			runes++
			if runes > maxTokenLength {
				if emit(i) {
					return true
				}
				start, runes = i, 1
			}
		case start >= 0 && joins(s, i, r, size):
			// A joiner stays inside the token; the next rune is a word rune
			// and extends it on the next iteration.
			runes++
		default:
			if emit(i) {
				return true
			}
		}
		i += size
	}
	return emit(len(s))
}

// tokens returns every token of s.
func tokens(s string) []string {
	var out []string
	eachToken(s, func(t string) bool {
		out = append(out, t)
		return false
	})
	return out
}

func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		// ASCII fast path: most log and event text never leaves it.
		return r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) ||
		unicode.Is(unicode.Nd, r)
}

func isIdeographic(r rune) bool {
	if r < utf8.RuneSelf {
		return false
	}
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r)
}

// joins reports whether the separator r at s[i:] sits between two runes of the
// class it may join, so that the word continues across it.
func joins(s string, i int, r rune, size int) bool {
	prev, _ := utf8.DecodeLastRuneInString(s[:i])
	next, _ := utf8.DecodeRuneInString(s[i+size:])
	letters := unicode.IsLetter(prev) && unicode.IsLetter(next) && !isIdeographic(prev) && !isIdeographic(next)
	digits := unicode.IsDigit(prev) && unicode.IsDigit(next)
	switch r {
	case '.', '\'', '\u2019':
		return letters || digits
	case ':':
		return letters
	case ',', ';':
		return digits
	}
	return false
}
