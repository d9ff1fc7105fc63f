package pgsync

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/esbulk"
	"github.com/esconnect/esconnect/shared/esclient"
	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/esnode/esnodetest"
)

// secureEnv is one pg-es-sync deployment's settings against a test schema
// and a search server, loaded the way the function loads them.
type secureEnv struct {
	schema string
	env    map[string]string
}

// newSecureEnv creates a schema with one small table and settings that sync
// it into the server esEnv names (ES_URL and what goes with it). The index
// is named after the schema so that the advisory lock of concurrent runs
// never collides, and it and the jobs index are named through name.
func newSecureEnv(t *testing.T, esEnv map[string]string, name func(string) string) *secureEnv {
	t.Helper()
	conn := pgConnect(t)
	schema := testSchema(t, conn, `CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items VALUES (1, 'a'), (2, 'b');`)
	index := strings.ReplaceAll(schema, "_", "-")
	env := map[string]string{
		EnvPGURL: pgTestURL(), EnvPGSchema: schema, "ES_INDEX": name(index),
		EnvSyncJobsIndex:   name("jobs-" + index),
		esbulk.EnvRetryMax: "1", esbulk.EnvRetryBackoffInitial: "1ms", esbulk.EnvRetryBackoffMax: "5ms",
	}
	for k, v := range esEnv {
		env[k] = v
	}
	return &secureEnv{schema: schema, env: env}
}

// newSecureEnvOnEsnode is newSecureEnv against an esnode started with opts,
// for the TLS and authentication options only the esnode is run with.
func newSecureEnvOnEsnode(t *testing.T, opts esnode.Options) (*secureEnv, *esnode.Server) {
	t.Helper()
	opts.RefreshInterval = -1
	srv := esnodetest.Start(t, opts)
	return newSecureEnv(t, map[string]string{esclient.EnvURL: srv.URL}, func(name string) string { return name }), srv
}

// sync loads the settings with extra on top, opens a handler that logs at
// debug level into logs, and runs one on-demand sync.
func (e *secureEnv) sync(t *testing.T, extra map[string]string, logs *bytes.Buffer) (Job, error) {
	t.Helper()
	env := map[string]string{}
	for k, v := range e.env {
		env[k] = v
	}
	for k, v := range extra {
		env[k] = v
	}
	cfg, err := LoadConfig(config.FromMap(env))
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	h, closeFn, err := Open(t.Context(), cfg, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = closeFn() })
	return h.Sync(t.Context(), TriggerOnDemand, nil)
}

// captureDefaultLog routes the default slog logger, which esclient warns on
// when verification is off, into a buffer until the test ends. Tests using
// it are not parallel.
//
// net/http also logs through the default logger (TLS handshake errors) from
// its own goroutines while the test reads, hence the lock.
func captureDefaultLog(t *testing.T) *lockedBuffer {
	t.Helper()
	buf := &lockedBuffer{}
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(buf, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	return buf
}

// lockedBuffer is a bytes.Buffer safe for one writer and one reader at once.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestOpenVerifiesTLSOnEsnode: pg-es-sync trusts the esnode's own CA only through
// ES_CA_CERT, fails with a certificate verification error without it, and
// skips verification only with ES_TLS_SKIP_VERIFY, warning that it does.
func TestOpenVerifiesTLSOnEsnode(t *testing.T) {
	e, srv := newSecureEnvOnEsnode(t, esnode.Options{SelfSignedTLS: true})
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := srv.WriteCACert(caFile); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		env      map[string]string
		wantErr  bool
		wantWarn bool
	}{
		{"ca file", map[string]string{esclient.EnvCACert: caFile}, false, false},
		{"system roots only", map[string]string{}, true, false},
		{"skip verify", map[string]string{esclient.EnvTLSSkipVerify: "true"}, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			global := captureDefaultLog(t)
			var logs bytes.Buffer
			job, err := e.sync(t, tc.env, &logs)
			if tc.wantErr {
				// The first write is the job record, through the bulk writer,
				// which reports transport failures as text in its outcome;
				// the operator sees the certificate named in the error.
				if !errors.Is(err, ErrSyncFailed) || !strings.Contains(errString(err), "certificate") ||
					job.Status == StatusCompleted || job.IndexedDocumentCount != 0 {
					t.Fatalf("Sync = %s, %v; want a certificate verification error", job.Status, err)
				}
			} else if err != nil || job.Status != StatusCompleted || job.IndexedDocumentCount != 2 {
				t.Fatalf("Sync = %+v, %v; want 2 documents", job, err)
			}
			warned := strings.Contains(global.String(), `"level":"WARN"`) && strings.Contains(global.String(), esclient.EnvTLSSkipVerify)
			if warned != tc.wantWarn {
				t.Fatalf("warning logged %t, want %t: %s", warned, tc.wantWarn, global.String())
			}
		})
	}
}

