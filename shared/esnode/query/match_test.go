package query

import "testing"

// TestMatchQueries covers match and match_phrase on text and non-text fields.
func TestMatchQueries(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string
	}{
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assertIDs(t, tt.body, tt.want) })
	}
}

func TestMinShouldMatch(t *testing.T) {
	tests := []struct {
		optional int
		spec     string
		want     int
	}{
		{4, "3", 3}, {4, "-1", 3}, {4, "75%", 3}, {4, "-25%", 3}, {3, "50%", 1}, {3, "-50%", 2},
		{4, "10", 10}, {4, "-10", 0}, {2, "3<90%", 2}, {5, "3<90%", 4}, {10, "2<-25% 9<-3", 7},
		{4, "2<-25% 9<-3", 3}, {2, "2<-25% 9<-3", 2}, {0, "1", 1},
	}
	for _, tt := range tests {
		parts, err := parseMinShouldMatch(tt.spec)
		if err != nil {
			t.Fatalf("parseMinShouldMatch(%q): %v", tt.spec, err)
		}
		if got := applyMinShouldMatch(tt.optional, parts); got != tt.want {
			t.Errorf("msm(%d, %q) = %d, want %d", tt.optional, tt.spec, got, tt.want)
		}
	}
	for _, bad := range []string{"", "x", "1<", "a<2", "5%%"} {
		if _, err := parseMinShouldMatch(bad); err == nil {
			t.Errorf("parseMinShouldMatch(%q) succeeded", bad)
		}
	}
}
