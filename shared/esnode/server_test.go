package esnode_test

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
