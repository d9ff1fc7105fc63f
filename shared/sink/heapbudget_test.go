package sink

import (
	"testing"
)

// heapBudget is the bound on the peak heap of one invocation,
// relative to its payload: the payload plus everything the handler holds
// for it (decoded records, document bodies, request and answer buffers).
const heapBudget = 3.0

// TestSixMBEventHeapBudgetOnEsnode handles a 6 MB MSK event (Lambda's payload
// limit) into a blackhole esnode in another process and asserts the hard
// upper bound of the peak heap: the payload plus every byte one Handle
// allocates with the collector off (nothing is freed, so the peak cannot
// be higher). The allocation count does not depend on timing or on the
// collector, so the figure is stable from run to run. The sampled peak
// with the collector on is logged for comparison; it can only be lower.
func TestSixMBEventHeapBudgetOnEsnode(t *testing.T) {
	payload := sixMBEvent(t)
	h := openSink(t, externalNode(t), map[string]string{EnvSinkIndex: "orders"}, nil)
	// The first invocation also sets up connections and allocates the
	// buffers the handler and the bulk writer keep for the next ones;
	// later ones reuse them, live again but not allocated again, so the
	// first counts every byte. The worst of all four is asserted.
	first := handleAllocated(t, h, payload)
	worst := first
	for range 3 {
		worst = max(worst, handleAllocated(t, h, payload))
	}
	size := float64(len(payload))
	bound := (size + float64(worst)) / size
	peak := (size + float64(sampledPeak(t, h, payload))) / size
	t.Logf("payload %d bytes: allocation bound %.3fx (first invocation %.3fx), sampled peak %.3fx",
		len(payload), bound, (size+float64(first))/size, peak)
	if bound > heapBudget {
		t.Fatalf("peak heap bound %.3fx the payload, budget %.1fx", bound, heapBudget)
	}
}
