package pgsync

import (
	"testing"

	"github.com/esconnect/esconnect/shared/targettest"
)

// TestSyncDeletesAcrossScrollPages deletes more documents than one scroll
// page holds: the scroll keeps paging through its snapshot while the pages
// before are deleted, and every vanished row's document goes, none other.
func TestSyncDeletesAcrossScrollPages(t *testing.T) {
	const rows, kept = 2*deletePageSize + 500, 100
	setup := `CREATE TABLE nums (id int PRIMARY KEY, v int);
INSERT INTO nums SELECT i, i * 2 FROM generate_series(1, 2500) AS i;`
	targettest.Engines(t, func(t *testing.T, eng *targettest.Engine) {
		e := newEngineSync(t, eng, setup, func(c *Config) { c.FetchSize = 500 })
		if job, err := e.h.Sync(t.Context(), TriggerOnDemand, nil); err != nil || job.IndexedDocumentCount != rows {
			t.Fatalf("first sync: %v %+v", err, job)
		}
		pgExec(t, e.conn, "DELETE FROM nums WHERE id % 25 <> 0")
		job, err := e.h.Sync(t.Context(), TriggerOnDemand, nil)
		if err != nil || job.IndexedDocumentCount != kept || job.DeletedDocumentCount != rows-kept || job.TotalDocumentCount != kept {
			t.Fatalf("second sync: %v %+v, want %d indexed, %d deleted, %d left", err, job, kept, rows-kept, kept)
		}
		if n := e.e.Count(t, e.cfg.Index); n != kept {
			t.Fatalf("the index holds %d documents, want %d", n, kept)
		}
		if e.source(t, e.id("nums", "2500")) == nil || e.source(t, e.id("nums", "2499")) != nil {
			t.Fatal("the wrong documents were deleted")
		}
	})
}
