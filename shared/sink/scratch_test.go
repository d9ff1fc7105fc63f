package sink

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/esnode/esnodetest"
	"github.com/esconnect/esconnect/shared/kafkaevent"
)

// warmAllocBudget is the most a warm invocation may allocate relative to
// its payload. What it allocates anyway, about 8% (9% under the race
// detector), is the bulk writer's outcomes, the HTTP client's copy buffers
// and the string of document ids. Each buffer the scratch space keeps is
// larger than the margin: the decoded keys and values are about 68% of an
// MSK payload, the documents 75%, the records 11% and the actions 8%; an
// invocation within the budget allocated none of them again.
const warmAllocBudget = 0.15

// TestWarmInvocationsReuseBuffers handles a 6 MB event (Lambda's limit)
// again and again, as a warm function does, and counts the bytes each
// invocation after the first allocates: the decode and build buffers must
// come from the scratch space the first one left, not be allocated again.
func TestWarmInvocationsReuseBuffers(t *testing.T) {
	payload := sixMBEvent(t)
	h := openSink(t, externalNode(t), map[string]string{EnvSinkIndex: "orders"}, nil)
	first := handleAllocated(t, h, payload)
	if len(h.scratch.free) != 1 {
		t.Fatalf("%d idle scratch spaces after one invocation, want 1", len(h.scratch.free))
	}
	s, kept := h.scratch.free[0], h.scratch.kept
	if kept < len(payload) || kept > maxRetained {
		t.Fatalf("the scratch space keeps %d bytes for a %d-byte event; want between the two and %d", kept, len(payload), maxRetained)
	}
	for i := range 3 {
		n := handleAllocated(t, h, payload)
		t.Logf("invocation %d allocated %d bytes (%.1f%% of the payload; the first %d)", i+2, n, 100*float64(n)/float64(len(payload)), first)
		if share := float64(n) / float64(len(payload)); share > warmAllocBudget {
			t.Errorf("warm invocation %d allocated %d bytes, %.1f%% of the %d-byte payload; budget %.0f%%",
				i+2, n, 100*share, len(payload), 100*warmAllocBudget)
		}
		if len(h.scratch.free) != 1 || h.scratch.free[0] != s || h.scratch.kept != kept {
			t.Fatalf("invocation %d did not reuse the scratch space (%d idle, %d bytes kept, were %d)", i+2, len(h.scratch.free), h.scratch.kept, kept)
		}
	}
}

// TestHugeEventIsNotRetained: after an event whose buffers exceed
// maxRetained, the handler keeps nothing of them.
func TestHugeEventIsNotRetained(t *testing.T) {
	payload := mskEvent(t, 12000, benchValueBytes)
	h := openSink(t, externalNode(t), map[string]string{EnvSinkIndex: "orders"}, nil)
	if res, err := h.Handle(t.Context(), payload); err != nil || res.Indexed != 12000 {
		t.Fatalf("Handle: %+v, %v", counts(res), err)
	}
	if h.scratch.kept > maxRetained || len(h.scratch.free) != 0 {
		t.Fatalf("after a %d-byte event the handler keeps %d bytes in %d scratch spaces; want nothing over %d",
			len(payload), h.scratch.kept, len(h.scratch.free), maxRetained)
	}
	// A normal event afterwards is kept again.
	if _, err := h.Handle(t.Context(), mskEvent(t, 100, benchValueBytes)); err != nil {
		t.Fatal(err)
	}
	if len(h.scratch.free) != 1 || h.scratch.kept == 0 {
		t.Fatalf("after a small event: %d scratch spaces, %d bytes kept", len(h.scratch.free), h.scratch.kept)
	}
}

// TestReusedBuffersDoNotLeak writes events of different sizes and shapes
// one after another through one handler and checks every stored document
// against its own record: bytes of an earlier invocation left in a reused
// buffer would show in a later document.
func TestReusedBuffersDoNotLeak(t *testing.T) {
	srv, es := node(t, esnode.Options{})
	h := openSink(t, srv, map[string]string{EnvSinkIndex: "leak"}, nil)
	events := [][]kafkaevent.Record{
		records("orders", 0, 300, func(i int) string { return fmt.Sprintf(`{"event":"A","i":%d,"pad":"%s"}`, i, strings.Repeat("a", 900)) }),
		records("orders", 1000, 7, func(i int) string { return fmt.Sprintf("B%d", i) }),
		records("orders", 2000, 120, func(i int) string { return strings.Repeat("C\u00e9\"\\", i) }),
		records("orders", 3000, 2, func(i int) string { return "" }),
	}
	events[2][5].Key = []byte{0xff, 0xfe}        // stored as base64
	events[2][6].Value = []byte{0x80, 'x', 0xc3} // not UTF-8: base64
	var all []kafkaevent.Record
	for i, recs := range events {
		res, err := h.HandleRecords(t.Context(), recs)
		if err != nil || res.Indexed != len(recs) {
			t.Fatalf("event %d: %+v, %v", i, counts(res), err)
		}
		// Through the payload path too: the decoder's buffers are reused.
		if res, err := h.Handle(t.Context(), awsEvent(t, recs)); err != nil || res.Indexed != len(recs) {
			t.Fatalf("event %d as an MSK payload: %+v, %v", i, counts(res), err)
		}
		all = append(all, recs...)
	}
	for _, r := range all {
		if got, want := esnodetest.Source(t, es, "leak", offsetID(r)), wantSource(r); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: stored %v\nwant %v", offsetID(r), got, want)
		}
	}
}
