package esnode_test

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/esnode"
)

func bulkBody(index string, n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "{\"index\":{\"_index\":%q,\"_id\":\"%d\"}}\n{\"i\":%d}\n", index, i, i)
	}
	return b.String()
}

func TestItem429(t *testing.T) {
	s, c := newNode(t, esnode.Options{Faults: esnode.Faults{Item429: 0.5, Seed: 7}})
	status, res := call(t, c, "POST", "/_bulk", bulkBody("f", 200))
	wantStatus(t, "bulk", status, 200, res)
	rejected := 0
	for _, it := range res["items"].([]any) {
		if get(it, "index.status") == float64(429) {
			rejected++
			if get(it, "index.error.type") != "es_rejected_execution_exception" ||
				!strings.Contains(get(it, "index.error.reason").(string), "EsThreadPoolExecutor[name = esnode-1/write, queue capacity = 10000") {
				t.Fatalf("429 item = %v", it)
			}
		}
	}
	st := s.Node.Stats()
	if rejected == 0 || rejected == 200 || int64(rejected) != st.Items429 || res["errors"] != true || st.BulkItems != 200 {
		t.Fatalf("rejected %d items, Stats %+v", rejected, st)
	}
	// The same seed gives the same rejections.
	s.Node.SetFaults(esnode.Faults{Item429: 0.5, Seed: 7})
	_, again := call(t, c, "POST", "/_bulk", bulkBody("g", 200))
	for i, it := range again["items"].([]any) {
		if (get(it, "index.status") == float64(429)) != (get(res["items"].([]any)[i], "index.status") == float64(429)) {
			t.Fatalf("item %d differs between runs with the same seed", i)
		}
	}
}

func TestRequestFaults(t *testing.T) {
	tests := []struct {
		name   string
		faults esnode.Faults
		status int
		count  func(esnode.Stats) int64
	}{
		{"503", esnode.Faults{Request503: 1}, 503, func(s esnode.Stats) int64 { return s.Request503 }},
		{"502", esnode.Faults{Request502: 1}, 502, func(s esnode.Stats) int64 { return s.Request502 }},
		{"504", esnode.Faults{Request504: 1}, 504, func(s esnode.Stats) int64 { return s.Request504 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, c := newNode(t, esnode.Options{Faults: tc.faults})
			status, res := read(t)(c.Bulk(strings.NewReader(bulkBody("x", 1)), c.Bulk.WithContext(t.Context())))
			if status != tc.status {
				t.Fatalf("status %d, want %d (%v)", status, tc.status, res)
			}
			if tc.status == 503 && errType(res) != "unavailable_shards_exception" {
				t.Fatalf("503 body = %v", res)
			}
			if raw, _ := res["raw"].(string); tc.status != 503 && !strings.Contains(raw, fmt.Sprint(tc.status)) {
				t.Fatalf("%d body = %v, want the proxy's error page", tc.status, res)
			}
			if got := tc.count(s.Node.Stats()); got != 1 {
				t.Fatalf("fault counter = %d, want 1", got)
			}
			if s.Node.Stats().BulkRequests != 0 {
				t.Fatal("a faulted request reached the bulk handler")
			}
			// GET / is spared so readiness checks pass.
			if status, _ := read(t)(c.Info(c.Info.WithContext(t.Context()))); status != 200 {
				t.Fatalf("GET / under faults = %d", status)
			}
		})
	}
}

func TestConnectionReset(t *testing.T) {
	s, c := newNode(t, esnode.Options{Faults: esnode.Faults{Reset: 1}})
	_, err := c.Bulk(strings.NewReader(bulkBody("r", 50)), c.Bulk.WithContext(t.Context()))
	if err == nil {
		t.Fatal("bulk succeeded through a reset connection")
	}
	if !errors.Is(err, syscall.ECONNRESET) && !strings.Contains(err.Error(), "EOF") {
		t.Fatalf("error = %v, want a connection reset", err)
	}
	if got := s.Node.Stats().Resets; got != 1 {
		t.Fatalf("Stats.Resets = %d", got)
	}
}

func TestLatencyAndTooLarge(t *testing.T) {
	s, c := newNode(t, esnode.Options{MaxContentLength: 1024, Faults: esnode.Faults{Latency: 150 * time.Millisecond}})
	start := time.Now()
	status, _ := call(t, c, "POST", "/_bulk", bulkBody("l", 1))
	if status != 200 || time.Since(start) < 150*time.Millisecond {
		t.Fatalf("status %d after %v, want 200 after the added latency", status, time.Since(start))
	}
	s.Node.SetFaults(esnode.Faults{})
	status, _ = call(t, c, "POST", "/_bulk", bulkBody("l", 100))
	if status != 413 {
		t.Fatalf("oversized bulk = %d, want 413", status)
	}
	st := s.Node.Stats()
	if st.TooLarge != 1 || st.Delayed != 1 {
		t.Fatalf("Stats = %+v", st)
	}
}

func TestFaultOptionValidation(t *testing.T) {
	for _, opts := range []esnode.Options{
		{Faults: esnode.Faults{Item429: 1.5}},
		{Faults: esnode.Faults{Request503: 0.6, Request502: 0.6}},
		{Faults: esnode.Faults{Latency: -1}},
		{TLSCertFile: "x"},
		{Password: "p"},
		{APIKeys: []esnode.APIKey{{ID: "a"}}},
	} {
		if _, err := esnode.New(opts); !errors.Is(err, esnode.ErrInvalidOptions) {
			t.Errorf("New(%+v) = %v, want ErrInvalidOptions", opts, err)
		}
	}
}
