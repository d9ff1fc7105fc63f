package query

import (
	"encoding/json"
	"errors"
	"testing"
)

// FuzzParse feeds arbitrary bodies to every parser of the package and runs
// what parses against the fixtures: nothing may panic, and every failure must
// be a 400 *Error the node can render.
func FuzzParse(f *testing.F) {
	seeds := []string{
		``, `{}`, `[]`, `null`, `"x"`, `{"match_all":{}}`, `{"match_none":{}}`,
		`{"term":{"tag":"alpha"}}`, `{"term":{"n":{"value":5,"boost":2}}}`, `{"terms":{"n":[1,"2"]}}`,
		`{"match":{"msg":{"query":"quick fox","operator":"and","minimum_should_match":"2<-25%"}}}`,
		`{"match_phrase":{"msg":"quick brown"}}`, `{"range":{"ts":{"gte":"now-1d/d","lt":"2024-01-01||+1M","format":"yyyy-MM-dd||epoch_millis","time_zone":"+01:00"}}}`,
		`{"exists":{"field":"user"}}`, `{"ids":{"values":["1"]}}`, `{"prefix":{"tag":{"value":"al","case_insensitive":true}}}`,
		`{"wildcard":{"tag":"a*\\?"}}`, `{"bool":{"must":[{"match_all":{}}],"should":{"term":{"a":1}},"must_not":[],"filter":{"exists":{"field":"x"}},"minimum_should_match":"75%"}}`,
		`{"constant_score":{"filter":{"term":{"a":1}}}}`, `{"xyz":{}}`, `{"term":{"a":1,"b":2}}`, `{"term":{"a":}}`,
		`{"bool":{"must":{"bool":{"must":{"bool":{}}}}}}`, `{"range":{"a":{"gt":{}}}}`, `{"match":{"a":{"query":null}}}`,
		`["tag",{"n":{"order":"desc","missing":"_first","mode":"avg"}}]`, `{"includes":["a.*"],"excludes":["a.b"]}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	docs := testDocs(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		raw := json.RawMessage(body)
		q, err := fixedParser().Parse(raw)
		requireQueryError(t, "Parse", err)
		if err == nil {
			for _, d := range docs {
				q.Matches(d, docsMapping)
			}
			requireQueryError(t, "Check", Check(q, docsMapping))
		}
		s, err := ParseSort(raw)
		requireQueryError(t, "ParseSort", err)
		if err == nil {
			requireQueryError(t, "ValidateSort", ValidateSort(s, docsMapping))
			sorted := append([]*Doc(nil), docs...)
			SortDocs(sorted, s, func(string) Mapping { return docsMapping })
			for _, d := range sorted {
				if got := SortValues(d, s, docsMapping); len(got) != len(s) {
					t.Fatalf("SortValues returned %d values for %d keys", len(got), len(s))
				}
			}
		}
		sf, err := ParseSourceFilter(raw)
		requireQueryError(t, "ParseSourceFilter", err)
		if err == nil {
			for _, d := range docs {
				sf.Apply(d.Source)
			}
		}
		if _, err := ParseSortParam(string(body)); err != nil {
			t.Fatalf("ParseSortParam failed: %v", err)
		}
	})
}

func requireQueryError(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var qe *Error
	if !errors.As(err, &qe) || qe.Status != 400 || qe.Type == "" || qe.Reason == "" {
		t.Fatalf("%s error %v (%T) is not a 400 *Error", what, err, err)
	}
}
