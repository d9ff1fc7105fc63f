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

// closedAddr returns a loopback address nothing listens on: connections to
// it are refused at once.
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

// The failures below need an esnode of their own (credentials, a node that
// is up while the dead-letter target is down), so they run on the esnode
// only; what they check is the function's errorType, not the engine.

// errorCase is one failure the built function must report with errorType.
type errorCase struct {
	name    string
	env     func(t *testing.T) map[string]string
	payload string // fixture name, or raw bytes when it does not end in .json
	// init: the failure is at start-up (Lambda init error, FC /initialize).
	init     bool
	wantType string
}

func errorCases() []errorCase {
	node := func(opts esnode.Options, extra map[string]string) func(t *testing.T) map[string]string {
		return func(t *testing.T) map[string]string {
			return sinkEnv(targettest.Esnode(t, esnodetest.Start(t, opts)), index, extra)
		}
	}
	return []errorCase{
		{name: "bad settings", init: true, wantType: errtype.Config,
			env: func(*testing.T) map[string]string {
				return map[string]string{"ES_URL": "not a url", "BULK_MAX_DOCS": "many"}
			}},
		{name: "not a trigger payload", payload: "{not json", wantType: errtype.InvalidPayload,
			env: node(esnode.Options{}, nil)},
		{name: "elasticsearch unreachable", payload: "aws-msk.json", wantType: errtype.ElasticsearchUnavailable,
			env: func(t *testing.T) map[string]string {
				return map[string]string{"ES_URL": "http://" + closedAddr(t), "ES_INDEX": index, "RETRY_MAX": "1",
					"RETRY_BACKOFF_INITIAL": "1ms", "RETRY_BACKOFF_MAX": "2ms"}
			}},
		{name: "credentials refused", payload: "aws-msk.json", wantType: errtype.Forbidden,
			env: node(esnode.Options{Username: "elastic", Password: "right"},
				map[string]string{"ES_USERNAME": "elastic", "ES_PASSWORD": "wrong"})},
		{name: "records failed for good", payload: "aws-msk-bad-base64.json", wantType: errtype.RecordsFailed,
			env: node(esnode.Options{}, map[string]string{"ON_FAILURE": "fail"})},
		{name: "dead-letter target down", payload: "aws-msk-bad-base64.json", wantType: errtype.DeadLetterUnavailable,
			env: func(t *testing.T) map[string]string {
				return sinkEnv(targettest.Esnode(t, esnodetest.Start(t, esnode.Options{})), index, map[string]string{
					"ON_FAILURE": "dlq", "DLQ_TARGET": "kafka://" + closedAddr(t) + "/dead-letters"})
			}},
	}
}

func (c errorCase) body(t *testing.T) []byte {
	if len(c.payload) > 5 && c.payload[len(c.payload)-5:] == ".json" {
		return fixture(t, c.payload)
	}
	return []byte(c.payload)
}

// TestErrorTypes runs the built function on both platforms and checks that
// each kind of failure reaches the platform with its own errorType: in the
// Lambda Runtime API's error document and header, and in FC's 404 body.
func TestErrorTypes(t *testing.T) {
	bin := platformtest.Build(t, pkg)
	for _, c := range errorCases() {
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
				_, o, err = api.Invoke(ctx, c.body(t), 30*time.Second)
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.Error == nil || o.Error.Type != c.wantType {
				t.Fatalf("outcome %+v (response %s), want errorType %s", o.Error, o.Response, c.wantType)
			}
			// The init error is posted by the adapter itself, which also
			// sets the error-type header.
			if c.init && o.ErrorTypeHeader != c.wantType {
				t.Errorf("init error header %q, want %s", o.ErrorTypeHeader, c.wantType)
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
				r, err = platformtest.InvokeFC(ctx, base, "req", c.body(t), 30)
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
