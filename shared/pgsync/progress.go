package pgsync

import (
	"sync"
	"sync/atomic"
	"time"
)

// progressState is what the progress goroutine reports: the reading
// goroutine sets the source as it moves from source to source, the writer
// and the deletion count what Elasticsearch confirmed as they go.
type progressState struct {
	mu     sync.Mutex
	done   int
	total  int
	source string
	rd     *reader

	indexed, indexedBytes, deleted atomic.Int64
}

// current records that sources before index i are done and label is read.
func (r *syncRun) current(i int, label string) {
	r.state.mu.Lock()
	r.state.done, r.state.source = i, label
	r.state.mu.Unlock()
}

// reading records the reader whose rows the reports count.
func (r *syncRun) reading(rd *reader) {
	r.state.mu.Lock()
	r.state.rd = rd
	r.state.mu.Unlock()
}

func (r *syncRun) snapshot() Progress {
	r.state.mu.Lock()
	defer r.state.mu.Unlock()
	p := Progress{TablesDone: r.state.done, TablesTotal: r.state.total, Source: r.state.source,
		IndexedDocumentCount: r.state.indexed.Load(), IndexedBytes: r.state.indexedBytes.Load(),
		DeletedDocumentCount: r.state.deleted.Load(), Elapsed: time.Since(r.start)}
	p.IndexedDocumentVolume = mib(p.IndexedBytes)
	if r.state.rd != nil {
		p.Rows = r.state.rd.rows.Load()
	}
	return p
}

// reportProgress calls the progress callback every progressEvery until the
// returned stop function is called, which reports one last time. It runs
// from the first source read to the end of the deletion of vanished rows.
func (r *syncRun) reportProgress(total int) (stop func()) {
	r.state.mu.Lock()
	r.state.total = total
	r.state.mu.Unlock()
	if r.progress == nil {
		return func() {}
	}
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(progressEvery)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				r.progress(r.snapshot())
			case <-quit:
				return
			}
		}
	}()
	return func() {
		close(quit)
		<-done
		r.progress(r.snapshot())
	}
}
