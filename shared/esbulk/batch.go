package esbulk

import (
	"bytes"
	"io"
	"sync"
	"sync/atomic"
)

// maxPooledBuffer keeps an unusually large batch's buffer from staying
// pinned in the pool for the life of the process.
const maxPooledBuffer = 32 << 20

var bufPool = sync.Pool{New: func() any {
	b := make([]byte, 0, 256<<10)
	return &b
}}

// span is an action's encoded lines within batch.enc.
type span struct{ start, end int }

// batch is the encoded form of one Write's actions. Every valid action is
// encoded once, up front; requests (first attempts and retries alike) are
// assembled from these spans, so a retry never re-encodes.
type batch struct {
	actions []Action
	buf     *[]byte
	enc     []byte
	spans   []span
	// open counts request bodies the HTTP transport may still read. The
	// transport is allowed to read a body after RoundTrip returned (a
	// response can arrive while the body is still being written), so the
	// buffer goes back to the pool only when every body was read to the
	// end or closed; otherwise it is left to the garbage collector.
	open atomic.Int64
}

// newBatch encodes the valid actions and records an error outcome for the
// invalid ones; it returns the indexes to send.
func newBatch(actions []Action, outcomes []Outcome) (*batch, []int) {
	b := &batch{actions: actions, buf: bufPool.Get().(*[]byte), spans: make([]span, len(actions))}
	enc := (*b.buf)[:0]
	pending := make([]int, 0, len(actions))
	for i := range actions {
		outcomes[i].ID = actions[i].ID
		if err := check(&actions[i]); err != nil {
			outcomes[i].Err = err
			continue
		}
		start := len(enc)
		enc = AppendAction(enc, &actions[i])
		b.spans[i] = span{start, len(enc)}
		pending = append(pending, i)
	}
	b.enc = enc
	*b.buf = enc
	return b, pending
}

// size is the encoded size of action i.
func (b *batch) size(i int) int { return b.spans[i].end - b.spans[i].start }

// release returns the buffer to the pool when no transport can still read it.
func (b *batch) release() {
	if b.open.Load() != 0 || cap(b.enc) > maxPooledBuffer {
		return
	}
	*b.buf = b.enc[:0]
	bufPool.Put(b.buf)
}

// body returns the request body for actions idx (in increasing order). A run
// of consecutive actions, the usual first attempt, is a slice of the
// encoded batch; a retry of scattered items is copied together.
func (b *batch) body(idx []int) *body {
	first, last := idx[0], idx[len(idx)-1]
	var data []byte
	if last-first == len(idx)-1 {
		data = b.enc[b.spans[first].start:b.spans[last].end]
	} else {
		n := 0
		for _, i := range idx {
			n += b.size(i)
		}
		data = make([]byte, 0, n)
		for _, i := range idx {
			data = append(data, b.enc[b.spans[i].start:b.spans[i].end]...)
		}
	}
	b.open.Add(1)
	return &body{batch: b, r: bytes.NewReader(data), n: len(data)}
}

// body is a request body that tells its batch when the transport is done
// with it.
type body struct {
	batch *batch
	r     *bytes.Reader
	n     int
	done  atomic.Bool
}

func (bd *body) Read(p []byte) (int, error) {
	n, err := bd.r.Read(p)
	if err == io.EOF {
		bd.finish()
	}
	return n, err
}

func (bd *body) Close() error {
	bd.finish()
	return nil
}

func (bd *body) finish() {
	if bd.done.CompareAndSwap(false, true) {
		bd.batch.open.Add(-1)
	}
}

// chunks splits idx into requests of at most maxDocs actions and maxBytes
// bytes. An action larger than maxBytes gets a request of its own: refusing
// it here would turn a size limit of this writer into a lost document,
// while Elasticsearch may well accept it (its own limit is
// http.max_content_length, 100 MB by default).
func (b *batch) chunks(idx []int, maxBytes, maxDocs int) [][]int {
	var out [][]int
	start, size := 0, 0
	for k, i := range idx {
		s := b.size(i)
		if k > start && (size+s > maxBytes || k-start == maxDocs) {
			out = append(out, idx[start:k])
			start, size = k, 0
		}
		size += s
	}
	if start < len(idx) {
		out = append(out, idx[start:])
	}
	return out
}
