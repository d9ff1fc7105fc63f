package platformtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const runtimePrefix = "/2018-06-01/runtime/"

// Outcome is what the function posted for one invocation (or for init).
type Outcome struct {
	// Response is the body of .../response; nil when the function failed.
	Response []byte
	// Error is the decoded body of .../error or /init/error.
	Error *ErrorBody
	// ErrorTypeHeader is the Lambda-Runtime-Function-Error-Type header.
	ErrorTypeHeader string
}

// ErrorBody is Lambda's error document.
type ErrorBody struct {
	Message string `json:"errorMessage"`
	Type    string `json:"errorType"`
}

// RuntimeAPI implements the Lambda Runtime API (2018-06-01) for one function
// process: GET invocation/next hands out queued events with the request id
// and deadline headers, and the process posts results to
// invocation/{id}/response, invocation/{id}/error or init/error.
type RuntimeAPI struct {
	srv      *httptest.Server
	queue    chan pending
	closing  chan struct{}
	ready    chan struct{}
	readyAt  atomic.Int64 // unix nanos of the first next request
	once     sync.Once
	mu       sync.Mutex
	waiting  map[string]chan Outcome
	initErrs chan Outcome
	seq      atomic.Uint64
}

type pending struct {
	id       string
	payload  []byte
	deadline time.Time
}

// NewRuntimeAPI starts the API on 127.0.0.1 and stops it at cleanup.
func NewRuntimeAPI(tb testing.TB) *RuntimeAPI {
	tb.Helper()
	a := &RuntimeAPI{
		queue:    make(chan pending, 64),
		closing:  make(chan struct{}),
		ready:    make(chan struct{}),
		waiting:  map[string]chan Outcome{},
		initErrs: make(chan Outcome, 1),
	}
	a.srv = httptest.NewUnstartedServer(http.HandlerFunc(a.serve))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("listening for the Runtime API: %v", err)
	}
	a.srv.Listener = ln
	a.srv.Start()
	tb.Cleanup(func() {
		// Release a blocked next so Close does not wait for it forever.
		close(a.closing)
		a.srv.Close()
	})
	return a
}

// Addr is the value for AWS_LAMBDA_RUNTIME_API.
func (a *RuntimeAPI) Addr() string { return strings.TrimPrefix(a.srv.URL, "http://") }

// Ready is closed when the function first asks for an invocation, i.e. when
// its cold start is over.
func (a *RuntimeAPI) Ready() <-chan struct{} { return a.ready }

// ReadyAt is when Ready was closed.
func (a *RuntimeAPI) ReadyAt() time.Time { return time.Unix(0, a.readyAt.Load()) }

// Invoke queues payload with the given timeout and waits for the outcome.
func (a *RuntimeAPI) Invoke(ctx context.Context, payload []byte, timeout time.Duration) (string, Outcome, error) {
	id := "req-" + strconv.FormatUint(a.seq.Add(1), 10)
	ch := make(chan Outcome, 1)
	a.mu.Lock()
	a.waiting[id] = ch
	a.mu.Unlock()
	select {
	case a.queue <- pending{id: id, payload: payload, deadline: time.Now().Add(timeout)}:
	case <-ctx.Done():
		return id, Outcome{}, fmt.Errorf("queueing invocation %s: %w", id, ctx.Err())
	}
	select {
	case o := <-ch:
		return id, o, nil
	case <-ctx.Done():
		return id, Outcome{}, fmt.Errorf("waiting for invocation %s: %w", id, ctx.Err())
	}
}

// InitError waits for the function to report an init error.
func (a *RuntimeAPI) InitError(ctx context.Context) (Outcome, error) {
	select {
	case o := <-a.initErrs:
		return o, nil
	case <-ctx.Done():
		return Outcome{}, fmt.Errorf("waiting for an init error: %w", ctx.Err())
	}
}

func (a *RuntimeAPI) serve(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, runtimePrefix)
	switch {
	case r.Method == http.MethodGet && path == "invocation/next":
		a.next(w, r)
	case r.Method == http.MethodPost && path == "init/error":
		o := readOutcome(r, false)
		select {
		case a.initErrs <- o:
		default: // only the first init error matters
		}
		w.WriteHeader(http.StatusAccepted)
	case r.Method == http.MethodPost && strings.HasPrefix(path, "invocation/"):
		rest := strings.TrimPrefix(path, "invocation/")
		id, kind, ok := strings.Cut(rest, "/")
		if !ok || (kind != "response" && kind != "error") {
			http.Error(w, "unknown path", http.StatusNotFound)
			return
		}
		a.mu.Lock()
		ch, found := a.waiting[id]
		delete(a.waiting, id)
		a.mu.Unlock()
		if !found {
			// The real API rejects results for unknown or finished requests.
			http.Error(w, "unknown request id "+id, http.StatusBadRequest)
			return
		}
		ch <- readOutcome(r, kind == "response")
		w.WriteHeader(http.StatusAccepted)
	default:
		http.Error(w, "unknown path", http.StatusNotFound)
	}
}

func (a *RuntimeAPI) next(w http.ResponseWriter, r *http.Request) {
	a.once.Do(func() {
		a.readyAt.Store(time.Now().UnixNano())
		close(a.ready)
	})
	select {
	case p := <-a.queue:
		h := w.Header()
		h.Set("Lambda-Runtime-Aws-Request-Id", p.id)
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(p.deadline.UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:test")
		h.Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0")
		h.Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(p.payload)
	case <-r.Context().Done():
	case <-a.closing:
		http.Error(w, "runtime API shutting down", http.StatusGone)
	}
}

func readOutcome(r *http.Request, success bool) Outcome {
	body, _ := io.ReadAll(r.Body)
	if success {
		return Outcome{Response: body}
	}
	o := Outcome{ErrorTypeHeader: r.Header.Get("Lambda-Runtime-Function-Error-Type"), Error: &ErrorBody{}}
	if err := json.Unmarshal(body, o.Error); err != nil {
		o.Error = &ErrorBody{Message: "unreadable error body: " + string(body), Type: "TestDecodeError"}
	}
	return o
}
