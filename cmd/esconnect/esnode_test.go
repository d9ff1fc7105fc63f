package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startESNode runs the command in-process and returns the line it printed
// and a function that stops it and returns its error.
func startESNode(t *testing.T, args ...string) (esnodeLine, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := runESNode(ctx, args, pw, io.Discard)
		pw.Close()
		done <- err
	}()
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		_, _ = io.Copy(io.Discard, pr)
	}()
	var line esnodeLine
	select {
	case l, ok := <-lines:
		if !ok {
			cancel()
			t.Fatalf("esnode exited without printing its address: %v", <-done)
		}
		if err := json.Unmarshal([]byte(l), &line); err != nil {
			t.Fatalf("address line %q: %v", l, err)
		}
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("esnode printed nothing within 10s")
	}
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			t.Fatal("esnode did not stop within 10s of cancel")
			return nil
		}
	}
	t.Cleanup(func() { _ = stop() })
	return line, stop
}

func TestESNodeCommandServesAndStops(t *testing.T) {
	line, stop := startESNode(t, "--addr", "127.0.0.1:0", "--fault-request-503=1", "--username", "u", "--password", "p", "--refresh-interval", "-1")
	if !strings.HasPrefix(line.ESNode.URL, "http://127.0.0.1:") {
		t.Fatalf("url = %q", line.ESNode.URL)
	}
	req, _ := http.NewRequestWithContext(t.Context(), "POST", line.ESNode.URL+"/_bulk", strings.NewReader("{\"delete\":{\"_index\":\"a\",\"_id\":\"1\"}}\n"))
	req.SetBasicAuth("u", "p")
	req.Header.Set("Content-Type", "application/x-ndjson")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 || resp.Header.Get("X-Elastic-Product") != "Elasticsearch" {
		t.Fatalf("bulk with --fault-request-503=1 = %d", resp.StatusCode)
	}
	if err := stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if _, err := http.Get(line.ESNode.URL + "/"); err == nil {
		t.Fatal("node still answers after cancel")
	}
}

func TestESNodeCommandSelfSignedTLS(t *testing.T) {
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	line, _ := startESNode(t, "--addr", "127.0.0.1:0", "--tls-self-signed", "--ca-out", caFile, "--blackhole")
	if !strings.HasPrefix(line.ESNode.URL, "https://") || line.ESNode.CACert != caFile {
		t.Fatalf("line = %+v", line)
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := hc.Post(line.ESNode.URL+"/_bulk", "application/x-ndjson", strings.NewReader("{\"index\":{\"_index\":\"b\"}}\n{\"a\":1}\n"))
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Errors bool             `json:"errors"`
		Items  []map[string]any `json:"items"`
	}
	err = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if err != nil || body.Errors || len(body.Items) != 1 {
		t.Fatalf("blackhole bulk over TLS = %+v, %v", body, err)
	}
}

func TestESNodeCommandBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--fault-item-429=2"},
		{"--refresh-interval=soon"},
		{"--ca-out=x"},
		{"--api-key=nokey"},
		{"extra"},
	} {
		err := runESNode(t.Context(), append([]string{"--addr", "127.0.0.1:0"}, args...), io.Discard, io.Discard)
		if err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
