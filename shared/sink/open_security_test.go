package sink

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/esbulk"
	"github.com/esconnect/esconnect/shared/esclient"
	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/esnode/esnodetest"
	"github.com/esconnect/esconnect/shared/targettest"
)

// captureDefaultLog routes the default slog logger, which esclient warns on
// when verification is off, into a buffer for the rest of the test. The
// tests that use it are not parallel, so no other test logs meanwhile.
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

// handleTwo opens the sink with env against srv and hands it two JSON
// records, bounded by a timeout so a hung TLS handshake fails the test.
func handleTwo(t *testing.T, srv *esnode.Server, env map[string]string, logs *bytes.Buffer) (Result, error) {
	t.Helper()
	env[EnvSinkIndex] = "secured"
	env[esbulk.EnvRetryMax] = "1"
	h := openSink(t, srv, env, logs)
	payload := awsEvent(t, records("orders", 0, 2, func(i int) string { return `{"n":1}` }))
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	return h.Handle(ctx, payload)
}

// TestOpenVerifiesTLSOnEsnode serves the esnode over TLS with a certificate from a
// CA of its own: the sink trusts it only through ES_CA_CERT, refuses it by
// default with a certificate error, and skips verification only with
// ES_TLS_SKIP_VERIFY, warning that it does.
func TestOpenVerifiesTLSOnEsnode(t *testing.T) {
	srv := esnodetest.Start(t, esnode.Options{SelfSignedTLS: true, RefreshInterval: -1})
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
		{"inline ca", map[string]string{esclient.EnvCACert: string(srv.CACertPEM)}, false, false},
		{"system roots only", map[string]string{}, true, false},
		{"skip verify", map[string]string{esclient.EnvTLSSkipVerify: "true"}, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			global := captureDefaultLog(t)
			var logs bytes.Buffer
			res, err := handleTwo(t, srv, tc.env, &logs)
			if !tc.wantErr {
				if err != nil || res.Indexed != 2 {
					t.Fatalf("Handle = %+v, %v; want 2 indexed", res, err)
				}
			} else {
				if !errors.Is(err, ErrUnconfirmed) || res.Indexed != 0 || len(res.Failures) != 2 {
					t.Fatalf("Handle = %+v, %v; want ErrUnconfirmed for both records", res, err)
				}
				// What the operator sees: the certificate problem and the
				// setting that fixes it, at once: another attempt would be
				// refused the same way, so nothing is retried.
				if f := res.Failures[0]; f.Type != "tls_certificate_error" || !strings.Contains(f.Reason, "certificate") ||
					!strings.Contains(f.Reason, esclient.EnvCACert) {
					t.Fatalf("failure %+v does not report the certificate and %s", f, esclient.EnvCACert)
				}
				if !errors.Is(err, esclient.ErrCertificate) || !strings.Contains(err.Error(), esclient.EnvCACert) || res.Retries != 0 {
					t.Fatalf("Handle = %+v, %v; want ErrCertificate naming %s, without retries", res, err, esclient.EnvCACert)
				}
			}
			warned := strings.Contains(global.String(), esclient.EnvTLSSkipVerify)
			if warned != tc.wantWarn {
				t.Fatalf("warning logged %t, want %t: %s", warned, tc.wantWarn, global.String())
			}
			if warned && !strings.Contains(global.String(), `"level":"WARN"`) {
				t.Fatalf("skip-verify message is not a warning: %s", global.String())
			}
		})
	}
}

// TestOpenAuthenticatesOnEsnode checks that ES_USERNAME/ES_PASSWORD and ES_API_KEY
// reach the node, and that wrong or missing credentials fail the batch so
// the platform re-delivers it, rather than being counted as written.
func TestOpenAuthenticatesOnEsnode(t *testing.T) {
	const user, password, keyID, key = "elastic", "auth-pw-s3cret", "key-1", "auth-key-s3cret"
	srv := esnodetest.Start(t, esnode.Options{
		Username: user, Password: password, APIKeys: []esnode.APIKey{{ID: keyID, Key: key}}, RefreshInterval: -1,
	})
	apiKey := func(id, k string) string { return base64.StdEncoding.EncodeToString([]byte(id + ":" + k)) }
	tests := []struct {
		name    string
		env     map[string]string
		wantErr bool
	}{
		{"basic", map[string]string{esclient.EnvUsername: user, esclient.EnvPassword: password}, false},
		{"api key", map[string]string{esclient.EnvAPIKey: apiKey(keyID, key)}, false},
		{"wrong password", map[string]string{esclient.EnvUsername: user, esclient.EnvPassword: password + "x"}, true},
		{"wrong api key", map[string]string{esclient.EnvAPIKey: apiKey(keyID, key+"x")}, true},
		{"no credentials", map[string]string{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			res, err := handleTwo(t, srv, tc.env, &logs)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Handle = %+v, %v; want error %t", res, err, tc.wantErr)
			}
			if !tc.wantErr {
				if res.Indexed != 2 {
					t.Fatalf("indexed %d of 2", res.Indexed)
				}
				return
			}
			if res.Indexed != 0 || res.DeadLettered != 0 || len(res.Failures) != 2 || res.Failures[0].Status != 401 {
				t.Fatalf("refused credentials: %+v, want both records failed with status 401", res)
			}
			out, _ := json.Marshal(res)
			for _, secret := range []string{password, key, apiKey(keyID, key), apiKey(keyID, key+"x")} {
				for where, s := range map[string]string{"result": string(out), "log": logs.String(), "error": err.Error()} {
					if strings.Contains(s, secret) {
						t.Errorf("credential leaked in the %s: %s", where, s)
					}
				}
			}
		})
	}
}

