package sink

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/esnode"
)

// envESNodeProcess makes the test binary serve a blackhole esnode instead of
// running tests (see TestMain): the peak-heap measurement needs the node
// out of the measured process, or the node's own allocations for reading
// the request would be counted as the handler's.
const envESNodeProcess = "ESCONNECT_SINK_TEST_ESNODE"

func TestMain(m *testing.M) {
	if os.Getenv(envESNodeProcess) != "" {
		os.Exit(serveESNode())
	}
	os.Exit(m.Run())
}

// serveESNode prints the node's URL on stdout and serves until stdin is
// closed, which happens when the parent ends, even if it crashes.
func serveESNode() int {
	s, err := esnode.Start("127.0.0.1:0", esnode.Options{Blackhole: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(s.URL)
	_, _ = io.Copy(io.Discard, os.Stdin)
	if err := s.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// externalNode starts a blackhole esnode in a child process and returns a
// Server value carrying its URL.
func externalNode(tb testing.TB) *esnode.Server {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envESNodeProcess+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("starting the esnode process: %v", err)
	}
	tb.Cleanup(func() {
		stdin.Close()
		if err := cmd.Wait(); err != nil {
			tb.Errorf("esnode process: %v", err)
		}
	})
	url := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		url <- strings.TrimSpace(line)
	}()
	select {
	case u := <-url:
		if !strings.HasPrefix(u, "http://127.0.0.1:") {
			tb.Fatalf("esnode process printed %q", u)
		}
		return &esnode.Server{URL: u}
	case <-time.After(30 * time.Second):
		tb.Fatal("esnode process did not report its URL within 30s")
	}
	return nil
}

// sixMBEvent is an MSK event of at least 6 MB, Lambda's payload limit.
func sixMBEvent(tb testing.TB) []byte {
	tb.Helper()
	payload := mskEvent(tb, 4300, benchValueBytes)
	if len(payload) < 6_000_000 {
		tb.Fatalf("payload is %d bytes, want 6 MB", len(payload))
	}
	return payload
}

// handleAllocated returns the bytes allocated by one Handle of payload with
// the collector off. Nothing is freed while the collector is off, so the
// heap's peak during the call is at most what was live before plus this
// figure: it is an upper bound of the peak, not an estimate. The node runs
// in another process, so only the handler's side is counted: decoding,
// building, the bulk request body, the HTTP client and the response.
func handleAllocated(tb testing.TB, h *Handler, payload []byte) uint64 {
	tb.Helper()
	runtime.GC()
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	res, err := h.Handle(tb.Context(), payload)
	runtime.ReadMemStats(&after)
	if err != nil || res.Indexed != res.Received {
		tb.Fatalf("Handle: %+v, %v", counts(res), err)
	}
	return after.TotalAlloc - before.TotalAlloc
}

// sampledPeak runs one Handle of payload with the collector on and returns
// the largest heap-object size seen above the starting point, sampled every
// 20µs from another goroutine: the realistic peak (live data plus garbage
// not yet collected), which the sampling can only underestimate by what
// lives shorter than a sampling interval.
func sampledPeak(tb testing.TB, h *Handler, payload []byte) uint64 {
	tb.Helper()
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	base := read()
	stop, peak := make(chan struct{}), make(chan uint64)
	go func() {
		var top uint64
		tick := time.NewTicker(20 * time.Microsecond)
		defer tick.Stop()
		for {
			top = max(top, read())
			select {
			case <-stop:
				peak <- max(top, read())
				return
			case <-tick.C:
			}
		}
	}()
	res, err := h.Handle(tb.Context(), payload)
	close(stop)
	top := <-peak
	if err != nil || res.Indexed != res.Received {
		tb.Fatalf("Handle: %+v, %v", counts(res), err)
	}
	return top - min(top, base)
}

// BenchmarkSixMBEvent handles a 6 MB MSK event into a blackhole esnode
// running in another process and reports, relative to the payload size:
// alloc-bound-x, the payload plus every byte Handle allocated with the
// collector off (a hard upper bound of the peak heap), and peak-heap-x, the
// payload plus the sampled peak growth of heap objects with the collector
// on (what a deployment sees). Both take the worst invocation.
func BenchmarkSixMBEvent(b *testing.B) {
	payload := sixMBEvent(b)
	h := openSink(b, externalNode(b), map[string]string{EnvSinkIndex: "orders"}, nil)
	// The first invocation also sets up connections and pools; the budget
	// is about every invocation.
	handleAllocated(b, h, payload)
	var bound, peak uint64
	for b.Loop() {
		bound = max(bound, handleAllocated(b, h, payload))
		peak = max(peak, sampledPeak(b, h, payload))
	}
	size := float64(len(payload))
	b.ReportMetric((size+float64(bound))/size, "alloc-bound-x")
	b.ReportMetric((size+float64(peak))/size, "peak-heap-x")
}
