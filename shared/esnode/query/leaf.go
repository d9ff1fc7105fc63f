package query

import (
	"encoding/json"
	"strings"
)

// termQuery is term (and match on non-text fields).
type termQuery struct {
	field string
	value literal
	ci    bool
}

func (q *termQuery) Matches(d *Doc, m Mapping) bool {
	f := resolve(m, q.field)
	return f.each(d, func(v any) bool { return q.value.equals(f.kind, v, q.ci) })
}

func (q *termQuery) check(m Mapping) *Error { return q.value.check(resolve(m, q.field).kind) }

func parseTerm(p *parser, name string, body json.RawMessage) (Query, *Error) {
	fieldName, raw, err := fieldBody(name, body)
	if err != nil {
		return nil, err
	}
	q := &termQuery{field: fieldName}
	valueRaw := raw
	if isObject(raw) {
		valueRaw = nil
		ms, jerr := members(raw)
		if jerr != nil {
			return nil, syntaxErr(jerr)
		}
		for _, m := range ms {
			switch m.Key {
			case "value":
				valueRaw = m.Raw
			case "case_insensitive":
				ci, ok := boolValue(m.Raw)
				if !ok {
					return nil, parsingErr("[%s] query does not support [case_insensitive] with value of type %s", name, tokenKind(m.Raw))
				}
				q.ci = ci
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
	q.value = termLiteral(v, defaultDateContext(p.now))
	return q, nil
}

// termsQuery matches when any of its values equals a field value.
type termsQuery struct {
	field  string
	values []literal
}

func (q *termsQuery) Matches(d *Doc, m Mapping) bool {
	f := resolve(m, q.field)
	return f.each(d, func(v any) bool {
		for i := range q.values {
			if q.values[i].equals(f.kind, v, false) {
				return true
			}
		}
		return false
	})
}

func (q *termsQuery) check(m Mapping) *Error {
	k := resolve(m, q.field).kind
	for i := range q.values {
		if err := q.values[i].check(k); err != nil {
			return err
		}
	}
	return nil
}

func parseTerms(p *parser, name string, body json.RawMessage) (Query, *Error) {
	ms, err := members(body)
	if err != nil {
		return nil, syntaxErr(err)
	}
	var q *termsQuery
	for _, m := range ms {
		ok, perr := commonParam(name, m.Key, m.Raw)
		if perr != nil {
			return nil, perr
		}
		if ok {
			continue
		}
		if q != nil {
			return nil, parsingErr("[%s] query does not support multiple fields", name)
		}
		switch {
		case isObject(m.Raw):
			return nil, parsingErr("[%s] query with a terms lookup is not supported by this node", name)
		case !isArray(m.Raw):
			return nil, parsingErr("[%s] query does not support [%s]", name, m.Key)
		}
		elems, jerr := elements(m.Raw)
		if jerr != nil {
			return nil, syntaxErr(jerr)
		}
		q = &termsQuery{field: m.Key, values: make([]literal, 0, len(elems))}
		dc := defaultDateContext(p.now)
		for _, e := range elems {
			if isNull(e) {
				return nil, illegalArg("No value specified for terms query")
			}
			v, ok := scalarLiteral(e)
			if !ok {
				return nil, parsingErr("[%s] query does not support values of type %s", name, tokenKind(e))
			}
			q.values = append(q.values, termLiteral(v, dc))
		}
	}
	if q == nil {
		return nil, parsingErr("[%s] query requires a field name, followed by array of terms or a document lookup specification", name)
	}
	return q, nil
}

// existsQuery matches documents with at least one indexed value in field.
type existsQuery struct{ field string }

func (q *existsQuery) Matches(d *Doc, m Mapping) bool {
	f := resolve(m, q.field)
	if f.kind == kindNone {
		return false
	}
	return f.each(d, func(v any) bool {
		if _, isObj := v.(map[string]any); isObj {
			return f.kind == kindObject && hasLeaf(v)
		}
		return f.kind != kindObject
	})
}

func parseExists(_ *parser, name string, body json.RawMessage) (Query, *Error) {
	ms, err := members(body)
	if err != nil {
		return nil, syntaxErr(err)
	}
	q := &existsQuery{}
	for _, m := range ms {
		if m.Key == "field" {
			s, ok := stringValue(m.Raw)
			if !ok {
				return nil, parsingErr("[%s] query does not support [field] with value of type %s", name, tokenKind(m.Raw))
			}
			q.field = s
			continue
		}
		ok, perr := commonParam(name, m.Key, m.Raw)
		if perr != nil {
			return nil, perr
		}
		if !ok {
			return nil, parsingErr("[%s] query does not support [%s]", name, m.Key)
		}
	}
	if q.field == "" {
		return nil, parsingErr("[%s] must be provided with a [field]", name)
	}
	if strings.ContainsRune(q.field, '*') {
		return nil, parsingErr("[%s] field patterns are not supported by this node", name)
	}
	return q, nil
}

// idsQuery matches documents by _id.
type idsQuery struct{ ids map[string]struct{} }

func (q *idsQuery) Matches(d *Doc, _ Mapping) bool {
	_, ok := q.ids[d.ID]
	return ok
}

func parseIDs(_ *parser, name string, body json.RawMessage) (Query, *Error) {
	ms, err := members(body)
	if err != nil {
		return nil, syntaxErr(err)
	}
	q := &idsQuery{ids: map[string]struct{}{}}
	for _, m := range ms {
		if m.Key != "values" {
			ok, perr := commonParam(name, m.Key, m.Raw)
			if perr != nil {
				return nil, perr
			}
			if !ok {
				return nil, xcontentErr("[%s] unknown field [%s]", name, m.Key)
			}
			continue
		}
		if !isArray(m.Raw) {
			return nil, xcontentErr("[%s] values doesn't support values of type: %s", name, tokenKind(m.Raw))
		}
		elems, jerr := elements(m.Raw)
		if jerr != nil {
			return nil, syntaxErr(jerr)
		}
		for _, e := range elems {
			v, ok := scalarLiteral(e)
			s, isStr := keywordOf(v)
			if !ok || !isStr {
				return nil, xcontentErr("[%s] failed to parse field [values]", name)
			}
			q.ids[s] = struct{}{}
		}
	}
	return q, nil
}
