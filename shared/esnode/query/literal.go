package query

import (
	"encoding/json"
	"strings"
	"time"
)

// literal is a value from the request (a term, a match text, a range bound)
// converted up front into every form a field type may compare it in, so that
// matching a document does no parsing of the query side.
type literal struct {
	raw   any    // string, json.Number or bool as sent
	str   string // keyword form
	num   number
	numOK bool
	b     bool
	bOK   bool
	// date is the instant for date fields, resolved with the rounding the
	// literal's role needs; dateHi is the upper end a term covers ("2024-01-02"
	// is the whole day).
	date, dateHi int64
	dateErr      *Error
}

// defaultDates reads _source dates and query dates that name no format:
// defaultDateFormat spelled out, so that no start-up parsing can fail.
var defaultDates = dateFormats{spec: defaultDateFormat, list: []dateFormat{
	isoFormat{},
	patternFormat{items: []patternItem{
		{letter: 'y', width: 4}, {lit: "/"}, {letter: 'M', width: 2}, {lit: "/"}, {letter: 'd', width: 2},
		{lit: " "}, {letter: 'H', width: 2}, {lit: ":"}, {letter: 'm', width: 2}, {lit: ":"}, {letter: 's', width: 2},
	}},
	patternFormat{items: []patternItem{
		{letter: 'y', width: 4}, {lit: "/"}, {letter: 'M', width: 2}, {lit: "/"}, {letter: 'd', width: 2},
	}},
	epochFormat{scale: 1},
}}

func defaultDateContext(now time.Time) dateContext {
	return dateContext{formats: defaultDates, loc: time.UTC, now: now}
}

// newLiteral converts a scalar from the request. roundUp is the date rounding
// for the literal's role (see dateContext.resolve); terms need both ends and
// get them from termLiteral.
func newLiteral(v any, dc dateContext, roundUp bool) literal {
	l := literal{raw: v}
	l.str, _ = keywordOf(v)
	l.num, l.numOK = rawNumber(v)
	if _, isBool := v.(bool); isBool {
		l.numOK = false
	}
	l.b, l.bOK = boolOf(v)
	if s, ok := v.(string); ok && s == "" {
		// "" indexes as false in a boolean field but is no query value.
		l.bOK = false
	}
	l.date, l.dateErr = dc.resolve(l.str, roundUp)
	l.dateHi = l.date
	return l
}

// termLiteral is a literal compared for equality: on a date field it covers
// everything from its rounded-down to its rounded-up instant.
func termLiteral(v any, dc dateContext) literal {
	l := newLiteral(v, dc, false)
	if l.dateErr == nil {
		l.dateHi, _ = dc.resolve(l.str, true)
	}
	return l
}

// scalarLiteral decodes raw as a query value; objects, arrays and null are
// rejected by the caller's message.
func scalarLiteral(raw json.RawMessage) (any, bool) {
	switch tokenKind(raw) {
	case "VALUE_STRING", "VALUE_NUMBER", "VALUE_BOOLEAN":
		v, err := scalar(raw)
		return v, err == nil
	}
	return nil, false
}

// equals reports whether source value v, indexed as field kind k, equals the
// literal. ci compares keyword and text case-insensitively.
func (l *literal) equals(k kind, v any, ci bool) bool {
	switch k {
	case kindText:
		s, ok := keywordOf(v)
		return ok && eachToken(s, func(tok string) bool { return sameString(tok, l.str, ci) })
	case kindKeyword:
		s, ok := keywordOf(v)
		return ok && sameString(s, l.str, ci)
	case kindLong, kindInteger:
		// A fractional term can never equal an integer field's value.
		if !l.numOK || !l.num.isInt {
			return false
		}
		n, ok := fieldNumber(v, k)
		return ok && n.cmp(l.num) == 0
	case kindDouble, kindFloat:
		if !l.numOK {
			return false
		}
		n, ok := fieldNumber(v, k)
		q, _ := fieldNumber(l.num.f, k)
		return ok && n.cmp(q) == 0
	case kindBool:
		b, ok := boolOf(v)
		return l.bOK && ok && b == l.b
	case kindDate:
		if l.dateErr != nil {
			return false
		}
		ms, ok := sourceDate(v)
		return ok && ms >= l.date && ms <= l.dateHi
	}
	return false
}

func sameString(a, b string, ci bool) bool {
	if ci {
		return strings.EqualFold(a, b)
	}
	return a == b
}

// sourceDate reads a date field's value from _source as epoch millis.
func sourceDate(v any) (int64, bool) {
	s, ok := keywordOf(v)
	if !ok {
		return 0, false
	}
	t, ok := defaultDates.parse(s, time.UTC, false)
	if !ok {
		return 0, false
	}
	return t.UnixMilli(), true
}

// checkLiteral reports the error Elasticsearch gives when a literal cannot be
// converted for a field of kind k (it fails the search; this engine's Matches
// treats such a clause as matching nothing).
func (l *literal) check(k kind) *Error {
	switch k {
	case kindLong, kindInteger, kindDouble, kindFloat:
		if !l.numOK {
			return newError(TypeQueryShard, "failed to create query: For input string: \"%s\"", l.str)
		}
	case kindBool:
		if !l.bOK {
			return newError(TypeQueryShard, "failed to create query: Can't parse boolean value [%s], expected [true] or [false]", l.str)
		}
	case kindDate:
		if l.dateErr != nil {
			return l.dateErr
		}
	}
	return nil
}
