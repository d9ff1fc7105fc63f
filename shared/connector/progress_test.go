package connector

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestRunningJobReportsCountsOnEsnode: while a sync is held open on a
// locked table, the job document already shows the documents of the table
// read before it, as Kibana shows a long sync's counts grow; the end of the
// sync then writes the final counts.
func TestRunningJobReportsCountsOnEsnode(t *testing.T) {
	st := newStack(t, albums)
	// artist (2 rows) is read first, one row per bulk request, then the
	// sync waits on album.
	s := st.configured(t, "music", "music", map[string]any{"tables": "artist,album", "fetch_size": 1})
	s.cfg.ReportInterval = 10 * time.Millisecond

	locker, err := pgx.Connect(t.Context(), pgTestURL())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = locker.Close(context.Background()) }()
	tx, err := locker.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(context.Background()) }()
	if _, err := tx.Exec(t.Context(), "LOCK TABLE "+st.schema+".album IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}

	jobID := st.postJob(t, "music", "full")
	done := make(chan error, 1)
	var res Result
	go func() {
		var err error
		res, err = s.RunOnce(context.Background())
		done <- err
	}()
	var mid map[string]any
	waitFor(t, "the running job to report the 2 artists", func() bool {
		select {
		case err := <-done:
			t.Fatalf("the run ended while album was locked: %+v, %v", res, err)
		default:
		}
		mid = st.job(t, jobID)
		return num(mid["indexed_document_count"]) == 2
	})
	// album is still locked, so the sync cannot have got past it: the
	// count was reported by the running job.
	var waiting int
	if err := st.pg.QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity
		WHERE application_name = 'esconnect-pg-es-sync' AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
		t.Fatal(err)
	}
	if mid["status"] != "in_progress" || waiting == 0 || mid["completed_at"] != nil ||
		num(mid["deleted_document_count"]) != 0 || num(mid["indexed_document_volume"]) != 0 {
		t.Fatalf("job while held: status %v, %d sessions waiting, document %v", mid["status"], waiting, mid)
	}
	if err := tx.Rollback(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	j := st.job(t, jobID)
	if j["status"] != "completed" || num(j["indexed_document_count"]) != 5 || num(j["total_document_count"]) != 5 {
		t.Fatalf("job at the end: %v", j)
	}
}
