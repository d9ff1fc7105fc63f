package replay

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"strings"
	"testing"

	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/esclient"
	"github.com/esconnect/esconnect/shared/targettest"
)

// sinkEnv is the sink's settings for e (its URL, credentials and
// distribution) with the test's own on top.
func sinkEnv(e *targettest.Engine, settings map[string]string) map[string]string {
	env := e.Env()
	maps.Copy(env, settings)
	return env
}

// esTransport is the transport the command gives an es:// source: esclient
// configured from the same settings as the functions.
func esTransport(t *testing.T, e *targettest.Engine) esapi.Transport {
	t.Helper()
	tr, err := esclient.New(esclient.LoadConfig(config.FromMap(e.Env())))
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// esDo fails the test unless res is a 2xx answer, then decodes its body
// into v when v is not nil.
func esDo(t *testing.T, what string, res *esapi.Response, err error, v any) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s: reading the answer: %v", what, err)
	}
	if res.IsError() {
		t.Fatalf("%s: %s: %s", what, res.Status(), body)
	}
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("%s: decoding %s: %v", what, body, err)
		}
	}
}

// refresh makes the index's writes searchable, which a cluster does by
// itself only within a second.
func refresh(t *testing.T, e *targettest.Engine, index string) {
	t.Helper()
	api := e.API
	res, err := api.Indices.Refresh(api.Indices.Refresh.WithIndex(index), api.Indices.Refresh.WithContext(t.Context()))
	esDo(t, "refresh "+index, res, err, nil)
}

// indexIDs returns the ids of every document in index (up to 10,000).
func indexIDs(t *testing.T, e *targettest.Engine, index string) map[string]bool {
	t.Helper()
	refresh(t, e, index)
	api := e.API
	res, err := api.Search(api.Search.WithIndex(index), api.Search.WithSize(10000),
		api.Search.WithBody(strings.NewReader(`{"query":{"match_all":{}},"_source":false}`)), api.Search.WithContext(t.Context()))
	var out struct {
		Hits struct {
			Hits []struct {
				ID string `json:"_id"`
			} `json:"hits"`
		} `json:"hits"`
	}
	esDo(t, "search "+index, res, err, &out)
	ids := map[string]bool{}
	for _, h := range out.Hits.Hits {
		ids[h.ID] = true
	}
	return ids
}

// source is the realtime _source of a document; a missing one fails the
// test.
func source(t *testing.T, e *targettest.Engine, index, id string) map[string]any {
	t.Helper()
	res, err := e.API.Get(index, id, e.API.Get.WithContext(t.Context()))
	if err == nil && res.StatusCode == http.StatusNotFound {
		res.Body.Close()
		t.Fatalf("get %s/%s: not found", index, id)
	}
	var out struct {
		Source map[string]any `json:"_source"`
	}
	esDo(t, "get "+index+"/"+id, res, err, &out)
	return out.Source
}
