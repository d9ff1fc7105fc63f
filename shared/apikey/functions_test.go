package apikey_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/elastic/go-elasticsearch/v8"

	"github.com/esconnect/esconnect/shared/apikey"
	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/esbulk"
	"github.com/esconnect/esconnect/shared/esclient"
	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/esnode/esnodetest"
	"github.com/esconnect/esconnect/shared/kafkaevent"
	"github.com/esconnect/esconnect/shared/sink"
)

// unauthorized is how every denial begins; the tests look for it in the
// function's typed results (item errors, failures, the job record).
const unauthorized = "is unauthorized for API key id ["

// secured starts an esnode with a basic-auth user, who creates the keys.
func secured(t *testing.T) (*esnode.Server, *elasticsearch.Client) {
	t.Helper()
	s := esnodetest.Start(t, esnode.Options{Username: "elastic", Password: "changeme", RefreshInterval: -1})
	return s, esnodetest.Client(t, s)
}

// createKey posts the request body the way `esconnect apikey` prints it and
// returns the encoded key.
func createKey(t *testing.T, admin *elasticsearch.Client, req apikey.Request) string {
	t.Helper()
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	res, err := admin.Security.CreateAPIKey(strings.NewReader(string(body)), admin.Security.CreateAPIKey.WithContext(t.Context()))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Encoded string `json:"encoded"`
	}
	if res.StatusCode != http.StatusOK || json.NewDecoder(res.Body).Decode(&out) != nil || out.Encoded == "" {
		t.Fatalf("creating the key answered %s", res.Status())
	}
	return out.Encoded
}

// without returns req with one privilege taken out of one index entry.
func without(req apikey.Request, role string, entry int, priv string) apikey.Request {
	out := req
	out.RoleDescriptors = map[string]apikey.RoleDescriptor{}
	for name, rd := range req.RoleDescriptors {
		cp := apikey.RoleDescriptor{Cluster: rd.Cluster}
		for i, ip := range rd.Indices {
			if name == role && i == entry {
				var privs []string
				for _, p := range ip.Privileges {
					if p != priv {
						privs = append(privs, p)
					}
				}
				ip.Privileges = privs
			}
			cp.Indices = append(cp.Indices, ip)
		}
		out.RoleDescriptors[name] = cp
	}
	return out
}

// removal is one privilege taken out of a role.
type removal struct {
	entry int
	priv  string
}

