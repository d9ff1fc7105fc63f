package sink

import (
	"bytes"
	"strings"
	"testing"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/esbulk"
	"github.com/esconnect/esconnect/shared/targettest"
)

// badHeaderEvent is an MSK batch of two records; the second one's header
// value is a string, not the documented array of signed bytes.
const badHeaderEvent = `{"eventSource":"aws:kafka","records":{"orders-0":[
{"topic":"orders","partition":0,"offset":1,"timestamp":1700000000000,"timestampType":"CREATE_TIME","value":"b25l","headers":[{"trace":[97,98]}]},
{"topic":"orders","partition":0,"offset":2,"timestamp":1700000000000,"timestampType":"CREATE_TIME","value":"dHdv","headers":[{"trace":"not bytes"}]}]}}`

// TestBadHeaderFailsRecordOnlyWhenHeadersAreUsed: with INCLUDE_HEADERS the
// record with an unreadable header fails alone, naming the headers, and the
// other record is written with its header; without INCLUDE_HEADERS the bad
// header is ignored and both records are written.
func TestBadHeaderFailsRecordOnlyWhenHeadersAreUsed(t *testing.T) {
	targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
		for _, include := range []bool{true, false} {
			index := e.Index("headers-" + map[bool]string{true: "on", false: "off"}[include])
			env := map[string]string{
				esbulk.EnvRetryBackoffInitial: "1ms", esbulk.EnvRetryBackoffMax: "5ms",
				EnvSinkIndex: index, EnvOnFailure: OnFailureLog, esbulk.EnvRefresh: "true",
			}
			if include {
				env[EnvIncludeHeaders] = "true"
			}
			for k, v := range e.Env() {
				env[k] = v
			}
			cfg, err := LoadConfig(config.FromMap(env))
			if err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			h, closeFn, err := Open(t.Context(), cfg, jsonLogger(&logs))
			if err != nil {
				t.Fatal(err)
			}
			res, err := h.Handle(t.Context(), []byte(badHeaderEvent))
			_ = closeFn()
			if err != nil {
				t.Fatal(err)
			}
			wantIndexed := 2
			if include {
				wantIndexed = 1
				if !strings.Contains(logs.String(), "bad_headers") {
					t.Errorf("the log does not name the bad headers:\n%s", &logs)
				}
			}
			if res.Received != 2 || res.Indexed != wantIndexed {
				t.Fatalf("INCLUDE_HEADERS=%t: result %+v, want %d indexed", include, res, wantIndexed)
			}
			src := e.Source(t, index, "orders+0+1")
			if src == nil {
				t.Fatalf("INCLUDE_HEADERS=%t: the good record is missing", include)
			}
			if _, has := src["msg_body"].(map[string]any)["headers"]; has != include {
				t.Errorf("INCLUDE_HEADERS=%t: headers in the document: %t", include, has)
			}
			if got := e.Source(t, index, "orders+0+2") != nil; got == include {
				t.Errorf("INCLUDE_HEADERS=%t: the record with the bad header written: %t", include, got)
			}
		}
	})
}
