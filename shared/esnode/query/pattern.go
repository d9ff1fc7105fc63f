package query

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// patternQuery is prefix or wildcard. On a text field it is applied to each
// token; on keyword fields (and _id, _index) to the whole value. Like
// Elasticsearch, the pattern itself is not analyzed.
type patternQuery struct {
	field    string
	pattern  string
	wildcard bool // false: prefix
	ci       bool
}

func (q *patternQuery) Matches(d *Doc, m Mapping) bool {
	f := resolve(m, q.field)
	match := q.matchString
	switch f.kind {
	case kindText:
		return f.each(d, func(v any) bool {
			s, ok := keywordOf(v)
			return ok && eachToken(s, match)
		})
	case kindKeyword:
		return f.each(d, func(v any) bool {
			s, ok := keywordOf(v)
			return ok && match(s)
		})
	}
	// Elasticsearch rejects prefix and wildcard on other field types; see Check.
	return false
}

func (q *patternQuery) check(m Mapping) *Error {
	switch resolve(m, q.field).kind {
	case kindText, kindKeyword, kindNone:
		return nil
	}
	name := "prefix"
	if q.wildcard {
		name = "wildcard"
	}
	return newError(TypeQueryShard, "Can only use %s queries on keyword and text fields - not on [%s]", name, q.field)
}

func (q *patternQuery) matchString(s string) bool {
	if q.ci {
		s = strings.ToLower(s)
	}
	if !q.wildcard {
		return strings.HasPrefix(s, q.pattern)
	}
	return globMatch(q.pattern, s)
}

func parsePrefix(_ *parser, name string, body json.RawMessage) (Query, *Error) {
	return parsePattern(name, body, false)
}

func parseWildcard(_ *parser, name string, body json.RawMessage) (Query, *Error) {
	return parsePattern(name, body, true)
}

func parsePattern(name string, body json.RawMessage, wildcard bool) (Query, *Error) {
	fieldName, raw, err := fieldBody(name, body)
	if err != nil {
		return nil, err
	}
	q := &patternQuery{field: fieldName, wildcard: wildcard}
	valueRaw := raw
	if isObject(raw) {
		valueRaw = nil
		ms, jerr := members(raw)
		if jerr != nil {
			return nil, syntaxErr(jerr)
		}
		for _, m := range ms {
			switch {
			case m.Key == "value" || wildcard && m.Key == "wildcard":
				valueRaw = m.Raw
			case m.Key == "case_insensitive":
				ci, ok := boolValue(m.Raw)
				if !ok {
					return nil, parsingErr("[%s] query does not support [case_insensitive] with value of type %s", name, tokenKind(m.Raw))
				}
				q.ci = ci
			case m.Key == "rewrite":
				// Rewrite methods only change scoring and execution.
			default:
				ok, perr := commonParam(name, m.Key, m.Raw)
				if perr != nil {
					return nil, perr
				}
				if !ok {
					return nil, parsingErr("[%s] query does not support [%s]", name, m.Key)
				}
			}
		}
	}
	if valueRaw == nil || isNull(valueRaw) {
		return nil, illegalArg("value cannot be null")
	}
	v, ok := scalarLiteral(valueRaw)
	if !ok {
		return nil, parsingErr("[%s] unknown token [%s] after [%s]", name, tokenKind(valueRaw), fieldName)
	}
	q.pattern, _ = keywordOf(v)
	if q.ci {
		q.pattern = strings.ToLower(q.pattern)
	}
	return q, nil
}

// globMatch matches s against a wildcard pattern: "*" is any run of
// characters, "?" is one character, "\" escapes the next character. It
// backtracks only to the last star, which is enough for "*"-only patterns
// and keeps the worst case at O(len(p)*len(s)).
func globMatch(p, s string) bool {
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		if pi < len(p) {
			pc, pw := utf8.DecodeRuneInString(p[pi:])
			switch pc {
			case '*':
				starP, starS = pi+pw, si
				pi += pw
				continue
			case '?':
				_, sw := utf8.DecodeRuneInString(s[si:])
				pi += pw
				si += sw
				continue
			case '\\':
				if pi+pw < len(p) {
					pi += pw
					pc, pw = utf8.DecodeRuneInString(p[pi:])
				}
			}
			sc, sw := utf8.DecodeRuneInString(s[si:])
			if pc == sc {
				pi += pw
				si += sw
				continue
			}
		}
		if starP < 0 {
			return false
		}
		// Let the last star swallow one more character and retry.
		_, sw := utf8.DecodeRuneInString(s[starS:])
		starS += sw
		pi, si = starP, starS
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
