package query

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseSort(t *testing.T) {
	tests := []struct {
		name, body string
		want       []SortField
	}{
		{"empty", ``, nil},
		{"string", `"tag"`, []SortField{{Field: "tag"}}},
		{"score string", `"_score"`, []SortField{{Field: "_score", Desc: true}}},
		{"doc string", `"_doc"`, []SortField{{Field: "_doc"}}},
		{"object order", `{"n":"desc"}`, []SortField{{Field: "n", Desc: true}}},
		{"object several keys", `{"n":"desc","tag":"asc"}`, []SortField{{Field: "n", Desc: true}, {Field: "tag"}}},
		{"array mixed", `["tag",{"n":"desc"},{"ts":{"order":"asc","missing":"_first","mode":"max","unmapped_type":"date"}}]`,
			[]SortField{{Field: "tag"}, {Field: "n", Desc: true}, {Field: "ts", Missing: "_first", Mode: "max", UnmappedType: "date"}}},
		{"score asc", `[{"_score":{"order":"asc"}}]`, []SortField{{Field: "_score"}}},
		{"custom missing", `{"n":{"missing":0}}`, []SortField{{Field: "n", Missing: json.Number("0")}}},
		{"ignored options", `{"n":{"numeric_type":"long","format":"x","order":"DESC"}}`, []SortField{{Field: "n", Desc: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSort(json.RawMessage(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseSort(%s) = %+v, want %+v", tt.body, got, tt.want)
			}
		})
	}
}

func TestParseSortErrors(t *testing.T) {
	tests := []struct{ name, body, typ, reason string }{
		{"number", `5`, TypeParsing, "malformed sort format"},
		{"nested array", `[["a"]]`, TypeParsing, "malformed sort format"},
		{"number in array", `[1]`, TypeParsing, "malformed sort format"},
		{"bad direction", `{"n":"up"}`, TypeIllegalArgument, "sort direction [up] not supported"},
		{"bad order", `{"n":{"order":"up"}}`, TypeXContentParse, "[field_sort] failed to parse field [order]"},
		{"bad mode", `{"n":{"mode":"first"}}`, TypeXContentParse, "[field_sort] failed to parse field [mode]"},
		{"unknown option", `{"n":{"reverse":true}}`, TypeXContentParse, "[field_sort] unknown field [reverse]"},
		{"score option", `{"_score":{"missing":"_last"}}`, TypeXContentParse, "[score_sort] unknown field [missing]"},
		{"object missing", `{"n":{"missing":{}}}`, TypeXContentParse, "missing doesn't support values of type: START_OBJECT"},
		{"script", `{"_script":{}}`, TypeIllegalArgument, "not supported"},
		{"value number", `{"n":1}`, TypeParsing, "malformed sort format"},
		{"bad json", `{"n":`, TypeXContentParse, "failed to parse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSort(json.RawMessage(tt.body))
			var qe *Error
			if !errors.As(err, &qe) || qe.Type != tt.typ || qe.Status != 400 || !strings.Contains(qe.Reason, tt.reason) {
				t.Errorf("ParseSort(%s) error = %v, want 400 %s containing %q", tt.body, err, tt.typ, tt.reason)
			}
		})
	}
}

func TestParseSortParam(t *testing.T) {
	tests := []struct {
		in   string
		want []SortField
	}{
		{"", nil},
		{"tag", []SortField{{Field: "tag"}}},
		{"n:desc,tag:asc,_score", []SortField{{Field: "n", Desc: true}, {Field: "tag"}, {Field: "_score", Desc: true}}},
		{"a.b:desc", []SortField{{Field: "a.b", Desc: true}}},
		{"n:sideways,tag", []SortField{{Field: "tag"}}},
		{"n:DESC", nil},
		{" n , ,", []SortField{{Field: "n"}}},
	}
	for _, tt := range tests {
		got, err := ParseSortParam(tt.in)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseSortParam(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}
