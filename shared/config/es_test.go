package config

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

func TestLoadElasticsearchDefaults(t *testing.T) {
	e := FromMap(nil)
	c := LoadElasticsearch(e)
	if err := e.Err(); err != nil {
		t.Fatal(err)
	}
	if len(c.URLs) != 1 || c.URLs[0] != DefaultESURL {
		t.Errorf("URLs = %q, want the default", c.URLs)
	}
	if c.RequestTimeout != DefaultESRequestTimeout || c.TLSSkipVerify || c.Compress || c.CACert != nil {
		t.Errorf("unexpected defaults: %v", c)
	}
}

func TestLoadElasticsearchValid(t *testing.T) {
	ca := testCAPEM(t)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, ca, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		env   map[string]string
		check func(t *testing.T, c Elasticsearch)
	}{
		{"url list", map[string]string{EnvESURL: "http://127.0.0.1:9200, https://127.0.0.1:9201"},
			func(t *testing.T, c Elasticsearch) {
				if len(c.URLs) != 2 || c.URLs[1] != "https://127.0.0.1:9201" {
					t.Errorf("URLs = %q", c.URLs)
				}
			}},
		{"basic auth", map[string]string{EnvESUsername: "elastic", EnvESPassword: "changeme"},
			func(t *testing.T, c Elasticsearch) {
				if c.Username != "elastic" || c.Password != "changeme" {
					t.Errorf("credentials not read: %q", c.Username)
				}
			}},
		{"api key", map[string]string{EnvESAPIKey: "aWQ6a2V5"},
			func(t *testing.T, c Elasticsearch) {
				if c.APIKey != "aWQ6a2V5" {
					t.Error("api key not read")
				}
			}},
		{"cloud id replaces the default url", map[string]string{EnvESCloudID: "name:Zm9v"},
			func(t *testing.T, c Elasticsearch) {
				if len(c.URLs) != 0 || c.CloudID != "name:Zm9v" {
					t.Errorf("URLs = %q, CloudID = %q", c.URLs, c.CloudID)
				}
			}},
		{"ca file", map[string]string{EnvESCACert: caFile},
			func(t *testing.T, c Elasticsearch) {
				if !bytes.Equal(c.CACert, ca) {
					t.Error("CA file not read")
				}
			}},
		{"inline ca", map[string]string{EnvESCACert: string(ca)},
			func(t *testing.T, c Elasticsearch) {
				if !bytes.Equal(c.CACert, bytes.TrimSpace(ca)) {
					t.Error("inline CA not kept")
				}
			}},
		{"timeout and compression", map[string]string{EnvESRequestTimeout: "5s", EnvESCompress: "true", EnvESTLSSkipVerify: "true"},
			func(t *testing.T, c Elasticsearch) {
				if c.RequestTimeout != 5*time.Second || !c.Compress || !c.TLSSkipVerify {
					t.Errorf("got %v", c)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := FromMap(tt.env)
			c := LoadElasticsearch(e)
			if err := e.Err(); err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestLoadElasticsearchSigV4(t *testing.T) {
	tests := []struct {
		name        string
		env         map[string]string
		wantService string
	}{
		{"domain", map[string]string{EnvESAuth: "AWS-SIGV4", EnvAWSRegion: "eu-west-1"}, AWSServiceES},
		{"serverless", map[string]string{EnvESAuth: AuthAWSSigV4, EnvAWSRegion: "eu-west-1", EnvESAWSService: "aoss",
			EnvESDistribution: DistributionOpenSearch}, AWSServiceAOSS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := FromMap(tt.env)
			c := LoadElasticsearch(e)
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

func TestLoadElasticsearchRejects(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"username without password", map[string]string{EnvESUsername: "elastic"}, []string{EnvESPassword + ": required"}},
		{"password without username", map[string]string{EnvESPassword: "pw"}, []string{EnvESUsername + ": required"}},
		{"api key and basic auth", map[string]string{EnvESAPIKey: "k", EnvESUsername: "u", EnvESPassword: "p"}, []string{EnvESAPIKey + ": set either"}},
		{"cloud id and urls", map[string]string{EnvESCloudID: "c:Zm9v", EnvESURL: "http://127.0.0.1:9200"}, []string{EnvESURL + ": set either"}},
		{"credentials in url", map[string]string{EnvESURL: "http://u:hunter2@127.0.0.1:9200"}, []string{"credentials in the URL"}},
		{"bad scheme", map[string]string{EnvESURL: "ftp://127.0.0.1"}, []string{"scheme"}},
		{"no host", map[string]string{EnvESURL: "http://"}, []string{"no host"}},
		{"missing ca file", map[string]string{EnvESCACert: "/nonexistent/ca.pem"}, []string{EnvESCACert + ": reading"}},
		{"ca without certificate", map[string]string{EnvESCACert: "-----BEGIN NOTHING-----"}, []string{"no PEM certificate"}},
		{"zero timeout", map[string]string{EnvESRequestTimeout: "0s"}, []string{EnvESRequestTimeout + ": must be positive"}},
		{"unknown distribution", map[string]string{EnvESDistribution: "solr"}, []string{EnvESDistribution}},
		{"unknown auth", map[string]string{EnvESAuth: "kerberos"}, []string{EnvESAuth}},
		{"sigv4 without region", map[string]string{EnvESAuth: AuthAWSSigV4}, []string{EnvAWSRegion + ": required"}},
		{"sigv4 with basic auth", map[string]string{EnvESAuth: AuthAWSSigV4, EnvAWSRegion: "eu-west-1", EnvESUsername: "u", EnvESPassword: "p"},
			[]string{EnvESAuth + ": aws-sigv4 signs"}},
		{"sigv4 with elasticsearch", map[string]string{EnvESAuth: AuthAWSSigV4, EnvAWSRegion: "eu-west-1", EnvESDistribution: "elasticsearch"},
			[]string{EnvESDistribution + ": must be opensearch"}},
		{"sigv4 unknown service", map[string]string{EnvESAuth: AuthAWSSigV4, EnvAWSRegion: "eu-west-1", EnvESAWSService: "s3"},
			[]string{EnvESAWSService}},
		{"every problem at once",
			map[string]string{EnvESUsername: "u", EnvESURL: "ftp://x", EnvESTLSSkipVerify: "maybe"},
			[]string{EnvESPassword, EnvESURL, EnvESTLSSkipVerify}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := FromMap(tt.env)
			LoadElasticsearch(e)
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

func TestLoadElasticsearchSkipVerifyContradictsCA(t *testing.T) {
	e := FromMap(map[string]string{EnvESCACert: string(testCAPEM(t)), EnvESTLSSkipVerify: "true"})
	LoadElasticsearch(e)
	if err := e.Err(); err == nil || !strings.Contains(err.Error(), EnvESTLSSkipVerify) {
		t.Fatalf("err = %v, want a contradiction on %s", err, EnvESTLSSkipVerify)
	}
}

func TestElasticsearchRedactsCredentials(t *testing.T) {
	c := Elasticsearch{URLs: []string{"http://127.0.0.1:9200"}, Username: "elastic", Password: "hunter2", APIKey: "s3cr3tkey"}
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
		if !strings.Contains(out, Redacted) {
			t.Errorf("%s does not mark the redaction: %s", name, out)
		}
	}
}

func TestLoadBulk(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    Bulk
		wantErr []string
	}{
		{"defaults", nil, Bulk{
			MaxBytes: DefaultBulkMaxBytes, MaxDocs: DefaultBulkMaxDocs, Concurrency: DefaultBulkConcurrency,
			RetryMax: DefaultRetryMax, BackoffInitial: DefaultRetryBackoffInitial, BackoffMax: DefaultRetryBackoffMax,
			DeadlineMargin: DefaultDeadlineMargin, Refresh: "false",
		}, nil},
		{"explicit", map[string]string{
			EnvBulkMaxBytes: "1MiB", EnvBulkMaxDocs: "10", EnvBulkConcurrency: "4", EnvRetryMax: "0",
			EnvRetryBackoffInitial: "1ms", EnvRetryBackoffMax: "5ms", EnvDeadlineMargin: "0s", EnvESRefresh: "WAIT_FOR",
		}, Bulk{
			MaxBytes: 1 << 20, MaxDocs: 10, Concurrency: 4, RetryMax: 0,
			BackoffInitial: time.Millisecond, BackoffMax: 5 * time.Millisecond, DeadlineMargin: 0, Refresh: "wait_for",
		}, nil},
		{"rejects", map[string]string{
			EnvBulkMaxBytes: "0", EnvBulkMaxDocs: "-1", EnvBulkConcurrency: "1000", EnvRetryMax: "x",
			EnvRetryBackoffInitial: "2s", EnvRetryBackoffMax: "1s", EnvESRefresh: "sometimes",
		}, Bulk{}, []string{EnvBulkMaxBytes, EnvBulkMaxDocs, EnvBulkConcurrency, EnvRetryMax, EnvRetryBackoffMax, EnvESRefresh}},
		{"zero backoff", map[string]string{EnvRetryBackoffInitial: "0s"}, Bulk{}, []string{EnvRetryBackoffInitial}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := FromMap(tt.env)
			got := LoadBulk(e)
			err := e.Err()
			if tt.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				if got != tt.want {
					t.Errorf("LoadBulk = %+v, want %+v", got, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatal("expected an error")
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w+":") {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}
