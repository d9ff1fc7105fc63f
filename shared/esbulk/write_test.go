package esbulk_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/esbulk"
	"github.com/esconnect/esconnect/shared/esclient"
	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/esnode/esnodetest"
)

// conn is how a test reaches a node: the transport the functions build
// (esclient.New: one attempt per request) for the writer, and a
// go-elasticsearch client for reading back what was stored.
type conn struct {
	*elasticsearch.Client
	tr *esclient.Transport
}

// node starts an esnode and returns it with a conn to it; cfg's non-zero
// fields (credentials, compression) are used for the writer's transport.
func node(t *testing.T, opts esnode.Options, cfg ...config.Elasticsearch) (*esnode.Server, conn) {
	t.Helper()
	srv := esnodetest.Start(t, opts)
	var ec config.Elasticsearch
	if len(cfg) > 0 {
		ec = cfg[0]
	}
	ec.URLs, ec.RequestTimeout = []string{srv.URL}, 10*time.Second
	tr, err := esclient.New(ec)
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups run last-in first-out: idle connections close before the
	// node shuts down.
	t.Cleanup(tr.CloseIdleConnections)
	return srv, conn{Client: esnodetest.Client(t, srv), tr: tr}
}

// writer returns a Writer with short backoffs so retry tests run fast;
// cfg's non-zero fields override.
func writer(t *testing.T, c conn, cfg esbulk.Config) *esbulk.Writer {
	t.Helper()
	cfg.Client = c.tr
	if cfg.BackoffInitial == 0 {
		cfg.BackoffInitial = time.Millisecond
	}
	if cfg.BackoffMax == 0 {
		cfg.BackoffMax = 20 * time.Millisecond
	}
	cfg.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	w, err := esbulk.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// docs returns n index actions with ids doc-0..doc-n-1 and bodies of about
// size bytes.
func docs(index string, n, size int) []esbulk.Action {
	pad := strings.Repeat("x", max(size-30, 0))
	out := make([]esbulk.Action, n)
	for i := range out {
		out[i] = esbulk.Action{Op: esbulk.OpIndex, Index: index, ID: fmt.Sprintf("doc-%d", i),
			Body: fmt.Appendf(nil, `{"n":%d,"pad":"%s"}`, i, pad)}
	}
	return out
}

func count(t *testing.T, c conn, index string) int {
	t.Helper()
	esnodetest.Refresh(t, c.Client, index)
	return esnodetest.Count(t, c.Client, index)
}

func TestWriteSplitsRequests(t *testing.T) {
	tests := []struct {
		name         string
		n, size      int
		cfg          esbulk.Config
		wantRequests int
	}{
		{"one request", 50, 100, esbulk.Config{}, 1},
		{"by docs", 50, 100, esbulk.Config{MaxDocs: 10}, 5},
		{"by docs with remainder", 51, 100, esbulk.Config{MaxDocs: 10}, 6},
		// Each action is about 150 bytes with its action line: 6 per 1000.
		{"by bytes", 30, 100, esbulk.Config{MaxBytes: 1000}, 5},
		{"parallel", 40, 100, esbulk.Config{MaxDocs: 5, Concurrency: 4}, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := node(t, esnode.Options{})
			w := writer(t, c, tt.cfg)
			rep, err := w.Write(t.Context(), docs("split", tt.n, tt.size))
			if err != nil {
				t.Fatal(err)
			}
			if got := srv.Node.Stats().BulkRequests; got != int64(tt.wantRequests) || rep.Requests != tt.wantRequests {
				t.Errorf("node saw %d bulk requests, report says %d, want %d", got, rep.Requests, tt.wantRequests)
			}
			if rep.Created != tt.n || rep.Failed != 0 || rep.Retries != 0 {
				t.Errorf("report = created %d failed %d retries %d", rep.Created, rep.Failed, rep.Retries)
			}
			if got := count(t, c, "split"); got != tt.n {
				t.Errorf("index holds %d documents, want %d", got, tt.n)
			}
		})
	}
}

