package query

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func decodeJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return m
}

const filterSource = `{
	"msg_body": {"key": "k1", "value": "v", "offset": 7, "topic": "t", "headers": {"a": "1", "b": "2"}},
	"user": {"name": "ann", "address": {"city": "Oslo", "zip": "0150"}},
	"items": [{"sku": "a1", "qty": 1}, {"sku": "b2", "qty": 3}, {"other": true}],
	"tags": ["x", "y"],
	"a.b": 1,
	"top": "level",
	"empty": {}
}`

func TestSourceFilterApply(t *testing.T) {
	tests := []struct {
		name, filter, want string
	}{
		{"true", `true`, filterSource},
		{"absent", ``, filterSource},
		{"single field", `"top"`, `{"top":"level"}`},
		{"object includes subtree", `"user"`, `{"user":{"name":"ann","address":{"city":"Oslo","zip":"0150"}}}`},
		{"dotted path", `["user.address.city"]`, `{"user":{"address":{"city":"Oslo"}}}`},
		{"wildcard below", `["msg_body.*"]`, `{"msg_body":{"key":"k1","value":"v","offset":7,"topic":"t","headers":{"a":"1","b":"2"}}}`},
		{"wildcard in name", `["msg_body.k*","msg_body.headers.b"]`, `{"msg_body":{"key":"k1","headers":{"b":"2"}}}`},
		{"prefix wildcard", `["*.city"]`, `{"user":{"address":{"city":"Oslo"}}}`},
		{"array of objects", `["items.sku"]`, `{"items":[{"sku":"a1"},{"sku":"b2"}]}`},
		{"array of scalars", `["tags"]`, `{"tags":["x","y"]}`},
		{"literal dotted key", `["a.b"]`, `{"a.b":1}`},
		{"literal dotted key via parent", `["a"]`, `{"a.b":1}`},
		{"empty object kept when included", `["empty"]`, `{"empty":{}}`},
		{"no match", `["nothing"]`, `{}`},
		{"excludes", `{"excludes":["msg_body","items","tags","a.b","empty","user.address"]}`, `{"user":{"name":"ann"},"top":"level"}`},
		{"includes and excludes", `{"includes":["msg_body"],"excludes":["msg_body.headers.*","msg_body.value"]}`, `{"msg_body":{"key":"k1","offset":7,"topic":"t","headers":{}}}`},
		{"exclude wins", `{"includes":["top"],"excludes":["top"]}`, `{}`},
		{"exclude inside array", `{"includes":["items"],"excludes":["items.qty"]}`, `{"items":[{"sku":"a1"},{"sku":"b2"},{"other":true}]}`},
		{"singular keys and string", `{"include":"user.name","exclude":[]}`, `{"user":{"name":"ann"}}`},
		{"star only", `["*"]`, filterSource},
		{"exclude star", `{"excludes":["*"]}`, `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseSourceFilter(json.RawMessage(tt.filter))
			if err != nil {
				t.Fatal(err)
			}
			src := decodeJSON(t, filterSource)
			got, ok := f.Apply(src)
			if !ok {
				t.Fatal("Apply omitted the source")
			}
			if want := decodeJSON(t, tt.want); !reflect.DeepEqual(got, want) {
				gb, _ := json.Marshal(got)
				t.Errorf("filter %s = %s, want %s", tt.filter, gb, tt.want)
			}
			if !reflect.DeepEqual(src, decodeJSON(t, filterSource)) {
				t.Error("Apply modified its input")
			}
		})
	}
}

func TestSourceFilterOmit(t *testing.T) {
	for _, raw := range []string{`false`} {
		f, err := ParseSourceFilter(json.RawMessage(raw))
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := f.Apply(map[string]any{"a": 1}); ok || got != nil {
			t.Errorf("%s: Apply = %v, %v; want nil, false", raw, got, ok)
		}
	}
}

func TestParseSourceFilterErrors(t *testing.T) {
	tests := []struct{ body, reason string }{
		{`5`, "Expected one of [VALUE_BOOLEAN, VALUE_STRING, START_ARRAY, START_OBJECT] but found [VALUE_NUMBER]"},
		{`[1]`, "Unknown key for a VALUE_NUMBER in [_source]."},
		{`{"fields":["a"]}`, "Unknown key for a START_ARRAY in [fields]."},
		{`{"includes":5}`, "Unknown key for a VALUE_NUMBER in [includes]."},
		{`{"includes":[`, "failed to parse"},
	}
	for _, tt := range tests {
		_, err := ParseSourceFilter(json.RawMessage(tt.body))
		var qe *Error
		if !errors.As(err, &qe) || qe.Status != 400 || !strings.Contains(qe.Reason, tt.reason) {
			t.Errorf("ParseSourceFilter(%s) = %v, want 400 containing %q", tt.body, err, tt.reason)
		}
	}
}

func TestParseSourceParams(t *testing.T) {
	tests := []struct {
		source, includes, excludes string
		want                       SourceFilter
	}{
		{"", "", "", SourceFilter{}},
		{"true", "", "", SourceFilter{}},
		{"false", "", "", SourceFilter{Omit: true}},
		{"a,b.*", "", "", SourceFilter{Includes: []string{"a", "b.*"}}},
		{"", "x, y", "z", SourceFilter{Includes: []string{"x", "y"}, Excludes: []string{"z"}}},
		{"a", "b", "", SourceFilter{Includes: []string{"b"}}},
		{"false", "b", "", SourceFilter{Omit: true, Includes: []string{"b"}}},
	}
	for _, tt := range tests {
		got, err := ParseSourceParams(tt.source, tt.includes, tt.excludes)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseSourceParams(%q,%q,%q) = %+v, %v; want %+v", tt.source, tt.includes, tt.excludes, got, err, tt.want)
		}
	}
}

func TestGlobStar(t *testing.T) {
	tests := []struct {
		p, s string
		want bool
	}{
		{"a", "a", true}, {"a", "ab", false}, {"*", "", true}, {"a*", "abc", true},
		{"*c", "abc", true}, {"a*c", "abbc", true}, {"a*c", "abcd", false},
		{"*b*", "abc", true}, {"a*b*c", "aXbYc", true}, {"a*b*c", "aXcYb", false},
	}
	for _, tt := range tests {
		if got := globStar(tt.p, tt.s); got != tt.want {
			t.Errorf("globStar(%q, %q) = %v, want %v", tt.p, tt.s, got, tt.want)
		}
	}
}
