package targettest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/esconnect/esconnect/shared/indexname"
)

// Hit is one search hit.
type Hit struct {
	Index  string         `json:"_index"`
	ID     string         `json:"_id"`
	Source map[string]any `json:"_source"`
}

// The reads below take index names and ids as they are and escape them for
// the URL path.

// Refresh makes index's writes visible to search.
func (e *Engine) Refresh(t testing.TB, index string) {
	t.Helper()
	res, err := e.API.Indices.Refresh(e.API.Indices.Refresh.WithIndex(indexname.Path(index)), e.API.Indices.Refresh.WithContext(t.Context()))
	e.decode(t, "refresh "+index, res, err, nil, false)
}

// Count is the number of searchable documents in index (refresh first to
// count recent writes).
func (e *Engine) Count(t testing.TB, index string) int {
	t.Helper()
	res, err := e.API.Count(e.API.Count.WithIndex(indexname.Path(index)), e.API.Count.WithContext(t.Context()))
	var out struct {
		Count int `json:"count"`
	}
	e.decode(t, "count "+index, res, err, &out, false)
	return out.Count
}

// Source is the realtime _source of a document, nil when it does not exist.
func (e *Engine) Source(t testing.TB, index, id string) map[string]any {
	t.Helper()
	res, err := e.API.Get(indexname.Path(index), indexname.Path(id), e.API.Get.WithContext(t.Context()))
	var out struct {
		Found  bool           `json:"found"`
		Source map[string]any `json:"_source"`
	}
	e.decode(t, "get "+index+"/"+id, res, err, &out, true)
	if !out.Found {
		return nil
	}
	return out.Source
}

// SearchAll returns every searchable document of index (up to 10,000),
// sorted by _id so that engines with several shards answer alike.
func (e *Engine) SearchAll(t testing.TB, index string) []Hit {
	t.Helper()
	res, err := e.API.Search(e.API.Search.WithIndex(indexname.Path(index)), e.API.Search.WithSize(10000),
		e.API.Search.WithBody(strings.NewReader(`{"query":{"match_all":{}},"sort":[{"_id":"asc"}]}`)),
		e.API.Search.WithContext(t.Context()))
	var out struct {
		Hits struct {
			Hits []Hit `json:"hits"`
		} `json:"hits"`
	}
	e.decode(t, "search "+index, res, err, &out, false)
	return out.Hits.Hits
}

// decode fails the test unless res is a 2xx answer (or a 404 of a document
// when allowed), then decodes its body into v when v is not nil.
func (e *Engine) decode(t testing.TB, what string, res *esapi.Response, err error, v any, allow404 bool) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s on %s: %v", what, e.Name, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s on %s: reading the answer: %v", what, e.Name, err)
	}
	if res.IsError() && !(allow404 && res.StatusCode == http.StatusNotFound && strings.Contains(string(body), `"found"`)) {
		t.Fatalf("%s on %s: %s: %s", what, e.Name, res.Status(), body)
	}
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("%s on %s: decoding %s: %v", what, e.Name, body, err)
		}
	}
}
