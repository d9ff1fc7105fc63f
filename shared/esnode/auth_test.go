package esnode_test

import (
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/elastic/go-elasticsearch/v8"

	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/esnode/esnodetest"
)

func TestAuth(t *testing.T) {
	s := esnodetest.Start(t, esnode.Options{Username: "elastic", Password: "s3cret", APIKeys: []esnode.APIKey{{ID: "kid", Key: "kkey"}}})
	apiKey := base64.StdEncoding.EncodeToString([]byte("kid:kkey"))
	tests := []struct {
		name   string
		cfg    elasticsearch.Config
		status int
		reason string
	}{
		{"basic ok", elasticsearch.Config{Username: "elastic", Password: "s3cret"}, 200, ""},
		{"api key ok", elasticsearch.Config{APIKey: apiKey}, 200, ""},
		{"no credentials", elasticsearch.Config{}, 401, "missing authentication credentials for REST request [/_cluster/health]"},
		{"wrong password", elasticsearch.Config{Username: "elastic", Password: "nope"}, 401, "unable to authenticate user [elastic] for REST request [/_cluster/health]"},
		{"wrong api key", elasticsearch.Config{APIKey: base64.StdEncoding.EncodeToString([]byte("kid:bad"))}, 401, "unable to authenticate with provided credentials"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Addresses = []string{s.URL}
			tc.cfg.DisableRetry = true
			c, err := elasticsearch.NewClient(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			res, err := c.Cluster.Health(c.Cluster.Health.WithContext(t.Context()))
			if err != nil {
				t.Fatal(err)
			}
			challenges := res.Header.Values("WWW-Authenticate")
			status, body := read(t)(res, nil)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %v", status, tc.status, body)
			}
			if tc.status != 401 {
				return
			}
			if errType(body) != "security_exception" || !strings.HasPrefix(get(body, "error.reason").(string), tc.reason) ||
				get(body, "error.root_cause.0.type") != "security_exception" {
				t.Fatalf("401 body = %v", body)
			}
			if len(challenges) != 2 || !strings.HasPrefix(challenges[0], `Basic realm="security"`) || challenges[1] != "ApiKey" {
				t.Fatalf("WWW-Authenticate = %q", challenges)
			}
			if strings.Contains(strings.ToLower(toJSON(body)), "s3cret") || strings.Contains(toJSON(body), "kkey") {
				t.Fatalf("credentials leaked into the error: %v", body)
			}
		})
	}
	if got := s.Node.Stats().AuthFailures; got != 3 {
		t.Fatalf("Stats.AuthFailures = %d, want 3", got)
	}
	// esnodetest's client carries the node's credentials.
	c := esnodetest.Client(t, s)
	if status, _ := read(t)(c.Info(c.Info.WithContext(t.Context()))); status != 200 {
		t.Fatalf("esnodetest client: status %d", status)
	}
	// curl without credentials.
	resp, err := http.Get(s.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 401 || resp.Header.Get("X-Elastic-Product") != "Elasticsearch" || !strings.Contains(string(b), `"status":401`) {
		t.Fatalf("raw GET / = %d %s", resp.StatusCode, b)
	}
}
