package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"time"

	asmbase64 "github.com/segmentio/asm/base64"

	"github.com/esconnect/esconnect/shared/esbulk"
	"github.com/esconnect/esconnect/shared/jsonstr"
	"github.com/esconnect/esconnect/shared/kafkaevent"
	"github.com/esconnect/esconnect/shared/msgdoc"
)

// cpuEvent is the event of the CPU-path comparison.
var cpuEvent = eventSpec{1000, 1024}

// cpuResult compares the handler's CPU work on one event with a lower
// bound for any program that must turn the same base64 strings into JSON
// strings.
type cpuResult struct {
	PayloadBytes int
	// Path and Bound are seconds of the thread's CPU time per event.
	Path, Bound spread
	// Ratio is bound / path, block by block: the fraction of the lower
	// bound's speed the CPU path reaches. WallRatio is the same by the
	// wall clock, which a loaded machine makes noisier.
	Ratio, WallRatio spread
}

// cpuPath is the handler's CPU work on one event without the network, as a
// warm invocation does it: decode the trigger payload, build the msg_body
// actions, and encode them as the bulk writer does into the connection.
type cpuPath struct {
	bld   *msgdoc.Builder
	bulk  *esbulk.Writer
	event kafkaevent.Batch
	docs  msgdoc.Batch
	conn  connCopy
}

func newCPUPath() (*cpuPath, error) {
	bld, err := msgdoc.New(msgdoc.Options{Index: benchTopic})
	if err != nil {
		return nil, err
	}
	cfg := esbulk.DefaultConfig()
	cfg.Client = noClient{}
	bulk, err := esbulk.New(cfg)
	if err != nil {
		return nil, err
	}
	return &cpuPath{bld: bld, bulk: bulk, conn: connCopy{buf: make([]byte, 32<<10)}}, nil
}

// noClient is the bulk writer's client in the CPU path, which encodes and
// never sends.
type noClient struct{}

func (noClient) Perform(*http.Request) (*http.Response, error) {
	return nil, errors.New("the CPU path sends nothing")
}

// connCopy takes a request body as a TCP connection does: net/http hands
// the body to the connection's ReadFrom, which copies it through a 32 KiB
// buffer into the socket.
type connCopy struct{ buf []byte }

// Write makes connCopy an io.Writer; io.Copy uses ReadFrom.
func (c *connCopy) Write(p []byte) (int, error) { return len(p), nil }

func (c *connCopy) ReadFrom(r io.Reader) (int64, error) {
	var total int64
	for {
		n, err := r.Read(c.buf)
		total += int64(n)
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

func (c *cpuPath) run(payload []byte, want int) error {
	if err := kafkaevent.DecodeInto(&c.event, payload, kafkaevent.DecodeOptions{}); err != nil {
		return err
	}
	c.bld.BuildInto(&c.docs, c.event.Records)
	if _, err := c.bulk.Encode(&c.conn, c.docs.Actions); err != nil {
		return err
	}
	if len(c.docs.Actions) != want {
		return fmt.Errorf("CPU path built %d actions, want %d", len(c.docs.Actions), want)
	}
	return nil
}

// lowerBound is the least work on the same bytes: decode every key and
// value from base64 into one buffer (segmentio/asm, the decoder the sink
// uses) and write them as JSON strings into another (the sink's escaper).
type lowerBound struct {
	strings  [][]byte
	decoded  []byte
	escaped  []byte
	totalLen int
}

func newLowerBound(recs []kafkaevent.Record) *lowerBound {
	lb := &lowerBound{}
	n := 0
	for _, r := range recs {
		for _, b := range [][]byte{r.Key, r.Value} {
			s := []byte(base64.StdEncoding.EncodeToString(b))
			lb.strings = append(lb.strings, s)
			n += len(b)
		}
	}
	lb.decoded = make([]byte, n)
	lb.escaped = make([]byte, 0, 2*n+2*len(lb.strings))
	lb.totalLen = n
	return lb
}

func (lb *lowerBound) run() error {
	out, off := lb.escaped[:0], 0
	for _, s := range lb.strings {
		n, err := asmbase64.StdEncoding.Decode(lb.decoded[off:], s)
		if err != nil {
			return err
		}
		out = jsonstr.Append(out, lb.decoded[off:off+n])
		off += n
	}
	lb.escaped = out
	return nil
}

// cpuBlock is how long each measured block of iterations runs.
const cpuBlock = 50 * time.Millisecond

// cpuPathVsBound alternates blocks of CPU-path and lower-bound iterations,
// blocks times each.
func cpuPathVsBound(blocks int) (cpuResult, error) {
	payload, recs, err := cpuEvent.payload()
	if err != nil {
		return cpuResult{}, err
	}
	path, err := newCPUPath()
	if err != nil {
		return cpuResult{}, err
	}
	lb := newLowerBound(recs)
	res := cpuResult{PayloadBytes: len(payload)}
	steps := []func() error{
		func() error { return path.run(payload, len(recs)) },
		lb.run,
	}
	// Warm up both (first-use allocations, caches), and find how many
	// iterations fill a block.
	iters := make([]int, len(steps))
	for i, f := range steps {
		start, n := time.Now(), 0
		for time.Since(start) < cpuBlock {
			if err := f(); err != nil {
				return res, err
			}
			n++
		}
		iters[i] = n
	}
	// One thread runs both sides, so its CPU clock measures them alike.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var wall [2]spread
	for range blocks {
		for i, f := range steps {
			runtime.GC()
			start, cpu := time.Now(), threadCPU()
			for range iters[i] {
				if err := f(); err != nil {
					return res, err
				}
			}
			per := (threadCPU() - cpu).Seconds() / float64(iters[i])
			wall[i] = append(wall[i], time.Since(start).Seconds()/float64(iters[i]))
			if i == 0 {
				res.Path = append(res.Path, per)
			} else {
				res.Bound = append(res.Bound, per)
			}
		}
	}
	res.Ratio = pairRatios(res.Bound, res.Path)
	res.WallRatio = pairRatios(wall[1], wall[0])
	return res, nil
}
