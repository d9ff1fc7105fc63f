package esbulk_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/esbulk"
	"github.com/esconnect/esconnect/shared/esclient"
	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/esnode/esnodetest"
	"github.com/esconnect/esconnect/shared/targettest"
)

// conn is how a test reaches an engine: the transport the functions build
// (esclient.New: one attempt per request) for the writer, and the engine
// itself (its API and read helpers) for reading back what was stored.
type conn struct {
	*targettest.Engine
	tr *esclient.Transport
}

// connect returns a conn to e; cfg's non-zero fields (credentials,
// compression) are used for the writer's transport.
func connect(t *testing.T, e *targettest.Engine, cfg ...esclient.Config) conn {
	t.Helper()
	env := config.FromMap(e.Env())
	ec := esclient.LoadConfig(env)
	if err := env.Err(); err != nil {
		t.Fatal(err)
	}
	if len(cfg) > 0 {
		ec.APIKey, ec.Compress = cfg[0].APIKey, cfg[0].Compress
	}
	ec.RequestTimeout = 10 * time.Second
	tr, err := esclient.New(ec)
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups run last-in first-out: idle connections close before the
	// node shuts down.
	t.Cleanup(tr.CloseIdleConnections)
	return conn{Engine: e, tr: tr}
}

// node starts an esnode with opts, for the tests that need what only the
// esnode has (fault injection, a small http.max_content_length, API keys),
// and returns it with a conn to it.
func node(t *testing.T, opts esnode.Options, cfg ...esclient.Config) (*esnode.Server, conn) {
	t.Helper()
	srv := esnodetest.Start(t, opts)
	return srv, connect(t, targettest.Esnode(t, srv), cfg...)
}

// bulkRequests is the number of bulk requests the esnode served; -1 on a
// real server, which is shared with other tests and cannot say.
func bulkRequests(c conn) int64 {
	if c.Node == nil {
		return -1
	}
	return c.Node.Node.Stats().BulkRequests
}

// writer returns a Writer of DefaultConfig with short backoffs so retry
// tests run fast; over's non-zero fields replace those settings (a test
// that needs a zero RetryMax or DeadlineMargin calls esbulk.New itself).
func writer(t *testing.T, c conn, over esbulk.Config) *esbulk.Writer {
	t.Helper()
	cfg := esbulk.DefaultConfig()
	cfg.Client = c.tr
	cfg.BackoffInitial, cfg.BackoffMax = time.Millisecond, 20*time.Millisecond
	cfg.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	for _, f := range []struct{ dst, src *int }{
		{&cfg.MaxBytes, &over.MaxBytes}, {&cfg.MaxDocs, &over.MaxDocs},
		{&cfg.Concurrency, &over.Concurrency}, {&cfg.RetryMax, &over.RetryMax},
	} {
		if *f.src != 0 {
			*f.dst = *f.src
		}
	}
	for _, f := range []struct{ dst, src *time.Duration }{
		{&cfg.BackoffInitial, &over.BackoffInitial}, {&cfg.BackoffMax, &over.BackoffMax},
		{&cfg.DeadlineMargin, &over.DeadlineMargin},
	} {
		if *f.src != 0 {
			*f.dst = *f.src
		}
	}
	if over.Refresh != "" {
		cfg.Refresh = over.Refresh
	}
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
	targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
		c := connect(t, e)
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				index := e.Index(fmt.Sprintf("split-%d", i))
				before := bulkRequests(c)
				w := writer(t, c, tt.cfg)
				rep, err := w.Write(t.Context(), docs(index, tt.n, tt.size))
				if err != nil {
					t.Fatal(err)
				}
				if rep.Requests != tt.wantRequests {
					t.Errorf("report says %d bulk requests, want %d", rep.Requests, tt.wantRequests)
				}
				// The esnode counts what it served, which checks the report.
				if got := bulkRequests(c) - before; before >= 0 && got != int64(tt.wantRequests) {
					t.Errorf("node saw %d bulk requests, want %d", got, tt.wantRequests)
				}
				if rep.Created != tt.n || rep.Failed != 0 || rep.Retries != 0 {
					t.Errorf("report = created %d failed %d retries %d", rep.Created, rep.Failed, rep.Retries)
				}
				if got := c.Count(t, index); got != tt.n {
					t.Errorf("index holds %d documents, want %d", got, tt.n)
				}
			})
		}
	})
}

func TestWriteOutcomes(t *testing.T) {
	targettest.Engines(t, func(t *testing.T, e *targettest.Engine) { testWriteOutcomes(t, connect(t, e)) })
}

func testWriteOutcomes(t *testing.T, c conn) {
	w := writer(t, c, esbulk.Config{})
	ix := c.Index("outcomes")
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
		{esbulk.Action{Op: esbulk.OpIndex, Index: ix, ID: "bad-type", Body: []byte(`{"n":"not a number"}`)}, 400, "", c.MappingErrorType(), false},
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
	if got := c.Source(t, ix, "existing"); got["n"] != 5.0 {
		t.Errorf("existing = %v, want n=5", got)
	}
}

