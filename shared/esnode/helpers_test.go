package esnode_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/esnode/esnodetest"
)

// obj is a decoded JSON object.
type obj = map[string]any

// newNode starts a node that only refreshes on request, and a client.
func newNode(t *testing.T, opts esnode.Options) (*esnode.Server, *elasticsearch.Client) {
	t.Helper()
	if opts.RefreshInterval == 0 {
		opts.RefreshInterval = -1
	}
	s := esnodetest.Start(t, opts)
	return s, esnodetest.Client(t, s)
}

// read decodes an esapi response: status and JSON body (nil when empty).
// It is curried so that read(t)(c.Info()) takes the call's two results.
func read(t *testing.T) func(*esapi.Response, error) (int, obj) {
	return func(res *esapi.Response, err error) (int, obj) {
		t.Helper()
		return decodeResponse(t, res, err)
	}
}

func decodeResponse(t *testing.T, res *esapi.Response, err error) (int, obj) {
	t.Helper()
	if err != nil {
		t.Fatalf("request failed: %v", err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return res.StatusCode, nil
	}
	if !strings.Contains(res.Header.Get("Content-Type"), "json") {
		// Proxy-style error pages are HTML; tests look at them as text.
		return res.StatusCode, obj{"raw": string(b)}
	}
	var m obj
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("decoding %s: %v", b, err)
	}
	return res.StatusCode, m
}

// call sends a request through the client's transport (auth, TLS and the
// product check included) and decodes the answer.
func call(t *testing.T, c *elasticsearch.Client, method, path, body string) (int, obj) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
		if strings.Contains(path, "_bulk") {
			req.Header.Set("Content-Type", "application/x-ndjson")
		}
	}
	resp, err := c.Perform(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return decodeResponse(t, &esapi.Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: resp.Body}, nil)
}

// get walks a decoded JSON value by keys and array indices ("items.0.index.status").
func get(v any, path string) any {
	for _, k := range strings.Split(path, ".") {
		switch cur := v.(type) {
		case map[string]any:
			v = cur[k]
		case []any:
			i := 0
			for _, ch := range k {
				i = i*10 + int(ch-'0')
			}
			if i >= len(cur) {
				return nil
			}
			v = cur[i]
		default:
			return nil
		}
	}
	return v
}

// errType is the error type of a request-level ES error body.
func errType(m obj) any { return get(m, "error.type") }

func ndjson(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

func wantStatus(t *testing.T, what string, got, want int, body obj) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: status %d, want %d; body %v", what, got, want, body)
	}
}

func decodeJSON(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
