package main

import (
	"context"
	"encoding/json"
	"net"
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/errtype"
	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/esnode/esnodetest"
	"github.com/esconnect/esconnect/shared/platform/platformtest"
	"github.com/esconnect/esconnect/shared/targettest"
)

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// TestErrorTypes runs the built function on both platforms and checks that
// each kind of failure reaches the platform with its own errorType: in the
// Lambda Runtime API's error document, and in FC's 404 body.
func TestErrorTypes(t *testing.T) {
	bin := platformtest.Build(t, pkg)
	cases := []struct {
		name     string
		env      func(t *testing.T) map[string]string
		payload  []byte
		init     bool
		wantType string
	}{
		{name: "bad settings", init: true, wantType: errtype.Config,
			env: func(*testing.T) map[string]string { return map[string]string{"ES_URL": "not a url", "PG_PORT": "many"} }},
		{name: "not a schedule event", payload: []byte(`{"Records":[]}`), wantType: errtype.InvalidPayload,
			env: func(t *testing.T) map[string]string {
				schema := testTable(t)
				return syncEnv(newTarget(targettest.Esnode(t, esnodetest.Start(t, esnode.Options{})), schema), schema, nil)
			}},
		{name: "postgres unreachable", payload: []byte("{}"), wantType: errtype.PostgresUnavailable,
			env: func(t *testing.T) map[string]string {
				return syncEnv(newTarget(targettest.Esnode(t, esnodetest.Start(t, esnode.Options{})), "public"), "public",
					map[string]string{"PG_URL": "postgres://postgres@" + closedAddr(t) + "/test?sslmode=disable"})
			}},
		{name: "table not in the database", payload: []byte("{}"), wantType: errtype.PostgresNotFound,
			env: func(t *testing.T) map[string]string {
				schema := testTable(t)
				return syncEnv(newTarget(targettest.Esnode(t, esnodetest.Start(t, esnode.Options{})), schema), schema, map[string]string{"PG_TABLES": "no_such_table"})
			}},
	}
	for _, c := range cases {
		t.Run("lambda/"+c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
			defer cancel()
			api := platformtest.NewRuntimeAPI(t)
			env := c.env(t)
			env["AWS_LAMBDA_RUNTIME_API"] = api.Addr()
			platformtest.Start(t, bin, env)
			var o platformtest.Outcome
			var err error
			if c.init {
				o, err = api.InitError(ctx)
			} else {
				_, o, err = api.Invoke(ctx, c.payload, 30*time.Second)
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.Error == nil || o.Error.Type != c.wantType {
				t.Fatalf("outcome %+v (response %s), want errorType %s", o.Error, o.Response, c.wantType)
			}
		})
		t.Run("fc/"+c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
			defer cancel()
			_, base := platformtest.StartFC(ctx, t, bin, c.env(t))
			var r platformtest.FCResponse
			var err error
			if c.init {
				r, err = platformtest.InitializeFC(ctx, base, "init")
			} else {
				r, err = platformtest.InvokeFC(ctx, base, "req", c.payload, 30)
			}
			if err != nil {
				t.Fatal(err)
			}
			var body struct {
				Type string `json:"errorType"`
			}
			if r.Status != 404 || r.FCStatus != "404" || json.Unmarshal(r.Body, &body) != nil || body.Type != c.wantType {
				t.Fatalf("answer %d (x-fc-status %s) %s, want 404 with errorType %s", r.Status, r.FCStatus, r.Body, c.wantType)
			}
		})
	}
}
