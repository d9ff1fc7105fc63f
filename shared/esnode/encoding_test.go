package esnode_test

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/esnode/esnodetest"
)

func gzipped(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := io.WriteString(zw, s); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func deflated(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zlib.NewWriter(&b)
	if _, err := io.WriteString(zw, s); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// postRaw sends body to s's /_bulk with the given Content-Encoding and
// returns the status and the error type of the answer, if any.
func postRaw(t *testing.T, s *esnode.Server, encoding string, body []byte) (int, any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL+"/_bulk?refresh=true", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m obj
	_ = decodeJSON(res.Body, &m)
	if res.StatusCode == http.StatusOK && get(m, "errors") != false {
		t.Fatalf("bulk answered errors: %v", m)
	}
	return res.StatusCode, errType(m)
}

func TestContentEncoding(t *testing.T) {
	const docs = 5
	plain := bulkBody("enc", docs)
	tests := []struct {
		name       string
		encoding   string
		body       []byte
		wantStatus int
		wantType   any
		wantDocs   int
	}{
		{"identity", "", []byte(plain), 200, nil, docs},
		{"gzip", "gzip", gzipped(t, plain), 200, nil, docs},
		{"gzip, other case", "GZip", gzipped(t, plain), 200, nil, docs},
		{"deflate", "deflate", deflated(t, plain), 200, nil, docs},
		{"gzip header on a plain body", "gzip", []byte(plain), 400, "parse_exception", 0},
		{"unknown encoding", "br", []byte(plain), 415, "illegal_argument_exception", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := esnodetest.Start(t, esnode.Options{})
			status, typ := postRaw(t, s, tt.encoding, tt.body)
			if status != tt.wantStatus || typ != tt.wantType {
				t.Fatalf("answer %d %v, want %d %v", status, typ, tt.wantStatus, tt.wantType)
			}
			if tt.wantDocs > 0 {
				if n := esnodetest.Count(t, esnodetest.Client(t, s), "enc"); n != tt.wantDocs {
					t.Errorf("count = %d, want %d", n, tt.wantDocs)
				}
			}
		})
	}
}

// A compressed body is held to max_content_length once decompressed: a few
// KiB of gzip must not expand into an unbounded request.
func TestContentEncodingSizeLimit(t *testing.T) {
	s := esnodetest.Start(t, esnode.Options{MaxContentLength: 64 << 10})
	big := `{"index":{"_index":"big"}}` + "\n" + `{"f":"` + strings.Repeat("a", 1<<20) + `"}` + "\n"
	body := gzipped(t, big)
	if len(body) >= 64<<10 {
		t.Fatalf("compressed body is %d bytes, want it under the limit", len(body))
	}
	if status, _ := postRaw(t, s, "gzip", body); status != http.StatusRequestEntityTooLarge {
		t.Fatalf("status = %d, want 413", status)
	}
}
