package sink

import (
	"sync"

	"github.com/esconnect/esconnect/shared/kafkaevent"
	"github.com/esconnect/esconnect/shared/msgdoc"
)

// maxRetained bounds the memory the handler keeps between invocations for
// the next ones: the decoded records with their keys and values, and the
// documents. A 6 MB Lambda event (the largest Lambda delivers) needs about
// 11 MiB of them, kept; after a larger event (a self-hosted consumer's
// batch, a 32 MiB FC event) they are left to the collector, so one huge
// event does not pin its memory for the life of the process.
const maxRetained = 16 << 20

// maxIdleScratch bounds the idle scratch spaces kept: Lambda runs one
// invocation at a time, a self-hosted consumer one per partition at once.
const maxIdleScratch = 4

// scratch is the memory one invocation decodes and builds into. Handle
// takes one from the handler's pool and gives it back when it returns, so
// a warm function reuses the same buffers from one invocation to the next
// instead of allocating, zeroing and collecting them every time.
type scratch struct {
	event kafkaevent.Batch
	docs  msgdoc.Batch
}

func (s *scratch) retained() int { return s.event.Retained() + s.docs.Retained() }

// scratchPool holds idle scratch spaces; the zero value is ready.
type scratchPool struct {
	mu   sync.Mutex
	free []*scratch
	// kept is the memory the free scratch spaces hold, at most maxRetained.
	kept int
}

// get returns an idle scratch space, or a new one.
func (p *scratchPool) get() *scratch {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.free)
	if n == 0 {
		return &scratch{}
	}
	s := p.free[n-1]
	p.free[n-1] = nil
	p.free = p.free[:n-1]
	p.kept -= s.retained()
	return s
}

// put takes back s once nothing of its invocation is in use (the Result
// holds copies, never slices of it). Its records and documents are
// cleared first, so that an idle scratch space refers to no payload; s is
// kept only within the bounds.
func (p *scratchPool) put(s *scratch) {
	s.event.Reset()
	s.docs.Reset()
	n := s.retained()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.kept+n > maxRetained || len(p.free) >= maxIdleScratch {
		return
	}
	p.free = append(p.free, s)
	p.kept += n
}
