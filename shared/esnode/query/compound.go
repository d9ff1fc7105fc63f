package query

import "encoding/json"

// boolQuery combines clauses. must and filter clauses must all match (there
// is no scoring, so they behave the same), must_not clauses must not, and
// at least minShould of the should clauses must match.
type boolQuery struct {
	must, mustNot, should []Query
	minShould             int
}

func (q *boolQuery) Matches(d *Doc, m Mapping) bool {
	for _, c := range q.must {
		if !c.Matches(d, m) {
			return false
		}
	}
	for _, c := range q.mustNot {
		if c.Matches(d, m) {
			return false
		}
	}
	if q.minShould == 0 {
		return true
	}
	if q.minShould > len(q.should) {
		return false
	}
	n := 0
	for i, c := range q.should {
		if c.Matches(d, m) {
			n++
			if n >= q.minShould {
				return true
			}
		}
		if n+len(q.should)-i-1 < q.minShould {
			// Not enough clauses left to reach the minimum.
			return false
		}
	}
	return false
}

func (q *boolQuery) children() []Query {
	out := make([]Query, 0, len(q.must)+len(q.mustNot)+len(q.should))
	out = append(out, q.must...)
	out = append(out, q.mustNot...)
	return append(out, q.should...)
}

func parseBool(p *parser, name string, body json.RawMessage) (Query, *Error) {
	ms, err := members(body)
	if err != nil {
		return nil, syntaxErr(err)
	}
	q := &boolQuery{}
	var (
		msm      []msmPart
		required int // must + filter clauses
	)
	for _, m := range ms {
		var dst *[]Query
		switch m.Key {
		case "must", "filter":
			dst = &q.must
		case "must_not", "mustNot":
			dst = &q.mustNot
		case "should":
			dst = &q.should
		case "minimum_should_match", "minimumShouldMatch":
			v, ok := scalarLiteral(m.Raw)
			s, isStr := keywordOf(v)
			if isNull(m.Raw) {
				continue
			}
			if !ok || !isStr {
				return nil, parsingErr("[%s] query does not support [%s] with value of type %s", name, m.Key, tokenKind(m.Raw))
			}
			parts, perr := parseMinShouldMatch(s)
			if perr != nil {
				return nil, perr
			}
			msm = parts
			continue
		case "adjust_pure_negative":
			if _, ok := boolValue(m.Raw); !ok {
				return nil, parsingErr("[%s] query does not support [%s] with value of type %s", name, m.Key, tokenKind(m.Raw))
			}
			continue
		default:
			ok, perr := commonParam(name, m.Key, m.Raw)
			if perr != nil {
				return nil, perr
			}
			if !ok {
				return nil, parsingErr("[%s] query does not support [%s]", name, m.Key)
			}
			continue
		}
		clauses, perr := p.clauses(name, m.Key, m.Raw)
		if perr != nil {
			return nil, perr
		}
		*dst = append(*dst, clauses...)
		if m.Key == "must" || m.Key == "filter" {
			required += len(clauses)
		}
	}
	switch {
	case msm != nil:
		q.minShould = applyMinShouldMatch(len(q.should), msm)
	case len(q.should) > 0 && required == 0:
		// Without must or filter clauses, should clauses are what selects
		// documents: at least one has to match.
		q.minShould = 1
	}
	return q, nil
}

// clauses parses a bool occurrence given as one query object or an array.
func (p *parser) clauses(name, key string, raw json.RawMessage) ([]Query, *Error) {
	switch {
	case isObject(raw):
		c, err := p.clause(raw)
		if err != nil {
			return nil, err
		}
		return []Query{c}, nil
	case isArray(raw):
		elems, jerr := elements(raw)
		if jerr != nil {
			return nil, syntaxErr(jerr)
		}
		out := make([]Query, 0, len(elems))
		for _, e := range elems {
			c, err := p.clause(e)
			if err != nil {
				return nil, err
			}
			out = append(out, c)
		}
		return out, nil
	}
	return nil, parsingErr("[%s] query does not support [%s] with value of type %s", name, key, tokenKind(raw))
}

// constantScore matches what its filter matches; scores are constant in this
// engine anyway.
type constantScore struct{ filter Query }

func (q *constantScore) Matches(d *Doc, m Mapping) bool { return q.filter.Matches(d, m) }

func parseConstantScore(p *parser, name string, body json.RawMessage) (Query, *Error) {
	ms, err := members(body)
	if err != nil {
		return nil, syntaxErr(err)
	}
	q := &constantScore{}
	for _, m := range ms {
		if m.Key == "filter" {
			if q.filter != nil {
				return nil, parsingErr("[%s] accepts only one 'filter' element.", name)
			}
			if !isObject(m.Raw) {
				return nil, parsingErr("[%s] query does not support [filter] with value of type %s", name, tokenKind(m.Raw))
			}
			f, perr := p.clause(m.Raw)
			if perr != nil {
				return nil, perr
			}
			q.filter = f
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
	if q.filter == nil {
		return nil, parsingErr("[%s] requires a 'filter' element", name)
	}
	return q, nil
}
