package platform_test

import (
	"context"
	"encoding/json"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/platform/platformtest"
)

const echofn = "github.com/esconnect/esconnect/shared/platform/testdata/echofn"

// testTimeout bounds every wait on a child process.
const testTimeout = 30 * time.Second

type echoResult struct {
	Echo        json.RawMessage `json:"echo"`
	RequestID   string          `json:"request_id"`
	Platform    string          `json:"platform"`
	DeadlineMS  int64           `json:"deadline_ms"`
	WaitedUntil string          `json:"waited_until"`
}

func TestBinaryOnLambda(t *testing.T) {
	bin := platformtest.Build(t, echofn)

	t.Run("several invocations", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
		defer cancel()
		api := platformtest.NewRuntimeAPI(t)
		platformtest.Start(t, bin, map[string]string{"AWS_LAMBDA_RUNTIME_API": api.Addr()})
		steps := []struct {
			payload  string
			timeout  time.Duration
			wantFail string
		}{
			{`{"n":1}`, 10 * time.Second, ""},
			{`{"fail":"mapping conflict on field x"}`, 10 * time.Second, "mapping conflict on field x"},
			{`not json`, 10 * time.Second, "decoding event"},
			{`{"n":2}`, 3 * time.Second, ""},
		}
		for _, s := range steps {
			id, o, err := api.Invoke(ctx, []byte(s.payload), s.timeout)
			if err != nil {
				t.Fatal(err)
			}
			if s.wantFail != "" {
				if o.Error == nil || !strings.Contains(o.Error.Message, s.wantFail) || o.Error.Type != "FunctionError" {
					t.Fatalf("%s: outcome %+v, want FunctionError containing %q", s.payload, o, s.wantFail)
				}
				continue
			}
			var r echoResult
			if err := json.Unmarshal(o.Response, &r); err != nil {
				t.Fatalf("%s: response %q: %v (error %+v)", s.payload, o.Response, err, o.Error)
			}
			if string(r.Echo) != s.payload || r.RequestID != id || r.Platform != "aws" {
				t.Fatalf("%s: got %+v, want echo with request id %s on aws", s.payload, r, id)
			}
			// The handler's deadline is Lambda-Runtime-Deadline-Ms.
			if r.DeadlineMS <= 0 || r.DeadlineMS > s.timeout.Milliseconds() {
				t.Fatalf("%s: deadline %d ms, want within (0, %d]", s.payload, r.DeadlineMS, s.timeout.Milliseconds())
			}
		}
	})

	t.Run("bad configuration is an init error", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
		defer cancel()
		api := platformtest.NewRuntimeAPI(t)
		p := platformtest.Start(t, bin, map[string]string{"AWS_LAMBDA_RUNTIME_API": api.Addr(), "ECHOFN_BAD_CONFIG": "1"})
		o, err := api.InitError(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if o.Error.Type != "InitError" || !strings.Contains(o.Error.Message, "ES_URL") || !strings.Contains(o.Error.Message, "BULK_MAX_DOCS") {
			t.Fatalf("init error %+v, want InitError naming both problems", o.Error)
		}
		code, err := p.Wait(ctx)
		if err != nil || code != 1 {
			t.Fatalf("exit = %d, %v; want 1", code, err)
		}
		select {
		case <-api.Ready():
			t.Fatal("a function that failed to start asked for an invocation")
		default:
		}
	})
}

