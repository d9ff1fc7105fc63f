package query

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// matchQuery is match: on a text field the query text is analyzed and the
// document must contain enough of its tokens; on any other field it is a
// term query on the unanalyzed text.
type matchQuery struct {
	field   string
	text    literal
	tokens  []string
	and     bool
	msm     []msmPart // minimum_should_match, nil when absent
	zeroAll bool      // zero_terms_query: all
}

func (q *matchQuery) Matches(d *Doc, m Mapping) bool {
	f := resolve(m, q.field)
	if f.kind != kindText {
		return f.each(d, func(v any) bool { return q.text.equals(f.kind, v, false) })
	}
	if len(q.tokens) == 0 {
		return q.zeroAll
	}
	need := 1
	switch {
	case q.and:
		need = len(q.tokens)
	case q.msm != nil:
		need = applyMinShouldMatch(len(q.tokens), q.msm)
		if need < 1 {
			// A spec that rounds to zero still needs one token: a
			// disjunction of should clauses alone requires one match.
			need = 1
		}
	}
	// Each query token (repeats included) is one clause; a document token
	// satisfies every clause equal to it, across all values of the field.
	found := make([]bool, len(q.tokens))
	count := 0
	f.each(d, func(v any) bool {
		s, ok := keywordOf(v)
		if !ok {
			return false
		}
		return eachToken(s, func(tok string) bool {
			for i, qt := range q.tokens {
				if !found[i] && qt == tok {
					found[i] = true
					count++
				}
			}
			return count >= need
		})
	})
	return count >= need
}

func (q *matchQuery) check(m Mapping) *Error {
	if k := resolve(m, q.field).kind; k != kindText {
		return q.text.check(k)
	}
	return nil
}

// phraseQuery is match_phrase: the analyzed tokens must appear consecutively
// within one value of a text field (values of an array are never joined into
// one phrase, as position_increment_gap keeps them apart).
type phraseQuery struct {
	field   string
	text    literal
	tokens  []string
	zeroAll bool
}

func (q *phraseQuery) Matches(d *Doc, m Mapping) bool {
	f := resolve(m, q.field)
	if f.kind != kindText {
		return f.each(d, func(v any) bool { return q.text.equals(f.kind, v, false) })
	}
	if len(q.tokens) == 0 {
		return q.zeroAll
	}
	return f.each(d, func(v any) bool {
		s, ok := keywordOf(v)
		if !ok {
			return false
		}
		toks := tokens(s)
		for i := 0; i+len(q.tokens) <= len(toks); i++ {
			if slices.Equal(toks[i:i+len(q.tokens)], q.tokens) {
				return true
			}
		}
		return false
	})
}

func (q *phraseQuery) check(m Mapping) *Error {
	if k := resolve(m, q.field).kind; k != kindText {
		return q.text.check(k)
	}
	return nil
}

// matchOptions are the long-form options of match and match_phrase.
type matchOptions struct {
	query   json.RawMessage
	and     bool
	msm     []msmPart
	zeroAll bool
}

func parseMatchOptions(name, fieldName string, raw json.RawMessage, phrase bool) (matchOptions, *Error) {
	var o matchOptions
	if !isObject(raw) {
		o.query = raw
		return o, nil
	}
	ms, err := members(raw)
	if err != nil {
		return o, syntaxErr(err)
	}
	for _, m := range ms {
		switch m.Key {
		case "query":
			o.query = m.Raw
		case "operator":
			if phrase {
				return o, parsingErr("[%s] query does not support [%s]", name, m.Key)
			}
			s, _ := stringValue(m.Raw)
			switch strings.ToLower(s) {
			case "or":
			case "and":
				o.and = true
			default:
				return o, illegalArg("operator needs to be either [AND, OR], but not [%s]", s)
			}
		case "minimum_should_match":
			if phrase {
				return o, parsingErr("[%s] query does not support [%s]", name, m.Key)
			}
			v, ok := scalarLiteral(m.Raw)
			s, isStr := keywordOf(v)
			if !ok || !isStr {
				return o, parsingErr("[%s] query does not support [minimum_should_match] with value of type %s", name, tokenKind(m.Raw))
			}
			parts, perr := parseMinShouldMatch(s)
			if perr != nil {
				return o, perr
			}
			o.msm = parts
		case "zero_terms_query":
			s, _ := stringValue(m.Raw)
			switch strings.ToLower(s) {
			case "none":
			case "all":
				o.zeroAll = true
			default:
				return o, parsingErr("Unsupported zero_terms_query value [%s]", s)
			}
		case "analyzer":
			if s, _ := stringValue(m.Raw); s != "standard" && s != "default" {
				return o, illegalArg("[%s] analyzer [%s] is not supported by this node; only [standard] is", name, s)
			}
		case "slop":
			if !phrase {
				return o, parsingErr("[%s] query does not support [%s]", name, m.Key)
			}
			if n, ok := floatValue(m.Raw); !ok || n != 0 {
				return o, illegalArg("[%s] slop other than 0 is not supported by this node", name)
			}
		case "fuzziness":
			if phrase {
				return o, parsingErr("[%s] query does not support [%s]", name, m.Key)
			}
			if v, _ := scalarLiteral(m.Raw); !isZeroFuzziness(v) {
				return o, illegalArg("[%s] fuzziness is not supported by this node", name)
			}
		case "lenient", "auto_generate_synonyms_phrase_query", "prefix_length", "max_expansions",
			"fuzzy_transpositions", "fuzzy_rewrite":
			if phrase {
				return o, parsingErr("[%s] query does not support [%s]", name, m.Key)
			}
			// These only tune fuzzy matching, synonyms or type errors, none of
			// which this engine has.
		default:
			ok, perr := commonParam(name, m.Key, m.Raw)
			if perr != nil {
				return o, perr
			}
			if !ok {
				return o, parsingErr("[%s] query does not support [%s]", name, m.Key)
			}
		}
	}
	if o.query == nil || isNull(o.query) {
		return o, parsingErr("No text specified for text query")
	}
	if isObject(o.query) || isArray(o.query) {
		return o, parsingErr("[%s] unknown token [%s] after [%s]", name, tokenKind(o.query), fieldName)
	}
	return o, nil
}

