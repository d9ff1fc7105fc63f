package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestRunMainDispatch(t *testing.T) {
	var got []string
	register("test-echo", "echoes", func(_ context.Context, args []string, stdout, _ io.Writer) error {
		got = args
		if len(args) > 0 && args[0] == "fail" {
			return &exitCodeError{code: 3, err: errors.New("asked to fail")}
		}
		return nil
	})
	t.Cleanup(func() { delete(commands, "test-echo") })

	var out, errOut bytes.Buffer
	if code := runMain([]string{"test-echo", "a", "b"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if strings.Join(got, " ") != "a b" {
		t.Fatalf("args = %q", got)
	}
	if code := runMain([]string{"test-echo", "fail"}, &out, &errOut); code != 3 {
		t.Fatalf("exit %d, want 3", code)
	}
	if !strings.Contains(errOut.String(), "asked to fail") {
		t.Fatalf("stderr %q lacks the error", errOut.String())
	}
	errOut.Reset()
	if code := runMain([]string{"no-such"}, &out, &errOut); code != 2 {
		t.Fatalf("unknown command exit %d, want 2", code)
	}
	if !strings.Contains(errOut.String(), "test-echo") {
		t.Fatalf("usage does not list commands: %q", errOut.String())
	}
}
