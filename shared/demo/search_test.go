package demo

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/elastic/go-elasticsearch/v8/esapi"
)

func TestPrintSearchRefreshesFirst(t *testing.T) {
	s := startTestStack(t)
	es, closeES, err := newESClient(s.ESURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeES)
	for _, id := range []string{"a", "b"} {
		// No refresh here: printSearch must make the writes searchable.
		if _, err := do(t.Context(), es, "index "+id, esapi.IndexRequest{Index: Index, DocumentID: id,
			Body: strings.NewReader(`{"msg_body":{"value":"` + id + `"}}`)}); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	hits, err := printSearch(t.Context(), es, &printer{w: &out})
	if err != nil {
		t.Fatal(err)
	}
	if hits != 2 {
		t.Errorf("hits = %d, want 2", hits)
	}
	var resp struct {
		Hits struct {
			Hits []struct {
				ID string `json:"_id"`
			} `json:"hits"`
		} `json:"hits"`
	}
	jsonAfter(t, out.String(), HeadingSearch, &resp)
	if len(resp.Hits.Hits) != 2 || resp.Hits.Hits[0].ID != "a" {
		t.Errorf("printed hits = %+v, want a and b", resp.Hits.Hits)
	}
}

func TestPrintSearchMissingIndex(t *testing.T) {
	s := startTestStack(t)
	es, closeES, err := newESClient(s.ESURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeES)
	if _, err := printSearch(t.Context(), es, &printer{w: &bytes.Buffer{}}); !errors.Is(err, ErrES) {
		t.Fatalf("printSearch on a missing index: error = %v, want ErrES", err)
	}
}