func TestWriteOutcomes(t *testing.T) {
	_, c := node(t, esnode.Options{})
	w := writer(t, c, esbulk.Config{})
	const ix = "outcomes"
	seed := []esbulk.Action{
		{Op: esbulk.OpIndex, Index: ix, ID: "existing", Body: []byte(`{"n":1}`)},
		{Op: esbulk.OpIndex, Index: ix, ID: "same", Body: []byte(`{"n":2}`)},
		{Op: esbulk.OpIndex, Index: ix, ID: "doomed", Body: []byte(`{"n":3}`)},
	}
	if rep, err := w.Write(t.Context(), seed); err != nil || rep.Created != 3 {
		t.Fatalf("seeding: %v, %+v", err, rep)
	}

	tests := []struct {
		action    esbulk.Action
		status    int
		result    string
		errType   string
		retriable bool
	}{
		{esbulk.Action{Op: esbulk.OpCreate, Index: ix, ID: "new", Body: []byte(`{"n":4}`)}, 201, "created", "", false},
		{esbulk.Action{Op: esbulk.OpIndex, Index: ix, ID: "existing", Body: []byte(`{"n":5}`)}, 200, "updated", "", false},
		{esbulk.Action{Op: esbulk.OpUpdate, Index: ix, ID: "same", Body: []byte(`{"doc":{"n":2}}`)}, 200, "noop", "", false},
		{esbulk.Action{Op: esbulk.OpUpdate, Index: ix, ID: "upserted", Body: []byte(`{"doc":{"n":6},"doc_as_upsert":true}`)}, 201, "created", "", false},
		{esbulk.Action{Op: esbulk.OpDelete, Index: ix, ID: "doomed"}, 200, "deleted", "", false},
		{esbulk.Action{Op: esbulk.OpDelete, Index: ix, ID: "never-was"}, 404, "not_found", "", false},
		{esbulk.Action{Op: esbulk.OpIndex, Index: ix, ID: "bad-type", Body: []byte(`{"n":"not a number"}`)}, 400, "", "document_parsing_exception", false},
		// An id over 512 bytes would make the servers refuse the whole
		// request; it is refused before sending and the rest is written.
		{esbulk.Action{Op: esbulk.OpIndex, Index: ix, ID: strings.Repeat("i", 513), Body: []byte(`{"n":7}`)}, 0, "", "invalid_action", false},
		{esbulk.Action{Op: esbulk.OpCreate, Index: ix, ID: "existing", Body: []byte(`{"n":8}`)}, 409, "", "version_conflict_engine_exception", false},
		{esbulk.Action{Op: esbulk.OpUpdate, Index: ix, ID: "missing", Body: []byte(`{"doc":{"n":9}}`)}, 404, "", "document_missing_exception", false},
		{esbulk.Action{Op: esbulk.OpIndex, Index: ix, ID: "old", Version: 1, VersionType: "external", Body: []byte(`{"n":10}`)}, 201, "created", "", false},
		{esbulk.Action{Op: esbulk.OpIndex, Index: ix, ID: "existing", Version: 0, VersionType: "external", Body: []byte(`{"n":11}`)}, 409, "", "version_conflict_engine_exception", false},
		{esbulk.Action{Op: esbulk.OpUpdate, Index: ix, Body: []byte(`{"doc":{}}`)}, 0, "", "invalid_action", false},
	}
	actions := make([]esbulk.Action, len(tests))
	for i, tt := range tests {
		actions[i] = tt.action
	}
	rep, err := w.Write(t.Context(), actions)
	if err != nil {
		t.Fatalf("permanent failures must not fail the write: %v", err)
	}
	if len(rep.Outcomes) != len(actions) {
		t.Fatalf("%d outcomes for %d actions", len(rep.Outcomes), len(actions))
	}
	for i, tt := range tests {
		o := rep.Outcomes[i]
		errType := ""
		if o.Err != nil {
			errType = o.Err.Type
			if o.Err.Retriable != tt.retriable {
				t.Errorf("action %d (%s %s): retriable = %t", i, tt.action.Op, tt.action.ID, o.Err.Retriable)
			}
		}
		if o.Status != tt.status || o.Result != tt.result || errType != tt.errType {
			t.Errorf("action %d (%s %.20s): status %d result %q error %q; want %d %q %q",
				i, tt.action.Op, tt.action.ID, o.Status, o.Result, errType, tt.status, tt.result, tt.errType)
		}
		if want := 1; tt.errType == "invalid_action" {
			if o.Attempts != 0 {
				t.Errorf("invalid action was sent %d times", o.Attempts)
			}
		} else if o.Attempts != want {
			t.Errorf("action %d: %d attempts, want %d (permanent failures are not retried)", i, o.Attempts, want)
		}
	}
	if rep.Created != 3 || rep.Updated != 1 || rep.Noop != 1 || rep.Deleted != 1 || rep.NotFound != 1 || rep.Failed != 6 {
		t.Errorf("counts = created %d updated %d noop %d deleted %d not_found %d failed %d",
			rep.Created, rep.Updated, rep.Noop, rep.Deleted, rep.NotFound, rep.Failed)
	}
	if rep.Retries != 0 || rep.Requests != 1 {
		t.Errorf("requests %d retries %d, want 1 and 0", rep.Requests, rep.Retries)
	}
	if got := esnodetest.Source(t, c.Client, ix, "existing"); got["n"] != 5.0 {
		t.Errorf("existing = %v, want n=5", got)
	}
}

