package kafkawire

import (
	"context"
	"crypto/tls"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/esconnect/esconnect/shared/esnode"
)

func TestSecurityCheck(t *testing.T) {
	tests := []struct {
		s  Security
		ok bool
	}{
		{Security{}, true},
		{Security{TLS: true}, true},
		{Security{SASLMechanism: "SCRAM-SHA-512", Username: "u", Password: "pw-1"}, true},
		{Security{SASLMechanism: "plain", Username: "u"}, false},
		{Security{Username: "u", Password: "pw-1"}, false},
		{Security{SASLMechanism: "gssapi", Username: "u", Password: "pw-1"}, false},
	}
	for _, tc := range tests {
		err := tc.s.Check()
		if (err == nil) != tc.ok {
			t.Errorf("Check(%+v) = %v, want ok %t", tc.s, err, tc.ok)
		}
		if err != nil && (!errors.Is(err, ErrSecurity) || strings.Contains(err.Error(), "pw-1")) {
			t.Errorf("Check error %v: want ErrSecurity, without the password", err)
		}
	}
}

func TestSecurityApplySASL(t *testing.T) {
	for m, name := range map[string]string{MechanismPlain: "PLAIN", MechanismSCRAMSHA256: "SCRAM-SHA-256", "SCRAM-SHA-512": "SCRAM-SHA-512"} {
		var cfg Config
		if err := (Security{SASLMechanism: m, Username: "u", Password: "p"}).Apply(&cfg); err != nil {
			t.Fatal(err)
		}
		if cfg.SASL == nil || cfg.SASL.Name() != name || cfg.TLS != nil {
			t.Errorf("%s: SASL %v, TLS %v; want %s without TLS", m, cfg.SASL, cfg.TLS, name)
		}
	}
}

// TestSecurityTLSOnKfake: a broker whose certificate a private CA signed is
// reached with that CA as PEM text or as a file, and refused against the
// system roots (verification is on unless the CA says otherwise).
func TestSecurityTLSOnKfake(t *testing.T) {
	cert, caPEM, err := esnode.SelfSignedCert()
	if err != nil {
		t.Fatal(err)
	}
	c, err := kfake.NewCluster(kfake.Ports(0), kfake.SeedTopics(1, "tls"),
		kfake.TLS(&tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()

	for name, ca := range map[string]string{"pem": string(caPEM), "file": caFile} {
		cfg := Config{Brokers: c.ListenAddrs(), DialTimeout: 5 * time.Second}
		if err := (Security{CACert: ca}).Apply(&cfg); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		cl := New(cfg)
		if err := cl.Produce(ctx, "tls", []Record{{Key: []byte(name), Value: []byte("v-" + name)}}); err != nil {
			t.Fatalf("%s: produce over TLS: %v", name, err)
		}
		cl.Close()
	}
	cl := New(Config{Brokers: c.ListenAddrs(), DialTimeout: 5 * time.Second})
	defer cl.Close()
	got, err := cl.Fetch(ctx, "tls", 0, 1)
	if err == nil {
		t.Fatalf("plaintext fetch from a TLS broker = %q, want an error", got.Value)
	}

	cfg := Config{Brokers: c.ListenAddrs(), DialTimeout: 5 * time.Second, Attempts: 1}
	if err := (Security{TLS: true}).Apply(&cfg); err != nil {
		t.Fatal(err)
	}
	sys := New(cfg)
	defer sys.Close()
	var verify *tls.CertificateVerificationError
	if _, err := sys.Fetch(ctx, "tls", 0, 0); !errors.As(err, &verify) {
		t.Fatalf("fetch against the system roots = %v, want a certificate error", err)
	}
}

func TestSecurityApplyRefusesBadCA(t *testing.T) {
	for name, ca := range map[string]string{
		"missing file": filepath.Join(t.TempDir(), "none.pem"),
		"no PEM block": "-----BEGIN nothing",
	} {
		var cfg Config
		if err := (Security{TLS: true, CACert: ca}).Apply(&cfg); !errors.Is(err, ErrSecurity) {
			t.Errorf("%s: Apply = %v, want ErrSecurity", name, err)
		}
	}
}