func TestWriteRetriesTransientFailuresOnEsnode(t *testing.T) {
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
			if got := c.Count(t, "faulty"); got != n {
				t.Errorf("index holds %d documents, want %d", got, n)
			}
			if st := w.Stats(); st.Retries != int64(rep.Retries) || st.Created != n || st.Writes != 1 {
				t.Errorf("stats = %+v", st)
			}
		})
	}
}

func TestWriteRetryBudgetExhaustedOnEsnode(t *testing.T) {
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

func TestWriteRespectsDeadlineOnEsnode(t *testing.T) {
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
	targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
		c := connect(t, e)
		w := writer(t, c, esbulk.Config{DeadlineMargin: time.Second})
		ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
		defer cancel()
		index := e.Index("margin")
		rep, err := w.Write(ctx, docs(index, 3, 50))
		if !errors.Is(err, esbulk.ErrIncomplete) || rep.Requests != 0 {
			t.Fatalf("err = %v, requests %d; want ErrIncomplete without sending", err, rep.Requests)
		}
		// Nothing was sent: the write would have created the index.
		if got := bulkRequests(c); got > 0 || e.Exists(t, index) {
			t.Errorf("the write reached the server (esnode bulk requests %d)", got)
		}
	})
}

func TestWriteCancelledBeforeTheWrite(t *testing.T) {
	targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
		c := connect(t, e)
		w := writer(t, c, esbulk.Config{})
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		index := e.Index("cancelled")
		rep, err := w.Write(ctx, docs(index, 5, 50))
		if !errors.Is(err, esbulk.ErrIncomplete) || !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want ErrIncomplete and context.Canceled", err)
		}
		if len(rep.Unresolved()) != 5 || rep.Requests != 0 {
			t.Errorf("unresolved %v, requests %d", rep.Unresolved(), rep.Requests)
		}
		if got := bulkRequests(c); got > 0 || e.Exists(t, index) {
			t.Errorf("the write reached the server (esnode bulk requests %d)", got)
		}
		for _, o := range rep.Outcomes {
			if o.Err == nil || o.Err.Type != "cancelled" {
				t.Errorf("outcome %+v", o)
			}
		}
	})
}

// TestWriteCancelledDuringARequestOnEsnode holds the request with the
// esnode's latency fault so that the cancellation arrives mid-request.
func TestWriteCancelledDuringARequestOnEsnode(t *testing.T) {
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
	targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
		c := connect(t, e)
		w := writer(t, c, esbulk.Config{MaxBytes: 1024})
		index := e.Index("big")
		actions := docs(index, 5, 100)
		actions[2].Body = fmt.Appendf(nil, `{"pad":"%s"}`, strings.Repeat("y", 10_000))
		before := bulkRequests(c)
		rep, err := w.Write(t.Context(), actions)
		if err != nil || rep.Created != 5 {
			t.Fatalf("err %v, created %d", err, rep.Created)
		}
		// [0 1] [2 alone] [3 4]
		if rep.Requests != 3 {
			t.Errorf("%d bulk requests, want 3", rep.Requests)
		}
		if got := bulkRequests(c) - before; before >= 0 && got != 3 {
			t.Errorf("node saw %d bulk requests, want 3", got)
		}
		if n := c.Count(t, index); n != 5 {
			t.Errorf("index holds %d documents, want 5", n)
		}
	})
}

// TestWriteTooLargeOnEsnode needs a node with a small http.max_content_length
// (4 KiB): the real test servers accept 16 MB.
func TestWriteTooLargeOnEsnode(t *testing.T) {
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
			if got := c.Count(t, "large"); got != tt.wantCreated {
				t.Errorf("index holds %d documents, want %d", got, tt.wantCreated)
			}
		})
	}
}

func TestWriteRefresh(t *testing.T) {
	targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
		c := connect(t, e)
		index := e.Index("fresh")
		// No periodic refresh: only the bulk request's refresh=true can make
		// the documents searchable.
		e.CreateIndex(t, index, `{"settings":{"index.refresh_interval":"-1"}}`)
		w := writer(t, c, esbulk.Config{Refresh: "true"})
		if _, err := w.Write(t.Context(), docs(index, 3, 50)); err != nil {
			t.Fatal(err)
		}
		// Count without refreshing first (e.Count would refresh).
		res, err := e.API.Count(e.API.Count.WithIndex(index), e.API.Count.WithContext(t.Context()))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out struct {
			Count int `json:"count"`
		}
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.IsError() {
			t.Fatalf("count: %s, %v", res.Status(), err)
		}
		if out.Count != 3 {
			t.Errorf("count = %d, want 3 visible without a refresh", out.Count)
		}
	})
}

func TestWriteEmpty(t *testing.T) {
	targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
		c := connect(t, e)
		w := writer(t, c, esbulk.Config{})
		rep, err := w.Write(t.Context(), nil)
		if err != nil || rep.Requests != 0 || len(rep.Outcomes) != 0 || bulkRequests(c) > 0 {
			t.Errorf("empty write: %v, %+v, esnode bulk requests %d", err, rep, bulkRequests(c))
		}
	})
}
