package platform

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// testHandler echoes, fails on "fail", reports its deadline on "deadline".
func testHandler(ctx context.Context, payload []byte) (any, error) {
	switch string(payload) {
	case "fail":
		return nil, errors.New("cannot index: mapping conflict")
	case "deadline":
		d, ok := ctx.Deadline()
		if !ok {
			return map[string]any{"deadline": false}, nil
		}
		return map[string]any{"deadline": true, "remaining_s": time.Until(d).Round(time.Second).Seconds()}, nil
	case "whoami":
		inv, _ := FromContext(ctx)
		return inv, nil
	}
	return map[string]string{"echo": string(payload)}, nil
}

// startFCServer serves s on 127.0.0.1 until the test ends.
func startFCServer(t *testing.T, s *FCServer) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- ServeFC(ctx, ln, s, 5*time.Second) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ServeFC: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

func post(t *testing.T, url string, headers map[string]string, body io.Reader) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func TestFCServerInvoke(t *testing.T) {
	marks := &syncBuffer{}
	base := startFCServer(t, NewFCServer(testHandler, nil, discardLog(), marks, 7*time.Second))
	tests := []struct {
		name       string
		path       string
		headers    map[string]string
		body       string
		wantStatus int
		wantBody   string // JSON compared after normalising
	}{
		{"echo", "/invoke", map[string]string{HeaderFCRequestID: "r-1"}, "hello", 200, `{"echo":"hello"}`},
		{"handler error", "/invoke", map[string]string{HeaderFCRequestID: "r-2"}, "fail", 404,
			`{"errorMessage":"cannot index: mapping conflict","errorType":"FunctionError"}`},
		{"timeout header is the deadline", "/invoke", map[string]string{HeaderFCRequestID: "r-3", HeaderFCTimeout: "30"}, "deadline", 200,
			`{"deadline":true,"remaining_s":30}`},
		{"FC_TIMEOUT when the header is absent", "/invoke", map[string]string{HeaderFCRequestID: "r-4"}, "deadline", 200,
			`{"deadline":true,"remaining_s":7}`},
		{"malformed timeout header", "/invoke", map[string]string{HeaderFCRequestID: "r-5", HeaderFCTimeout: "soon"}, "deadline", 404, ""},
		{"request id and platform in context", "/invoke", map[string]string{HeaderFCRequestID: "r-6"}, "whoami", 200,
			`{"Platform":"fc","RequestID":"r-6"}`},
		{"initialize", "/initialize", map[string]string{HeaderFCRequestID: "r-7"}, "", 200, ""},
		{"unknown path", "/invoke/extra", nil, "x", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := post(t, base+tt.path, tt.headers, strings.NewReader(tt.body))
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, tt.wantStatus, body)
			}
			if got := resp.Header.Get(HeaderFCStatus); got != strconv.Itoa(tt.wantStatus) {
				t.Fatalf("x-fc-status = %q, want %d", got, tt.wantStatus)
			}
			if tt.wantStatus != 200 {
				var er ErrorResponse
				if err := json.Unmarshal(body, &er); err != nil || er.Message == "" || er.Type == "" {
					t.Fatalf("failure body %s is not {errorMessage, errorType}: %v", body, err)
				}
			}
			if tt.wantBody != "" {
				assertJSON(t, body, tt.wantBody)
			}
		})
	}
	for _, id := range []string{"r-1", "r-2", "r-3"} {
		for _, line := range []string{"FC Invoke Start RequestId: " + id + "\n", "FC Invoke End RequestId: " + id + "\n"} {
			if !strings.Contains(marks.String(), line) {
				t.Errorf("marker line %q missing from:\n%s", line, marks)
			}
		}
	}
}

