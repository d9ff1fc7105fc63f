package esclient_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/esclient"
	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/esnode/esnodetest"
)

func TestPing(t *testing.T) {
	srv := esnodetest.Start(t, esnode.Options{Version: "8.15.0"})
	tr := newTransport(t, esclient.Config{URLs: []string{srv.URL}})
	info, err := esclient.Ping(t.Context(), tr)
	if err != nil {
		t.Fatal(err)
	}
	if info.Version != "8.15.0" || info.ClusterName == "" {
		t.Errorf("info = %+v", info)
	}
	// The same function takes the go-elasticsearch client tools use.
	if _, err := esclient.Ping(t.Context(), esnodetest.Client(t, srv)); err != nil {
		t.Fatal(err)
	}
}

func TestPingUnreachable(t *testing.T) {
	srv, err := esnode.Start("127.0.0.1:0", esnode.Options{})
	if err != nil {
		t.Fatal(err)
	}
	url := srv.URL
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	tr := newTransport(t, esclient.Config{URLs: []string{url}, RequestTimeout: time.Second})
	if _, err := esclient.Ping(t.Context(), tr); err == nil || errors.Is(err, esclient.ErrUnavailable) {
		t.Fatalf("err = %v, want a transport error (not an answer)", err)
	}
}

func TestErrorSummary(t *testing.T) {
	tests := []struct{ body, want string }{
		{`{"error":{"type":"index_not_found_exception","reason":"no such index [x]"},"status":404}`, "index_not_found_exception: no such index [x]"},
		{`{"error":"plain message","status":400}`, "plain message"},
		{`<html>bad gateway</html>`, "<html>bad gateway</html>"},
		{strings.Repeat("a", 250), strings.Repeat("a", 200) + "..."},
	}
	for _, tt := range tests {
		if got := esclient.ErrorSummary([]byte(tt.body)); got != tt.want {
			t.Errorf("ErrorSummary(%.30q) = %q, want %q", tt.body, got, tt.want)
		}
	}
}
