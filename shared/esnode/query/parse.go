package query

import (
	"encoding/json"
	"errors"
	"time"
)

// Query is a parsed query clause. Matches reports whether a document matches
// it under the mapping of the document's index. A Query holds no mutable
// state and may be shared by goroutines.
type Query interface {
	Matches(d *Doc, m Mapping) bool
}

// Parser parses query clauses. Its zero value is ready to use and reads the
// wall clock for "now" in date math.
type Parser struct {
	// Now returns the instant "now" stands for; nil means time.Now. It is
	// called once per Parse so that every clause of a request agrees.
	Now func() time.Time
}

// Parse parses the value of a search body's "query" key with the wall clock.
// A nil or empty raw is match_all. Errors are *Error.
func Parse(raw json.RawMessage) (Query, error) { return Parser{}.Parse(raw) }

// Parse parses the value of a search body's "query" key. A nil or empty raw
// is match_all. Errors are *Error.
func (p Parser) Parse(raw json.RawMessage) (Query, error) {
	if isEmpty(raw) {
		return matchAll{}, nil
	}
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	ps := &parser{now: now()}
	q, err := ps.clause(raw)
	if err != nil {
		return nil, err
	}
	return q, nil
}

// maxDepth bounds nesting of compound queries, as Elasticsearch's
// indices.query.bool.max_nested_depth (default 30) does; it also keeps
// hostile bodies from exhausting the stack.
const maxDepth = 30

type parser struct {
	now   time.Time
	depth int
}

type builder func(p *parser, name string, body json.RawMessage) (Query, *Error)

// builders maps query names to their parsers. Filled in init to break the
// initialisation cycle through the compound builders.
var builders map[string]builder

func init() {
	builders = map[string]builder{
		"match_all":      parseMatchAll,
		"match_none":     parseMatchNone,
		"term":           parseTerm,
		"terms":          parseTerms,
		"match":          parseMatch,
		"match_phrase":   parseMatchPhrase,
		"range":          parseRange,
		"exists":         parseExists,
		"ids":            parseIDs,
		"prefix":         parsePrefix,
		"wildcard":       parseWildcard,
		"bool":           parseBool,
		"constant_score": parseConstantScore,
	}
}

// unsupported are query types Elasticsearch knows that this engine does not
// evaluate; they get an honest error instead of "unknown query".
var unsupported = map[string]bool{
	"multi_match": true, "query_string": true, "simple_query_string": true, "nested": true,
	"has_child": true, "has_parent": true, "parent_id": true, "fuzzy": true, "regexp": true,
	"function_score": true, "script": true, "script_score": true, "dis_max": true, "boosting": true,
	"geo_bounding_box": true, "geo_distance": true, "geo_polygon": true, "geo_shape": true,
	"shape": true, "more_like_this": true, "terms_set": true, "intervals": true,
	"span_term": true, "span_near": true, "span_or": true, "span_not": true, "span_first": true,
	"span_multi": true, "span_containing": true, "span_within": true, "field_masking_span": true,
	"combined_fields": true, "match_bool_prefix": true, "match_phrase_prefix": true, "knn": true,
	"pinned": true, "distance_feature": true, "rank_feature": true, "percolate": true,
	"wrapper": true, "semantic": true, "sparse_vector": true, "text_expansion": true,
	"weighted_tokens": true, "rule": true,
}

// clause parses one query object {"<type>": {...}}.
func (p *parser) clause(raw json.RawMessage) (Query, *Error) {
	if !isObject(raw) {
		return nil, parsingErr("[_na] query malformed, must start with start_object")
	}
	ms, err := members(raw)
	if err != nil {
		return nil, syntaxErr(err)
	}
	if len(ms) == 0 {
		return nil, illegalArg("query malformed, empty clause found")
	}
	name := ms[0].Key
	if !isObject(ms[0].Raw) {
		return nil, parsingErr("[%s] query malformed, no start_object after query name", name)
	}
	build, ok := builders[name]
	if !ok {
		if unsupported[name] {
			return nil, parsingErr("[%s] query is not supported by this node", name)
		}
		e := parsingErr("unknown query [%s]", name)
		e.CausedBy = newError("named_object_not_found_exception", "unknown field [%s]", name)
		return nil, e
	}
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return nil, illegalArg("The nested depth of the query exceeds the maximum nested depth for queries set in [indices.query.bool.max_nested_depth]")
	}
	q, qerr := build(p, name, ms[0].Raw)
	if qerr != nil {
		return nil, qerr
	}
	if len(ms) > 1 {
		return nil, parsingErr("[%s] malformed query, expected [END_OBJECT] but found [FIELD_NAME]", name)
	}
	return q, nil
}

// syntaxErr reports a body that is not well-formed JSON.
func syntaxErr(err error) *Error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return xcontentErr("failed to parse query: %s at offset %d", se.Error(), se.Offset)
	}
	return xcontentErr("failed to parse query: %s", err.Error())
}

// commonParam handles the options every query accepts. It reports whether
// key was one of them.
func commonParam(name, key string, raw json.RawMessage) (bool, *Error) {
	switch key {
	case "boost":
		if _, ok := floatValue(raw); !ok {
			return true, parsingErr("[%s] query does not support [boost] with value of type %s", name, tokenKind(raw))
		}
		return true, nil
	case "_name":
		if _, ok := stringValue(raw); !ok {
			return true, parsingErr("[%s] query does not support [_name] with value of type %s", name, tokenKind(raw))
		}
		return true, nil
	}
	return false, nil
}

// fieldBody splits the body of a single-field query such as
// {"term": {"user": ...}} into the field name and its value, rejecting a
// second field the way Elasticsearch does.
func fieldBody(name string, body json.RawMessage) (string, json.RawMessage, *Error) {
	ms, err := members(body)
	if err != nil {
		return "", nil, syntaxErr(err)
	}
	var (
		fieldName string
		value     json.RawMessage
	)
	for _, m := range ms {
		if fieldName != "" {
			return "", nil, parsingErr("[%s] query doesn't support multiple fields, found [%s] and [%s]", name, fieldName, m.Key)
		}
		fieldName, value = m.Key, m.Raw
	}
	if fieldName == "" {
		return "", nil, illegalArg("field name is null or empty")
	}
	return fieldName, value, nil
}

// matchAll and matchNone are the trivial queries.
type matchAll struct{}

func (matchAll) Matches(*Doc, Mapping) bool { return true }

type matchNone struct{}

func (matchNone) Matches(*Doc, Mapping) bool { return false }

func parseMatchAll(_ *parser, name string, body json.RawMessage) (Query, *Error) {
	if err := onlyCommon(name, body); err != nil {
		return nil, err
	}
	return matchAll{}, nil
}

func parseMatchNone(_ *parser, name string, body json.RawMessage) (Query, *Error) {
	if err := onlyCommon(name, body); err != nil {
		return nil, err
	}
	return matchNone{}, nil
}

// onlyCommon accepts a body holding nothing but boost and _name.
func onlyCommon(name string, body json.RawMessage) *Error {
	ms, err := members(body)
	if err != nil {
		return syntaxErr(err)
	}
	for _, m := range ms {
		ok, perr := commonParam(name, m.Key, m.Raw)
		if perr != nil {
			return perr
		}
		if !ok {
			return parsingErr("[%s] query does not support [%s]", name, m.Key)
		}
	}
	return nil
}
