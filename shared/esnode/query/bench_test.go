package query

import (
	"encoding/json"
	"strconv"
	"testing"
)

func benchDocs(n int) []*Doc {
	docs := make([]*Doc, n)
	for i := range docs {
		docs[i] = &Doc{Index: "idx", ID: strconv.Itoa(i), Seq: int64(i), Source: map[string]any{
			"msg_body": map[string]any{
				"topic": "orders", "partition": json.Number(strconv.Itoa(i % 8)),
				"offset": json.Number(strconv.Itoa(i)), "timestamp": json.Number(strconv.Itoa(1710400000000 + i*1000)),
				"value": "order " + strconv.Itoa(i) + " shipped to customer",
			},
		}}
	}
	return docs
}

var benchMapping = testMapping{
	"msg_body": "object", "msg_body.topic": "text", "msg_body.topic.keyword": "keyword",
	"msg_body.partition": "long", "msg_body.offset": "long", "msg_body.timestamp": "date",
	"msg_body.value": "text", "msg_body.value.keyword": "keyword",
}

func BenchmarkMatches(b *testing.B) {
	q, err := fixedParser().Parse(json.RawMessage(`{"bool":{"filter":[
		{"term":{"msg_body.topic.keyword":"orders"}},
		{"range":{"msg_body.timestamp":{"gte":"2024-03-14T07:00:00Z"}}},
		{"match":{"msg_body.value":"shipped customer"}}],
		"must_not":{"terms":{"msg_body.partition":[3,5]}}}}`))
	if err != nil {
		b.Fatal(err)
	}
	docs := benchDocs(1000)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, d := range docs {
			q.Matches(d, benchMapping)
		}
	}
}

func BenchmarkSortDocs(b *testing.B) {
	s, err := ParseSort(json.RawMessage(`[{"msg_body.partition":"desc"},{"msg_body.timestamp":"asc"}]`))
	if err != nil {
		b.Fatal(err)
	}
	docs := benchDocs(1000)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		SortDocs(docs, s, func(string) Mapping { return benchMapping })
	}
}
