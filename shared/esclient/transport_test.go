package esclient_test

import (
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/esconnect/esconnect/shared/esclient"
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

// newTransport builds a transport for cfg (request timeout defaulted) and
// drops its connections when the test ends.
func newTransport(t *testing.T, cfg esclient.Config) *esclient.Transport {
	t.Helper()
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = 5 * time.Second
	}
	tr, err := esclient.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

func TestAuthentication(t *testing.T) {
	basic := esnodetest.Start(t, esnode.Options{Username: "elastic", Password: password})
	keyed := esnodetest.Start(t, esnode.Options{APIKeys: []esnode.APIKey{{ID: apiKeyID, Key: apiKey}}})
	tests := []struct {
		name string
		srv  *esnode.Server
		cfg  esclient.Config
		ok   bool
	}{
		{"basic auth", basic, esclient.Config{Username: "elastic", Password: password}, true},
		{"wrong password", basic, esclient.Config{Username: "elastic", Password: "wrong-" + password}, false},
		{"no credentials", basic, esclient.Config{}, false},
		{"api key", keyed, esclient.Config{APIKey: apiKeyHeader(apiKeyID, apiKey)}, true},
		{"wrong api key", keyed, esclient.Config{APIKey: apiKeyHeader(apiKeyID, "not-"+apiKey)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.URLs = []string{tt.srv.URL}
			_, err := esclient.Ping(t.Context(), newTransport(t, tt.cfg))
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, esclient.ErrUnavailable) || !strings.Contains(err.Error(), "401") {
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

func TestTLS(t *testing.T) {
	srv := esnodetest.Start(t, esnode.Options{SelfSignedTLS: true})
	other := esnodetest.Start(t, esnode.Options{SelfSignedTLS: true})
	tests := []struct {
		name string
		cfg  esclient.Config
		ok   bool
	}{
		{"with the CA", esclient.Config{CACert: srv.CACertPEM}, true},
		{"without the CA", esclient.Config{}, false},
		{"with another CA", esclient.Config{CACert: other.CACertPEM}, false},
		{"verification off", esclient.Config{TLSSkipVerify: true}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.URLs = []string{srv.URL}
			_, err := esclient.Ping(t.Context(), newTransport(t, tt.cfg))
			var certErr *tls.CertificateVerificationError
			switch {
			case tt.ok && err != nil:
				t.Fatal(err)
			case !tt.ok && !errors.As(err, &certErr):
				t.Fatalf("err = %v, want a certificate verification error", err)
			}
		})
	}
}

func TestNoTransportRetries(t *testing.T) {
	// Every bulk request fails with 503: the transport must give up after
	// one attempt and leave retrying to esbulk.
	srv := esnodetest.Start(t, esnode.Options{Faults: esnode.Faults{Request503: 1}})
	tr := newTransport(t, esclient.Config{URLs: []string{srv.URL}})
	res, err := esapi.BulkRequest{Body: strings.NewReader(`{"index":{"_index":"x"}}` + "\n{}\n")}.Do(t.Context(), tr)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("status = %d, want 503", res.StatusCode)
	}
	if got := srv.Node.Stats().Request503; got != 1 {
		t.Errorf("node answered %d requests with 503, want exactly 1 (no transport retry)", got)
	}
}

// recorder serves a real node and remembers the Content-Encoding of every
// request it received.
type recorder struct {
	mu        sync.Mutex
	encodings []string
	node      http.Handler
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc.mu.Lock()
	rc.encodings = append(rc.encodings, r.Header.Get("Content-Encoding"))
	rc.mu.Unlock()
	rc.node.ServeHTTP(w, r)
}

func TestCompression(t *testing.T) {
	for _, compress := range []bool{false, true} {
		t.Run(map[bool]string{false: "off", true: "on"}[compress], func(t *testing.T) {
			node, err := esnode.New(esnode.Options{})
			if err != nil {
				t.Fatal(err)
			}
			rc := &recorder{node: node}
			srv := httptest.NewServer(rc)
			t.Cleanup(srv.Close)
			tr := newTransport(t, esclient.Config{URLs: []string{srv.URL}, Compress: compress})
			body := `{"index":{"_index":"z","_id":"1"}}` + "\n" + `{"f":"` + strings.Repeat("x", 4096) + `"}` + "\n"
			res, err := esapi.BulkRequest{Body: strings.NewReader(body), Refresh: "true"}.Do(t.Context(), tr)
			if err != nil {
				t.Fatal(err)
			}
			answer, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK || strings.Contains(string(answer), `"errors":true`) {
				t.Fatalf("bulk answered %d %s", res.StatusCode, answer)
			}
			want := map[bool]string{false: "", true: "gzip"}[compress]
			rc.mu.Lock()
			got := rc.encodings
			rc.mu.Unlock()
			if len(got) != 1 || got[0] != want {
				t.Errorf("request encodings %q, want [%q]", got, want)
			}
			res, err = esapi.GetRequest{Index: "z", DocumentID: "1"}.Do(t.Context(), tr)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Errorf("document not stored: GET answered %d", res.StatusCode)
			}
		})
	}
}

// A successful answer without the product header does not come from
// Elasticsearch; counting it as a bulk confirmation would acknowledge
// records nobody stored. Error answers pass: a proxy's 502 is a 502.
func TestProductCheck(t *testing.T) {
	status := http.StatusOK
	impostor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
		_, _ = io.WriteString(w, `{"took":1,"errors":false,"items":[]}`)
	}))
	t.Cleanup(impostor.Close)
	tr := newTransport(t, esclient.Config{URLs: []string{impostor.URL}})
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, "/_bulk", strings.NewReader("{}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if res, err := tr.Perform(req); !errors.Is(err, esclient.ErrNotElasticsearch) {
		if res != nil {
			res.Body.Close()
		}
		t.Fatalf("Perform = %v, want ErrNotElasticsearch", err)
	}
	status = http.StatusBadGateway
	req, _ = http.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
	res, err := tr.Perform(req)
	if err != nil {
		t.Fatalf("a 502 without the header: %v, want the answer", err)
	}
	res.Body.Close()
}

