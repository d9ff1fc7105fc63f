package esnode_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8"

	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/esnode/esnodetest"
)

func TestSelfSignedTLS(t *testing.T) {
	s := esnodetest.Start(t, esnode.Options{SelfSignedTLS: true})
	if !strings.HasPrefix(s.URL, "https://127.0.0.1:") || len(s.CACertPEM) == 0 {
		t.Fatalf("URL %s, CA %d bytes", s.URL, len(s.CACertPEM))
	}
	c := esnodetest.Client(t, s)
	if status, body := read(t)(c.Info(c.Info.WithContext(t.Context()))); status != 200 {
		t.Fatalf("client with the CA: %d %v", status, body)
	}
	bare, err := elasticsearch.NewClient(elasticsearch.Config{Addresses: []string{s.URL}, DisableRetry: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bare.Info(bare.Info.WithContext(t.Context())); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("client without the CA: err = %v, want a certificate error", err)
	}
	// The CA file works for other clients (curl --cacert, ES_CA_CERT), also for "localhost".
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := s.WriteCACert(path); err != nil {
		t.Fatal(err)
	}
	pem, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("CA file holds no certificate")
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := hc.Get(strings.Replace(s.URL, "127.0.0.1", "localhost", 1) + "/")
	if err != nil {
		t.Fatalf("GET via localhost with the CA file: %v", err)
	}
	resp.Body.Close()
}

func TestTLSFromFilesAndReset(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	writeTestKeyPair(t, certFile, keyFile)
	s := esnodetest.Start(t, esnode.Options{TLSCertFile: certFile, TLSKeyFile: keyFile})
	c := esnodetest.Client(t, s)
	if status, body := read(t)(c.Info(c.Info.WithContext(t.Context()))); status != 200 {
		t.Fatalf("TLS from files: %d %v", status, body)
	}
	// Resets work over TLS too.
	s.Node.SetFaults(esnode.Faults{Reset: 1})
	if _, err := c.Bulk(strings.NewReader(bulkBody("t", 3)), c.Bulk.WithContext(t.Context())); err == nil {
		t.Fatal("bulk over a reset TLS connection succeeded")
	}
	if s.Node.Stats().Resets != 1 {
		t.Fatalf("Stats = %+v", s.Node.Stats())
	}
	if _, err := esnode.Start("127.0.0.1:0", esnode.Options{TLSCertFile: filepath.Join(dir, "none"), TLSKeyFile: keyFile}); err == nil {
		t.Fatal("Start with a missing certificate file succeeded")
	}
	if err := s.WriteCACert(filepath.Join(dir, "x")); err == nil {
		t.Fatal("WriteCACert without a generated CA succeeded")
	}
}

// Close must not wait for a client's connections: one that was opened and
// never used, and one left idle in a client's pool after a request.
func TestCloseWithOpenConnections(t *testing.T) {
	s, err := esnode.Start("127.0.0.1:0", esnode.Options{})
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(s.URL, "http://")
	unused, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unused.Close() })
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	res, err := (&http.Client{Transport: tr}).Get(s.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()

	start := time.Now()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Close took %s with an idle and an unused connection open", d)
	}
}

// A client that gives up on a delayed request frees the handler: the
// Latency fault waits on the request's context, which net/http only ends
// for a vanished client once the request body was read.
func TestLatencyStopsWhenClientLeaves(t *testing.T) {
	// The latency is long against the 200ms the client waits and short
	// enough that a handler that does not stop still lets the test end.
	node, err := esnode.New(esnode.Options{Faults: esnode.Faults{Latency: 20 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	returned := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(returned)
		node.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)

	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/_bulk", strings.NewReader(bulkBody("slow", 50)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	if res, err := srv.Client().Do(req); err == nil {
		res.Body.Close()
		t.Fatalf("request answered %d despite 20s of latency", res.StatusCode)
	}
	select {
	case <-returned:
	case <-time.After(5 * time.Second):
		t.Fatal("the handler still waits 5s after the client went away")
	}
}