// TestHandleNeverLeaksAPIKeyOrDLQPasswordOnEsnode extends
// TestHandleNeverLeaksCredentialsOnEsnode to the API key and to a dead-letter SASL
// password given as DLQ_PASSWORD rather than inside the target URL, with
// the handler logging at debug level and the default logger captured too.
func TestHandleNeverLeaksAPIKeyOrDLQPasswordOnEsnode(t *testing.T) {
	const keyID, key, dlqPassword = "key-1", "api-key-s3cret", "dlq-env-pw-s3cret"
	srv := esnodetest.Start(t, esnode.Options{APIKeys: []esnode.APIKey{{ID: keyID, Key: key}}})
	admin := targettest.Esnode(t, srv)
	conflictIndex(t, admin, "orders")
	dl := startKafka(t)
	goodKey := base64.StdEncoding.EncodeToString([]byte(keyID + ":" + key))
	badKey := base64.StdEncoding.EncodeToString([]byte(keyID + ":" + key + "-wrong"))

	tests := []struct {
		name    string
		env     map[string]string
		wantErr error
	}{
		{"api key, dead letters in an es index", map[string]string{esclient.EnvAPIKey: goodKey, EnvDLQTarget: "es://dead-letters"}, nil},
		{"dlq password from env refused by the broker", map[string]string{
			esclient.EnvAPIKey: goodKey, EnvDLQTarget: dl.target(),
			EnvDLQSASLMechanism: "plain", EnvDLQUsername: "u", EnvDLQPassword: dlqPassword,
		}, ErrDeadLetter},
		{"wrong api key", map[string]string{esclient.EnvAPIKey: badKey, EnvDLQTarget: "es://dead-letters"}, ErrUnconfirmed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			global := captureDefaultLog(t)
			var logs bytes.Buffer
			env := map[string]string{
				esclient.EnvURL: srv.URL, esbulk.EnvRetryMax: "1", esbulk.EnvRetryBackoffInitial: "1ms",
				esbulk.EnvRetryBackoffMax: "5ms", EnvSinkIndex: "orders", EnvValueFormat: "json",
			}
			for k, v := range tc.env {
				env[k] = v
			}
			cfg, err := LoadConfig(config.FromMap(env))
			if err != nil {
				t.Fatalf("LoadConfig: %v", err)
			}
			places := map[string]string{"settings": cfg.Elasticsearch.String()}
			h, closeFn, err := Open(t.Context(), cfg, slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			t.Cleanup(func() { _ = closeFn() })
			_, payload := conflictBatch(t, 4, 1)
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			res, err := h.Handle(ctx, payload)
			if (err == nil) != (tc.wantErr == nil) || !errors.Is(err, tc.wantErr) {
				t.Fatalf("Handle err = %v, want %v", err, tc.wantErr)
			}
			out, _ := json.Marshal(res)
			places["result"], places["log"], places["default log"], places["error"] = string(out), logs.String(), global.String(), errString(err)
			if tc.wantErr == nil {
				letters, _ := json.Marshal(admin.SearchAll(t, "dead-letters"))
				if res.DeadLettered != 1 || !bytes.Contains(letters, []byte(`"function"`)) {
					t.Fatalf("dead letter not stored: %+v %s", res, letters)
				}
				places["dead letters"] = string(letters)
			}
			for where, s := range places {
				for _, secret := range []string{key, goodKey, badKey, dlqPassword} {
					if strings.Contains(s, secret) {
						t.Errorf("%s leaked in the %s: %s", secret, where, s)
					}
				}
			}
		})
	}
}

// TestHandleAuthFailureIsNotDeadLetteredOnEsnode: credentials Elasticsearch refuses
// (expired, rotated, mistyped) say nothing about the records. Before this
// test the whole-request 401 came back from the bulk writer as a permanent
// failure of every item, so with a working dead-letter topic every batch was
// dead-lettered and acknowledged, and the stream drained into the DLQ until
// someone noticed. The batch must fail instead, so the platform re-delivers
// it once the credentials are fixed.
func TestHandleAuthFailureIsNotDeadLetteredOnEsnode(t *testing.T) {
	srv := esnodetest.Start(t, esnode.Options{Username: "elastic", Password: "right-pw", RefreshInterval: -1})
	dl := startKafka(t)
	for _, onFailure := range []string{OnFailureDLQ, OnFailureLog} {
		t.Run(onFailure, func(t *testing.T) {
			env := map[string]string{
				esclient.EnvUsername: "elastic", esclient.EnvPassword: "wrong-pw", esbulk.EnvRetryMax: "1",
				EnvSinkIndex: "orders", EnvOnFailure: onFailure,
			}
			if onFailure == OnFailureDLQ {
				env[EnvDLQTarget] = dl.target()
			}
			h := openSink(t, srv, env, nil)
			payload := awsEvent(t, records("orders", 0, 3, func(i int) string { return `{"n":1}` }))
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			res, err := h.Handle(ctx, payload)
			if !errors.Is(err, ErrUnconfirmed) {
				t.Fatalf("Handle err = %v, want ErrUnconfirmed", err)
			}
			if res.DeadLettered != 0 || res.Skipped != 0 || len(res.Failures) != 3 || res.Failures[0].Status != 401 ||
				res.Failures[0].Outcome != OutcomeFailed {
				t.Fatalf("result %+v, want 3 failed records with status 401", res)
			}
			if n := dl.end(t); n != 0 {
				t.Fatalf("%d records were dead-lettered for a credentials problem", n)
			}
		})
	}
}
