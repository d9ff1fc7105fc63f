package query

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

// testMapping is a Mapping backed by a map, as dynamic mapping would build it.
type testMapping map[string]string

func (m testMapping) FieldType(path string) string { return m[path] }

var docsMapping = testMapping{
	"msg": "text", "msg.keyword": "keyword",
	"tag": "keyword", "n": "long", "i": "integer", "price": "double", "f": "float", "ok": "boolean",
	"ts": "date", "user": "object", "user.name": "text", "user.name.keyword": "keyword",
	"user.age": "long", "tags": "text", "tags.keyword": "keyword", "items": "object",
	"items.sku": "keyword", "items.qty": "long", "a": "object", "a.b": "keyword",
	"title": "text", "title.keyword": "keyword", "big": "long",
}

var longTitle = strings.Repeat("word ", 60) // 300 characters: over ignore_above

// testDocs returns the shared fixture documents, decoded as the node decodes
// them (numbers as json.Number).
func testDocs(t testing.TB) []*Doc {
	t.Helper()
	raw := []struct{ id, src string }{
		{"1", `{"msg":"The Quick brown fox","tag":"alpha","n":5,"i":5,"price":1.5,"f":0.1,"ok":true,
			"ts":"2024-03-15T08:00:00Z","user":{"name":"Ann Lee","age":30},"tags":["red","green"],
			"big":9007199254740993}`},
		{"2", `{"msg":"lazy dog sleeps","tag":"beta","n":"7","price":2,"ok":"false","ts":"2024-03-14",
			"user":{"name":"bob"},"items":[{"sku":"a1","qty":1},{"sku":"b2","qty":3}],"big":9007199254740992}`},
		{"3", `{"msg":["quick start","other value"],"tag":"Alpha","n":12.7,"ts":1710400000000,
			"a.b":"dotted","tags":[],"title":"` + longTitle + `"}`},
		{"4", `{"msg":null,"tag":"gamma","n":-3,"ts":"2023/12/31 23:59:59","user":{"name":null},
			"a":{"b":["x","y"]},"title":"short title"}`},
		{"5", `{}`},
	}
	docs := make([]*Doc, 0, len(raw))
	for i, r := range raw {
		dec := json.NewDecoder(bytes.NewReader([]byte(r.src)))
		dec.UseNumber()
		var src map[string]any
		if err := dec.Decode(&src); err != nil {
			t.Fatalf("fixture %s: %v", r.id, err)
		}
		docs = append(docs, &Doc{Index: "idx", ID: r.id, Source: src, Seq: int64(i)})
	}
	return docs
}

func fixedParser() Parser { return Parser{Now: func() time.Time { return testNow }} }

// matchingIDs parses body and returns the ids of the matching fixtures.
func matchingIDs(t *testing.T, body string) []string {
	t.Helper()
	q, err := fixedParser().Parse(json.RawMessage(body))
	if err != nil {
		t.Fatalf("Parse(%s): %v", body, err)
	}
	var ids []string
	for _, d := range testDocs(t) {
		if q.Matches(d, docsMapping) {
			ids = append(ids, d.ID)
		}
	}
	return ids
}

func ids(s ...string) []string { return s }

func assertIDs(t *testing.T, body string, want []string) {
	t.Helper()
	if got := matchingIDs(t, body); !slices.Equal(got, want) {
		t.Errorf("query %s matched %q, want %q", body, got, want)
	}
}