func assertJSON(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("body %s is not JSON: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want %s is not JSON: %v", want, err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if !bytes.Equal(gb, wb) {
		t.Fatalf("body = %s, want %s", gb, wb)
	}
}

func TestFCServerPayloadCap(t *testing.T) {
	called := false
	h := func(context.Context, []byte) (any, error) { called = true; return "ok", nil }
	base := startFCServer(t, NewFCServer(h, nil, discardLog(), io.Discard, 0))
	// A reader, not a buffer: the server must stop reading at the cap.
	body := io.LimitReader(zeros{}, MaxPayloadBytes+1)
	resp, b := post(t, base+"/invoke", map[string]string{HeaderFCRequestID: "big"}, body)
	if resp.StatusCode != http.StatusNotFound || resp.Header.Get(HeaderFCStatus) != "404" {
		t.Fatalf("status = %d / %q, want 404 / 404", resp.StatusCode, resp.Header.Get(HeaderFCStatus))
	}
	var er ErrorResponse
	if err := json.Unmarshal(b, &er); err != nil {
		t.Fatal(err)
	}
	if er.Type != TypePayloadTooLarge || !strings.Contains(er.Message, "32 MiB") {
		t.Fatalf("error = %+v, want %s naming the 32 MiB limit", er, TypePayloadTooLarge)
	}
	if called {
		t.Fatal("handler ran on an oversized event")
	}
	// Exactly at the cap is accepted.
	resp, _ = post(t, base+"/invoke", nil, io.LimitReader(zeros{}, MaxPayloadBytes))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("a body of exactly %d bytes got %d", MaxPayloadBytes, resp.StatusCode)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestFCServerInitError(t *testing.T) {
	initErr := errors.Join(errors.New("ES_URL: required but not set"), errors.New("ES_INDEX: required but not set"))
	called := false
	h := func(context.Context, []byte) (any, error) { called = true; return nil, nil }
	base := startFCServer(t, NewFCServer(h, initErr, discardLog(), io.Discard, 0))
	for _, path := range []string{"/initialize", "/invoke", "/invoke"} {
		resp, b := post(t, base+path, map[string]string{HeaderFCRequestID: "i"}, strings.NewReader("{}"))
		if resp.StatusCode != 404 || resp.Header.Get(HeaderFCStatus) != "404" {
			t.Fatalf("%s: status %d, want 404", path, resp.StatusCode)
		}
		var er ErrorResponse
		if err := json.Unmarshal(b, &er); err != nil {
			t.Fatal(err)
		}
		if er.Type != TypeInitError || !strings.Contains(er.Message, "ES_URL") || !strings.Contains(er.Message, "ES_INDEX") {
			t.Fatalf("%s: error = %+v, want InitError naming every problem", path, er)
		}
	}
	if called {
		t.Fatal("handler ran although the function failed to start")
	}
}

// TestServeFCGracefulShutdown walks the SIGTERM sequence: an invocation is
// running, the stop signal arrives, new connections are refused, and the
// running invocation still gets its answer before ServeFC returns.
func TestServeFCGracefulShutdown(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	h := func(ctx context.Context, _ []byte) (any, error) {
		close(entered)
		select {
		case <-release:
			return "finished", nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	stop, cancel := context.WithCancel(t.Context())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- ServeFC(stop, ln, NewFCServer(h, nil, discardLog(), io.Discard, 0), 10*time.Second) }()

	type answer struct {
		status int
		body   []byte
		err    error
	}
	answered := make(chan answer, 1)
	go func() {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/invoke", strings.NewReader("x"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			answered <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		answered <- answer{resp.StatusCode, b, err}
	}()
	<-entered
	cancel() // the signal

	// Shutdown closes the listener before waiting; a bounded loop observes it.
	refused := false
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		c, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second)
		if err != nil {
			refused = true
			break
		}
		c.Close()
		runtime.Gosched()
	}
	if !refused {
		t.Fatal("listener still accepts connections after the stop signal")
	}
	select {
	case err := <-served:
		t.Fatalf("ServeFC returned (%v) before the in-flight invocation finished", err)
	default:
	}
	close(release)
	a := <-answered
	if a.err != nil || a.status != 200 || string(a.body) != `"finished"` {
		t.Fatalf("in-flight invocation answered %d %s %v, want 200 \"finished\"", a.status, a.body, a.err)
	}
	if err := <-served; err != nil {
		t.Fatalf("ServeFC: %v", err)
	}
}

// An event with a Content-Length is read into one buffer of its size;
// io.ReadAll's doubling would allocate about twice as much.
func TestFCServerReadsPayloadOnce(t *testing.T) {
	want := bytes.Repeat([]byte("0123456789abcdef"), 6<<20/16)
	var got int
	h := func(_ context.Context, p []byte) (any, error) {
		if !bytes.Equal(p, want) {
			return nil, errors.New("payload differs from the body sent")
		}
		got = len(p)
		return "ok", nil
	}
	srv := NewFCServer(h, nil, discardLog(), io.Discard, 0)
	req := httptest.NewRequest(http.MethodPost, "/invoke", bytes.NewReader(want))
	rec := httptest.NewRecorder()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	srv.ServeHTTP(rec, req)
	runtime.ReadMemStats(&after)
	if rec.Code != http.StatusOK || got != len(want) {
		t.Fatalf("status %d, handler saw %d bytes: %s", rec.Code, got, rec.Body)
	}
	if n, limit := after.TotalAlloc-before.TotalAlloc, uint64(len(want))+64<<10; n > limit {
		t.Fatalf("serving a %d-byte event allocated %d bytes, want at most %d", len(want), n, limit)
	}
}
