package query

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func sortedIDs(t *testing.T, body string) []string {
	t.Helper()
	s, err := ParseSort(json.RawMessage(body))
	if err != nil {
		t.Fatal(err)
	}
	docs := testDocs(t)
	SortDocs(docs, s, func(string) Mapping { return docsMapping })
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i] = d.ID
	}
	return out
}

func TestSortDocs(t *testing.T) {
	// Fixture values: n = 5, "7", 12.7 (long: 12), -3, missing;
	// tag = alpha, beta, Alpha, gamma, missing; ts = 03-15T08:00, 03-14T00:00, 03-14T07:06,
	// 2023-12-31, missing.
	tests := []struct {
		name, body string
		want       []string
	}{
		{"long asc missing last", `"n"`, ids("4", "1", "2", "3", "5")},
		{"long desc missing last", `{"n":"desc"}`, ids("3", "2", "1", "4", "5")},
		{"long asc missing first", `{"n":{"missing":"_first"}}`, ids("5", "4", "1", "2", "3")},
		{"long desc missing first", `{"n":{"order":"desc","missing":"_first"}}`, ids("5", "3", "2", "1", "4")},
		{"custom missing", `{"n":{"missing":6}}`, ids("4", "1", "5", "2", "3")},
		{"keyword asc", `"tag"`, ids("3", "1", "2", "4", "5")},
		{"keyword desc", `{"tag":"desc"}`, ids("4", "2", "1", "3", "5")},
		{"keyword subfield uppercase first", `"msg.keyword"`, ids("1", "2", "3", "4", "5")},
		{"date", `"ts"`, ids("4", "2", "3", "1", "5")},
		{"date desc", `{"ts":{"order":"desc"}}`, ids("1", "3", "2", "4", "5")},
		{"boolean", `"ok"`, ids("2", "1", "3", "4", "5")},
		{"multi key", `[{"price":"desc"},"_doc"]`, ids("2", "1", "3", "4", "5")},
		{"doc desc", `{"_doc":"desc"}`, ids("5", "4", "3", "2", "1")},
		{"score keeps order", `"_score"`, ids("1", "2", "3", "4", "5")},
		{"nested array of objects min", `"items.qty"`, ids("2", "1", "3", "4", "5")},
		{"unmapped with unmapped_type", `{"nope":{"unmapped_type":"long"}}`, ids("1", "2", "3", "4", "5")},
		{"array mode max asc", `{"a.b":{"mode":"max"}}`, ids("3", "4", "1", "2", "5")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sortedIDs(t, tt.body); !slices.Equal(got, tt.want) {
				t.Errorf("sort %s = %q, want %q", tt.body, got, tt.want)
			}
		})
	}
}

func TestSortDocsMultiValueModes(t *testing.T) {
	m := testMapping{"v": "long", "d": "double", "k": "keyword"}
	docs := []*Doc{
		{ID: "a", Source: map[string]any{"v": []any{json.Number("1"), json.Number("10")}, "d": []any{json.Number("1"), json.Number("2")}, "k": []any{"m", "z"}}},
		{ID: "b", Source: map[string]any{"v": []any{json.Number("4"), json.Number("5")}, "d": []any{json.Number("1.4")}, "k": []any{"n"}}},
	}
	tests := []struct {
		sort SortField
		want []any // sort values of a, b
	}{
		{SortField{Field: "v"}, []any{int64(1), int64(4)}},
		{SortField{Field: "v", Desc: true}, []any{int64(10), int64(5)}},
		{SortField{Field: "v", Mode: "sum"}, []any{int64(11), int64(9)}},
		{SortField{Field: "v", Mode: "avg"}, []any{int64(6), int64(5)}},
		{SortField{Field: "v", Mode: "median"}, []any{int64(6), int64(5)}},
		{SortField{Field: "d", Mode: "avg"}, []any{1.5, 1.4}},
		{SortField{Field: "k"}, []any{"m", "n"}},
		{SortField{Field: "k", Desc: true}, []any{"z", "n"}},
	}
	for _, tt := range tests {
		for i, d := range docs {
			got := SortValues(d, []SortField{tt.sort}, m)
			if !reflect.DeepEqual(got[0], tt.want[i]) {
				t.Errorf("%+v on %s = %#v, want %#v", tt.sort, d.ID, got[0], tt.want[i])
			}
		}
	}
}

