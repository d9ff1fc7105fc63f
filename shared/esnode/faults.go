package esnode

import (
	"bytes"
	"errors"
	"io"
	"math/rand"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// faultState holds the current Faults and the seeded source their dice
// come from. One source for the node keeps a run repeatable for a given
// seed and request order.
type faultState struct {
	mu  sync.Mutex
	f   Faults
	rng *rand.Rand
}

func (s *faultState) set(f Faults) {
	if f.Seed == 0 {
		f.Seed = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.f = f
	s.rng = rand.New(rand.NewSource(f.Seed))
}

func (s *faultState) get() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f
}

// roll draws one number in [0, 1).
func (s *faultState) roll() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rng.Float64()
}

// SetFaults replaces the injected faults and reseeds their randomness with
// f.Seed (0 means 1). Invalid fractions are clamped into [0, 1].
func (n *Node) SetFaults(f Faults) {
	clamp := func(p *float64) { *p = min(max(*p, 0), 1) }
	clamp(&f.Item429)
	clamp(&f.Request503)
	clamp(&f.Request502)
	clamp(&f.Request504)
	clamp(&f.Reset)
	f.Latency = max(f.Latency, 0)
	n.faults.set(f)
}

// Stats is a snapshot of the node's counters.
type Stats struct {
	Requests     int64 // every HTTP request received
	BulkRequests int64 // bulk requests handled (blackhole included)
	BulkItems    int64 // bulk items answered, failed ones included
	Items429     int64 // bulk items answered 429 by fault injection
	Request503   int64 // requests answered 503 by fault injection
	Request502   int64
	Request504   int64
	Resets       int64 // connections reset by fault injection
	Delayed      int64 // requests delayed by Faults.Latency
	TooLarge     int64 // requests refused with 413
	WriteBlocked int64 // writes refused by an index write block
	AuthFailures int64 // requests answered 401
	SigV4Refused int64 // requests answered 403 for a bad SigV4 signature
}

type counters struct {
	requests, bulkRequests, bulkItems, items429                   atomic.Int64
	request503, request502, request504, resets, delayed, tooLarge atomic.Int64
	writeBlocked, authFailures, sigv4Refused                      atomic.Int64
}

// Stats returns the counters as of now.
func (n *Node) Stats() Stats {
	c := &n.stats
	return Stats{
		Requests: c.requests.Load(), BulkRequests: c.bulkRequests.Load(), BulkItems: c.bulkItems.Load(),
		Items429: c.items429.Load(), Request503: c.request503.Load(), Request502: c.request502.Load(),
		Request504: c.request504.Load(), Resets: c.resets.Load(), Delayed: c.delayed.Load(),
		TooLarge: c.tooLarge.Load(), WriteBlocked: c.writeBlocked.Load(), AuthFailures: c.authFailures.Load(),
		SigV4Refused: c.sigv4Refused.Load(),
	}
}

// injectRequestFaults applies latency and the whole-request faults; false
// means the request was answered (or its connection reset) already. GET /
// is spared so readiness probes keep working under heavy fault rates.
func (n *Node) injectRequestFaults(w http.ResponseWriter, r *http.Request) bool {
	f := n.faults.get()
	if r.URL.Path == "/" {
		return true
	}
	if f.Latency > 0 {
		n.stats.delayed.Add(1)
		// net/http notices a client that went away (and cancels the request
		// context) only by reading the connection once the request body was
		// read to the end: read it before waiting, or a client that gave up
		// on a bulk request would hold this handler for the whole latency.
		if !n.bufferBody(w, r) {
			return false
		}
		t := time.NewTimer(f.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return false
		}
	}
	if f.Request503+f.Request502+f.Request504+f.Reset == 0 {
		return true
	}
	p := n.faults.roll()
	switch {
	case p < f.Request503:
		n.stats.request503.Add(1)
		writeError(w, r, &esError{
			Status: http.StatusServiceUnavailable,
			Type:   "unavailable_shards_exception",
			Reason: "[_data][0] primary shard is not active Timeout: [1m], request: [BulkShardRequest [[_data][0]] containing [1] requests]",
		})
		return false
	case p < f.Request503+f.Request502:
		n.stats.request502.Add(1)
		writeProxyError(w, http.StatusBadGateway)
		return false
	case p < f.Request503+f.Request502+f.Request504:
		n.stats.request504.Add(1)
		writeProxyError(w, http.StatusGatewayTimeout)
		return false
	case p < f.Request503+f.Request502+f.Request504+f.Reset:
		n.stats.resets.Add(1)
		resetConnection(w, r)
		return false
	}
	return true
}

// writeProxyError answers like the load balancer in front of a cluster does
// for 502 and 504: a short HTML page, not an ES error body.
func writeProxyError(w http.ResponseWriter, status int) {
	text := http.StatusText(status)
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, "<html>\r\n<head><title>"+itoa(status)+" "+text+"</title></head>\r\n<body>\r\n<center><h1>"+
		itoa(status)+" "+text+"</h1></center>\r\n</body>\r\n</html>\r\n")
}

// resetConnection reads a little of the request, then closes the TCP
// connection with SO_LINGER 0 so the kernel sends RST: the client sees
// "connection reset by peer" while sending or waiting, as when a node dies.
func resetConnection(w http.ResponseWriter, r *http.Request) {
	var buf [512]byte
	_, _ = r.Body.Read(buf[:])
	hj, ok := w.(http.Hijacker)
	if !ok {
		// Only HTTP/2 cannot be hijacked, and Start serves HTTP/1.1 only;
		// a handler mounted elsewhere gets the closest thing: a 502.
		writeProxyError(w, http.StatusBadGateway)
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tc := tcpConn(conn); tc != nil {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

func tcpConn(c net.Conn) *net.TCPConn {
	for range 4 {
		switch v := c.(type) {
		case *net.TCPConn:
			return v
		case interface{ NetConn() net.Conn }:
			c = v.NetConn()
		default:
			return nil
		}
	}
	return nil
}

// errBulkRejected is the item failure a full write thread pool produces.
func errBulkRejected(index string, items int) *esError {
	return errorf(http.StatusTooManyRequests, "es_rejected_execution_exception",
		"rejected execution of primary operation [coordinating_and_primary_bytes=0, replica_bytes=0, all_bytes=0, "+
			"primary_operation_bytes=%d, max_coordinating_and_primary_bytes=107374182] on "+
			"EsThreadPoolExecutor[name = esnode-1/write, queue capacity = 10000, task = [%s][0] BulkShardRequest with %d items]",
		items*256, index, items)
}

// errMaxBytes reports whether err came from the MaxBytesReader limit.
func errMaxBytes(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

// bufferBody reads the request body into memory (at most max_content_length;
// more is answered 413 here, with ok=false) and gives the request a copy.
func (n *Node) bufferBody(w http.ResponseWriter, r *http.Request) bool {
	if r.Body == nil || r.Body == http.NoBody {
		return true
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, n.opts.MaxContentLength+1))
	if int64(len(b)) > n.opts.MaxContentLength {
		n.stats.tooLarge.Add(1)
		writeTooLarge(w)
		return false
	}
	if err != nil {
		// The client went away or sent a broken body: nobody waits for an
		// answer worth delaying.
		writeError(w, r, errorf(http.StatusBadRequest, "parse_exception", "reading request body: %v", err))
		return false
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return true
}