func TestWriteRetriesTransientFailures(t *testing.T) {
	tests := []struct {
		name   string
		faults esnode.Faults
		seen   func(esnode.Stats) int64
	}{
		{"item 429", esnode.Faults{Item429: 0.3, Seed: 7}, func(s esnode.Stats) int64 { return s.Items429 }},
		{"request 503", esnode.Faults{Request503: 0.3, Seed: 7}, func(s esnode.Stats) int64 { return s.Request503 }},
		{"proxy 502 and 504", esnode.Faults{Request502: 0.2, Request504: 0.2, Seed: 7}, func(s esnode.Stats) int64 { return s.Request502 + s.Request504 }},
		{"connection resets", esnode.Faults{Reset: 0.3, Seed: 7}, func(s esnode.Stats) int64 { return s.Resets }},
		{"everything at once", esnode.Faults{Item429: 0.3, Request503: 0.1, Reset: 0.1, Seed: 3},
			func(s esnode.Stats) int64 { return s.Items429 + s.Request503 + s.Resets }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := node(t, esnode.Options{Faults: tt.faults})
			w := writer(t, c, esbulk.Config{MaxDocs: 25, Concurrency: 3, RetryMax: 30})
			const n = 300
			rep, err := w.Write(t.Context(), docs("faulty", n, 60))
			if err != nil {
				t.Fatalf("Write: %v", err)
			}
			injected := tt.seen(srv.Node.Stats())
			if injected == 0 {
				t.Fatalf("no fault was injected: %+v", srv.Node.Stats())
			}
			if rep.Retries == 0 || rep.Created != n || rep.Failed != 0 {
				t.Errorf("report: created %d failed %d retries %d (faults injected %d)", rep.Created, rep.Failed, rep.Retries, injected)
			}
			retried := 0
			for _, o := range rep.Outcomes {
				if o.Err != nil || o.Result != "created" {
					t.Fatalf("outcome %+v", o)
				}
				retried += o.Attempts - 1
			}
			if retried != rep.Retries {
				t.Errorf("attempts add up to %d re-sends, report says %d", retried, rep.Retries)
			}
			srv.Node.SetFaults(esnode.Faults{})
			if got := count(t, c, "faulty"); got != n {
				t.Errorf("index holds %d documents, want %d", got, n)
			}
			if st := w.Stats(); st.Retries != int64(rep.Retries) || st.Created != n || st.Writes != 1 {
				t.Errorf("stats = %+v", st)
			}
		})
	}
}

