package query

import "testing"

// TestRangeQuery covers range on every field kind, date formats and date math.
func TestRangeQuery(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string
	}{
		{"range long", `{"range":{"n":{"gte":5,"lt":12}}}`, ids("1", "2")},
		{"range long gt", `{"range":{"n":{"gt":5}}}`, ids("2", "3")},
		{"range long fractional bound", `{"range":{"n":{"gte":4.5,"lte":5.5}}}`, ids("1")},
		{"range long string bounds", `{"range":{"n":{"gte":"-10","lte":"0"}}}`, ids("4")},
		{"range from to", `{"range":{"n":{"from":5,"to":7,"include_lower":false}}}`, ids("2")},
		{"range null bound", `{"range":{"n":{"gte":null,"lt":0}}}`, ids("4")},
		{"range double", `{"range":{"price":{"gt":1.5}}}`, ids("2")},
		{"range keyword", `{"range":{"tag":{"gte":"alpha","lt":"c"}}}`, ids("1", "2")},
		{"range keyword uppercase sorts first", `{"range":{"tag":{"lt":"a"}}}`, ids("3")},
		{"range text tokens", `{"range":{"msg":{"gte":"s","lt":"t"}}}`, ids("2", "3")},
		{"range boolean", `{"range":{"ok":{"gt":false}}}`, ids("1")},
		{"range date iso", `{"range":{"ts":{"gte":"2024-03-14T00:00:00Z"}}}`, ids("1", "2", "3")},
		{"range date lte rounds up day", `{"range":{"ts":{"lte":"2024-03-14"}}}`, ids("2", "3", "4")},
		{"range date gt excludes day", `{"range":{"ts":{"gt":"2024-03-14"}}}`, ids("1")},
		{"range date lt", `{"range":{"ts":{"lt":"2024-03-14"}}}`, ids("4")},
		{"range date now-1d", `{"range":{"ts":{"gte":"now-1d"}}}`, ids("1")},
		{"range date now/d", `{"range":{"ts":{"gte":"now-1d/d","lt":"now/d"}}}`, ids("2", "3")},
		{"range date anchored math", `{"range":{"ts":{"gte":"2023-12-01||+1M","lt":"2024-03-01||+14d"}}}`, ids("2", "3")},
		{"range date epoch millis", `{"range":{"ts":{"gte":1710400000000,"lte":1710400000000}}}`, ids("3")},
		{"range date slash format", `{"range":{"ts":{"lt":"2024/01/01 00:00:00"}}}`, ids("4")},
		{"range date custom format", `{"range":{"ts":{"gte":"14.03.2024","format":"dd.MM.yyyy"}}}`, ids("1", "2", "3")},
		{"range date time_zone", `{"range":{"ts":{"gte":"2024-03-15T09:00:00","time_zone":"+01:00"}}}`, ids("1")},
		{"range date epoch_second", `{"range":{"ts":{"gte":1710460000,"format":"epoch_second"}}}`, ids("1")},
		{"range unmapped", `{"range":{"nope":{"gte":1}}}`, nil},
		{"range date bad value matches nothing", `{"range":{"ts":{"gte":"yesterday"}}}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assertIDs(t, tt.body, tt.want) })
	}
}
