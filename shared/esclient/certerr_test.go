package esclient

import (
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestCertificateError explains real TLS failures and leaves other errors
// alone.
func TestCertificateError(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are the point
	srv.StartTLS()
	t.Cleanup(srv.Close)
	trusting := srv.Client() // trusts the server's certificate, issued for 127.0.0.1
	port := srv.URL[strings.LastIndexByte(srv.URL, ':'):]
	tests := []struct {
		name   string
		client *http.Client
		url    string
		want   string
	}{
		{"unknown authority", &http.Client{}, srv.URL, EnvCACert},
		{"wrong host", trusting, "https://localhost" + port, EnvURL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := tt.client.Get(tt.url)
			if err == nil {
				res.Body.Close()
				t.Fatal("the request succeeded")
			}
			cerr := CertificateError(err)
			if !errors.Is(cerr, ErrCertificate) || !strings.Contains(cerr.Error(), tt.want) {
				t.Fatalf("CertificateError(%v) = %v, want ErrCertificate naming %s", err, cerr, tt.want)
			}
		})
	}
	if err := CertificateError(errors.New("connection refused")); err != nil {
		t.Fatalf("a plain transport error became %v", err)
	}
}
