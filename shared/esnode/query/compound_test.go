package query

import "testing"

// TestCompoundQueries covers bool occurrences, minimum_should_match defaults and constant_score.
func TestCompoundQueries(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string
	}{
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
