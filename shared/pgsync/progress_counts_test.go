package pgsync

import (
	"sync"
	"testing"

	"github.com/esconnect/esconnect/shared/targettest"
)

// TestProgressCountsWhatElasticsearchConfirmed: the progress callback
// reports the indexed and deleted counts as they grow, through the
// deletion of vanished rows, and its last report equals the job's counts.
func TestProgressCountsWhatElasticsearchConfirmed(t *testing.T) {
	targettest.Engines(t, func(t *testing.T, eng *targettest.Engine) {
		e := newEngineSync(t, eng, shopSetup, nil)
		e.sync(t)
		pgExec(t, e.conn, "DELETE FROM customers WHERE id = 2", "DELETE FROM order_lines WHERE order_id = 1 AND line = 2")

		var (
			mu    sync.Mutex
			seen  []Progress
			order = true
		)
		job, err := e.h.Sync(t.Context(), TriggerOnDemand, func(p Progress) {
			mu.Lock()
			defer mu.Unlock()
			if n := len(seen); n > 0 {
				prev := seen[n-1]
				if p.IndexedDocumentCount < prev.IndexedDocumentCount || p.DeletedDocumentCount < prev.DeletedDocumentCount || p.Rows < prev.Rows {
					order = false
				}
			}
			seen = append(seen, p)
		})
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(seen) == 0 {
			t.Fatal("no progress reported")
		}
		if !order {
			t.Errorf("counts went down between reports: %+v", seen)
		}
		last := seen[len(seen)-1]
		want := Progress{TablesDone: 2, TablesTotal: 2, Rows: job.Metadata.RowsRead,
			IndexedDocumentCount: job.IndexedDocumentCount, IndexedBytes: job.Metadata.IndexedBytes,
			IndexedDocumentVolume: job.IndexedDocumentVolume, DeletedDocumentCount: job.DeletedDocumentCount}
		last.Elapsed = 0
		if last != want || job.IndexedDocumentCount != 4 || job.DeletedDocumentCount != 2 || job.Metadata.IndexedBytes == 0 {
			t.Fatalf("last report %+v\nwant %+v (job indexed %d, deleted %d)", last, want, job.IndexedDocumentCount, job.DeletedDocumentCount)
		}
	})
}
