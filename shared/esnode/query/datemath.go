package query

import (
	"strings"
	"time"
)

// dateContext resolves the date expressions of one query clause: a date in
// one of its formats, or date math anchored at "now" or at "<date>||". now is
// read once per parsed request, so every clause of a request sees the same
// instant, as in Elasticsearch.
type dateContext struct {
	formats dateFormats
	loc     *time.Location
	now     time.Time
}

// resolve returns the epoch milliseconds of the expression. roundUp selects
// the end of any period the expression leaves open; Elasticsearch uses it for
// the "gt" and "lte" ends of a range and for the upper end of a term.
func (c dateContext) resolve(expr string, roundUp bool) (int64, *Error) {
	var (
		t    time.Time
		math string
	)
	switch {
	case strings.HasPrefix(expr, "now"):
		t, math = c.now.In(c.loc), expr[len("now"):]
	default:
		anchor, rest, hasMath := strings.Cut(expr, "||")
		if !hasMath {
			parsed, ok := c.formats.parse(expr, c.loc, roundUp)
			if !ok {
				return 0, c.failed(expr)
			}
			return parsed.UnixMilli(), nil
		}
		// The anchor itself is never rounded up; only the math is.
		parsed, ok := c.formats.parse(anchor, c.loc, false)
		if !ok {
			return 0, c.failed(anchor)
		}
		t, math = parsed.In(c.loc), rest
	}
	t, err := applyDateMath(t, math, roundUp)
	if err != nil {
		return 0, err
	}
	return t.UnixMilli(), nil
}

func (c dateContext) failed(s string) *Error {
	return newError(TypeParse, "failed to parse date field [%s] with format [%s]", s, c.formats.spec)
}

// applyDateMath applies "+1d", "-2h", "/M" ... in order.
func applyDateMath(t time.Time, math string, roundUp bool) (time.Time, *Error) {
	for i := 0; i < len(math); {
		op := math[i]
		i++
		if op != '+' && op != '-' && op != '/' {
			return t, newError(TypeParse, "operator not supported for date math [%s]", math)
		}
		n := 1
		if op != '/' {
			start := i
			v := 0
			for i < len(math) && math[i] >= '0' && math[i] <= '9' && i-start < 9 {
				v = v*10 + int(math[i]-'0')
				i++
			}
			if i > start {
				n = v
			}
			if op == '-' {
				n = -n
			}
		}
		if i >= len(math) {
			return t, newError(TypeParse, "truncated date math [%s]", math)
		}
		unit := math[i]
		i++
		if !strings.ContainsRune("yMwdhHms", rune(unit)) {
			return t, newError(TypeParse, "unit [%c] not supported for date math [%s]", unit, math)
		}
		if op == '/' {
			t = roundDate(t, unit, roundUp)
		} else {
			t = addDate(t, unit, n)
		}
	}
	return t, nil
}

func addDate(t time.Time, unit byte, n int) time.Time {
	switch unit {
	case 'y':
		return t.AddDate(n, 0, 0)
	case 'M':
		return t.AddDate(0, n, 0)
	case 'w':
		return t.AddDate(0, 0, 7*n)
	case 'd':
		return t.AddDate(0, 0, n)
	case 'h', 'H':
		return t.Add(time.Duration(n) * time.Hour)
	case 'm':
		return t.Add(time.Duration(n) * time.Minute)
	}
	return t.Add(time.Duration(n) * time.Second)
}

// roundDate truncates t to the start of its unit in t's zone; with roundUp it
// returns the last millisecond of that unit instead.
func roundDate(t time.Time, unit byte, roundUp bool) time.Time {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	loc := t.Location()
	var start time.Time
	switch unit {
	case 'y':
		start = time.Date(y, 1, 1, 0, 0, 0, 0, loc)
	case 'M':
		start = time.Date(y, mo, 1, 0, 0, 0, 0, loc)
	case 'w':
		// Weeks start on Monday (ISO-8601).
		back := (int(t.Weekday()) + 6) % 7
		start = time.Date(y, mo, d-back, 0, 0, 0, 0, loc)
	case 'd':
		start = time.Date(y, mo, d, 0, 0, 0, 0, loc)
	case 'h', 'H':
		start = time.Date(y, mo, d, h, 0, 0, 0, loc)
	case 'm':
		start = time.Date(y, mo, d, h, mi, 0, 0, loc)
	default:
		start = time.Date(y, mo, d, h, mi, s, 0, loc)
	}
	if !roundUp {
		return start
	}
	return addDate(start, unit, 1).Add(-time.Millisecond)
}

// parseTimeZone reads a range's time_zone: an offset (+01:00, -0800, Z) or a
// zone id such as "UTC" or "Europe/Paris".
func parseTimeZone(s string) (*time.Location, bool) {
	r := reader{s: s}
	if loc, ok := r.zone(); ok && r.done() {
		return loc, true
	}
	loc, err := time.LoadLocation(s)
	if err != nil {
		return nil, false
	}
	return loc, true
}
