package query

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestFieldEach(t *testing.T) {
	src := decodeJSON(t, `{
		"a": {"b": {"c": 1}},
		"a.b": {"c": 2},
		"a.b.c": 3,
		"list": [{"x": "p"}, {"x": ["q", null, ["r"]]}, {"y": 1}, "scalar"],
		"n": null,
		"s": "text value",
		"big": "`+longTitle+`"
	}`)
	d := &Doc{Index: "ix", ID: "7", Source: src}
	m := testMapping{"a.b.c": "long", "list.x": "keyword", "n": "keyword", "s": "text", "s.keyword": "keyword",
		"big": "text", "big.keyword": "keyword", "s.raw": "keyword"}
	tests := []struct {
		field string
		want  []string
	}{
		{"a.b.c", []string{"1", "2", "3"}},
		{"list.x", []string{"p", "q", "r"}},
		{"n", nil},
		{"s.keyword", []string{"text value"}},
		{"s.raw", []string{"text value"}},
		{"big.keyword", nil},
		{"big", []string{longTitle}},
		{"_id", []string{"7"}},
		{"_index", []string{"ix"}},
		{"unmapped", nil},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			var got []string
			resolve(m, tt.field).each(d, func(v any) bool {
				s, _ := keywordOf(v)
				got = append(got, s)
				return false
			})
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("values of %s = %q, want %q", tt.field, got, tt.want)
			}
		})
	}
}

func TestFieldEachStopsEarly(t *testing.T) {
	d := &Doc{Source: map[string]any{"v": []any{json.Number("1"), json.Number("2"), json.Number("3")}}}
	calls := 0
	found := resolve(testMapping{"v": "long"}, "v").each(d, func(any) bool { calls++; return calls == 2 })
	if !found || calls != 2 {
		t.Errorf("found=%v after %d calls, want true after 2", found, calls)
	}
}

func TestHasLeaf(t *testing.T) {
	tests := []struct {
		v    any
		want bool
	}{
		{nil, false}, {map[string]any{}, false}, {map[string]any{"a": nil}, false},
		{[]any{nil, []any{}}, false}, {map[string]any{"a": []any{nil, "x"}}, true}, {json.Number("0"), true},
		{false, true},
	}
	for _, tt := range tests {
		if got := hasLeaf(tt.v); got != tt.want {
			t.Errorf("hasLeaf(%#v) = %v, want %v", tt.v, got, tt.want)
		}
	}
}

func TestKindOf(t *testing.T) {
	for typ, want := range map[string]kind{
		"text": kindText, "keyword": kindKeyword, "long": kindLong, "integer": kindInteger, "short": kindInteger,
		"byte": kindInteger, "double": kindDouble, "float": kindFloat, "boolean": kindBool, "date": kindDate,
		"object": kindObject, "": kindNone, "geo_point": kindNone,
	} {
		if got := kindOf(typ); got != want {
			t.Errorf("kindOf(%q) = %v, want %v", typ, got, want)
		}
	}
}
