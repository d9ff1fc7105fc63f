package sink

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/esbulk"
	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/esnode/esnodetest"
	"github.com/esconnect/esconnect/shared/kafkaevent"
	"github.com/esconnect/esconnect/shared/targettest"
)

// TestHandleRetriesTransientFaultsOnEsnode injects per-item 429s, request 503s and
// connection resets: every record must end up indexed, exactly once, with
// the retries counted.
func TestHandleRetriesTransientFaultsOnEsnode(t *testing.T) {
	tests := []struct {
		name   string
		faults esnode.Faults
		seen   func(esnode.Stats) int64
	}{
		{"item 429", esnode.Faults{Item429: 0.3, Seed: 7}, func(s esnode.Stats) int64 { return s.Items429 }},
		{"request 503", esnode.Faults{Request503: 0.4, Seed: 7}, func(s esnode.Stats) int64 { return s.Request503 }},
		{"connection reset", esnode.Faults{Reset: 0.4, Seed: 7}, func(s esnode.Stats) int64 { return s.Resets }},
		{"all at once", esnode.Faults{Item429: 0.2, Request503: 0.2, Reset: 0.2, Seed: 7}, func(s esnode.Stats) int64 {
			return s.Items429 + s.Request503 + s.Resets
		}},
	}
	const n = 300
	recs := records("orders", 0, n, func(i int) string { return "value " + strconv.Itoa(i) })
	payload := awsEvent(t, recs)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, es := node(t, esnode.Options{Faults: tc.faults})
			h := openSink(t, srv, map[string]string{
				EnvSinkIndex: "orders", esbulk.EnvMaxDocs: "50", esbulk.EnvRetryMax: "30",
			}, nil)
			res, err := h.Handle(t.Context(), payload)
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if res.Indexed != n || res.Created != n || res.Received != n || res.Retries == 0 || res.BulkRequests <= n/50 {
				t.Errorf("result %+v", counts(res))
			}
			if got := tc.seen(srv.Node.Stats()); got == 0 {
				t.Errorf("the fault was never injected: %+v", srv.Node.Stats())
			}
			srv.Node.SetFaults(esnode.Faults{})
			esnodetest.Refresh(t, es, "orders")
			if c := esnodetest.Count(t, es, "orders"); c != n {
				t.Errorf("%d documents, want %d", c, n)
			}
		})
	}
}

// TestHandleRetryBudgetExhaustedOnEsnode answers every item 429: once RETRY_MAX is
// spent the records are unconfirmed, which is an error unless Lambda's
// partial batch response can hand them back.
func TestHandleRetryBudgetExhaustedOnEsnode(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		payload string
		wantErr error
		wantBIF []BatchItemFailure
	}{
		{"error without partial batch response", map[string]string{}, "aws-msk.json", ErrUnconfirmed, nil},
		{"partial batch response on AWS", map[string]string{EnvReportBatchItemFailures: "true"}, "aws-msk.json", nil,
			[]BatchItemFailure{{ItemIdentifier{Partition: "orders-0", Offset: 15230}}, {ItemIdentifier{Partition: "orders-1", Offset: 9804}}}},
		{"no partial batch response for other platforms", map[string]string{EnvReportBatchItemFailures: "true"}, "alibaba-connector.json", ErrUnconfirmed, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := node(t, esnode.Options{Faults: esnode.Faults{Item429: 1}})
			tc.env[EnvSinkIndex] = "orders"
			tc.env[esbulk.EnvRetryMax] = "2"
			h := openSink(t, srv, tc.env, nil)
			res, err := h.Handle(t.Context(), fixture(t, tc.payload))
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("Handle err = %v, want %v", err, tc.wantErr)
			}
			if res.Indexed != 0 || res.Retries != 2*res.Received || res.BulkRequests != 3 {
				t.Errorf("result %+v: want nothing indexed, 2 retries per record in 3 requests", counts(res))
			}
			if !reflect.DeepEqual(res.BatchItemFailures, tc.wantBIF) {
				t.Errorf("batchItemFailures = %+v, want %+v", res.BatchItemFailures, tc.wantBIF)
			}
			if tc.wantErr == nil && res.Failed != res.Received {
				t.Errorf("records unaccounted for: %+v", counts(res))
			}
			for _, f := range res.Failures {
				if f.Outcome != OutcomeFailed || f.Status != 429 {
					t.Errorf("failure %+v", f)
				}
			}
		})
	}
}

// TestHandleRespectsDeadlineOnEsnode gives every request more latency than the
// invocation has: Handle must give up and return an error before the
// context's deadline, keeping DEADLINE_MARGIN free. The latency is only
// twice the deadline because esnode finishes a delayed request before it
// can close, and cleanup waits for that.
func TestHandleRespectsDeadlineOnEsnode(t *testing.T) {
	srv, _ := node(t, esnode.Options{Faults: esnode.Faults{Latency: 3 * time.Second}})
	h := openSink(t, srv, map[string]string{EnvSinkIndex: "orders", esbulk.EnvDeadlineMargin: "300ms"}, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 1500*time.Millisecond)
	defer cancel()
	deadline, _ := ctx.Deadline()
	res, err := h.Handle(ctx, fixture(t, "aws-msk.json"))
	returned := time.Now()
	if !errors.Is(err, ErrUnconfirmed) {
		t.Fatalf("err = %v, want ErrUnconfirmed", err)
	}
	if !returned.Before(deadline) {
		t.Errorf("returned %s after the deadline", returned.Sub(deadline))
	}
	if res.Indexed != 0 || len(res.Failures) != res.Received {
		t.Errorf("result %+v failures %+v", counts(res), res.Failures)
	}
	if !strings.Contains(err.Error(), "deadline") {
		t.Errorf("error does not say the deadline ran out: %v", err)
	}
}

// TestHandleRecordsUsesTheSamePath covers the entry point of the
// self-hosted consumer and replay: already decoded records.
func TestHandleRecordsUsesTheSamePath(t *testing.T) {
	targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
		index := e.Index("replayed")
		h := openSinkOn(t, e, map[string]string{EnvSinkIndex: index}, nil)
		recs := records("orders", 40, 5, func(i int) string { return "r" + strconv.Itoa(i) })
		res, err := h.HandleRecords(t.Context(), recs)
		if err != nil || res.Created != 5 {
			t.Fatalf("HandleRecords: %+v, %v", counts(res), err)
		}
		for _, r := range []kafkaevent.Record{recs[0], recs[4]} {
			if got := e.Source(t, index, offsetID(r)); !reflect.DeepEqual(got, wantSource(r)) {
				t.Errorf("%s: %v", offsetID(r), got)
			}
		}
	})
}
