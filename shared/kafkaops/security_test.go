package kafkaops

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSecurityTransport(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.txt")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	const password = "s3cret-Pa55"
	tests := []struct {
		name     string
		sec      Security
		wantTLS  bool
		wantSASL string
		bad      bool
	}{
		{name: "plaintext", sec: Security{}},
		{name: "tls with system roots", sec: Security{TLS: true}, wantTLS: true},
		{name: "plain", sec: Security{SASLMechanism: "PLAIN", Username: "u", Password: password}, wantSASL: "PLAIN"},
		{name: "scram-sha-512 over tls", sec: Security{TLS: true, SASLMechanism: "scram-sha-512", Username: "u", Password: password}, wantTLS: true, wantSASL: "SCRAM-SHA-512"},
		{name: "scram-sha-256", sec: Security{SASLMechanism: "scram-sha-256", Username: "u", Password: password}, wantSASL: "SCRAM-SHA-256"},
		{name: "unknown mechanism", sec: Security{SASLMechanism: "gssapi", Username: "u", Password: password}, bad: true},
		{name: "no username", sec: Security{SASLMechanism: "plain", Password: password}, bad: true},
		{name: "missing CA file", sec: Security{CACert: filepath.Join(dir, "missing.pem")}, bad: true},
		{name: "CA file without PEM", sec: Security{CACert: notPEM}, bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := Transport(tt.sec, time.Second)
			if tt.bad {
				if !errors.Is(err, ErrSecurity) {
					t.Fatalf("err %v, want ErrSecurity", err)
				}
				if strings.Contains(err.Error(), password) {
					t.Fatalf("error %q shows the password", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (tr.TLS != nil) != tt.wantTLS || tr.ClientID != ClientID || tr.DialTimeout != time.Second {
				t.Fatalf("transport TLS %v client %q dial %v", tr.TLS != nil, tr.ClientID, tr.DialTimeout)
			}
			switch {
			case tt.wantSASL == "" && tr.SASL != nil:
				t.Fatalf("SASL %s, want none", tr.SASL.Name())
			case tt.wantSASL != "" && (tr.SASL == nil || tr.SASL.Name() != tt.wantSASL):
				t.Fatalf("SASL %v, want %s", tr.SASL, tt.wantSASL)
			}
		})
	}
}