func TestWriteRetryBudgetExhausted(t *testing.T) {
	tests := []struct {
		name     string
		faults   esnode.Faults
		errType  string
		wantCode int
	}{
		{"every item rejected", esnode.Faults{Item429: 1}, "es_rejected_execution_exception", 429},
		{"every request 503", esnode.Faults{Request503: 1}, "unavailable_shards_exception", 503},
		{"every connection reset", esnode.Faults{Reset: 1}, "transport_error", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c := node(t, esnode.Options{Faults: tt.faults})
			w := writer(t, c, esbulk.Config{MaxDocs: 5, RetryMax: 2})
			actions := docs("budget", 10, 50)
			rep, err := w.Write(t.Context(), actions)
			if !errors.Is(err, esbulk.ErrIncomplete) {
				t.Fatalf("err = %v, want ErrIncomplete", err)
			}
			if got := rep.Unresolved(); len(got) != len(actions) || got[0] != 0 || got[9] != 9 {
				t.Errorf("Unresolved = %v, want every action", got)
			}
			// 2 chunks x (1 attempt + 2 retries).
			if rep.Requests != 6 || rep.Retries != 20 || rep.Failed != 10 {
				t.Errorf("requests %d retries %d failed %d; want 6, 20, 10", rep.Requests, rep.Retries, rep.Failed)
			}
			for i, o := range rep.Outcomes {
				if o.Attempts != 3 || o.Err == nil || !o.Err.Retriable || o.Err.Type != tt.errType || o.Status != tt.wantCode {
					t.Errorf("outcome %d = %+v, err %+v", i, o, o.Err)
				}
			}
		})
	}
}

func TestWriteRespectsDeadline(t *testing.T) {
	srv, c := node(t, esnode.Options{Faults: esnode.Faults{Latency: 2 * time.Second}})
	w := writer(t, c, esbulk.Config{DeadlineMargin: 100 * time.Millisecond})
	ctx, cancel := context.WithTimeout(t.Context(), 600*time.Millisecond)
	defer cancel()
	deadline, _ := ctx.Deadline()
	rep, err := w.Write(ctx, docs("late", 10, 50))
	returned := time.Now()
	if !errors.Is(err, esbulk.ErrIncomplete) {
		t.Fatalf("err = %v, want ErrIncomplete", err)
	}
	if slack := deadline.Sub(returned); slack < 50*time.Millisecond {
		t.Errorf("Write returned %s before the deadline, want about the 100ms margin", slack)
	}
	if srv.Node.Stats().Delayed == 0 {
		t.Error("the request never reached the node")
	}
	for _, o := range rep.Outcomes {
		if o.Err == nil || o.Err.Type != "deadline_exceeded" || !o.Err.Retriable {
			t.Fatalf("outcome %+v, err %+v", o, o.Err)
		}
	}
}

func TestWriteDeadlineAlreadyInsideMargin(t *testing.T) {
	srv, c := node(t, esnode.Options{})
	w := writer(t, c, esbulk.Config{DeadlineMargin: time.Second})
	ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancel()
	rep, err := w.Write(ctx, docs("margin", 3, 50))
	if !errors.Is(err, esbulk.ErrIncomplete) || rep.Requests != 0 {
		t.Fatalf("err = %v, requests %d; want ErrIncomplete without sending", err, rep.Requests)
	}
	if got := srv.Node.Stats().BulkRequests; got != 0 {
		t.Errorf("node saw %d bulk requests", got)
	}
}

func TestWriteCancelled(t *testing.T) {
	t.Run("before the write", func(t *testing.T) {
		srv, c := node(t, esnode.Options{})
		w := writer(t, c, esbulk.Config{})
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		rep, err := w.Write(ctx, docs("cancelled", 5, 50))
		if !errors.Is(err, esbulk.ErrIncomplete) || !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want ErrIncomplete and context.Canceled", err)
		}
		if len(rep.Unresolved()) != 5 || srv.Node.Stats().BulkRequests != 0 {
			t.Errorf("unresolved %v, node requests %d", rep.Unresolved(), srv.Node.Stats().BulkRequests)
		}
		for _, o := range rep.Outcomes {
			if o.Err == nil || o.Err.Type != "cancelled" {
				t.Errorf("outcome %+v", o)
			}
		}
	})
	t.Run("during a request", func(t *testing.T) {
		// The node holds the request for the latency without watching the
		// client: it has to let go by itself before the test's cleanup
		// can shut it down, hence 2s, much longer than Write may take to
		// notice the cancellation.
		const latency = 2 * time.Second
		srv, c := node(t, esnode.Options{Faults: esnode.Faults{Latency: latency}})
		w := writer(t, c, esbulk.Config{})
		ctx, cancel := context.WithCancel(t.Context())
		type result struct {
			rep esbulk.Report
			err error
		}
		done := make(chan result, 1)
		go func() {
			rep, err := w.Write(ctx, docs("cancelled", 5, 50))
			done <- result{rep, err}
		}()
		waitFor(t, func() bool { return srv.Node.Stats().Delayed > 0 })
		cancel()
		cancelled := time.Now()
		select {
		case r := <-done:
			if !errors.Is(r.err, esbulk.ErrIncomplete) || !errors.Is(r.err, context.Canceled) {
				t.Errorf("err = %v", r.err)
			}
			if len(r.rep.Unresolved()) != 5 {
				t.Errorf("unresolved = %v", r.rep.Unresolved())
			}
			if took := time.Since(cancelled); took > latency/2 {
				t.Errorf("Write took %s to notice the cancellation", took)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Write did not return after the cancellation")
		}
	})
}

