package query

import (
	"encoding/json"
	"testing"
)

func TestLiteralEquals(t *testing.T) {
	dc := defaultDateContext(testNow)
	tests := []struct {
		name  string
		query any
		k     kind
		doc   any
		ci    bool
		want  bool
	}{
		{"keyword", "a b", kindKeyword, "a b", false, true},
		{"keyword number", json.Number("10"), kindKeyword, "10", false, true},
		{"keyword number spelling", json.Number("1.0"), kindKeyword, "1", false, false},
		{"keyword ci", "ABC", kindKeyword, "abc", true, true},
		{"text token", "b", kindText, "A B", false, true},
		{"long vs double literal", json.Number("3.0"), kindLong, json.Number("3"), false, true},
		{"double vs int literal", json.Number("3"), kindDouble, json.Number("3.0"), false, true},
		{"bool vs number", true, kindLong, json.Number("1"), false, false},
		{"boolean empty string doc", false, kindBool, "", false, true},
		{"boolean empty string query", "", kindBool, false, false, false},
		{"date covers day", "2024-03-15", kindDate, "2024-03-15T23:59:59.999Z", false, true},
		{"date next day", "2024-03-15", kindDate, "2024-03-16T00:00:00Z", false, false},
		{"date bad doc", "2024-03-15", kindDate, "not a date", false, false},
		{"object kind", "x", kindObject, "x", false, false},
		{"unmapped", "x", kindNone, "x", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := termLiteral(tt.query, dc)
			if got := l.equals(tt.k, tt.doc, tt.ci); got != tt.want {
				t.Errorf("equals = %v, want %v", got, tt.want)
			}
		})
	}
}
