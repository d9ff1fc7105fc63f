package query

import "testing"

// TestPatternQueries covers prefix and wildcard on keyword, text and metadata fields.
func TestPatternQueries(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string
	}{
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assertIDs(t, tt.body, tt.want) })
	}
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		p, s string
		want bool
	}{
		{"a?c", "abc", true}, {"a?c", "ac", false}, {"*", "", true}, {"é?", "éa", true},
		{`a\*`, "a*", true}, {`a\*`, "ab", false}, {`a\?`, "a?", true}, {"*x*y", "axbxcy", true},
		{"a*", "b", false}, {"**", "abc", true}, {`a\`, `a\`, true},
	}
	for _, tt := range tests {
		if got := globMatch(tt.p, tt.s); got != tt.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tt.p, tt.s, got, tt.want)
		}
	}
}
