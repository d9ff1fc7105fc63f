package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/elastic/go-elasticsearch/v8"

	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/esnode/esnodetest"
)

// TestAPIKeyBodyRoundTrips prints the body, posts it to an esnode's
// _security/api_key as the user, and checks the key it returns is limited
// by exactly those privileges: it may write its index, and nothing else.
func TestAPIKeyBodyRoundTrips(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := runMain([]string{"apikey", "--index", "kafka-*", "--dlq-index", "dlq", "--name", "sink", "--expiration", "30d"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var body map[string]any
	if err := json.Unmarshal(out.Bytes(), &body); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out.String())
	}
	wantRoles := map[string]any{"kafka-es-sink": map[string]any{"cluster": []any{}, "indices": []any{
		map[string]any{"names": []any{"kafka-*"}, "privileges": []any{"index", "auto_configure"}},
		map[string]any{"names": []any{"dlq"}, "privileges": []any{"create_doc", "auto_configure"}},
	}}}
	if body["name"] != "sink" || body["expiration"] != "30d" || !reflect.DeepEqual(body["role_descriptors"], wantRoles) {
		t.Fatalf("body %s", out.String())
	}

	s := esnodetest.Start(t, esnode.Options{Username: "elastic", Password: "changeme"})
	admin := esnodetest.Client(t, s)
	res, err := admin.Security.CreateAPIKey(bytes.NewReader(out.Bytes()), admin.Security.CreateAPIKey.WithContext(t.Context()))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var created struct{ ID, Name, Encoded string }
	if res.StatusCode != http.StatusOK || json.NewDecoder(res.Body).Decode(&created) != nil || created.Name != "sink" {
		t.Fatalf("create answered %s", res.Status())
	}
	cfg := esnodetest.Config(t, s)
	cfg.Username, cfg.Password, cfg.APIKey = "", "", created.Encoded
	c, err := elasticsearch.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path   string
		status int
	}{
		{"/kafka-orders/_doc/1", http.StatusCreated},
		{"/dlq/_create/1", http.StatusCreated},
		{"/dlq/_doc/2", http.StatusForbidden}, // create_doc does not overwrite
		{"/other/_doc/1", http.StatusForbidden},
	}
	for _, tc := range tests {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPut, tc.path, strings.NewReader(`{"a":1}`))
		req.Header.Set("Content-Type", "application/json")
		resp, err := c.Perform(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("PUT %s with the key: %d, want %d", tc.path, resp.StatusCode, tc.status)
		}
	}
}

func TestAPIKeyRejectsBadFlags(t *testing.T) {
	tests := [][]string{
		{"apikey"},
		{"apikey", "--index", "Logs"},
		{"apikey", "--index", "logs", "--function", "sinks"},
		{"apikey", "--index", "logs", "--expiration", "30 days"},
		{"apikey", "--index", "logs", "extra"},
	}
	for _, args := range tests {
		var out, errOut bytes.Buffer
		if code := runMain(args, &out, &errOut); code != 2 || out.Len() != 0 {
			t.Errorf("%q: exit %d, stdout %q; want exit 2 and nothing printed", args, code, out.String())
		}
	}
}
