package esbulk

import (
	"errors"
	"fmt"
	"io"
	"sync"
)

// span is an action's line within batch.meta.
type span struct{ start, end int }

// batch is the encoded form of one Write's actions. Only the action lines
// are encoded, once, up front, into one buffer sized from the actions;
// the source lines are the actions' own Body slices, which request bodies
// read in place. A request body is therefore never a second copy of the
// documents: for a 6 MB event that copy (plus the garbage of growing it)
// was most of the handler's peak heap. Requests, first attempts and
// retries alike, are assembled from these pieces, so a retry never
// re-encodes or copies.
type batch struct {
	actions []Action
	mem     *batchMemory
	meta    []byte
	spans   []span
	// fixed holds, for the rare body with a raw newline, a copy with the
	// newlines flattened (see AppendAction); nil while no body needs one.
	// The caller's Body is never modified.
	fixed map[int][]byte
}

// newBatch encodes the action lines of the valid actions and records an
// error outcome for the invalid ones; it returns the indexes to send. The
// batch's buffers come from mem, which it keeps until release.
func newBatch(actions []Action, outcomes []Outcome, mem *batchMemory) (*batch, []int) {
	// The actions of a batch mostly share their operation and index: the
	// head of the line up to the index is measured and escaped once per
	// run of them, and copied from the previous line after that. Measuring
	// and escaping it for every action was a third of encoding the lines.
	need, headLen := 0, 0
	for i := range actions {
		a := &actions[i]
		if i == 0 || !sameHead(a, &actions[i-1]) {
			headLen = metaHeadLen(a)
		}
		need += headLen + metaRestLen(a)
	}
	if cap(mem.meta) < need {
		mem.meta = make([]byte, 0, need)
	}
	if cap(mem.spans) < len(actions) {
		mem.spans = make([]span, len(actions))
		mem.pending = make([]int, 0, len(actions))
	}
	b := &batch{actions: actions, mem: mem, spans: mem.spans[:len(actions)]}
	clear(b.spans)
	meta := mem.meta[:0]
	pending := mem.pending[:0]
	// head is the span of the last written line's head, and prev its action.
	var head span
	var prev *Action
	for i := range actions {
		a := &actions[i]
		outcomes[i].ID = a.ID
		if err := check(a); err != nil {
			outcomes[i].Err = err
			continue
		}
		start := len(meta)
		if prev != nil && sameHead(a, prev) {
			meta = append(meta, meta[head.start:head.end]...)
		} else {
			meta = appendMetaHead(meta, a)
		}
		head, prev = span{start, len(meta)}, a
		meta = appendMetaRest(meta, a)
		b.spans[i] = span{start, len(meta)}
		if a.Op != OpDelete && !a.Flat && hasNewline(a.Body) {
			if b.fixed == nil {
				b.fixed = make(map[int][]byte)
			}
			f := append([]byte(nil), a.Body...)
			flattenNewlines(f)
			b.fixed[i] = f
		}
		pending = append(pending, i)
	}
	b.meta = meta
	mem.meta = meta
	return b, pending
}

// sameHead reports whether a and b's action lines start alike, up to the
// index (see appendMetaHead).
func sameHead(a, b *Action) bool { return a.Op == b.Op && a.Index == b.Index }

// line returns action i's action line.
func (b *batch) line(i int) []byte { return b.meta[b.spans[i].start:b.spans[i].end] }

// source returns action i's source line without its newline; nil for a
// delete, which has none.
func (b *batch) source(i int) []byte {
	if b.actions[i].Op == OpDelete {
		return nil
	}
	if b.fixed != nil {
		if f, ok := b.fixed[i]; ok {
			return f
		}
	}
	return b.actions[i].Body
}

// size is the encoded size of action i: its lines and their newlines.
func (b *batch) size(i int) int {
	n := b.spans[i].end - b.spans[i].start
	if b.actions[i].Op != OpDelete {
		n += len(b.source(i)) + 1
	}
	return n
}

// release returns the batch's buffers to p. Every request body of the
// batch must be closed by then (send closes each one before it returns),
// so no transport can still read them.
func (b *batch) release(p *buffers) {
	p.putBatch(b.mem)
	b.mem = nil
}

// body returns the request body for actions idx (in increasing order).
func (b *batch) body(idx []int) *body {
	n := 0
	for _, i := range idx {
		n += b.size(i)
	}
	return &body{b: b, idx: idx, n: n}
}

// errBodyClosed is what a read of a request body gets after its request
// ended.
var errBodyClosed = errors.New("esbulk: request body read after the request ended")

// newline ends each source line.
var newline = []byte{'\n'}

// body is a request body that reads the batch's action lines and the
// callers' document bodies in place.
//
// net/http may go on reading a request body after RoundTrip returned (an
// answer can arrive while the body is still being written, a 413 for
// instance), and the documents belong to the caller, who may reuse their
// memory once Write returns. So send closes every body before it returns,
// and Close, under the same lock as Read, ends reading for good: after
// Close returns, no byte of the caller's memory is read again. A transport
// still writing then fails that write on a connection whose answer was
// already taken, and drops the connection.
type body struct {
	b   *batch
	idx []int
	n   int

	mu     sync.Mutex
	closed bool
	k      int // position in idx
	part   int // 0: action line, 1: source line, 2: its newline
	off    int // offset within the part
}

// segment returns the part being read.
func (bd *body) segment() []byte {
	i := bd.idx[bd.k]
	switch bd.part {
	case 0:
		return bd.b.line(i)
	case 1:
		return bd.b.source(i)
	}
	return newline
}

// advance moves to the next part, skipping a delete's missing source line.
func (bd *body) advance() {
	bd.off = 0
	bd.part++
	if bd.part > 2 || (bd.part == 1 && bd.b.actions[bd.idx[bd.k]].Op == OpDelete) {
		bd.part = 0
		bd.k++
	}
}

func (bd *body) Read(p []byte) (int, error) {
	bd.mu.Lock()
	defer bd.mu.Unlock()
	if bd.closed {
		return 0, errBodyClosed
	}
	n := 0
	for n < len(p) && bd.k < len(bd.idx) {
		// Each part is looked up once: a part that fits is copied whole
		// and left at once, which halved the lookups of a body of small
		// documents.
		seg := bd.segment()
		c := copy(p[n:], seg[bd.off:])
		n += c
		bd.off += c
		if bd.off == len(seg) {
			bd.advance()
		}
	}
	if n == 0 && len(p) > 0 {
		return 0, io.EOF
	}
	return n, nil
}

// Close ends reading; it is safe to call more than once and concurrently
// with Read.
func (bd *body) Close() error {
	bd.mu.Lock()
	bd.closed = true
	bd.mu.Unlock()
	return nil
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

// Encode writes to dst the NDJSON that Write's requests for actions carry,
// one request's body after another, without sending them, and returns the
// bytes written. It runs Write's own encoding: the action lines encoded
// once into the Writer's pooled buffer, the bodies read in place. Actions
// Write would refuse before sending are left out; the error names the
// first of them by index.
func (w *Writer) Encode(dst io.Writer, actions []Action) (int64, error) {
	outcomes := make([]Outcome, len(actions))
	b, pending := newBatch(actions, outcomes, w.bufs.batch())
	defer b.release(&w.bufs)
	bd := b.body(pending)
	defer bd.Close()
	n, err := io.Copy(dst, bd)
	if err != nil {
		return n, err
	}
	for i := range outcomes {
		if e := outcomes[i].Err; e != nil {
			return n, fmt.Errorf("action %d: %w", i, e)
		}
	}
	return n, nil
}
