package pgsync

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/targettest"
)

// itemsSetup has rows whose cursor values lie far in the past, so that an
// incremental run reads exactly the rows a test changes, whatever other
// sessions on the shared server are doing.
const itemsSetup = `
CREATE TABLE items (id int PRIMARY KEY, name text, updated_at timestamptz NOT NULL);
INSERT INTO items SELECT i, 'item ' || i, timestamptz '2001-01-01' + i * interval '1 minute' FROM generate_series(1, 50) i;
CREATE TABLE log (id int PRIMARY KEY, msg text);
INSERT INTO log SELECT i, 'msg ' || i FROM generate_series(1, 20) i;`

// incremental sets an incremental configuration: updated_at for every
// table, xmin for log.
func incremental(edit func(*Incremental)) func(*Config) {
	return func(c *Config) {
		c.Incremental = Incremental{Mode: SyncModeIncremental,
			Cursors:   Cursors{Default: "updated_at", Tables: map[string]string{"log": CursorXmin}},
			CursorLag: DefaultSyncCursorLag}
		if edit != nil {
			edit(&c.Incremental)
		}
	}
}

func TestIncrementalReadsOnlyChangedRows(t *testing.T) {
	targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
		s := newEngineSync(t, e, itemsSetup, incremental(nil))
		first := s.sync(t)
		if first.JobType != JobFull || first.Metadata.FullSyncReason != "no stored cursor yet" || first.IndexedDocumentCount != 70 {
			t.Fatalf("first run: %+v", first)
		}
		for _, src := range []string{"items", "log"} {
			c := first.Metadata.Cursors[src]
			if c.From != nil || c.To == "" {
				t.Fatalf("first run cursor of %s: %+v", src, c)
			}
		}

		pgExec(t, s.conn,
			"UPDATE items SET name = 'renamed', updated_at = now() WHERE id = 2",
			"INSERT INTO items VALUES (51, 'new', now())",
			// A writer whose clock runs 30 s behind the database's: within
			// SYNC_CURSOR_LAG.
			"INSERT INTO items VALUES (52, 'skewed', now() - interval '30 seconds')",
			"UPDATE log SET msg = 'edited' WHERE id = 1",
			"INSERT INTO log VALUES (21, 'appended')",
			"DELETE FROM items WHERE id = 1")
		second := s.sync(t)
		if second.JobType != JobIncremental || second.Metadata.FullSyncReason != "" {
			t.Fatalf("second run: %+v", second)
		}
		if second.Metadata.RowsRead != 5 || second.IndexedDocumentCount != 5 || second.DeletedDocumentCount != 0 {
			t.Fatalf("second run read %d rows, indexed %d, deleted %d; want 5, 5, 0",
				second.Metadata.RowsRead, second.IndexedDocumentCount, second.DeletedDocumentCount)
		}
		for src, c := range second.Metadata.Cursors {
			if c.From == nil || *c.From != first.Metadata.Cursors[src].To {
				t.Errorf("second run %s from %v, want %s", src, c.From, first.Metadata.Cursors[src].To)
			}
		}
		if got := e.Source(t, s.cfg.Index, s.id("items", "2"))["name"]; got != "renamed" {
			t.Errorf("items 2 name %v", got)
		}
		if got := e.Source(t, s.cfg.Index, s.id("log", "1"))["msg"]; got != "edited" {
			t.Errorf("log 1 msg %v", got)
		}
		for _, id := range []string{s.id("items", "51"), s.id("items", "52"), s.id("log", "21")} {
			if e.Source(t, s.cfg.Index, id) == nil {
				t.Errorf("document %s of a new row missing", id)
			}
		}
		// Incremental runs do not see deletions.
		if e.Source(t, s.cfg.Index, s.id("items", "1")) == nil {
			t.Error("an incremental run deleted a document")
		}
		stored := e.Source(t, s.cfg.JobsIndex, second.ID)
		if stored["job_type"] != JobIncremental {
			t.Errorf("stored job record: %v", stored)
		}

		// With nothing changed, a third run reads again only the rows within
		// SYNC_CURSOR_LAG of the previous run's bound, and no xmin row.
		third := s.sync(t)
		var inLag int64
		if c := third.Metadata.Cursors["items"]; c.From != nil {
			if err := s.conn.QueryRow(t.Context(), "SELECT count(*) FROM items WHERE updated_at >= $1", *c.From).Scan(&inLag); err != nil {
				t.Fatal(err)
			}
		}
		if third.JobType != JobIncremental || third.Metadata.RowsRead != inLag || inLag > 3 {
			t.Fatalf("third run read %d rows, %d within the lag: %+v", third.Metadata.RowsRead, inLag, third)
		}

		// SYNC_FULL_EVERY elapsed: the next run is a full one and deletes.
		full := newEngineSyncOf(t, e, s.conn, s.schema, incremental(func(in *Incremental) { in.FullEvery = time.Nanosecond }))
		job := full.sync(t)
		if job.JobType != JobFull || !strings.Contains(job.Metadata.FullSyncReason, EnvSyncFullEvery) ||
			job.DeletedDocumentCount != 1 || job.TotalDocumentCount != 72 {
			t.Fatalf("full run: %+v", job)
		}
	})
}

