// Package esnodetest starts an esnode for a test and hands out
// go-elasticsearch clients pointed at it, plus the few reads that most
// integration tests need (refresh, count, get source, list all hits).
package esnodetest

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/esconnect/esconnect/shared/esnode"
)

// Start serves a node on 127.0.0.1 with a free port and closes it when the
// test ends.
func Start(t testing.TB, opts esnode.Options) *esnode.Server {
	t.Helper()
	s, err := esnode.Start("127.0.0.1:0", opts)
	if err != nil {
		t.Fatalf("starting esnode: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("closing esnode: %v", err)
		}
	})
	return s
}

// Config is the go-elasticsearch configuration for s: its URL, the
// credentials and CA from its options, and retries disabled so that tests
// see exactly what the node answered.
func Config(t testing.TB, s *esnode.Server) elasticsearch.Config {
	t.Helper()
	opts := s.Node.Options()
	cfg := elasticsearch.Config{
		Addresses:    []string{s.URL},
		Username:     opts.Username,
		Password:     opts.Password,
		DisableRetry: true,
		CACert:       s.CACertPEM,
	}
	if opts.Username == "" && len(opts.APIKeys) > 0 {
		k := opts.APIKeys[0]
		cfg.APIKey = base64.StdEncoding.EncodeToString([]byte(k.ID + ":" + k.Key))
	}
	if opts.TLSCertFile != "" {
		pem, err := os.ReadFile(opts.TLSCertFile)
		if err != nil {
			t.Fatalf("reading esnode certificate: %v", err)
		}
		cfg.CACert = pem
	}
	return cfg
}

// Client returns a low-level client for s (see Config).
func Client(t testing.TB, s *esnode.Server) *elasticsearch.Client {
	t.Helper()
	c, err := elasticsearch.NewClient(Config(t, s))
	if err != nil {
		t.Fatalf("creating elasticsearch client: %v", err)
	}
	return c
}

// Hit is one search hit.
type Hit struct {
	Index  string         `json:"_index"`
	ID     string         `json:"_id"`
	Source map[string]any `json:"_source"`
}

// Refresh makes index's writes visible to search.
func Refresh(t testing.TB, c *elasticsearch.Client, index string) {
	t.Helper()
	res, err := c.Indices.Refresh(c.Indices.Refresh.WithIndex(index), c.Indices.Refresh.WithContext(t.Context()))
	decode(t, "refresh "+index, res, err, nil)
}

// Count is the number of searchable documents in index (refresh first to
// count recent writes).
func Count(t testing.TB, c *elasticsearch.Client, index string) int {
	t.Helper()
	res, err := c.Count(c.Count.WithIndex(index), c.Count.WithContext(t.Context()))
	var out struct {
		Count int `json:"count"`
	}
	decode(t, "count "+index, res, err, &out)
	return out.Count
}

// Source is the realtime _source of a document, nil when it does not exist.
func Source(t testing.TB, c *elasticsearch.Client, index, id string) map[string]any {
	t.Helper()
	res, err := c.Get(index, id, c.Get.WithContext(t.Context()))
	if err == nil && res.StatusCode == http.StatusNotFound {
		var nf struct {
			Found *bool `json:"found"`
		}
		decode(t, "get "+index+"/"+id, res, nil, &nf, true)
		if nf.Found != nil {
			return nil
		}
		t.Fatalf("get %s/%s: index not found", index, id)
	}
	var out struct {
		Source map[string]any `json:"_source"`
	}
	decode(t, "get "+index+"/"+id, res, err, &out)
	return out.Source
}

// SearchAll returns every searchable document of index (up to 10,000), in
// the node's index order.
func SearchAll(t testing.TB, c *elasticsearch.Client, index string) []Hit {
	t.Helper()
	res, err := c.Search(c.Search.WithIndex(index), c.Search.WithSize(10000),
		c.Search.WithBody(strings.NewReader(`{"query":{"match_all":{}}}`)), c.Search.WithContext(t.Context()))
	var out struct {
		Hits struct {
			Hits []Hit `json:"hits"`
		} `json:"hits"`
	}
	decode(t, "search "+index, res, err, &out)
	return out.Hits.Hits
}

// decode fails the test unless res is a 2xx answer (or a 404 when allowed),
// then decodes its body into v when v is not nil.
func decode(t testing.TB, what string, res *esapi.Response, err error, v any, allow404 ...bool) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s: reading response: %v", what, err)
	}
	if res.IsError() && !(len(allow404) > 0 && res.StatusCode == http.StatusNotFound) {
		t.Fatalf("%s: %s: %s", what, res.Status(), body)
	}
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("%s: decoding %s: %v", what, body, err)
		}
	}
}