func TestBinaryOnFC(t *testing.T) {
	bin := platformtest.Build(t, echofn)

	t.Run("invocations", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
		defer cancel()
		p, base := platformtest.StartFC(ctx, t, bin, map[string]string{"FC_TIMEOUT": "60"})
		if r, err := platformtest.InitializeFC(ctx, base, "init-1"); err != nil || r.Status != 200 || r.FCStatus != "200" {
			t.Fatalf("initialize: %+v %v", r, err)
		}
		r, err := platformtest.InvokeFC(ctx, base, "req-ok", []byte(`{"n":1}`), 5)
		if err != nil || r.Status != 200 || r.FCStatus != "200" {
			t.Fatalf("invoke: %+v %v", r, err)
		}
		var res echoResult
		if err := json.Unmarshal(r.Body, &res); err != nil {
			t.Fatal(err)
		}
		if string(res.Echo) != `{"n":1}` || res.RequestID != "req-ok" || res.Platform != "fc" {
			t.Fatalf("result %+v", res)
		}
		if res.DeadlineMS <= 0 || res.DeadlineMS > 5000 {
			t.Fatalf("deadline %d ms, want x-fc-function-timeout (5 s)", res.DeadlineMS)
		}
		r, err = platformtest.InvokeFC(ctx, base, "req-bad", []byte(`{"fail":"no such index"}`), 5)
		if err != nil || r.Status != 404 || r.FCStatus != "404" {
			t.Fatalf("failing invoke: %+v %v", r, err)
		}
		var er platformtest.ErrorBody
		if err := json.Unmarshal(r.Body, &er); err != nil || er.Message != "no such index" || er.Type != "FunctionError" {
			t.Fatalf("failure body %s (%v)", r.Body, err)
		}
		for _, id := range []string{"req-ok", "req-bad"} {
			for _, want := range []string{"FC Invoke Start RequestId: " + id, "FC Invoke End RequestId: " + id} {
				if _, err := p.Stdout.WaitFor(ctx, func(l string) bool { return l == want }); err != nil {
					t.Fatalf("stdout lacks %q: %v", want, err)
				}
			}
		}
		if _, err := p.Stderr.WaitFor(ctx, func(l string) bool {
			return strings.Contains(l, `"request_id":"req-bad"`) && strings.Contains(l, "no such index")
		}); err != nil {
			t.Fatalf("the failure is not logged with its request id: %v", err)
		}
	})

	t.Run("bad configuration fails initialize and invoke", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
		defer cancel()
		_, base := platformtest.StartFC(ctx, t, bin, map[string]string{"ECHOFN_BAD_CONFIG": "1"})
		for _, call := range []func() (platformtest.FCResponse, error){
			func() (platformtest.FCResponse, error) { return platformtest.InitializeFC(ctx, base, "i") },
			func() (platformtest.FCResponse, error) { return platformtest.InvokeFC(ctx, base, "v", []byte(`{}`), 5) },
		} {
			r, err := call()
			if err != nil || r.Status != 404 || r.FCStatus != "404" {
				t.Fatalf("got %+v %v, want 404", r, err)
			}
			if !strings.Contains(string(r.Body), "ES_URL") || !strings.Contains(string(r.Body), "BULK_MAX_DOCS") {
				t.Fatalf("body %s does not name every problem", r.Body)
			}
		}
	})

	t.Run("SIGTERM finishes the in-flight invocation", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
		defer cancel()
		p, base := platformtest.StartFC(ctx, t, bin, nil)
		answered := make(chan platformtest.FCResponse, 1)
		go func() {
			// The handler waits for its 2 s deadline, then answers.
			r, _ := platformtest.InvokeFC(ctx, base, "long", []byte(`{"wait_deadline":true}`), 2)
			answered <- r
		}()
		if _, err := p.Stdout.WaitFor(ctx, func(l string) bool { return l == "FC Invoke Start RequestId: long" }); err != nil {
			t.Fatal(err)
		}
		if err := p.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		r := <-answered
		if r.Status != 200 || !strings.Contains(string(r.Body), "context deadline exceeded") {
			t.Fatalf("in-flight invocation answered %+v, want 200 after its deadline", r)
		}
		if code, err := p.Wait(ctx); err != nil || code != 0 {
			t.Fatalf("exit = %d, %v; want 0 after a graceful stop", code, err)
		}
	})
}

func TestBinaryWithoutPlatform(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	bin := platformtest.Build(t, echofn)
	p := platformtest.Start(t, bin, nil)
	code, err := p.Wait(ctx)
	if err != nil || code != 2 {
		t.Fatalf("exit = %d, %v; want 2", code, err)
	}
	if !strings.Contains(p.Stderr.String(), "esconnect invoke echofn --event") {
		t.Fatalf("stderr does not say how to run locally:\n%s", p.Stderr)
	}
}