// TestIncrementalTransactionOpenAtSnapshot commits, after a run's snapshot,
// rows written by a transaction that was open when the run started: one
// with the same cursor value as a row the run read (a tie across two runs),
// and one in the xmin table. The next run reads both; a cursor that took
// the largest value read would skip the first for ever.
func TestIncrementalTransactionOpenAtSnapshot(t *testing.T) {
	targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
		s := newEngineSync(t, e, itemsSetup, incremental(func(in *Incremental) { in.CursorLag = 0 }))
		s.sync(t)

		open := pgConnect(t)
		pgExec(t, open, "SET search_path TO "+s.schema)
		tx, err := open.Begin(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = tx.Rollback(context.Background()) }()
		var at time.Time
		if err := tx.QueryRow(t.Context(), "SELECT now()").Scan(&at); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{"INSERT INTO items VALUES (60, 'late', now())", "INSERT INTO log VALUES (60, 'late')"} {
			if _, err := tx.Exec(t.Context(), q); err != nil {
				t.Fatal(err)
			}
		}
		// Same cursor value, committed before the run.
		if _, err := s.conn.Exec(t.Context(), "INSERT INTO items VALUES (61, 'early', $1)", at); err != nil {
			t.Fatal(err)
		}
		second := s.sync(t)
		if e.Source(t, s.cfg.Index, s.id("items", "61")) == nil || e.Source(t, s.cfg.Index, s.id("items", "60")) != nil {
			t.Fatalf("second run: want 61 synced and 60 unseen (job %+v)", second)
		}
		if err := tx.Commit(t.Context()); err != nil {
			t.Fatal(err)
		}
		third := s.sync(t)
		for _, id := range []string{s.id("items", "60"), s.id("log", "60")} {
			if e.Source(t, s.cfg.Index, id) == nil {
				t.Errorf("row %s, committed after the previous run's snapshot, was skipped (job %+v)", id, third.Metadata)
			}
		}
	})
}

// TestIncrementalRowsUpdatedDuringRun changes rows after a run took its
// snapshot and while it reads: that run does not see them, the next reads
// them.
func TestIncrementalRowsUpdatedDuringRun(t *testing.T) {
	targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
		s := newEngineSync(t, e, itemsSetup, incremental(func(in *Incremental) { in.CursorLag = 0 }))
		other := pgConnect(t)
		pgExec(t, other, "SET search_path TO "+s.schema)
		s.h.afterSnapshot = func() {
			pgExec(t, other, "UPDATE items SET name = 'during', updated_at = now() WHERE id = 3",
				"UPDATE log SET msg = 'during' WHERE id = 3")
		}
		first := s.sync(t)
		s.h.afterSnapshot = nil
		if got := e.Source(t, s.cfg.Index, s.id("items", "3"))["name"]; got != "item 3" {
			t.Fatalf("the run saw a change made after its snapshot: %v (job %+v)", got, first)
		}
		second := s.sync(t)
		if second.JobType != JobIncremental || second.Metadata.RowsRead != 2 {
			t.Fatalf("second run: %+v", second)
		}
		if e.Source(t, s.cfg.Index, s.id("items", "3"))["name"] != "during" || e.Source(t, s.cfg.Index, s.id("log", "3"))["msg"] != "during" {
			t.Fatal("rows updated during the previous run were not synced")
		}
	})
}

// TestIncrementalRuleCursor reads an advanced rule's changes by its cursor
// column.
func TestIncrementalRuleCursor(t *testing.T) {
	targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
		s := newEngineSync(t, e, itemsSetup, func(c *Config) {
			c.Queries = []SyncQuery{{Tables: []string{"items"}, Query: "SELECT id, upper(name) AS name, updated_at FROM items;",
				Cursor: "updated_at"}}
			c.Incremental = Incremental{Mode: SyncModeIncremental}
		})
		s.sync(t)
		pgExec(t, s.conn, "UPDATE items SET name = 'x', updated_at = now() WHERE id IN (4, 5)")
		job := s.sync(t)
		if job.JobType != JobIncremental || job.Metadata.RowsRead != 2 || e.Source(t, s.cfg.Index, s.id("items", "4"))["name"] != "X" {
			t.Fatalf("job %+v", job)
		}
	})
}

// TestIncrementalUnusableCursors lists every table whose cursor column is
// missing or cannot order changes, in one error.
func TestIncrementalUnusableCursors(t *testing.T) {
	targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
		s := newEngineSync(t, e, itemsSetup+`
CREATE TABLE plain (id int PRIMARY KEY);
CREATE TABLE counted (id int PRIMARY KEY, updated_at bigint);`, incremental(nil))
		job, err := s.h.Sync(t.Context(), TriggerOnDemand, nil)
		if !errors.Is(err, ErrCursor) || job.Status != StatusError {
			t.Fatalf("error %v, job %+v", err, job)
		}
		for _, w := range []string{"table plain has no column updated_at", "counted.updated_at is bigint"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not say %q", err, w)
			}
		}
	})
}
