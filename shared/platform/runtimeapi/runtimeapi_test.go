package runtimeapi

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// call is one request of a function to the emulator.
func call(t *testing.T, method, url string, header http.Header, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, b
}

// TestRuntimeAPIProtocol plays the function's side by hand: the event
// comes with Lambda's headers, and results are taken as Lambda takes them.
func TestRuntimeAPIProtocol(t *testing.T) {
	api, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = api.Close() })
	base := "http://" + api.Addr() + Prefix
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()

	for _, tc := range []struct {
		kind, errType string
	}{{"response", ""}, {"error", "Function.Failed"}} {
		done := make(chan *Invocation, 1)
		go func() {
			inv, err := api.Invoke(ctx, []byte(`{"n":1}`), time.Minute)
			if err != nil {
				t.Error(err)
			}
			done <- inv
		}()
		res, body := call(t, http.MethodGet, base+"invocation/next", nil, nil)
		id := res.Header.Get("Lambda-Runtime-Aws-Request-Id")
		deadline, err := strconv.ParseInt(res.Header.Get("Lambda-Runtime-Deadline-Ms"), 10, 64)
		if res.StatusCode != http.StatusOK || id == "" || err != nil || time.UnixMilli(deadline).Before(time.Now()) ||
			res.Header.Get("Lambda-Runtime-Invoked-Function-Arn") == "" || res.Header.Get("Lambda-Runtime-Trace-Id") == "" ||
			string(body) != `{"n":1}` {
			t.Fatalf("next: %d %v %q", res.StatusCode, res.Header, body)
		}
		select {
		case <-api.Ready():
		default:
			t.Fatal("Ready not closed after the first next")
		}
		h := http.Header{}
		if tc.errType != "" {
			h.Set("Lambda-Runtime-Function-Error-Type", tc.errType)
		}
		if res, _ := call(t, http.MethodPost, base+"invocation/"+id+"/"+tc.kind, h, []byte(`"out"`)); res.StatusCode != http.StatusAccepted {
			t.Fatalf("%s: status %d", tc.kind, res.StatusCode)
		}
		inv := <-done
		if inv == nil {
			t.FailNow()
		}
		if inv.ErrorType != tc.errType || inv.Done.Before(inv.Sent) {
			t.Fatalf("%s: %+v", tc.kind, inv)
		}
		if tc.kind == "response" && string(inv.Response) != `"out"` || tc.kind == "error" && string(inv.ErrorBody) != `"out"` {
			t.Fatalf("%s: result %q / %q", tc.kind, inv.Response, inv.ErrorBody)
		}
		// A second result for the same request is refused, as Lambda does.
		if res, _ := call(t, http.MethodPost, base+"invocation/"+id+"/response", nil, nil); res.StatusCode != http.StatusBadRequest {
			t.Fatalf("a second result got %d", res.StatusCode)
		}
	}

	// Closing answers a waiting next, so the function's loop ends.
	next := make(chan int, 1)
	go func() {
		res, err := http.Get(base + "invocation/next")
		if err != nil {
			next <- -1
			return
		}
		res.Body.Close()
		next <- res.StatusCode
	}()
	// Whether the request arrives before or after Close, it ends: 410,
	// or a refused connection.
	if err := api.Close(); err != nil {
		t.Fatal(err)
	}
	if code := <-next; code != http.StatusGone && code != -1 {
		t.Fatalf("a next waiting at close got %d", code)
	}
}

// TestInitErrorKeepsTheFirst posts two start failures: the first is kept,
// as Lambda records only one init error per start.
func TestInitErrorKeepsTheFirst(t *testing.T) {
	api, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = api.Close() })
	if _, ok := api.InitError(); ok {
		t.Fatal("an init error before any was posted")
	}
	base := "http://" + api.Addr() + Prefix
	for _, typ := range []string{"Runtime.ConfigError", "Runtime.Other"} {
		h := http.Header{"Lambda-Runtime-Function-Error-Type": {typ}}
		if res, _ := call(t, http.MethodPost, base+"init/error", h, []byte(`{"errorType":"`+typ+`"}`)); res.StatusCode != http.StatusAccepted {
			t.Fatalf("init/error: status %d", res.StatusCode)
		}
	}
	select {
	case <-api.InitErrorPosted():
	default:
		t.Fatal("InitErrorPosted not closed")
	}
	e, ok := api.InitError()
	if !ok || e.Type != "Runtime.ConfigError" || string(e.Body) != `{"errorType":"Runtime.ConfigError"}` {
		t.Fatalf("init error %+v %v", e, ok)
	}
}
