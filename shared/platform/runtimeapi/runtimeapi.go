// Package runtimeapi emulates the AWS Lambda Runtime API (2018-06-01) for
// one function process, the way Lambda drives a warm instance, so that a
// bootstrap can be started, timed and invoked on this machine: by the
// functions' tests (through platformtest) and by esconnect-bench.
package runtimeapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Prefix is the path prefix of the Lambda Runtime API (2018-06-01).
const Prefix = "/2018-06-01/runtime/"

// Server emulates the Runtime API: GET invocation/next blocks until an event
// is queued and answers it with the headers Lambda sends; the function posts
// its result to invocation/{id}/response or .../error (a second result, or
// one for an unknown id, is refused as Lambda refuses it), or reports a
// failed start to init/error.
type Server struct {
	srv   *http.Server
	ln    net.Listener
	queue chan queued
	done  chan struct{}

	readyOnce sync.Once
	ready     chan struct{}
	readyAt   time.Time

	mu       sync.Mutex
	waiting  map[string]*Invocation
	initErr  InitError
	initDone chan struct{} // closed at the first init/error
	seq      int
}

// Invocation is one event handed to the function and what came back.
type Invocation struct {
	// ID is the Lambda-Runtime-Aws-Request-Id it was sent with.
	ID string
	// Sent is when next started answering with the event, Done when the
	// function's result arrived: Done-Sent is the function's time for the
	// invocation, reading the event included.
	Sent, Done time.Time
	// Response is the body of .../response; ErrorType the
	// Lambda-Runtime-Function-Error-Type of .../error (empty on success).
	Response  []byte
	ErrorType string
	ErrorBody []byte
	finished  chan struct{}
}

type queued struct {
	id       string
	payload  []byte
	deadline time.Time
	inv      *Invocation
}

// InitError is what the function posted to init/error.
type InitError struct {
	// Type is the Lambda-Runtime-Function-Error-Type header.
	Type string
	// Body is Lambda's error document, as posted.
	Body []byte
}

// String is the error as a line: its type, then its body.
func (e InitError) String() string { return e.Type + ": " + string(e.Body) }

// ErrClosed is what Invoke returns once the emulator is closed.
var ErrClosed = errors.New("runtime API emulator closed")

// Start listens on a free port of 127.0.0.1 and serves until Close.
func Start() (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening for the runtime API: %w", err)
	}
	a := &Server{
		ln:       ln,
		queue:    make(chan queued),
		done:     make(chan struct{}),
		ready:    make(chan struct{}),
		initDone: make(chan struct{}),
		waiting:  map[string]*Invocation{},
	}
	a.srv = &http.Server{Handler: http.HandlerFunc(a.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = a.srv.Serve(ln) }()
	return a, nil
}

// Addr is the value of AWS_LAMBDA_RUNTIME_API.
func (a *Server) Addr() string { return a.ln.Addr().String() }

// Ready is closed at the function's first next request: its start is over.
func (a *Server) Ready() <-chan struct{} { return a.ready }

// ReadyAt is when Ready was closed.
func (a *Server) ReadyAt() time.Time {
	<-a.ready
	return a.readyAt
}

// InitErrorPosted is closed when the function posts to init/error.
func (a *Server) InitErrorPosted() <-chan struct{} { return a.initDone }

// InitError is the first error the function posted to init/error, and
// whether there was one.
func (a *Server) InitError() (InitError, bool) {
	select {
	case <-a.initDone:
	default:
		return InitError{}, false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.initErr, true
}

// Close stops the server; a blocked next is answered 410 so the function's
// runtime loop ends.
func (a *Server) Close() error {
	select {
	case <-a.done:
		return nil
	default:
	}
	close(a.done)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return a.srv.Shutdown(ctx)
}

// Invoke hands payload to the function's next request and waits for its
// result, at most until ctx ends. timeout sets the deadline header.
func (a *Server) Invoke(ctx context.Context, payload []byte, timeout time.Duration) (*Invocation, error) {
	a.mu.Lock()
	a.seq++
	id := "req-" + strconv.Itoa(a.seq)
	inv := &Invocation{ID: id, finished: make(chan struct{})}
	a.waiting[id] = inv
	a.mu.Unlock()
	q := queued{id: id, payload: payload, deadline: time.Now().Add(timeout), inv: inv}
	select {
	case a.queue <- q:
	case <-ctx.Done():
		return nil, fmt.Errorf("invocation %s not taken by the function: %w", id, ctx.Err())
	case <-a.done:
		return nil, ErrClosed
	}
	select {
	case <-inv.finished:
		return inv, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("invocation %s not answered: %w", id, ctx.Err())
	case <-a.done:
		return nil, ErrClosed
	}
}

func (a *Server) serve(w http.ResponseWriter, r *http.Request) {
	path, ok := strings.CutPrefix(r.URL.Path, Prefix)
	switch {
	case !ok:
		http.Error(w, "unknown path", http.StatusNotFound)
	case r.Method == http.MethodGet && path == "invocation/next":
		a.next(w, r)
	case r.Method == http.MethodPost && path == "init/error":
		body, _ := io.ReadAll(r.Body)
		a.mu.Lock()
		select {
		case <-a.initDone: // only the first init error matters
		default:
			a.initErr = InitError{Type: r.Header.Get("Lambda-Runtime-Function-Error-Type"), Body: body}
			close(a.initDone)
		}
		a.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	case r.Method == http.MethodPost && strings.HasPrefix(path, "invocation/"):
		a.result(w, r, strings.TrimPrefix(path, "invocation/"))
	default:
		http.Error(w, "unknown path", http.StatusNotFound)
	}
}

func (a *Server) next(w http.ResponseWriter, r *http.Request) {
	a.readyOnce.Do(func() {
		a.readyAt = time.Now()
		close(a.ready)
	})
	select {
	case q := <-a.queue:
		h := w.Header()
		h.Set("Lambda-Runtime-Aws-Request-Id", q.id)
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(q.deadline.UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:local")
		h.Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0")
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", strconv.Itoa(len(q.payload)))
		q.inv.Sent = time.Now()
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(q.payload)
	case <-r.Context().Done():
	case <-a.done:
		http.Error(w, "runtime API shutting down", http.StatusGone)
	}
}

// result takes {id}/response or {id}/error.
func (a *Server) result(w http.ResponseWriter, r *http.Request, rest string) {
	id, kind, _ := strings.Cut(rest, "/")
	if kind != "response" && kind != "error" {
		http.Error(w, "unknown path", http.StatusNotFound)
		return
	}
	body, err := io.ReadAll(r.Body)
	done := time.Now()
	if err != nil {
		http.Error(w, "reading the result: "+err.Error(), http.StatusBadRequest)
		return
	}
	a.mu.Lock()
	inv, ok := a.waiting[id]
	delete(a.waiting, id)
	a.mu.Unlock()
	if !ok {
		// Lambda refuses results for unknown or finished requests.
		http.Error(w, "unknown request id "+id, http.StatusBadRequest)
		return
	}
	inv.Done = done
	if kind == "response" {
		inv.Response = body
	} else {
		inv.ErrorType = r.Header.Get("Lambda-Runtime-Function-Error-Type")
		if inv.ErrorType == "" {
			inv.ErrorType = "Unknown"
		}
		inv.ErrorBody = body
	}
	w.WriteHeader(http.StatusAccepted)
	close(inv.finished)
}
