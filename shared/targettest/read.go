package targettest

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/esconnect/esconnect/shared/indexname"
)

// The reads most integration tests need, against whichever engine a test
// runs on. Search and count see refreshed writes only, on a real server as
// on the esnode: Count and SearchAll refresh first. They take index names
// and ids as they are and escape them for the URL path.

// Hit is one search hit (or the document of a get).
type Hit struct {
	Index   string         `json:"_index"`
	ID      string         `json:"_id"`
	Routing string         `json:"_routing"`
	Source  map[string]any `json:"_source"`
}

// Refresh makes index's writes visible to search.
func (e *Engine) Refresh(t testing.TB, index string) {
	t.Helper()
	res, err := e.API.Indices.Refresh(e.API.Indices.Refresh.WithIndex(indexname.Path(index)), e.API.Indices.Refresh.WithContext(t.Context()))
	e.decode(t, "refresh "+index, res, err, nil, false)
}

// Count refreshes index and returns how many documents it holds.
func (e *Engine) Count(t testing.TB, index string) int {
	t.Helper()
	e.Refresh(t, index)
	res, err := e.API.Count(e.API.Count.WithIndex(indexname.Path(index)), e.API.Count.WithContext(t.Context()))
	var out struct {
		Count int `json:"count"`
	}
	e.decode(t, "count "+index, res, err, &out, false)
	return out.Count
}

// Get is the realtime document index/id (GET is realtime: no refresh
// needed), nil when the index exists but the document does not.
func (e *Engine) Get(t testing.TB, index, id string) *Hit {
	t.Helper()
	res, err := e.API.Get(indexname.Path(index), indexname.Path(id), e.API.Get.WithContext(t.Context()))
	var out struct {
		Hit
		Found bool `json:"found"`
	}
	e.decode(t, "get "+index+"/"+id, res, err, &out, true)
	if !out.Found {
		return nil
	}
	return &out.Hit
}

// Source is the realtime _source of a document, nil when it does not exist.
func (e *Engine) Source(t testing.TB, index, id string) map[string]any {
	t.Helper()
	if h := e.Get(t, index, id); h != nil {
		return h.Source
	}
	return nil
}

// SearchAll refreshes index and returns every document in it (up to
// 10,000), sorted by _id so that engines with several shards answer alike.
// The sort is done here: Elasticsearch 8 refuses to sort on _id
// (indices.id_field_data.enabled is off by default).
func (e *Engine) SearchAll(t testing.TB, index string) []Hit {
	t.Helper()
	e.Refresh(t, index)
	res, err := e.API.Search(e.API.Search.WithIndex(indexname.Path(index)), e.API.Search.WithSize(10000),
		e.API.Search.WithBody(strings.NewReader(`{"query":{"match_all":{}}}`)), e.API.Search.WithContext(t.Context()))
	var out struct {
		Hits struct {
			Hits []Hit `json:"hits"`
		} `json:"hits"`
	}
	e.decode(t, "search "+index, res, err, &out, false)
	hits := out.Hits.Hits
	slices.SortFunc(hits, func(a, b Hit) int { return strings.Compare(a.ID, b.ID) })
	return hits
}

// Exists reports whether index exists.
func (e *Engine) Exists(t testing.TB, index string) bool {
	t.Helper()
	res, err := e.API.Indices.Exists([]string{indexname.Path(index)}, e.API.Indices.Exists.WithContext(t.Context()))
	if err != nil {
		t.Fatalf("HEAD %s on %s: %v", index, e.Name, err)
	}
	res.Body.Close()
	switch res.StatusCode {
	case http.StatusOK:
		return true
	case http.StatusNotFound:
		return false
	}
	t.Fatalf("HEAD %s on %s: %s", index, e.Name, res.Status())
	return false
}

// CreateIndex creates index with body (settings and mappings; "" for none).
func (e *Engine) CreateIndex(t testing.TB, index, body string) {
	t.Helper()
	opts := []func(*esapi.IndicesCreateRequest){e.API.Indices.Create.WithContext(t.Context())}
	if body != "" {
		opts = append(opts, e.API.Indices.Create.WithBody(strings.NewReader(body)))
	}
	res, err := e.API.Indices.Create(indexname.Path(index), opts...)
	e.decode(t, "create "+index, res, err, nil, false)
}

// SetWriteBlock sets or lifts index.blocks.write with PUT
// /{index}/_settings, the API every engine has; the index must exist.
func (e *Engine) SetWriteBlock(t testing.TB, index string, on bool) {
	t.Helper()
	body := `{"index.blocks.write":false}`
	if on {
		body = `{"index.blocks.write":true}`
	}
	res, err := e.API.Indices.PutSettings(strings.NewReader(body), e.API.Indices.PutSettings.WithIndex(indexname.Path(index)),
		e.API.Indices.PutSettings.WithContext(t.Context()))
	e.decode(t, "write block on "+index, res, err, nil, false)
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