// TestSyncAuthAndNoLeaksOnEsnode runs syncs with basic auth, an API key, wrong
// credentials of each kind and an unreachable PostgreSQL, and looks for
// every credential (ES password, API key, PG password) in the job, the
// captured logs and the error.
func TestSyncAuthAndNoLeaksOnEsnode(t *testing.T) {
	const esPassword, keyID, key, pgPassword = "es-pw-s3cret", "key-1", "api-key-s3cret", "pg-pw-s3cret"
	e, _ := newSecureEnvOnEsnode(t, esnode.Options{Username: "elastic", Password: esPassword, APIKeys: []esnode.APIKey{{ID: keyID, Key: key}}})
	apiKey := func(k string) string { return base64.StdEncoding.EncodeToString([]byte(keyID + ":" + k)) }
	// PostgreSQL with trust authentication ignores the password, so the
	// syncs that reach it succeed while the password is still in the
	// connection string the driver was handed.
	pgURL, err := url.Parse(pgTestURL())
	if err != nil {
		t.Fatal(err)
	}
	pgURL.User = url.UserPassword(pgURL.User.Username(), pgPassword)
	unreachable := *pgURL
	unreachable.Host = closedPort(t)

	tests := []struct {
		name    string
		env     map[string]string
		wantErr bool
	}{
		{"basic auth", map[string]string{esclient.EnvUsername: "elastic", esclient.EnvPassword: esPassword}, false},
		{"api key", map[string]string{esclient.EnvAPIKey: apiKey(key)}, false},
		{"wrong password", map[string]string{esclient.EnvUsername: "elastic", esclient.EnvPassword: esPassword + "-wrong"}, true},
		{"wrong api key", map[string]string{esclient.EnvAPIKey: apiKey(key + "-wrong")}, true},
		{"no credentials", map[string]string{}, true},
		{"postgres unreachable", map[string]string{esclient.EnvAPIKey: apiKey(key), EnvPGURL: unreachable.String()}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			global := captureDefaultLog(t)
			var logs bytes.Buffer
			if _, ok := tc.env[EnvPGURL]; !ok {
				tc.env[EnvPGURL] = pgURL.String()
			}
			job, err := e.sync(t, tc.env, &logs)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Sync = %+v, %v; want error %t", job, err, tc.wantErr)
			}
			if !tc.wantErr && job.IndexedDocumentCount != 2 {
				t.Fatalf("indexed %d of 2", job.IndexedDocumentCount)
			}
			out, _ := json.Marshal(job)
			places := map[string]string{"job": string(out), "log": logs.String(), "default log": global.String(), "error": errString(err)}
			for where, s := range places {
				for _, secret := range []string{esPassword, key, apiKey(key), apiKey(key + "-wrong"), pgPassword} {
					if strings.Contains(s, secret) {
						t.Errorf("%s leaked in the %s: %s", secret, where, s)
					}
				}
			}
		})
	}
}

// closedPort returns a 127.0.0.1 address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
