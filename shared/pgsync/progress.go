package pgsync

import (
	"sync"
	"time"
)

// progressState is what the progress goroutine reports, set by the reading
// goroutine as it moves from source to source.
type progressState struct {
	mu     sync.Mutex
	done   int
	source string
}

// current records that sources before index i are done and label is read.
func (r *syncRun) current(i int, label string) {
	r.state.mu.Lock()
	r.state.done, r.state.source = i, label
	r.state.mu.Unlock()
}

func (r *syncRun) snapshot(rd *reader, total int) Progress {
	r.state.mu.Lock()
	defer r.state.mu.Unlock()
	return Progress{TablesDone: r.state.done, TablesTotal: total, Source: r.state.source,
		Rows: rd.rows.Load(), Elapsed: time.Since(r.start)}
}

// reportProgress calls the progress callback every progressEvery until the
// returned stop function is called, which reports one last time.
func (r *syncRun) reportProgress(rd *reader, total int) (stop func()) {
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
				r.progress(r.snapshot(rd, total))
			case <-quit:
				return
			}
		}
	}()
	return func() {
		close(quit)
		<-done
		r.progress(r.snapshot(rd, total))
	}
}
