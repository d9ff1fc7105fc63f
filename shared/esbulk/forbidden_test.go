package esbulk_test

import (
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"testing"

	"github.com/esconnect/esconnect/shared/esbulk"
	"github.com/esconnect/esconnect/shared/esclient"
	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/targettest"
)

// A write block (403 cluster_block_exception) may lift: the items are
// retried until the budget runs out, and the error is ErrIncomplete, not
// ErrForbidden.
func TestWriteBlockRetried(t *testing.T) {
	targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
		c := connect(t, e)
		index := e.Index("blocked")
		e.CreateIndex(t, index, "")
		e.SetWriteBlock(t, index, true)
		w := writer(t, c, esbulk.Config{RetryMax: 3})
		rep, err := w.Write(t.Context(), docs(index, 4, 50))
		if !errors.Is(err, esbulk.ErrIncomplete) || errors.Is(err, esbulk.ErrForbidden) {
			t.Fatalf("err = %v, want ErrIncomplete and not ErrForbidden", err)
		}
		for i, o := range rep.Outcomes {
			if o.Err == nil || o.Err.Type != "cluster_block_exception" || o.Err.Status != http.StatusForbidden ||
				!o.Err.Retriable || o.Err.Forbidden() || o.Attempts != 4 {
				t.Errorf("outcome %d = %+v (err %+v), want a retriable 403 cluster block after 4 attempts", i, o, o.Err)
			}
		}
		if got := len(rep.Unresolved()); got != 4 {
			t.Errorf("unresolved = %d, want 4", got)
		}
	})
}

// liftOnRetry is a slog handler that lifts the write block when the writer
// announces its first retry, so the test knows the block was hit before it
// goes away without timing anything.
type liftOnRetry struct {
	slog.Handler
	lift func()
}

func (h liftOnRetry) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "bulk retry" && h.lift != nil {
		h.lift()
	}
	return nil
}

func (h liftOnRetry) Enabled(context.Context, slog.Level) bool { return true }

func TestWriteBlockLifted(t *testing.T) {
	targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
		c := connect(t, e)
		index := e.Index("flood")
		e.CreateIndex(t, index, "")
		e.SetWriteBlock(t, index, true)
		var once bool
		cfg := esbulk.DefaultConfig()
		cfg.Client, cfg.RetryMax, cfg.BackoffInitial, cfg.BackoffMax = c.tr, 5, 1, 2
		cfg.Logger = slog.New(liftOnRetry{Handler: slog.DiscardHandler, lift: func() {
			if !once {
				once = true
				e.SetWriteBlock(t, index, false)
			}
		}})
		w, err := esbulk.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := w.Write(t.Context(), docs(index, 6, 50))
		if err != nil {
			t.Fatalf("Write: %v", err)
		}
		if rep.Created != 6 || rep.Retries != 6 || rep.Requests != 2 {
			t.Errorf("report %+v: want 6 created after one retry of each, in 2 requests", rep)
		}
		if e.Node != nil && e.Node.Node.Stats().WriteBlocked != 6 {
			t.Errorf("esnode refused %d writes, want 6", e.Node.Node.Stats().WriteBlocked)
		}
		if got := c.Count(t, index); got != 6 {
			t.Errorf("count = %d, want 6", got)
		}
	})
}

func apiKey(id, key string) string { return base64.StdEncoding.EncodeToString([]byte(id + ":" + key)) }

// A key without the index privilege gets 403 security_exception per item:
// no retry (the same key gets the same answer), and Write fails with
// ErrForbidden so the caller does not take the items for bad documents.
// Wrong credentials (401 for the whole request) are the same kind.
// TestWriteForbiddenOnEsnode needs API keys with role descriptors: the real
// test servers run without security.
func TestWriteForbiddenOnEsnode(t *testing.T) {
	keys := []esnode.APIKey{
		{ID: "admin", Key: "admin-secret"},
		{ID: "reader", Key: "reader-secret", RoleDescriptors: map[string]esnode.RoleDescriptor{
			"read-only": {Indices: []esnode.IndexPrivileges{{Names: []string{"orders*"}, Privileges: []string{"read", "view_index_metadata"}}}},
		}},
	}
	tests := []struct {
		name   string
		key    string
		status int
	}{
		{"missing index privilege", apiKey("reader", "reader-secret"), http.StatusForbidden},
		{"wrong key", apiKey("reader", "not-the-secret"), http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c := node(t, esnode.Options{APIKeys: keys}, esclient.Config{APIKey: tt.key})
			w := writer(t, c, esbulk.Config{RetryMax: 5})
			rep, err := w.Write(t.Context(), docs("orders", 3, 50))
			if !errors.Is(err, esbulk.ErrForbidden) || errors.Is(err, esbulk.ErrIncomplete) {
				t.Fatalf("err = %v, want ErrForbidden and not ErrIncomplete", err)
			}
			if rep.Requests != 1 || rep.Retries != 0 || rep.Failed != 3 {
				t.Errorf("report %+v: want one request, no retry, 3 failed", rep)
			}
			for i, o := range rep.Outcomes {
				if o.Err == nil || o.Err.Status != tt.status || o.Err.Retriable || !errors.Is(o.Err, esbulk.ErrForbidden) {
					t.Errorf("outcome %d = %+v (err %+v), want a forbidden %d", i, o, o.Err, tt.status)
				}
			}
		})
	}
}

// ES_COMPRESS=true: the writer's bodies go out gzipped and the server
// stores every document.
func TestWriteCompressed(t *testing.T) {
	targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
		c := connect(t, e, esclient.Config{Compress: true})
		w := writer(t, c, esbulk.Config{MaxDocs: 20})
		index := e.Index("gz")
		rep, err := w.Write(t.Context(), docs(index, 100, 300))
		if err != nil {
			t.Fatal(err)
		}
		if rep.Created != 100 || rep.Requests != 5 {
			t.Errorf("report %+v, want 100 created in 5 requests", rep)
		}
		if got := c.Count(t, index); got != 100 {
			t.Errorf("count = %d, want 100", got)
		}
		if e.Node != nil && e.Node.Node.Stats().BulkItems != 100 {
			t.Errorf("esnode answered %d bulk items, want 100", e.Node.Node.Stats().BulkItems)
		}
	})
}
