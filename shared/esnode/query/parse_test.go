package query

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// TestMatchAllAndNone covers the trivial queries and the empty body.
func TestMatchAllAndNone(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string
	}{
		{"empty body is match_all", ``, ids("1", "2", "3", "4", "5")},
		{"match_all", `{"match_all":{}}`, ids("1", "2", "3", "4", "5")},
		{"match_all boost", `{"match_all":{"boost":1.2,"_name":"all"}}`, ids("1", "2", "3", "4", "5")},
		{"match_none", `{"match_none":{}}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assertIDs(t, tt.body, tt.want) })
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, body, typ, reason string
	}{
		{"unknown query", `{"xyz":{}}`, TypeParsing, "unknown query [xyz]"},
		{"unsupported query", `{"multi_match":{"query":"x"}}`, TypeParsing, "[multi_match] query is not supported by this node"},
		{"not an object", `"foo"`, TypeParsing, "[_na] query malformed, must start with start_object"},
		{"array", `[]`, TypeParsing, "[_na] query malformed, must start with start_object"},
		{"empty clause", `{}`, TypeIllegalArgument, "query malformed, empty clause found"},
		{"no object after name", `{"match_all":[]}`, TypeParsing, "[match_all] query malformed, no start_object after query name"},
		{"two queries", `{"match_all":{},"term":{"a":1}}`, TypeParsing, "[match_all] malformed query, expected [END_OBJECT] but found [FIELD_NAME]"},
		{"bad json", `{"term":{"a":}}`, TypeXContentParse, "failed to parse query"},
		{"trailing json", `{"term":{"a":1}}}`, TypeXContentParse, "failed to parse query"},
		{"match_all param", `{"match_all":{"foo":1}}`, TypeParsing, "[match_all] query does not support [foo]"},
		{"bad boost", `{"match_all":{"boost":"high"}}`, TypeParsing, "[match_all] query does not support [boost]"},
		{"term multiple fields", `{"term":{"a":1,"b":2}}`, TypeParsing, "[term] query doesn't support multiple fields, found [a] and [b]"},
		{"term no field", `{"term":{}}`, TypeIllegalArgument, "field name is null or empty"},
		{"term unknown param", `{"term":{"a":{"value":1,"foo":2}}}`, TypeParsing, "[term] query does not support [foo]"},
		{"term null", `{"term":{"a":null}}`, TypeIllegalArgument, "value cannot be null"},
		{"term no value", `{"term":{"a":{"boost":1}}}`, TypeIllegalArgument, "value cannot be null"},
		{"term array", `{"term":{"a":[1]}}`, TypeParsing, "[term] unknown token [START_ARRAY] after [a]"},
		{"terms not array", `{"terms":{"a":"x"}}`, TypeParsing, "[terms] query does not support [a]"},
		{"terms multiple fields", `{"terms":{"a":["x"],"b":["y"]}}`, TypeParsing, "[terms] query does not support multiple fields"},
		{"terms no field", `{"terms":{"boost":1}}`, TypeParsing, "[terms] query requires a field name"},
		{"terms lookup", `{"terms":{"a":{"index":"i","id":"1","path":"p"}}}`, TypeParsing, "terms lookup is not supported"},
		{"terms null element", `{"terms":{"a":[null]}}`, TypeIllegalArgument, "No value specified for terms query"},
		{"terms object element", `{"terms":{"a":[{}]}}`, TypeParsing, "[terms] query does not support values of type START_OBJECT"},
		{"match multiple fields", `{"match":{"a":"x","b":"y"}}`, TypeParsing, "[match] query doesn't support multiple fields, found [a] and [b]"},
		{"match no text", `{"match":{"a":{"operator":"and"}}}`, TypeParsing, "No text specified for text query"},
		{"match bad operator", `{"match":{"a":{"query":"x","operator":"xor"}}}`, TypeIllegalArgument, "operator needs to be either [AND, OR], but not [xor]"},
		{"match unknown param", `{"match":{"a":{"query":"x","slop":1}}}`, TypeParsing, "[match] query does not support [slop]"},
		{"match bad zero terms", `{"match":{"a":{"query":"x","zero_terms_query":"some"}}}`, TypeParsing, "Unsupported zero_terms_query value [some]"},
		{"match bad msm", `{"match":{"a":{"query":"x","minimum_should_match":"lots"}}}`, TypeIllegalArgument, "invalid minimum_should_match [lots]"},
		{"match fuzziness", `{"match":{"a":{"query":"x","fuzziness":"AUTO"}}}`, TypeIllegalArgument, "fuzziness is not supported"},
		{"match analyzer", `{"match":{"a":{"query":"x","analyzer":"french"}}}`, TypeIllegalArgument, "analyzer [french]"},
		{"match object query", `{"match":{"a":{"query":{}}}}`, TypeParsing, "[match] unknown token [START_OBJECT] after [a]"},
		{"match_phrase slop", `{"match_phrase":{"a":{"query":"x y","slop":2}}}`, TypeIllegalArgument, "slop other than 0"},
		{"match_phrase operator", `{"match_phrase":{"a":{"query":"x","operator":"and"}}}`, TypeParsing, "[match_phrase] query does not support [operator]"},
		{"range multiple fields", `{"range":{"a":{"gt":1},"b":{"gt":1}}}`, TypeParsing, "[range] query doesn't support multiple fields, found [a] and [b]"},
		{"range not object", `{"range":{"a":5}}`, TypeParsing, "[range] query malformed, after field missing start object"},
		{"range unknown param", `{"range":{"a":{"gt":1,"foo":2}}}`, TypeParsing, "[range] query does not support [foo]"},
		{"range object bound", `{"range":{"a":{"gt":{}}}}`, TypeParsing, "[range] query does not support values of type START_OBJECT"},
		{"range bad format", `{"range":{"a":{"gt":1,"format":"yyyy-QQ"}}}`, TypeIllegalArgument, "Unknown pattern letter: Q"},
		{"range bad zone", `{"range":{"a":{"gt":1,"time_zone":"Mars/Olympus"}}}`, TypeIllegalArgument, "Unknown time-zone ID: Mars/Olympus"},
		{"exists no field", `{"exists":{}}`, TypeParsing, "[exists] must be provided with a [field]"},
		{"exists bad param", `{"exists":{"field":"a","x":1}}`, TypeParsing, "[exists] query does not support [x]"},
		{"exists field pattern", `{"exists":{"field":"a*"}}`, TypeParsing, "field patterns are not supported"},
		{"ids not array", `{"ids":{"values":"1"}}`, TypeXContentParse, "[ids] values doesn't support values of type: VALUE_STRING"},
		{"ids unknown field", `{"ids":{"vals":["1"]}}`, TypeXContentParse, "[ids] unknown field [vals]"},
		{"ids object element", `{"ids":{"values":[{}]}}`, TypeXContentParse, "[ids] failed to parse field [values]"},
		{"prefix multiple fields", `{"prefix":{"a":"x","b":"y"}}`, TypeParsing, "[prefix] query doesn't support multiple fields, found [a] and [b]"},
		{"wildcard unknown param", `{"wildcard":{"a":{"value":"x","foo":1}}}`, TypeParsing, "[wildcard] query does not support [foo]"},
		{"bool unknown clause", `{"bool":{"musts":[]}}`, TypeParsing, "[bool] query does not support [musts]"},
		{"bool clause not object", `{"bool":{"must":"x"}}`, TypeParsing, "[bool] query does not support [must] with value of type VALUE_STRING"},
		{"bool nested error", `{"bool":{"filter":[{"term":{"a":1}},{"nope":{}}]}}`, TypeParsing, "unknown query [nope]"},
		{"bool element not object", `{"bool":{"should":[1]}}`, TypeParsing, "[_na] query malformed, must start with start_object"},
		{"bool empty clause", `{"bool":{"must":{}}}`, TypeIllegalArgument, "query malformed, empty clause found"},
		{"bool bad msm", `{"bool":{"should":[],"minimum_should_match":"x%"}}`, TypeIllegalArgument, "invalid minimum_should_match"},
		{"constant_score no filter", `{"constant_score":{"boost":1}}`, TypeParsing, "[constant_score] requires a 'filter' element"},
		{"constant_score two filters", `{"constant_score":{"filter":{"match_all":{}},"filter":{"match_all":{}}}}`, TypeParsing, "[constant_score] accepts only one 'filter' element."},
		{"constant_score unknown", `{"constant_score":{"filter":{"match_all":{}},"query":{}}}`, TypeParsing, "[constant_score] query does not support [query]"},
		{"too deep", strings.Repeat(`{"bool":{"must":`, 31) + `{"match_all":{}}` + strings.Repeat(`}}`, 31), TypeIllegalArgument, "maximum nested depth"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := fixedParser().Parse(json.RawMessage(tt.body))
			var qe *Error
			if !errors.As(err, &qe) {
				t.Fatalf("Parse(%s) = %v, %v; want *Error", tt.body, q, err)
			}
			if qe.Status != 400 || qe.Type != tt.typ || !strings.Contains(qe.Reason, tt.reason) {
				t.Errorf("Parse(%s) error = %d %s %q, want 400 %s containing %q", tt.body, qe.Status, qe.Type, qe.Reason, tt.typ, tt.reason)
			}
		})
	}
}

func TestDepthLimitAllowsThirty(t *testing.T) {
	body := strings.Repeat(`{"bool":{"must":`, 29) + `{"match_all":{}}` + strings.Repeat(`}}`, 29)
	assertIDs(t, body, ids("1", "2", "3", "4", "5"))
}

func TestParseWallClock(t *testing.T) {
	q, err := Parse(json.RawMessage(`{"range":{"ts":{"lte":"now"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	d := &Doc{ID: "x", Source: map[string]any{"ts": "2001-01-01"}}
	if !q.Matches(d, docsMapping) {
		t.Error("a 2001 date is not before now")
	}
	if q.Matches(&Doc{ID: "y", Source: map[string]any{"ts": "2999-01-01"}}, docsMapping) {
		t.Error("a 2999 date is before now")
	}
}

func TestNilMappingMatchesNoFields(t *testing.T) {
	q, err := Parse(json.RawMessage(`{"term":{"tag":"alpha"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if q.Matches(&Doc{Source: map[string]any{"tag": "alpha"}}, nil) {
		t.Error("term matched with a nil mapping; unmapped fields must match nothing")
	}
}
