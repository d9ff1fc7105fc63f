package query

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name, body, typ string
	}{
		{"ok", `{"bool":{"must":[{"term":{"n":5}},{"range":{"ts":{"gte":"now-1d"}}}]}}`, ""},
		{"long not a number", `{"term":{"n":"five"}}`, TypeQueryShard},
		{"terms long not a number", `{"terms":{"n":[1,"x"]}}`, TypeQueryShard},
		{"bool not boolean", `{"term":{"ok":"yes"}}`, TypeQueryShard},
		{"date unparseable", `{"range":{"ts":{"gte":"yesterday"}}}`, TypeParse},
		{"date in bool", `{"bool":{"filter":{"constant_score":{"filter":{"term":{"ts":"soon"}}}}}}`, TypeParse},
		{"match on long", `{"match":{"n":"abc"}}`, TypeQueryShard},
		{"match on text is fine", `{"match":{"msg":"abc"}}`, ""},
		{"keyword range any string", `{"range":{"tag":{"gte":"yesterday"}}}`, ""},
		{"prefix on long", `{"prefix":{"n":"1"}}`, TypeQueryShard},
		{"unmapped is fine", `{"term":{"nope":"x"}}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := fixedParser().Parse(json.RawMessage(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			err = Check(q, docsMapping)
			if tt.typ == "" {
				if err != nil {
					t.Fatalf("Check = %v, want nil", err)
				}
				return
			}
			var qe *Error
			if !errors.As(err, &qe) || qe.Type != tt.typ || qe.Status != 400 {
				t.Fatalf("Check = %v, want 400 %s", err, tt.typ)
			}
		})
	}
}
