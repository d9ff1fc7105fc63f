package esclient_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/esclient"
	"github.com/esconnect/esconnect/shared/esclient/estransport"
	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/esnode/esnodetest"
)

const (
	password = "s3cr3t-pass"
	apiKeyID = "key-1"
	apiKey   = "s3cr3t-api-key"
)

func apiKeyHeader(id, key string) string {
	return base64.StdEncoding.EncodeToString([]byte(id + ":" + key))
}

// newClient returns a client for srv with cfg (URL filled in).
func newClient(t *testing.T, srv *esnode.Server, cfg config.Elasticsearch) *elasticsearch.Client {
	t.Helper()
	cfg.URLs = []string{srv.URL}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = 5 * time.Second
	}
	tr, err := esclient.NewTransport(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.CloseIdleConnections)
	c, err := esclient.NewWithTransport(cfg, tr)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAuthentication(t *testing.T) {
	basic := esnodetest.Start(t, esnode.Options{Username: "elastic", Password: password})
	keyed := esnodetest.Start(t, esnode.Options{APIKeys: []esnode.APIKey{{ID: apiKeyID, Key: apiKey}}})
	tests := []struct {
		name string
		srv  *esnode.Server
		cfg  config.Elasticsearch
		ok   bool
	}{
		{"basic auth", basic, config.Elasticsearch{Username: "elastic", Password: password}, true},
		{"wrong password", basic, config.Elasticsearch{Username: "elastic", Password: "wrong-" + password}, false},
		{"no credentials", basic, config.Elasticsearch{}, false},
		{"api key", keyed, config.Elasticsearch{APIKey: apiKeyHeader(apiKeyID, apiKey)}, true},
		{"wrong api key", keyed, config.Elasticsearch{APIKey: apiKeyHeader(apiKeyID, "not-"+apiKey)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := estransport.Ping(t.Context(), newClient(t, tt.srv, tt.cfg))
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				if info.Version == "" {
					t.Errorf("info = %+v, want a version", info)
				}
				return
			}
			if !errors.Is(err, estransport.ErrUnavailable) || !strings.Contains(err.Error(), "401") {
				t.Fatalf("err = %v, want ErrUnavailable with 401", err)
			}
			for _, secret := range []string{password, apiKey, tt.cfg.APIKey, tt.cfg.Password} {
				if secret != "" && strings.Contains(err.Error(), secret) {
					t.Errorf("error %q contains a credential", err)
				}
			}
		})
	}
}

func TestNoTransportRetries(t *testing.T) {
	// Every bulk request fails with 503: the client must give up after one
	// attempt and leave retrying to esbulk.
	srv := esnodetest.Start(t, esnode.Options{Faults: esnode.Faults{Request503: 1}})
	c := newClient(t, srv, config.Elasticsearch{})
	res, err := c.Bulk(strings.NewReader(`{"index":{"_index":"x"}}`+"\n{}\n"), c.Bulk.WithContext(t.Context()))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 503 {
		t.Errorf("status = %d, want 503", res.StatusCode)
	}
	if got := srv.Node.Stats().Request503; got != 1 {
		t.Errorf("node answered %d requests with 503, want exactly 1 (no transport retry)", got)
	}
}

func TestInvalidSettings(t *testing.T) {
	tests := []struct {
		name string
		cfg  config.Elasticsearch
	}{
		{"CA without PEM", config.Elasticsearch{URLs: []string{"https://127.0.0.1:9200"}, CACert: []byte("not pem")}},
		{"URL and cloud id", config.Elasticsearch{URLs: []string{"https://127.0.0.1:9200"}, CloudID: "x:" + base64.StdEncoding.EncodeToString([]byte("example.com$es1"))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := esclient.NewTransport(tt.cfg)
			if err == nil {
				_, err = esclient.NewWithTransport(tt.cfg, tr)
			}
			if !errors.Is(err, esclient.ErrInvalidSettings) {
				t.Errorf("err = %v, want ErrInvalidSettings", err)
			}
		})
	}
}

func TestErrorSummary(t *testing.T) {
	tests := []struct{ body, want string }{
		{`{"error":{"type":"index_not_found_exception","reason":"no such index [x]"},"status":404}`, "index_not_found_exception: no such index [x]"},
		{`{"error":"plain message","status":400}`, "plain message"},
		{`<html>bad gateway</html>`, "<html>bad gateway</html>"},
		{strings.Repeat("a", 250), strings.Repeat("a", 200) + "..."},
	}
	for _, tt := range tests {
		if got := esclient.ErrorSummary([]byte(tt.body)); got != tt.want {
			t.Errorf("ErrorSummary(%.30q) = %q, want %q", tt.body, got, tt.want)
		}
	}
}