func isZeroFuzziness(v any) bool {
	s, _ := keywordOf(v)
	return s == "0"
}

func parseMatch(p *parser, name string, body json.RawMessage) (Query, *Error) {
	fieldName, raw, err := fieldBody(name, body)
	if err != nil {
		return nil, err
	}
	o, err := parseMatchOptions(name, fieldName, raw, false)
	if err != nil {
		return nil, err
	}
	v, _ := scalarLiteral(o.query)
	q := &matchQuery{field: fieldName, text: termLiteral(v, defaultDateContext(p.now)), and: o.and, msm: o.msm, zeroAll: o.zeroAll}
	q.tokens = tokens(q.text.str)
	return q, nil
}

func parseMatchPhrase(p *parser, name string, body json.RawMessage) (Query, *Error) {
	fieldName, raw, err := fieldBody(name, body)
	if err != nil {
		return nil, err
	}
	o, err := parseMatchOptions(name, fieldName, raw, true)
	if err != nil {
		return nil, err
	}
	v, _ := scalarLiteral(o.query)
	q := &phraseQuery{field: fieldName, text: termLiteral(v, defaultDateContext(p.now)), zeroAll: o.zeroAll}
	q.tokens = tokens(q.text.str)
	return q, nil
}

// msmPart is one element of a minimum_should_match spec: below or at
// upTo optional clauses the previous rule applies, above it value does.
type msmPart struct {
	upTo    int // -1 for the unconditional part
	value   int
	percent bool
}

// parseMinShouldMatch reads "3", "-2", "75%", "-25%" and conditional specs
// such as "3<90%" or "2<-25% 9<-3".
func parseMinShouldMatch(spec string) ([]msmPart, *Error) {
	spec = strings.TrimSpace(spec)
	bad := func() ([]msmPart, *Error) {
		return nil, illegalArg("invalid minimum_should_match [%s]", spec)
	}
	if spec == "" {
		return bad()
	}
	simple := func(s string) (msmPart, bool) {
		part := msmPart{upTo: -1}
		if strings.HasSuffix(s, "%") {
			part.percent = true
			s = s[:len(s)-1]
		}
		n, err := strconv.Atoi(s)
		part.value = n
		return part, err == nil
	}
	if !strings.Contains(spec, "<") {
		part, ok := simple(spec)
		if !ok {
			return bad()
		}
		return []msmPart{part}, nil
	}
	var parts []msmPart
	for _, cond := range strings.Fields(strings.ReplaceAll(spec, " < ", "<")) {
		bound, rule, ok := strings.Cut(cond, "<")
		if !ok {
			return bad()
		}
		upTo, err := strconv.Atoi(strings.TrimSpace(bound))
		part, pok := simple(strings.TrimSpace(rule))
		if err != nil || !pok {
			return bad()
		}
		part.upTo = upTo
		parts = append(parts, part)
	}
	return parts, nil
}

// applyMinShouldMatch computes how many of optional clauses must match under
// a parsed spec, with Elasticsearch's rounding: percentages round toward
// zero, negative values count clauses that may be missing.
func applyMinShouldMatch(optional int, parts []msmPart) int {
	apply := func(p msmPart) int {
		calc := p.value
		if p.percent {
			calc = optional * p.value / 100
		}
		if calc < 0 {
			calc += optional
		}
		return max(calc, 0)
	}
	if parts[0].upTo < 0 {
		return apply(parts[0])
	}
	result := optional
	for _, p := range parts {
		if optional <= p.upTo {
			return result
		}
		result = apply(p)
	}
	return result
}
