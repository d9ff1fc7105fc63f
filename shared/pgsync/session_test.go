package pgsync

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/jackc/pgx/v5"
)

// TestConnConfigTLS checks that PG_SSLMODE and PG_SSLROOTCERT reach the
// driver's configuration: the CA is the only root trusted and the server
// name is verified for verify-full.
func TestConnConfigTLS(t *testing.T) {
	ca := writeTestCA(t)
	tests := []struct {
		name    string
		env     map[string]string
		wantTLS bool
		// verifyCA: the chain is checked by a callback, the host name not.
		verifyCA bool
	}{
		{"verify-full with url", map[string]string{"PG_URL": "postgres://u@db.example:5432/d", "PG_SSLMODE": "verify-full", "PG_SSLROOTCERT": ca}, true, false},
		{"verify-ca with host", map[string]string{"PG_HOST": "db.example", "PG_DATABASE": "d", "PG_SSLMODE": "verify-ca", "PG_SSLROOTCERT": ca}, true, true},
		{"disable", map[string]string{"PG_HOST": "db.example", "PG_DATABASE": "d", "PG_SSLMODE": "disable"}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.env["ES_INDEX"] = "i"
			cfg, err := LoadConfig(config.FromMap(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			cc, err := connConfig(cfg)
			if err != nil {
				t.Fatal(err)
			}
			tlsCfg := cc.TLSConfig
			if (tlsCfg != nil) != tt.wantTLS {
				t.Fatalf("TLS config %v, want TLS %v", tlsCfg, tt.wantTLS)
			}
			if !tt.wantTLS {
				return
			}
			if tlsCfg.RootCAs == nil || tlsCfg.ServerName != "db.example" {
				t.Fatalf("root CAs %v, server name %q", tlsCfg.RootCAs, tlsCfg.ServerName)
			}
			if tt.verifyCA != (tlsCfg.InsecureSkipVerify && tlsCfg.VerifyPeerCertificate != nil) {
				t.Fatalf("verify-ca %v: InsecureSkipVerify %v, callback %v", tt.verifyCA, tlsCfg.InsecureSkipVerify, tlsCfg.VerifyPeerCertificate != nil)
			}
			if cc.RuntimeParams["TimeZone"] != "UTC" || cc.RuntimeParams["search_path"] != `"public"` {
				t.Errorf("session parameters %v", cc.RuntimeParams)
			}
		})
	}
}

func TestLockKeyDependsOnDatabaseAndIndex(t *testing.T) {
	a, b, c := lockKey("db", "idx"), lockKey("db", "idx2"), lockKey("db2", "idx")
	if a != lockKey("db", "idx") || a == b || a == c || lockKey("d", "bidx") == lockKey("db", "idx") {
		t.Fatalf("lock keys %d %d %d", a, b, c)
	}
}

func writeTestCA(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSessionCloseReleasesLock: once close returns, another connection can
// take the lock at once. Closing the connection alone leaves the release to
// the server backend's exit, after Close has returned, and the next scheduled
// sync of the same index could then end as skipped.
func TestSessionCloseReleasesLock(t *testing.T) {
	cc, err := pgx.ParseConfig(pgTestURL())
	if err != nil {
		t.Fatal(err)
	}
	other := pgConnect(t)
	// The key is private to this run: the test binaries of other checkouts
	// share the database, and the same test running there at the same time
	// would hold a fixed key between our close and our check.
	var token [8]byte
	_, _ = rand.Read(token[:])
	key := lockKey("test", "lock-release-"+hex.EncodeToString(token[:]))
	for i := range 20 {
		sess, err := openSession(t.Context(), cc, key)
		if err != nil {
			t.Fatalf("round %d: open: %v", i, err)
		}
		sess.close(t.Context())
		var got bool
		if err := other.QueryRow(t.Context(), "SELECT pg_try_advisory_lock($1)", key).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if !got {
			t.Fatalf("round %d: the lock was still held after close returned", i)
		}
		if _, err := other.Exec(t.Context(), "SELECT pg_advisory_unlock($1)", key); err != nil {
			t.Fatal(err)
		}
	}
}