func TestSortDocsAcrossIndices(t *testing.T) {
	maps := map[string]Mapping{"a": testMapping{"x": "long"}, "b": testMapping{"x": "keyword"}}
	docs := []*Doc{
		{Index: "b", ID: "1", Source: map[string]any{"x": "5"}},
		{Index: "a", ID: "2", Source: map[string]any{"x": json.Number("9")}},
		{Index: "a", ID: "3", Source: map[string]any{"x": json.Number("1")}},
	}
	calls := 0
	SortDocs(docs, []SortField{{Field: "x"}}, func(ix string) Mapping { calls++; return maps[ix] })
	var got []string
	for _, d := range docs {
		got = append(got, d.ID)
	}
	if !slices.Equal(got, ids("3", "2", "1")) {
		t.Errorf("order = %q, want numbers first then strings", got)
	}
	if calls != 2 {
		t.Errorf("mappingOf called %d times, want once per index", calls)
	}
}

func TestSortValues(t *testing.T) {
	docs := testDocs(t)
	byID := func(id string) *Doc {
		for _, d := range docs {
			if d.ID == id {
				return d
			}
		}
		t.Fatalf("no fixture %s", id)
		return nil
	}
	tests := []struct {
		name, id, body string
		want           []any
	}{
		{"long", "2", `"n"`, []any{int64(7)}},
		{"long truncated", "3", `"n"`, []any{int64(12)}},
		{"long beyond 2^53", "1", `"big"`, []any{int64(9007199254740993)}},
		{"integer missing last", "5", `"i"`, []any{int64(math.MaxInt32)}},
		{"long missing last asc", "5", `"n"`, []any{int64(math.MaxInt64)}},
		{"long missing last desc", "5", `{"n":"desc"}`, []any{int64(math.MinInt64)}},
		{"long missing first asc", "5", `{"n":{"missing":"_first"}}`, []any{int64(math.MinInt64)}},
		{"custom missing", "5", `{"n":{"missing":"42"}}`, []any{int64(42)}},
		{"keyword", "1", `"tag"`, []any{"alpha"}},
		{"keyword missing", "5", `"tag"`, []any{nil}},
		{"keyword custom missing", "5", `{"tag":{"missing":"zz"}}`, []any{"zz"}},
		{"date millis", "1", `"ts"`, []any{int64(1710489600000)}},
		{"date slash", "4", `"ts"`, []any{int64(1704067199000)}},
		{"date epoch", "3", `"ts"`, []any{int64(1710400000000)}},
		{"double", "1", `"price"`, []any{1.5}},
		{"double integral", "2", `"price"`, []any{2.0}},
		{"float widened", "1", `"f"`, []any{float64(float32(0.1))}},
		{"double missing", "5", `"price"`, []any{"Infinity"}},
		{"double missing desc", "5", `{"price":"desc"}`, []any{"-Infinity"}},
		{"boolean", "1", `"ok"`, []any{int64(1)}},
		{"boolean false", "2", `"ok"`, []any{int64(0)}},
		{"score and doc", "3", `["_score","_doc"]`, []any{1.0, int64(2)}},
		{"multi", "1", `["tag",{"n":"desc"}]`, []any{"alpha", int64(5)}},
		{"index", "1", `"_index"`, []any{"idx"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseSort(json.RawMessage(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if got := SortValues(byID(tt.id), s, docsMapping); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("SortValues(%s, %s) = %#v, want %#v", tt.id, tt.body, got, tt.want)
			}
		})
	}
}

func TestValidateSort(t *testing.T) {
	tests := []struct {
		name, body, typ string
	}{
		{"keyword", `["tag","_score","_doc","_index"]`, ""},
		{"text", `"msg"`, TypeIllegalArgument},
		{"text keyword subfield", `"msg.keyword"`, ""},
		{"unmapped", `"nope"`, TypeQueryShard},
		{"unmapped with type", `{"nope":{"unmapped_type":"keyword"}}`, ""},
		{"object", `"user"`, TypeQueryShard},
		{"id", `"_id"`, TypeIllegalArgument},
		{"keyword sum", `{"tag":{"mode":"sum"}}`, TypeIllegalArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseSort(json.RawMessage(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			err = ValidateSort(s, docsMapping)
			if tt.typ == "" {
				if err != nil {
					t.Fatalf("ValidateSort = %v, want nil", err)
				}
				return
			}
			var qe *Error
			if !errors.As(err, &qe) || qe.Type != tt.typ || qe.Status != 400 {
				t.Fatalf("ValidateSort = %v, want 400 %s", err, tt.typ)
			}
		})
	}
	s, _ := ParseSort(json.RawMessage(`"msg"`))
	var qe *Error
	if err := ValidateSort(s, docsMapping); !errors.As(err, &qe) || !strings.Contains(qe.Reason, "Please use a keyword field instead") {
		t.Errorf("text sort reason = %v", err)
	}
}