// OpenSearch sends no product header; a transport configured for it takes
// its answers, and the Elasticsearch error says which setting to use.
func TestProductCheckOpenSearch(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"took":1,"errors":false,"items":[]}`)
	}))
	t.Cleanup(srv.Close)
	for _, dist := range []string{esclient.DistributionElasticsearch, esclient.DistributionOpenSearch} {
		tr := newTransport(t, esclient.Config{URLs: []string{srv.URL}, Distribution: dist})
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, "/_bulk", strings.NewReader("{}\n"))
		if err != nil {
			t.Fatal(err)
		}
		res, err := tr.Perform(req)
		if res != nil {
			res.Body.Close()
		}
		switch dist {
		case esclient.DistributionOpenSearch:
			if err != nil {
				t.Errorf("%s: Perform = %v, want the answer", dist, err)
			}
		default:
			if !errors.Is(err, esclient.ErrNotElasticsearch) || !strings.Contains(err.Error(), "ES_DISTRIBUTION=opensearch") {
				t.Errorf("%s: Perform = %v, want ErrNotElasticsearch naming ES_DISTRIBUTION=opensearch", dist, err)
			}
		}
	}
}

func TestNewInvalidSettings(t *testing.T) {
	tests := []struct {
		name string
		cfg  esclient.Config
	}{
		{"CA without PEM", esclient.Config{URLs: []string{"https://127.0.0.1:9200"}, CACert: []byte("not pem")}},
		{"not a URL", esclient.Config{URLs: []string{"127.0.0.1:9200"}}},
		{"ftp URL", esclient.Config{URLs: []string{"ftp://127.0.0.1"}}},
		{"no address", esclient.Config{}},
		{"cloud id and URL", esclient.Config{URLs: []string{"http://127.0.0.1:9200"}, CloudID: "x:" + b64("h$u")}},
		{"bad cloud id", esclient.Config{CloudID: "x:###"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := esclient.New(tt.cfg); !errors.Is(err, esclient.ErrInvalidSettings) {
				t.Errorf("err = %v, want ErrInvalidSettings", err)
			}
		})
	}
}

func TestInvalidURLErrorHidesPassword(t *testing.T) {
	_, err := esclient.New(esclient.Config{URLs: []string{"ftp://user:" + password + "@127.0.0.1"}})
	if err == nil || strings.Contains(err.Error(), password) {
		t.Fatalf("err = %v, want an error without the password", err)
	}
}
