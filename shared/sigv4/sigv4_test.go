package sigv4

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

var testKey = aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "test-secret-key", SessionToken: "test-session-token"}

func staticProvider(c aws.Credentials) aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return c, nil })
}

// TestVerifierAWSTestVector: the verifier accepts the request of AWS's
// published SigV4 test suite (get-vanilla) with the signature given there,
// so it checks signatures the way AWS does and not only the way this
// package signs them.
func TestVerifierAWSTestVector(t *testing.T) {
	v := &Verifier{Region: "us-east-1", Service: "service",
		Keys: map[string]aws.Credentials{"AKIDEXAMPLE": {AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}},
		Now:  func() time.Time { return time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC) }}
	r := httptest.NewRequest(http.MethodGet, "http://example.amazonaws.com/", nil)
	r.Header.Set("X-Amz-Date", "20150830T123600Z")
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "+
		"SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
	if _, err := v.Verify(r); err != nil {
		t.Fatalf("the AWS test vector was refused: %v", err)
	}
	r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "5fa00fa3", "5fa00fa4", 1))
	if _, err := v.Verify(r); !errors.Is(err, errSignatureMismatch) {
		t.Fatalf("a changed signature: err = %v, want a mismatch", err)
	}
}

// verifyingServer answers 200 with the body it received once the signature
// checks out.
func verifyingServer(t *testing.T, v *Verifier) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		_, _ = w.Write(b)
	})))
	t.Cleanup(srv.Close)
	return srv
}

func TestTransportSignsWhatVerifierAccepts(t *testing.T) {
	tests := []struct {
		name     string
		service  string
		region   string
		creds    aws.Credentials
		body     string
		tamper   func(*http.Request)
		skew     time.Duration
		wantFail string
	}{
		{name: "bulk body", service: ServiceES, region: "eu-west-1", creds: testKey, body: "{\"index\":{}}\n{\"a\":1}\n"},
		{name: "no body", service: ServiceES, region: "eu-west-1", creds: testKey},
		{name: "serverless", service: ServiceAOSS, region: "eu-west-1", creds: testKey, body: "{}"},
		{name: "wrong secret", service: ServiceES, region: "eu-west-1", body: "{}",
			creds:    aws.Credentials{AccessKeyID: testKey.AccessKeyID, SecretAccessKey: "other", SessionToken: testKey.SessionToken},
			wantFail: "signature we calculated"},
		{name: "wrong region", service: ServiceES, region: "us-east-1", creds: testKey, wantFail: "region"},
		{name: "wrong service", service: ServiceAOSS, region: "eu-west-1", creds: testKey, wantFail: "service"},
		{name: "unknown key", service: ServiceES, region: "eu-west-1", wantFail: "security token",
			creds: aws.Credentials{AccessKeyID: "AKIDOTHER", SecretAccessKey: "x"}},
		{name: "clock skew", service: ServiceES, region: "eu-west-1", creds: testKey, skew: 10 * time.Minute, wantFail: "expired"},
		{name: "body changed on the way", service: ServiceES, region: "eu-west-1", creds: testKey, body: "{\"a\":1}",
			tamper: func(r *http.Request) {
				r.Body = io.NopCloser(strings.NewReader(`{"a":2}`))
				r.ContentLength = 7
			}, wantFail: "does not match the body"},
		{name: "signed header changed on the way", service: ServiceES, region: "eu-west-1", creds: testKey, body: "{}",
			tamper: func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }, wantFail: "signature we calculated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			service := tt.service
			if strings.HasPrefix(tt.name, "wrong service") {
				service = ServiceES
			}
			v := &Verifier{Region: "eu-west-1", Service: service, Keys: map[string]aws.Credentials{testKey.AccessKeyID: testKey}}
			srv := verifyingServer(t, v)
			base := http.DefaultTransport
			if tt.tamper != nil {
				base = roundTripFunc(func(r *http.Request) (*http.Response, error) {
					tt.tamper(r)
					return http.DefaultTransport.RoundTrip(r)
				})
			}
			tr := NewTransport(base, staticProvider(tt.creds), tt.service, tt.region)
			tr.now = func() time.Time { return time.Now().Add(tt.skew) }
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/idx/_bulk?refresh=false", body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-ndjson")
			res, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if tt.wantFail == "" {
				if res.StatusCode != http.StatusOK || string(got) != tt.body {
					t.Fatalf("%d %s, want 200 echoing %q", res.StatusCode, got, tt.body)
				}
				if req.Header.Get("Authorization") != "" {
					t.Fatal("the caller's request was modified")
				}
				return
			}
			if res.StatusCode != http.StatusForbidden || !strings.Contains(string(got), tt.wantFail) {
				t.Fatalf("%d %s, want 403 naming %q", res.StatusCode, got, tt.wantFail)
			}
		})
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestEnvCredentials(t *testing.T) {
	t.Setenv(EnvAccessKeyID, "")
	t.Setenv(EnvSecretAccessKey, "")
	if _, err := EnvCredentials(); !errors.Is(err, ErrNoCredentials) || !strings.Contains(err.Error(), EnvAccessKeyID) {
		t.Fatalf("err = %v, want ErrNoCredentials naming %s", err, EnvAccessKeyID)
	}
	t.Setenv(EnvAccessKeyID, "AKID")
	t.Setenv(EnvSecretAccessKey, "s3cret")
	t.Setenv(EnvSessionToken, "tok")
	p, err := EnvCredentials()
	if err != nil {
		t.Fatal(err)
	}
	c, err := p.Retrieve(t.Context())
	if err != nil || c.AccessKeyID != "AKID" || c.SecretAccessKey != "s3cret" || c.SessionToken != "tok" {
		t.Fatalf("Retrieve = %+v, %v", c, err)
	}
}
