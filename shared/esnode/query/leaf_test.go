package query

import "testing"

// TestLeafQueries covers term, terms, exists and ids against the fixtures.
func TestLeafQueries(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string
	}{
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assertIDs(t, tt.body, tt.want) })
	}
}
