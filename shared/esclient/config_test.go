package esclient

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/config"
)

func testCAPEM(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "test ca"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestLoadConfigDefaults(t *testing.T) {
	e := config.FromMap(nil)
	c := LoadConfig(e)
	if err := e.Err(); err != nil {
		t.Fatal(err)
	}
	if len(c.URLs) != 1 || c.URLs[0] != DefaultURL {
		t.Errorf("URLs = %q, want the default", c.URLs)
	}
	if c.RequestTimeout != DefaultRequestTimeout || c.TLSSkipVerify || c.Compress || c.CACert != nil {
		t.Errorf("unexpected defaults: %v", c)
	}
}

func TestLoadConfigValid(t *testing.T) {
	ca := testCAPEM(t)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, ca, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		env   map[string]string
		check func(t *testing.T, c Config)
	}{
		{"url list", map[string]string{EnvURL: "http://127.0.0.1:9200, https://127.0.0.1:9201"},
			func(t *testing.T, c Config) {
				if len(c.URLs) != 2 || c.URLs[1] != "https://127.0.0.1:9201" {
					t.Errorf("URLs = %q", c.URLs)
				}
			}},
		{"basic auth", map[string]string{EnvUsername: "elastic", EnvPassword: "changeme"},
			func(t *testing.T, c Config) {
				if c.Username != "elastic" || c.Password != "changeme" {
					t.Errorf("credentials not read: %q", c.Username)
				}
			}},
		{"api key", map[string]string{EnvAPIKey: "aWQ6a2V5"},
			func(t *testing.T, c Config) {
				if c.APIKey != "aWQ6a2V5" {
					t.Error("api key not read")
				}
			}},
		{"cloud id replaces the default url", map[string]string{EnvCloudID: "name:Zm9v"},
			func(t *testing.T, c Config) {
				if len(c.URLs) != 0 || c.CloudID != "name:Zm9v" {
					t.Errorf("URLs = %q, CloudID = %q", c.URLs, c.CloudID)
				}
			}},
		{"ca file", map[string]string{EnvCACert: caFile},
			func(t *testing.T, c Config) {
				if !bytes.Equal(c.CACert, ca) {
					t.Error("CA file not read")
				}
			}},
		{"inline ca", map[string]string{EnvCACert: string(ca)},
			func(t *testing.T, c Config) {
				if !bytes.Equal(c.CACert, bytes.TrimSpace(ca)) {
					t.Error("inline CA not kept")
				}
			}},
		{"timeout and compression", map[string]string{EnvRequestTimeout: "5s", EnvCompress: "true", EnvTLSSkipVerify: "true"},
			func(t *testing.T, c Config) {
				if c.RequestTimeout != 5*time.Second || !c.Compress || !c.TLSSkipVerify {
					t.Errorf("got %v", c)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := config.FromMap(tt.env)
			c := LoadConfig(e)
			if err := e.Err(); err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestLoadConfigSigV4(t *testing.T) {
	tests := []struct {
		name        string
		env         map[string]string
		wantService string
	}{
		{"domain", map[string]string{EnvAuth: "AWS-SIGV4", EnvAWSRegion: "eu-west-1"}, AWSServiceES},
		{"serverless", map[string]string{EnvAuth: AuthAWSSigV4, EnvAWSRegion: "eu-west-1", EnvAWSService: "aoss",
			EnvDistribution: DistributionOpenSearch}, AWSServiceAOSS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := config.FromMap(tt.env)
			c := LoadConfig(e)
			if err := e.Err(); err != nil {
				t.Fatal(err)
			}
			if c.Auth != AuthAWSSigV4 || c.AWSService != tt.wantService || c.AWSRegion != "eu-west-1" ||
				c.Distribution != DistributionOpenSearch {
				t.Fatalf("settings %v", c)
			}
		})
	}
}

func TestLoadConfigRejects(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"username without password", map[string]string{EnvUsername: "elastic"}, []string{EnvPassword + ": required"}},
		{"password without username", map[string]string{EnvPassword: "pw"}, []string{EnvUsername + ": required"}},
		{"api key and basic auth", map[string]string{EnvAPIKey: "k", EnvUsername: "u", EnvPassword: "p"}, []string{EnvAPIKey + ": set either"}},
		{"cloud id and urls", map[string]string{EnvCloudID: "c:Zm9v", EnvURL: "http://127.0.0.1:9200"}, []string{EnvURL + ": set either"}},
		{"credentials in url", map[string]string{EnvURL: "http://u:hunter2@127.0.0.1:9200"}, []string{"credentials in the URL"}},
		{"bad scheme", map[string]string{EnvURL: "ftp://127.0.0.1"}, []string{"scheme"}},
		{"no host", map[string]string{EnvURL: "http://"}, []string{"no host"}},
		{"missing ca file", map[string]string{EnvCACert: "/nonexistent/ca.pem"}, []string{EnvCACert + ": reading"}},
		{"ca without certificate", map[string]string{EnvCACert: "-----BEGIN NOTHING-----"}, []string{"no PEM certificate"}},
		{"zero timeout", map[string]string{EnvRequestTimeout: "0s"}, []string{EnvRequestTimeout + ": must be positive"}},
		{"unknown distribution", map[string]string{EnvDistribution: "solr"}, []string{EnvDistribution}},
		{"unknown auth", map[string]string{EnvAuth: "kerberos"}, []string{EnvAuth}},
		{"sigv4 without region", map[string]string{EnvAuth: AuthAWSSigV4}, []string{EnvAWSRegion + ": required"}},
		{"sigv4 with basic auth", map[string]string{EnvAuth: AuthAWSSigV4, EnvAWSRegion: "eu-west-1", EnvUsername: "u", EnvPassword: "p"},
			[]string{EnvAuth + ": aws-sigv4 signs"}},
		{"sigv4 with elasticsearch", map[string]string{EnvAuth: AuthAWSSigV4, EnvAWSRegion: "eu-west-1", EnvDistribution: "elasticsearch"},
			[]string{EnvDistribution + ": must be opensearch"}},
		{"sigv4 unknown service", map[string]string{EnvAuth: AuthAWSSigV4, EnvAWSRegion: "eu-west-1", EnvAWSService: "s3"},
			[]string{EnvAWSService}},
		{"every problem at once",
			map[string]string{EnvUsername: "u", EnvURL: "ftp://x", EnvTLSSkipVerify: "maybe"},
			[]string{EnvPassword, EnvURL, EnvTLSSkipVerify}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := config.FromMap(tt.env)
			LoadConfig(e)
			err := e.Err()
			if err == nil {
				t.Fatal("expected an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error leaks the password: %q", err)
			}
		})
	}
}

func TestLoadConfigSkipVerifyContradictsCA(t *testing.T) {
	e := config.FromMap(map[string]string{EnvCACert: string(testCAPEM(t)), EnvTLSSkipVerify: "true"})
	LoadConfig(e)
	if err := e.Err(); err == nil || !strings.Contains(err.Error(), EnvTLSSkipVerify) {
		t.Fatalf("err = %v, want a contradiction on %s", err, EnvTLSSkipVerify)
	}
}

func TestConfigRedactsCredentials(t *testing.T) {
	c := Config{URLs: []string{"http://127.0.0.1:9200"}, Username: "elastic", Password: "hunter2", APIKey: "s3cr3tkey"}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("settings", "es", c)
	outputs := map[string]string{
		"String":   c.String(),
		"%v":       fmt.Sprintf("%v", c),
		"%+v":      fmt.Sprintf("%+v", c),
		"slog":     logged.String(),
		"pointerv": fmt.Sprintf("%v", &c),
	}
	for name, out := range outputs {
		if strings.Contains(out, "hunter2") || strings.Contains(out, "s3cr3tkey") {
			t.Errorf("%s leaks a credential: %s", name, out)
		}
		if !strings.Contains(out, config.Redacted) {
			t.Errorf("%s does not mark the redaction: %s", name, out)
		}
	}
}