// waitFor polls cond until it holds, for at most 5 seconds: the node's
// counters are the only signal that a request is being held.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	timeout := time.After(5 * time.Second)
	for !cond() {
		select {
		case <-tick.C:
		case <-timeout:
			t.Fatal("condition not met within 5s")
		}
	}
}

func TestWriteOversizedAction(t *testing.T) {
	srv, c := node(t, esnode.Options{})
	w := writer(t, c, esbulk.Config{MaxBytes: 1024})
	actions := docs("big", 5, 100)
	actions[2].Body = fmt.Appendf(nil, `{"pad":"%s"}`, strings.Repeat("y", 10_000))
	rep, err := w.Write(t.Context(), actions)
	if err != nil || rep.Created != 5 {
		t.Fatalf("err %v, created %d", err, rep.Created)
	}
	// [0 1] [2 alone] [3 4]
	if got := srv.Node.Stats().BulkRequests; got != 3 {
		t.Errorf("node saw %d bulk requests, want 3", got)
	}
}

func TestWriteTooLarge(t *testing.T) {
	tests := []struct {
		name         string
		actions      []esbulk.Action
		wantCreated  int
		wantTooLarge []int // indexes failed with a permanent 413
	}{
		{"split until each part fits", docs("large", 40, 300), 40, nil},
		{"single document over the node's limit", func() []esbulk.Action {
			a := docs("large", 6, 100)
			a[3].Body = fmt.Appendf(nil, `{"pad":"%s"}`, strings.Repeat("z", 8000))
			return a
		}(), 5, []int{3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := node(t, esnode.Options{MaxContentLength: 4096})
			w := writer(t, c, esbulk.Config{})
			rep, err := w.Write(t.Context(), tt.actions)
			if err != nil {
				t.Fatal(err)
			}
			if srv.Node.Stats().TooLarge == 0 {
				t.Error("the node never answered 413")
			}
			if rep.Created != tt.wantCreated || rep.Failed != len(tt.wantTooLarge) || rep.Retries != 0 {
				t.Errorf("created %d failed %d retries %d", rep.Created, rep.Failed, rep.Retries)
			}
			for _, i := range tt.wantTooLarge {
				o := rep.Outcomes[i]
				if o.Status != 413 || o.Err == nil || o.Err.Retriable {
					t.Errorf("outcome %d = %+v, err %+v; want a permanent 413", i, o, o.Err)
				}
			}
			if got := count(t, c, "large"); got != tt.wantCreated {
				t.Errorf("index holds %d documents, want %d", got, tt.wantCreated)
			}
		})
	}
}

func TestWriteRefresh(t *testing.T) {
	_, c := node(t, esnode.Options{RefreshInterval: -1})
	w := writer(t, c, esbulk.Config{Refresh: "true"})
	if _, err := w.Write(t.Context(), docs("fresh", 3, 50)); err != nil {
		t.Fatal(err)
	}
	// No explicit refresh: the bulk request's refresh=true made them visible.
	if got := esnodetest.Count(t, c.Client, "fresh"); got != 3 {
		t.Errorf("count = %d, want 3 visible without a refresh", got)
	}
}

func TestWriteEmpty(t *testing.T) {
	srv, c := node(t, esnode.Options{})
	w := writer(t, c, esbulk.Config{})
	rep, err := w.Write(t.Context(), nil)
	if err != nil || rep.Requests != 0 || len(rep.Outcomes) != 0 || srv.Node.Stats().BulkRequests != 0 {
		t.Errorf("empty write: %v, %+v", err, rep)
	}
}
