package query

import "encoding/json"

// bound is one end of a range.
type bound struct {
	set       bool
	inclusive bool
	value     literal
}

// rangeQuery is range over numbers, dates, strings or booleans, depending on
// the field's type.
type rangeQuery struct {
	field        string
	lower, upper bound
}

func (q *rangeQuery) Matches(d *Doc, m Mapping) bool {
	f := resolve(m, q.field)
	switch f.kind {
	case kindText:
		return f.each(d, func(v any) bool {
			s, ok := keywordOf(v)
			return ok && eachToken(s, q.inString)
		})
	case kindKeyword:
		return f.each(d, func(v any) bool {
			s, ok := keywordOf(v)
			return ok && q.inString(s)
		})
	case kindLong, kindInteger, kindDouble, kindFloat:
		return f.each(d, func(v any) bool {
			n, ok := fieldNumber(v, f.kind)
			return ok && q.inNumber(n, f.kind)
		})
	case kindBool:
		return f.each(d, func(v any) bool {
			b, ok := boolOf(v)
			return ok && q.inBool(b)
		})
	case kindDate:
		return f.each(d, func(v any) bool {
			ms, ok := sourceDate(v)
			return ok && q.inDate(ms)
		})
	}
	return false
}

// admits applies a bound to the result of comparing the value with it.
func (b bound) admits(cmp int, lower bool) bool {
	if !b.set {
		return true
	}
	if cmp == 0 {
		return b.inclusive
	}
	return cmp > 0 == lower
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (q *rangeQuery) inString(s string) bool {
	return q.lower.admits(cmpString(s, q.lower.value.str), true) &&
		q.upper.admits(cmpString(s, q.upper.value.str), false)
}

func (q *rangeQuery) inNumber(n number, k kind) bool {
	check := func(b bound, lower bool) bool {
		if !b.set {
			return true
		}
		if !b.value.numOK {
			return false
		}
		limit := b.value.num
		if k == kindFloat {
			limit = floatNum(float64(float32(limit.f)))
		}
		return b.admits(n.cmp(limit), lower)
	}
	return check(q.lower, true) && check(q.upper, false)
}

func (q *rangeQuery) inBool(v bool) bool {
	n := boolNum(v)
	check := func(b bound, lower bool) bool {
		if !b.set {
			return true
		}
		return b.value.bOK && b.admits(n.cmp(boolNum(b.value.b)), lower)
	}
	return check(q.lower, true) && check(q.upper, false)
}

func (q *rangeQuery) inDate(ms int64) bool {
	check := func(b bound, lower bool) bool {
		if !b.set {
			return true
		}
		return b.value.dateErr == nil && b.admits(intNum(ms).cmp(intNum(b.value.date)), lower)
	}
	return check(q.lower, true) && check(q.upper, false)
}

func (q *rangeQuery) check(m Mapping) *Error {
	k := resolve(m, q.field).kind
	for _, b := range []bound{q.lower, q.upper} {
		if b.set {
			if err := b.value.check(k); err != nil {
				return err
			}
		}
	}
	return nil
}

func parseRange(p *parser, name string, body json.RawMessage) (Query, *Error) {
	fieldName, raw, err := fieldBody(name, body)
	if err != nil {
		return nil, err
	}
	if !isObject(raw) {
		return nil, parsingErr("[%s] query malformed, after field missing start object", name)
	}
	ms, jerr := members(raw)
	if jerr != nil {
		return nil, syntaxErr(jerr)
	}
	// As in Elasticsearch, gt/gte/lt/lte are shorthands that set from/to and
	// include_lower/include_upper, applied in request order. The bounds are
	// converted at the end, once format and time_zone are known.
	var from, to json.RawMessage
	includeLower, includeUpper := true, true
	dc := defaultDateContext(p.now)
	for _, m := range ms {
		switch m.Key {
		case "gt", "gte":
			from, includeLower = m.Raw, m.Key == "gte"
		case "lt", "lte":
			to, includeUpper = m.Raw, m.Key == "lte"
		case "from":
			from = m.Raw
		case "to":
			to = m.Raw
		case "include_lower", "include_upper":
			b, ok := boolValue(m.Raw)
			if !ok {
				return nil, parsingErr("[%s] query does not support [%s] with value of type %s", name, m.Key, tokenKind(m.Raw))
			}
			if m.Key == "include_lower" {
				includeLower = b
			} else {
				includeUpper = b
			}
		case "format":
			s, ok := stringValue(m.Raw)
			if !ok {
				return nil, parsingErr("[%s] query does not support [format] with value of type %s", name, tokenKind(m.Raw))
			}
			fs, ferr := compileDateFormats(s)
			if ferr != nil {
				return nil, ferr
			}
			dc.formats = fs
		case "time_zone":
			s, _ := stringValue(m.Raw)
			loc, ok := parseTimeZone(s)
			if !ok {
				return nil, illegalArg("Unknown time-zone ID: %s", s)
			}
			dc.loc = loc
		case "relation":
			// Only meaningful for range fields, which this engine does not have.
			s, _ := stringValue(m.Raw)
			switch s {
			case "intersects", "INTERSECTS", "within", "WITHIN", "contains", "CONTAINS":
			default:
				return nil, illegalArg("[%s] query does not support relation [%s]", name, s)
			}
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
	q := &rangeQuery{field: fieldName}
	// An exclusive lower end and an inclusive upper end round dates up, so
	// that gt "2024-01-01" skips that whole day and lte includes it.
	var err2 *Error
	if q.lower, err2 = rangeBound(name, fieldName, from, includeLower, !includeLower, dc); err2 != nil {
		return nil, err2
	}
	if q.upper, err2 = rangeBound(name, fieldName, to, includeUpper, includeUpper, dc); err2 != nil {
		return nil, err2
	}
	return q, nil
}

// rangeBound converts one end of a range; absent or null means unbounded.
func rangeBound(name, fieldName string, raw json.RawMessage, inclusive, roundUp bool, dc dateContext) (bound, *Error) {
	if raw == nil || isNull(raw) {
		return bound{}, nil
	}
	v, ok := scalarLiteral(raw)
	if !ok {
		return bound{}, parsingErr("[%s] query does not support values of type %s for [%s]", name, tokenKind(raw), fieldName)
	}
	return bound{set: true, inclusive: inclusive, value: newLiteral(v, dc, roundUp)}, nil
}