// removals lists every privilege of every index entry of a role.
func removals(req apikey.Request, role string) []removal {
	var out []removal
	for i, ip := range req.RoleDescriptors[role].Indices {
		for _, p := range ip.Privileges {
			out = append(out, removal{i, p})
		}
	}
	return out
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sinkScenario runs kafka-es-sink once with a key and reports whether it
// succeeded, and the 403 it met if it did not.
type sinkScenario struct {
	name string
	opts apikey.Options
	env  map[string]string
	run  func(ctx context.Context, h *sink.Handler) (sink.Result, error)
	// onlyEntry limits the removals to one index entry (-1: all). With
	// ON_FAILURE=dlq a 403 on the main index dead-letters the records
	// (the sink treats it like any permanent item error), so that
	// scenario checks the dead-letter entry only; the other scenarios
	// cover the main index.
	onlyEntry int
}

func runSink(t *testing.T, s *esnode.Server, key string, sc sinkScenario) (sink.Result, error) {
	t.Helper()
	env := map[string]string{
		esclient.EnvURL: s.URL, esclient.EnvAPIKey: key, sink.EnvSinkIndex: sc.opts.Index,
		esbulk.EnvRetryBackoffInitial: "1ms", esbulk.EnvRetryBackoffMax: "5ms",
	}
	for k, v := range sc.env {
		env[k] = v
	}
	cfg, err := sink.LoadConfig(config.FromMap(env))
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	h, closeFn, err := sink.Open(t.Context(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = closeFn() })
	return sc.run(t.Context(), h)
}

// sawDenial reports whether a failed sink run was refused by a 403: in the
// per-record failures, or in the item error the dead-letter write returns.
func sawDenial(res sink.Result, err error) bool {
	for _, f := range res.Failures {
		if f.Status == http.StatusForbidden && f.Type == "security_exception" && strings.Contains(f.Reason, unauthorized) {
			return true
		}
	}
	var ie *esbulk.ItemError
	return errors.As(err, &ie) && ie.Status == http.StatusForbidden && ie.Type == "security_exception"
}

// TestSinkWorksWithExactlyItsKey runs the sink with a key made from the
// role descriptors apikey builds, then with each privilege removed in turn:
// the full key must work and every reduced key must fail with a 403.
func TestSinkWorksWithExactlyItsKey(t *testing.T) {
	handle := func(name string) func(context.Context, *sink.Handler) (sink.Result, error) {
		return func(ctx context.Context, h *sink.Handler) (sink.Result, error) {
			return h.Handle(ctx, fixture(t, name))
		}
	}
	key := func(s string) []byte { return []byte(s) }
	scenarios := []sinkScenario{
		{"offset ids", apikey.Options{Index: "kafka-msk"}, map[string]string{sink.EnvOnFailure: sink.OnFailureFail}, handle("aws-msk.json"), -1},
		{"generated ids", apikey.Options{Index: "kafka-gen", DocID: apikey.DocIDNone},
			map[string]string{sink.EnvOnFailure: sink.OnFailureFail, sink.EnvDocID: "none"}, handle("aws-msk.json"), -1},
		{"es dead letters", apikey.Options{Index: "kafka-ali", DLQIndex: "kafka-dlq"},
			map[string]string{sink.EnvOnFailure: sink.OnFailureDLQ, sink.EnvDLQTarget: "es://kafka-dlq"}, handle("alibaba-connector-bad-record.json"), 1},
		{"key ids with tombstones", apikey.Options{Index: "kafka-keys", DocID: apikey.DocIDKey},
			map[string]string{sink.EnvOnFailure: sink.OnFailureFail, sink.EnvDocID: "key"},
			func(ctx context.Context, h *sink.Handler) (sink.Result, error) {
				// The first batch stores the key, the second deletes it
				// (a tombstone: null value), so both privileges are used.
				rec := kafkaevent.Record{Topic: "t", Offset: 1, Timestamp: 1, Key: key("k1"), Value: key(`{"a":1}`), ValueSize: 7}
				if res, err := h.HandleRecords(ctx, []kafkaevent.Record{rec}); err != nil {
					return res, err
				}
				tomb := kafkaevent.Record{Topic: "t", Offset: 2, Timestamp: 2, Key: key("k1")}
				return h.HandleRecords(ctx, []kafkaevent.Record{tomb})
			}, -1},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			req, err := apikey.Build(sc.opts)
			if err != nil {
				t.Fatal(err)
			}
			s, admin := secured(t)
			res, err := runSink(t, s, createKey(t, admin, req), sc)
			if err != nil || len(res.Failures) > 0 && sc.env[sink.EnvOnFailure] != sink.OnFailureDLQ {
				t.Fatalf("with the full key: %v (result %+v)", err, res)
			}
			if sc.opts.DLQIndex != "" && res.DeadLettered == 0 {
				t.Fatalf("the fixture wrote no dead letter: %+v", res)
			}
			for _, rm := range removals(req, apikey.FunctionSink) {
				if sc.onlyEntry >= 0 && rm.entry != sc.onlyEntry {
					continue
				}
				t.Run("without "+rm.priv+fmt.Sprint(" on entry ", rm.entry), func(t *testing.T) {
					s, admin := secured(t)
					res, err := runSink(t, s, createKey(t, admin, without(req, apikey.FunctionSink, rm.entry, rm.priv)), sc)
					if err == nil {
						t.Fatalf("the sink succeeded without %s: %+v", rm.priv, res)
					}
					if !sawDenial(res, err) {
						t.Fatalf("the sink failed without a 403: %v (failures %+v)", err, res.Failures)
					}
				})
			}
		})
	}
}

// TestKeyForOneIndexCannotWriteAnother: a key for a-* cannot write b, and
// the sink reports the 403 instead of losing the records.
func TestKeyForOneIndexCannotWriteAnother(t *testing.T) {
	req, err := apikey.Build(apikey.Options{Index: "a-*"})
	if err != nil {
		t.Fatal(err)
	}
	s, admin := secured(t)
	sc := sinkScenario{opts: apikey.Options{Index: "b"}, env: map[string]string{sink.EnvOnFailure: sink.OnFailureFail},
		run: func(ctx context.Context, h *sink.Handler) (sink.Result, error) {
			return h.Handle(ctx, fixture(t, "aws-msk.json"))
		}, onlyEntry: -1}
	res, err := runSink(t, s, createKey(t, admin, req), sc)
	if err == nil || !sawDenial(res, err) {
		t.Fatalf("writing b with a key for a-*: %v, %+v", err, res)
	}
	for _, f := range res.Failures {
		if !strings.Contains(f.Reason, "on indices [b]") {
			t.Errorf("failure %+v does not name index b", f)
		}
	}
	if n := esnodetest.Count(t, admin, "_all"); n != 0 {
		t.Fatalf("%d documents were written", n)
	}
}
