package esnode

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/esconnect/esconnect/shared/sigv4"
)

// With Options.SigV4 the node stands in for Amazon OpenSearch Service: an
// unsigned or badly signed request is refused with 403 and AWS's
// {"message"} body, a signed one is served, and no answer carries the
// Elasticsearch product header.
func TestSigV4Node(t *testing.T) {
	creds := aws.Credentials{AccessKeyID: "AKIDNODE", SecretAccessKey: "node-secret"}
	s, err := Start("127.0.0.1:0", Options{SigV4: &sigv4.Verifier{Region: "ap-southeast-1", Service: sigv4.ServiceAOSS,
		Keys: map[string]aws.Credentials{creds.AccessKeyID: creds}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	provider := func(c aws.Credentials) aws.CredentialsProvider {
		return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return c, nil })
	}
	tests := []struct {
		name       string
		rt         http.RoundTripper
		wantStatus int
		wantBody   string
	}{
		{"unsigned", http.DefaultTransport, http.StatusForbidden, `"message"`},
		{"wrong secret", sigv4.NewTransport(http.DefaultTransport, provider(aws.Credentials{AccessKeyID: creds.AccessKeyID, SecretAccessKey: "x"}),
			sigv4.ServiceAOSS, "ap-southeast-1"), http.StatusForbidden, "signature"},
		{"signed", sigv4.NewTransport(http.DefaultTransport, provider(creds), sigv4.ServiceAOSS, "ap-southeast-1"),
			http.StatusOK, `"errors":false`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL+"/_bulk",
				strings.NewReader("{\"index\":{\"_index\":\"logs\",\"_id\":\"1\"}}\n{\"a\":1}\n"))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-ndjson")
			res, err := tt.rt.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tt.wantStatus || !strings.Contains(string(body), tt.wantBody) {
				t.Fatalf("%d %s, want %d with %s", res.StatusCode, body, tt.wantStatus, tt.wantBody)
			}
			if h := res.Header.Get("X-Elastic-Product"); h != "" {
				t.Fatalf("X-Elastic-Product: %s on a node standing in for OpenSearch", h)
			}
		})
	}
	if st := s.Node.Stats(); st.SigV4Refused != 2 || st.BulkRequests != 1 {
		t.Fatalf("stats %+v, want 2 refused and 1 bulk request served", st)
	}
}
