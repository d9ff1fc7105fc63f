package query

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestQueries(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string
	}{
		{"empty body is match_all", ``, ids("1", "2", "3", "4", "5")},
		{"match_all", `{"match_all":{}}`, ids("1", "2", "3", "4", "5")},
		{"match_all boost", `{"match_all":{"boost":1.2,"_name":"all"}}`, ids("1", "2", "3", "4", "5")},
		{"match_none", `{"match_none":{}}`, nil},

		{"term keyword exact", `{"term":{"tag":"alpha"}}`, ids("1")},
		{"term keyword case sensitive", `{"term":{"tag":"ALPHA"}}`, nil},
		{"term keyword case_insensitive", `{"term":{"tag":{"value":"ALPHA","case_insensitive":true}}}`, ids("1", "3")},
		{"term long form", `{"term":{"tag":{"value":"beta","boost":2}}}`, ids("2")},
		{"term text against tokens", `{"term":{"msg":"quick"}}`, ids("1", "3")},
		{"term text not analyzed", `{"term":{"msg":"Quick"}}`, nil},
		{"term text whole value", `{"term":{"msg":"lazy dog sleeps"}}`, nil},
		{"term keyword subfield", `{"term":{"msg.keyword":"lazy dog sleeps"}}`, ids("2")},
		{"term keyword subfield array", `{"term":{"msg.keyword":"other value"}}`, ids("3")},
		{"term long", `{"term":{"n":5}}`, ids("1")},
		{"term long numeric string query", `{"term":{"n":"5"}}`, ids("1")},
		{"term long coerced source string", `{"term":{"n":7}}`, ids("2")},
		{"term long truncated source", `{"term":{"n":12}}`, ids("3")},
		{"term long fractional query", `{"term":{"n":12.7}}`, nil},
		{"term long 5.0", `{"term":{"n":5.0}}`, ids("1")},
		{"term long negative", `{"term":{"n":-3}}`, ids("4")},
		{"term long beyond 2^53", `{"term":{"big":9007199254740993}}`, ids("1")},
		{"term integer", `{"term":{"i":5}}`, ids("1")},
		{"term double", `{"term":{"price":2}}`, ids("2")},
		{"term double fraction", `{"term":{"price":1.5}}`, ids("1")},
		{"term float precision", `{"term":{"f":0.1}}`, ids("1")},
		{"term boolean", `{"term":{"ok":true}}`, ids("1")},
		{"term boolean string", `{"term":{"ok":"false"}}`, ids("2")},
		{"term date whole day", `{"term":{"ts":"2024-03-14"}}`, ids("2", "3")},
		{"term date exact", `{"term":{"ts":"2024-03-15T08:00:00Z"}}`, ids("1")},
		{"term date epoch", `{"term":{"ts":1710400000000}}`, ids("3")},
		{"term date now math", `{"term":{"ts":"now/d"}}`, ids("1")},
		{"term nested object path", `{"term":{"user.age":30}}`, ids("1")},
		{"term array of objects", `{"term":{"items.sku":"b2"}}`, ids("2")},
		{"term dotted key", `{"term":{"a.b":"dotted"}}`, ids("3")},
		{"term nested under dotted path", `{"term":{"a.b":"y"}}`, ids("4")},
		{"term array element", `{"term":{"tags":"green"}}`, ids("1")},
		{"term unmapped", `{"term":{"nope":"x"}}`, nil},
		{"term object field", `{"term":{"user":"x"}}`, nil},
		{"term _id", `{"term":{"_id":"3"}}`, ids("3")},
		{"term _index", `{"term":{"_index":"idx"}}`, ids("1", "2", "3", "4", "5")},
		{"term ignore_above", `{"term":{"title.keyword":"` + longTitle + `"}}`, nil},
		{"term within ignore_above", `{"term":{"title.keyword":"short title"}}`, ids("4")},

		{"terms keyword", `{"terms":{"tag":["alpha","gamma","zzz"]}}`, ids("1", "4")},
		{"terms long", `{"terms":{"n":[5,"7",100]}}`, ids("1", "2")},
		{"terms boost", `{"terms":{"tag":["beta"],"boost":1.0}}`, ids("2")},
		{"terms empty", `{"terms":{"tag":[]}}`, nil},

		{"match or", `{"match":{"msg":"quick dog"}}`, ids("1", "2", "3")},
		{"match analyzed", `{"match":{"msg":"QUICK"}}`, ids("1", "3")},
		{"match and", `{"match":{"msg":{"query":"quick fox","operator":"and"}}}`, ids("1")},
		{"match and across array values", `{"match":{"msg":{"query":"start other","operator":"AND"}}}`, ids("3")},
		{"match msm", `{"match":{"msg":{"query":"quick brown dog","minimum_should_match":2}}}`, ids("1")},
		{"match msm percent", `{"match":{"msg":{"query":"quick brown dog","minimum_should_match":"60%"}}}`, ids("1", "2", "3")},
		{"match msm negative", `{"match":{"msg":{"query":"quick brown dog","minimum_should_match":"-1"}}}`, ids("1")},
		{"match keyword exact", `{"match":{"tag":"alpha"}}`, ids("1")},
		{"match keyword not analyzed", `{"match":{"tag":"ALPHA"}}`, nil},
		{"match long", `{"match":{"n":"5"}}`, ids("1")},
		{"match boolean", `{"match":{"ok":true}}`, ids("1")},
		{"match date", `{"match":{"ts":"2024-03-14"}}`, ids("2", "3")},
		{"match zero terms none", `{"match":{"msg":"!!!"}}`, nil},
		{"match zero terms all", `{"match":{"msg":{"query":"...","zero_terms_query":"all"}}}`, ids("1", "2", "3", "4", "5")},
		{"match nested text", `{"match":{"user.name":"LEE"}}`, ids("1")},
		{"match number on text", `{"match":{"msg":{"query":7,"analyzer":"standard"}}}`, nil},

		{"match_phrase", `{"match_phrase":{"msg":"quick brown"}}`, ids("1")},
		{"match_phrase order", `{"match_phrase":{"msg":"brown quick"}}`, nil},
		{"match_phrase not across values", `{"match_phrase":{"msg":"start other"}}`, ids()},
		{"match_phrase long form", `{"match_phrase":{"msg":{"query":"Other Value","slop":0}}}`, ids("3")},
		{"match_phrase keyword", `{"match_phrase":{"tag":"beta"}}`, ids("2")},

		{"range long", `{"range":{"n":{"gte":5,"lt":12}}}`, ids("1", "2")},
		{"range long gt", `{"range":{"n":{"gt":5}}}`, ids("2", "3")},
		{"range long fractional bound", `{"range":{"n":{"gte":4.5,"lte":5.5}}}`, ids("1")},
		{"range long string bounds", `{"range":{"n":{"gte":"-10","lte":"0"}}}`, ids("4")},
		{"range from to", `{"range":{"n":{"from":5,"to":7,"include_lower":false}}}`, ids("2")},
		{"range null bound", `{"range":{"n":{"gte":null,"lt":0}}}`, ids("4")},
		{"range double", `{"range":{"price":{"gt":1.5}}}`, ids("2")},
		{"range keyword", `{"range":{"tag":{"gte":"alpha","lt":"c"}}}`, ids("1", "2")},
		{"range keyword uppercase sorts first", `{"range":{"tag":{"lt":"a"}}}`, ids("3")},
		{"range text tokens", `{"range":{"msg":{"gte":"s","lt":"t"}}}`, ids("2", "3")},
		{"range boolean", `{"range":{"ok":{"gt":false}}}`, ids("1")},
		{"range date iso", `{"range":{"ts":{"gte":"2024-03-14T00:00:00Z"}}}`, ids("1", "2", "3")},
		{"range date lte rounds up day", `{"range":{"ts":{"lte":"2024-03-14"}}}`, ids("2", "3", "4")},
		{"range date gt excludes day", `{"range":{"ts":{"gt":"2024-03-14"}}}`, ids("1")},
		{"range date lt", `{"range":{"ts":{"lt":"2024-03-14"}}}`, ids("4")},
		{"range date now-1d", `{"range":{"ts":{"gte":"now-1d"}}}`, ids("1")},
		{"range date now/d", `{"range":{"ts":{"gte":"now-1d/d","lt":"now/d"}}}`, ids("2", "3")},
		{"range date anchored math", `{"range":{"ts":{"gte":"2023-12-01||+1M","lt":"2024-03-01||+14d"}}}`, ids("2", "3")},
		{"range date epoch millis", `{"range":{"ts":{"gte":1710400000000,"lte":1710400000000}}}`, ids("3")},
		{"range date slash format", `{"range":{"ts":{"lt":"2024/01/01 00:00:00"}}}`, ids("4")},
		{"range date custom format", `{"range":{"ts":{"gte":"14.03.2024","format":"dd.MM.yyyy"}}}`, ids("1", "2", "3")},
		{"range date time_zone", `{"range":{"ts":{"gte":"2024-03-15T09:00:00","time_zone":"+01:00"}}}`, ids("1")},
		{"range date epoch_second", `{"range":{"ts":{"gte":1710460000,"format":"epoch_second"}}}`, ids("1")},
		{"range unmapped", `{"range":{"nope":{"gte":1}}}`, nil},
		{"range date bad value matches nothing", `{"range":{"ts":{"gte":"yesterday"}}}`, nil},

		{"exists", `{"exists":{"field":"msg"}}`, ids("1", "2", "3")},
		{"exists empty array", `{"exists":{"field":"tags"}}`, ids("1")},
		{"exists object", `{"exists":{"field":"user"}}`, ids("1", "2")},
		{"exists null leaf", `{"exists":{"field":"user.name"}}`, ids("1", "2")},
		{"exists subfield ignore_above", `{"exists":{"field":"title.keyword"}}`, ids("4")},
		{"exists text with long value", `{"exists":{"field":"title"}}`, ids("3", "4")},
		{"exists unmapped", `{"exists":{"field":"nope"}}`, nil},
		{"exists dotted", `{"exists":{"field":"a.b"}}`, ids("3", "4")},

		{"ids", `{"ids":{"values":["2","4","99"]}}`, ids("2", "4")},
		{"ids numbers", `{"ids":{"values":[5]}}`, ids("5")},

		{"prefix keyword", `{"prefix":{"tag":"al"}}`, ids("1")},
		{"prefix case insensitive", `{"prefix":{"tag":{"value":"AL","case_insensitive":true}}}`, ids("1", "3")},
		{"prefix text token", `{"prefix":{"msg":"sle"}}`, ids("2")},
		{"prefix _id", `{"prefix":{"_id":"1"}}`, ids("1")},
		{"prefix numeric field", `{"prefix":{"n":"1"}}`, nil},

		{"wildcard keyword", `{"wildcard":{"tag":"*a"}}`, ids("1", "2", "3", "4")},
		{"wildcard escaped", `{"wildcard":{"tag":"alph\\*"}}`, nil},
		{"wildcard question", `{"wildcard":{"tag":{"value":"b?ta"}}}`, ids("2")},
		{"wildcard key", `{"wildcard":{"tag":{"wildcard":"g*"}}}`, ids("4")},
		{"wildcard text", `{"wildcard":{"msg":"qu*k"}}`, ids("1", "3")},
		{"wildcard ci", `{"wildcard":{"tag":{"value":"ALP*","case_insensitive":true}}}`, ids("1", "3")},

		{"bool must", `{"bool":{"must":[{"match":{"msg":"quick"}},{"term":{"tag":"alpha"}}]}}`, ids("1")},
		{"bool must object", `{"bool":{"must":{"term":{"tag":"beta"}}}}`, ids("2")},
		{"bool filter", `{"bool":{"filter":[{"range":{"n":{"gte":0}}}]}}`, ids("1", "2", "3")},
		{"bool must_not", `{"bool":{"must_not":{"exists":{"field":"msg"}}}}`, ids("4", "5")},
		{"bool should only needs one", `{"bool":{"should":[{"term":{"tag":"alpha"}},{"term":{"tag":"beta"}}]}}`, ids("1", "2")},
		{"bool should optional with must", `{"bool":{"must":{"exists":{"field":"tag"}},"should":[{"term":{"tag":"zzz"}}]}}`, ids("1", "2", "3", "4")},
		{"bool should optional with filter", `{"bool":{"filter":{"term":{"tag":"gamma"}},"should":{"term":{"tag":"x"}}}}`, ids("4")},
		{"bool should required with must_not", `{"bool":{"must_not":{"term":{"tag":"alpha"}},"should":{"exists":{"field":"msg"}}}}`, ids("2", "3")},
		{"bool msm 2", `{"bool":{"should":[{"exists":{"field":"msg"}},{"exists":{"field":"user"}},{"exists":{"field":"title"}}],"minimum_should_match":2}}`, ids("1", "2", "3")},
		{"bool msm 3", `{"bool":{"should":[{"exists":{"field":"msg"}},{"exists":{"field":"user"}},{"exists":{"field":"tags"}}],"minimum_should_match":"100%"}}`, ids("1")},
		{"bool msm with must", `{"bool":{"must":{"match_all":{}},"should":[{"term":{"tag":"alpha"}}],"minimum_should_match":1}}`, ids("1")},
		{"bool msm more than clauses", `{"bool":{"should":[{"match_all":{}}],"minimum_should_match":2}}`, nil},
		{"bool msm without should", `{"bool":{"must":{"match_all":{}},"minimum_should_match":1}}`, nil},
		{"bool msm conditional", `{"bool":{"should":[{"term":{"tag":"alpha"}},{"term":{"n":5}},{"term":{"ok":true}}],"minimum_should_match":"2<-1"}}`, ids("1")},
		{"bool empty", `{"bool":{}}`, ids("1", "2", "3", "4", "5")},
		{"bool nested", `{"bool":{"should":[{"bool":{"must":[{"term":{"tag":"alpha"}}]}},{"bool":{"filter":{"term":{"n":-3}}}}]}}`, ids("1", "4")},
		{"constant_score", `{"constant_score":{"filter":{"term":{"tag":"beta"}},"boost":1.2}}`, ids("2")},
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

func TestCheck(t *testing.T) {
	tests := []struct {
		name, body, typ string
	}{
		{"ok", `{"bool":{"must":[{"term":{"n":5}},{"range":{"ts":{"gte":"now-1d"}}}]}}`, ""},
		{"long not a number", `{"term":{"n":"five"}}`, TypeQueryShard},
		{"terms long not a number", `{"terms":{"n":[1,"x"]}}`, TypeQueryShard},
		{"bool not boolean", `{"term":{"ok":"yes"}}`, TypeQueryShard},
		{"date unparseable", `{"range":{"ts":{"gte":"yesterday"}}}`, TypeParse},
		{"date in bool", `{"bool":{"filter":{"constant_score":{"filter":{"term":{"ts":"soon"}}}}}}`, TypeParse},
		{"match on long", `{"match":{"n":"abc"}}`, TypeQueryShard},
		{"match on text is fine", `{"match":{"msg":"abc"}}`, ""},
		{"keyword range any string", `{"range":{"tag":{"gte":"yesterday"}}}`, ""},
		{"prefix on long", `{"prefix":{"n":"1"}}`, TypeQueryShard},
		{"unmapped is fine", `{"term":{"nope":"x"}}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := fixedParser().Parse(json.RawMessage(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			err = Check(q, docsMapping)
			if tt.typ == "" {
				if err != nil {
					t.Fatalf("Check = %v, want nil", err)
				}
				return
			}
			var qe *Error
			if !errors.As(err, &qe) || qe.Type != tt.typ || qe.Status != 400 {
				t.Fatalf("Check = %v, want 400 %s", err, tt.typ)
			}
		})
	}
}
