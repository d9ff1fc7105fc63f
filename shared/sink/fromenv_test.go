package sink

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/esconnect/esconnect/shared/esclient"
	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/esnode/esnodetest"
)

// TestFromEnvOnEsnode: the opener the function's main and esconnect invoke
// share reads the process environment, hands the connection settings to
// prepareES before building anything, and builds a handler that writes.
func TestFromEnvOnEsnode(t *testing.T) {
	srv, es := node(t, esnode.Options{})
	t.Setenv(esclient.EnvURL, srv.URL)
	t.Setenv(EnvSinkIndex, "orders")

	errPrepared := errors.New("prepared")
	var seen []string
	_, _, err := FromEnv(func(_ context.Context, c *esclient.Config) error {
		seen = c.URLs
		return errPrepared
	})(t.Context(), nil)
	if !errors.Is(err, errPrepared) || len(seen) != 1 || seen[0] != srv.URL {
		t.Fatalf("open = %v, prepareES saw %q; want its error after seeing %s", err, seen, srv.URL)
	}

	h, closeFn, err := FromEnv(nil)(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := closeFn(); err != nil {
			t.Error(err)
		}
	})
	out, err := h(t.Context(), awsEvent(t, records("orders", 0, 3, func(int) string { return "v" })))
	if err != nil {
		t.Fatal(err)
	}
	if res, ok := out.(Result); !ok || res.Indexed != 3 {
		t.Fatalf("handler answered %#v, want a Result with 3 records indexed", out)
	}
	esnodetest.Refresh(t, es, "orders")
	if n := esnodetest.Count(t, es, "orders"); n != 3 {
		t.Errorf("%d documents, want 3", n)
	}
}

// TestFromEnvReportsEveryProblem: a settings failure is the configuration
// error, naming every variable at fault.
func TestFromEnvReportsEveryProblem(t *testing.T) {
	t.Setenv(EnvSinkIndex, "")
	t.Setenv(esclient.EnvURL, "ftp://x")
	t.Setenv(EnvOnFailure, "sometimes")
	_, _, err := FromEnv(nil)(t.Context(), nil)
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range []string{"kafka-es-sink configuration", EnvSinkIndex, esclient.EnvURL, EnvOnFailure} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
}
