package esbulk

import "sync"

// maxPooledBuffer keeps an unusually large buffer from staying pinned in a
// Writer for the life of the process: a batch of 4 MiB of action lines is
// some 50,000 actions.
const maxPooledBuffer = 4 << 20

// maxIdleBuffers bounds the idle sets of each kind a Writer keeps: a Write
// takes one batch set and one sender set per parallel request.
const maxIdleBuffers = 8

// batchMemory is what one Write's batch reuses from an earlier one: the
// buffer of action lines, their spans, and the list of actions to send.
type batchMemory struct {
	meta    []byte
	spans   []span
	pending []int
}

// senderMemory is what one worker of a round reuses: the buffer answers are
// read into, and their parsed items.
type senderMemory struct {
	resp  []byte
	items []itemResult
}

// buffers lends Writes the memory earlier Writes used, so that a warm
// function's bulk writes allocate none of it again. It replaces sync.Pool,
// whose contents collections empty (and the race detector drops at
// random): a warm function would then allocate them again at an
// unpredictable share of its invocations.
type buffers struct {
	mu      sync.Mutex
	batches []*batchMemory
	senders []*senderMemory
}

func (p *buffers) batch() *batchMemory {
	p.mu.Lock()
	defer p.mu.Unlock()
	return take(&p.batches)
}

func (p *buffers) putBatch(m *batchMemory) {
	if cap(m.meta) > maxPooledBuffer || cap(m.spans)*16 > maxPooledBuffer {
		*m = batchMemory{}
	}
	m.meta, m.spans, m.pending = m.meta[:0], m.spans[:0], m.pending[:0]
	p.mu.Lock()
	defer p.mu.Unlock()
	keep(&p.batches, m)
}

func (p *buffers) sender() *senderMemory {
	p.mu.Lock()
	defer p.mu.Unlock()
	return take(&p.senders)
}

func (p *buffers) putSender(m *senderMemory) {
	if cap(m.resp) > maxPooledBuffer {
		m.resp = nil
	}
	// Items hold strings of their answer; none may outlive the Write.
	clear(m.items)
	m.resp, m.items = m.resp[:0], m.items[:0]
	p.mu.Lock()
	defer p.mu.Unlock()
	keep(&p.senders, m)
}

func take[T any](free *[]*T) *T {
	n := len(*free)
	if n == 0 {
		return new(T)
	}
	m := (*free)[n-1]
	(*free)[n-1] = nil
	*free = (*free)[:n-1]
	return m
}

func keep[T any](free *[]*T, m *T) {
	if len(*free) < maxIdleBuffers {
		*free = append(*free, m)
	}
}
