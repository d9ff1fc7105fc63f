package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esconnect/esconnect/shared/platform"
	"github.com/esconnect/esconnect/shared/targettest"
)

// withTestFunction registers an in-test function: it echoes the event with
// the platform it ran on, and fails on {"fail": "..."}.
func withTestFunction(t *testing.T) {
	t.Helper()
	functionOpeners["test-fn"] = func(context.Context, *slog.Logger) (platform.Handler, func() error, error) {
		h := func(ctx context.Context, payload []byte) (any, error) {
			var ev struct{ Fail string }
			if err := json.Unmarshal(payload, &ev); err != nil {
				return nil, err
			}
			if ev.Fail != "" {
				return nil, errors.New(ev.Fail)
			}
			inv, _ := platform.FromContext(ctx)
			return map[string]any{"event": json.RawMessage(payload), "platform": inv.Platform}, nil
		}
		return h, func() error { return nil }, nil
	}
	t.Cleanup(func() { delete(functionOpeners, "test-fn") })
}

func writeEvent(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestInvokeCommand(t *testing.T) {
	withTestFunction(t)
	ok := writeEvent(t, `{"n":1}`)
	bad := writeEvent(t, `{"fail":"index closed"}`)
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string // substring
		wantStderr string // substring
	}{
		{"aws by default", []string{"invoke", "test-fn", "--event", ok}, 0, `{"event":{"n":1},"platform":"aws"}`, ""},
		{"fc adapter", []string{"invoke", "test-fn", "--event", ok, "--platform", "fc"}, 0, `"platform":"fc"`, "FC Invoke End RequestId: local-invoke"},
		{"flags before the name", []string{"invoke", "--event", ok, "test-fn"}, 0, `"platform":"aws"`, ""},
		{"failure", []string{"invoke", "test-fn", "--event", bad}, 1, `{"errorMessage":"index closed","errorType":"FunctionError"}`, "index closed"},
		{"fc failure", []string{"invoke", "test-fn", "--event", bad, "--platform", "fc"}, 1, `"errorType":"FunctionError"`, "index closed"},
		{"unknown function", []string{"invoke", "nope", "--event", ok}, 2, "", "unknown function"},
		{"no event", []string{"invoke", "test-fn"}, 2, "", "--event is required"},
		{"bad platform", []string{"invoke", "test-fn", "--event", ok, "--platform", "gcp"}, 2, "", "unknown platform"},
		{"missing file", []string{"invoke", "test-fn", "--event", filepath.Join(t.TempDir(), "none.json")}, 1, "", "reading the event"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := runMain(tt.args, &stdout, &stderr)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.wantCode, &stdout, &stderr)
			}
			if !strings.Contains(stdout.String(), tt.wantStdout) {
				t.Errorf("stdout %q lacks %q", &stdout, tt.wantStdout)
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr %q lacks %q", &stderr, tt.wantStderr)
			}
		})
	}
}

func TestInvokeStdin(t *testing.T) {
	withTestFunction(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdin
	os.Stdin = r
	t.Cleanup(func() { os.Stdin = old; r.Close() })
	if _, err := w.WriteString(`{"from":"stdin"}`); err != nil {
		t.Fatal(err)
	}
	w.Close()
	var stdout, stderr bytes.Buffer
	if code := runMain([]string{"invoke", "test-fn", "--event", "-"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, &stderr)
	}
	if !strings.Contains(stdout.String(), `{"from":"stdin"}`) {
		t.Fatalf("stdout %q lacks the stdin event", &stdout)
	}
}

// TestInvokeKafkaEsSink runs the real handler on the MSK fixture against
// each engine, with the deployed function's environment variables.
func TestInvokeKafkaEsSink(t *testing.T) {
	targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
		index := e.Index("invoke-test")
		for k, v := range e.Env() {
			t.Setenv(k, v)
		}
		t.Setenv("ES_INDEX", index)
		t.Setenv("ES_REFRESH", "true")
		for _, kind := range []string{"aws", "fc"} {
			t.Run(kind, func(t *testing.T) {
				var stdout, stderr bytes.Buffer
				code := runMain([]string{"invoke", "kafka-es-sink", "--event", "../../events/aws-msk.json", "--platform", kind}, &stdout, &stderr)
				if code != 0 {
					t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, &stdout, &stderr)
				}
				var res struct {
					Received, Indexed int
				}
				if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
					t.Fatalf("stdout %q is not the JSON result: %v", &stdout, err)
				}
				if res.Received != 3 || res.Indexed != 3 {
					t.Fatalf("result %+v, want 3 received and indexed", res)
				}
			})
		}
		// Deterministic ids: the second invocation updated the same 3 documents.
		if n := e.Count(t, index); n != 3 {
			t.Fatalf("index holds %d documents, want 3", n)
		}
	})
}

func TestInvokeBadConfiguration(t *testing.T) {
	t.Setenv("ES_URL", "not a url")
	t.Setenv("BULK_MAX_DOCS", "many")
	var stdout, stderr bytes.Buffer
	code := runMain([]string{"invoke", "kafka-es-sink", "--event", "../../events/aws-msk.json"}, &stdout, &stderr)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr %s", code, &stderr)
	}
	for _, want := range []string{"ES_URL", "BULK_MAX_DOCS"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr %q does not name %s (all problems at once)", &stderr, want)
		}
	}
}
