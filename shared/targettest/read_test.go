package targettest

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/esnode/esnodetest"
)

// TestEngineReads: the read helpers see what was written, on every engine,
// and a write block set through the settings API refuses writes until it is
// lifted.
func TestEngineReads(t *testing.T) {
	Engines(t, func(t *testing.T, e *Engine) {
		index := e.Index("reads")
		e.CreateIndex(t, index, `{"mappings":{"properties":{"n":{"type":"long"}}}}`)
		if !e.Exists(t, index) || e.Exists(t, e.Index("never-made")) {
			t.Fatal("Exists does not tell the index from a missing one")
		}
		for _, id := range []string{"b", "a", "c"} {
			res, err := e.API.Index(index, strings.NewReader(`{"n":1}`), e.API.Index.WithDocumentID(id),
				e.API.Index.WithRouting("r-"+id), e.API.Index.WithContext(t.Context()))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusCreated {
				t.Fatalf("index %s: %s", id, res.Status())
			}
		}
		if n := e.Count(t, index); n != 3 {
			t.Errorf("Count = %d, want 3", n)
		}
		var ids []string
		for _, h := range e.SearchAll(t, index) {
			ids = append(ids, h.ID)
		}
		if !reflect.DeepEqual(ids, []string{"a", "b", "c"}) {
			t.Errorf("SearchAll ids %v, want a b c in order", ids)
		}
		if h := e.Get(t, index, "b"); h == nil || h.Routing != "r-b" || h.Source["n"] != 1.0 {
			t.Errorf("Get b = %+v", h)
		}
		if src := e.Source(t, index, "missing"); src != nil {
			t.Errorf("Source of a missing document = %v", src)
		}

		e.SetWriteBlock(t, index, true)
		res, err := e.API.Index(index, strings.NewReader(`{"n":2}`), e.API.Index.WithDocumentID("d"), e.API.Index.WithContext(t.Context()))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("write under a write block: %s, want 403", res.Status())
		}
		e.SetWriteBlock(t, index, false)
		if n := e.Count(t, index); n != 3 {
			t.Errorf("Count after the block = %d, want 3", n)
		}
	})
}

// TestEsnodeEngine: an esnode with options of its own (here basic auth) is
// read through the same helpers.
func TestEsnodeEngine(t *testing.T) {
	s := esnodetest.Start(t, esnode.Options{Username: "elastic", Password: "pw-for-the-test"})
	e := Esnode(t, s)
	if e.Real() || e.Env()["ES_URL"] != s.URL {
		t.Fatalf("engine %+v", e)
	}
	e.CreateIndex(t, "authed", "")
	if !e.Exists(t, "authed") || e.Count(t, "authed") != 0 {
		t.Error("the helpers do not reach the node with its credentials")
	}
}

func TestMappingErrorType(t *testing.T) {
	tests := []struct {
		e    Engine
		want string
	}{
		{Engine{Distribution: Elasticsearch, Version: "8.19.21"}, "document_parsing_exception"},
		{Engine{Distribution: Elasticsearch, Version: "7.17.29"}, "mapper_parsing_exception"},
		{Engine{Distribution: OpenSearch, Version: "1.3.20"}, "mapper_parsing_exception"},
		{Engine{Distribution: OpenSearch, Version: "2.19.6"}, "mapper_parsing_exception"},
		{Engine{Distribution: OpenSearch, Version: "3.6.0"}, "mapper_parsing_exception"},
	}
	for _, tc := range tests {
		if got := tc.e.MappingErrorType(); got != tc.want {
			t.Errorf("%s %s: %s, want %s", tc.e.Distribution, tc.e.Version, got, tc.want)
		}
	}
}
