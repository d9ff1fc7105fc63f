package pgsync

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/targettest"
)

const shopSetup = `
CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, balance numeric(12,2), tags text[]);
CREATE TABLE order_lines (order_id int, line int, sku text, qty int, PRIMARY KEY (order_id, line));
CREATE TABLE audit_log (at timestamptz, msg text);
INSERT INTO customers VALUES (1, 'Zoë Åström', 10.50, '{vip,"north east"}'), (2, '李雷', NULL, NULL), (3, 'Bob', -0.01, '{}');
INSERT INTO order_lines VALUES (1, 1, 'A-1', 2), (1, 2, 'B-2', 1), (3, 1, 'C-3', NULL);
INSERT INTO audit_log VALUES (now(), 'no primary key here');
`

// source is the realtime _source of a document of the synced index, nil
// when there is none.
func (s *engineSync) source(t *testing.T, id string) map[string]any {
	t.Helper()
	return s.e.Source(t, s.cfg.Index, id)
}

// checkSource fetches a document and checks it against want, with the
// metadata fields every document has filled in.
func (s *engineSync) checkSource(t *testing.T, job Job, id, table string, want map[string]any) {
	t.Helper()
	got := s.source(t, id)
	if got == nil {
		t.Fatalf("document %s missing", id)
	}
	full := map[string]any{"id": id, "table": table, "schema": s.schema, "database": "test",
		"_timestamp": job.StartedAt.Format(time.RFC3339Nano)}
	for k, v := range want {
		full[k] = v
	}
	if !reflect.DeepEqual(got, full) {
		gb, _ := json.Marshal(got)
		wb, _ := json.Marshal(full)
		t.Fatalf("document %s:\n got %s\nwant %s", id, gb, wb)
	}
}

// storedJob reads the job record back from the jobs index.
func (s *engineSync) storedJob(t *testing.T, id string) Job {
	t.Helper()
	src := s.e.Source(t, s.cfg.JobsIndex, id)
	if src == nil {
		t.Fatalf("job record %s missing", id)
	}
	b, _ := json.Marshal(src)
	var j Job
	if err := json.Unmarshal(b, &j); err != nil {
		t.Fatal(err)
	}
	return j
}

func TestSyncFullThenChanges(t *testing.T) {
	targettest.Engines(t, func(t *testing.T, eng *targettest.Engine) {
		e := newEngineSync(t, eng, shopSetup+typesSetup, nil)
		ctx := t.Context()

		job, err := e.h.Sync(ctx, TriggerOnDemand, nil)
		if err != nil {
			t.Fatalf("first sync: %v (job %+v)", err, job)
		}
		if job.Status != StatusCompleted || job.IndexedDocumentCount != 9 || job.DeletedDocumentCount != 0 ||
			job.TotalDocumentCount != 9 || job.Metadata.RowsRead != 9 || job.Error != nil {
			t.Fatalf("first sync job: %+v", job)
		}
		if want := []SkippedTable{{Table: "audit_log", Reason: "no primary key"}}; !reflect.DeepEqual(job.Metadata.SkippedTables, want) {
			t.Errorf("skipped %+v, want %+v", job.Metadata.SkippedTables, want)
		}
		if want := []string{"customers", "everything", "order_lines"}; !reflect.DeepEqual(job.Connector.Tables, want) {
			t.Errorf("connector tables %v, want %v", job.Connector.Tables, want)
		}
		e.checkSource(t, job, e.id("customers", "1"), "customers", map[string]any{
			"name": "Zoë Åström", "balance": 10.5, "tags": []any{"vip", "north east"}})
		e.checkSource(t, job, e.id("customers", "2"), "customers", map[string]any{"name": "李雷", "balance": nil, "tags": nil})
		e.checkSource(t, job, e.id("order_lines", "1", "2"), "order_lines", map[string]any{
			"order_id": 1.0, "line": 2.0, "sku": "B-2", "qty": 1.0})
		if got := e.source(t, e.id("everything", "1"))["tstz"]; got != "2024-02-29T11:14:15.500000+00:00" {
			t.Errorf("everything.tstz = %v", got)
		}
		if n := e.e.Count(t, e.cfg.Index); n != 9 {
			t.Errorf("the index holds %d documents, want 9", n)
		}

		stored := e.storedJob(t, job.ID)
		if stored.Status != StatusCompleted || stored.IndexedDocumentCount != 9 || stored.TotalDocumentCount != 9 ||
			stored.TriggerMethod != TriggerOnDemand || stored.JobType != "full" || stored.Connector.ServiceType != "postgresql" ||
			stored.Connector.IndexName != e.cfg.Index || stored.CompletedAt == nil || stored.WorkerHostname == "" {
			t.Errorf("stored job record: %+v", stored)
		}

		pgExec(t, e.conn,
			"UPDATE customers SET name = 'Zoe', balance = 99999999.99 WHERE id = 1",
			"DELETE FROM customers WHERE id = 2",
			"DELETE FROM order_lines WHERE order_id = 1 AND line = 2",
			"INSERT INTO customers VALUES (4, 'New', 0, '{}')")
		job2, err := e.h.Sync(ctx, TriggerScheduled, nil)
		if err != nil {
			t.Fatalf("second sync: %v", err)
		}
		if job2.Status != StatusCompleted || job2.IndexedDocumentCount != 8 || job2.DeletedDocumentCount != 2 ||
			job2.TotalDocumentCount != 8 || job2.TriggerMethod != TriggerScheduled {
			t.Fatalf("second sync job: %+v", job2)
		}
		e.checkSource(t, job2, e.id("customers", "1"), "customers", map[string]any{
			"name": "Zoe", "balance": 99999999.99, "tags": []any{"vip", "north east"}})
		for _, id := range []string{e.id("customers", "2"), e.id("order_lines", "1", "2")} {
			if src := e.source(t, id); src != nil {
				t.Errorf("document %s of a deleted row is still there: %v", id, src)
			}
		}
		if e.source(t, e.id("customers", "4")) == nil {
			t.Error("document of the inserted row is missing")
		}
		if n := e.e.Count(t, e.cfg.Index); n != 8 {
			t.Errorf("the index holds %d documents after the second sync, want 8", n)
		}
		if stored := e.storedJob(t, job2.ID); stored.Status != StatusCompleted || stored.IndexedDocumentCount != 8 ||
			stored.DeletedDocumentCount != 2 || stored.TotalDocumentCount != 8 {
			t.Errorf("stored record of the second job: %+v", stored)
		}
	})
}

func TestSyncSkipsWhileAnotherRuns(t *testing.T) {
	targettest.Engines(t, func(t *testing.T, eng *targettest.Engine) {
		e := newEngineSync(t, eng, shopSetup, nil)
		// The test's own connection holds the lock, as a running sync would.
		pgExec(t, e.conn, "SELECT pg_advisory_lock("+strconv.FormatInt(lockKey("test", e.cfg.Index), 10)+")")
		job, err := e.h.Sync(t.Context(), TriggerScheduled, nil)
		if err != nil {
			t.Fatalf("skipped sync returned an error: %v", err)
		}
		if job.Status != StatusSkipped || job.IndexedDocumentCount != 0 || job.Error != nil {
			t.Fatalf("job %+v", job)
		}
		if got := e.storedJob(t, job.ID).Status; got != StatusSkipped {
			t.Errorf("stored status %q", got)
		}
		// A skipped sync reads nothing and so creates nothing: the index is
		// the next sync's to create, with its mapping.
		if eng.Exists(t, e.cfg.Index) {
			t.Errorf("%s exists after a skipped sync", e.cfg.Index)
		}
		pgExec(t, e.conn, "SELECT pg_advisory_unlock_all()")
		if job, err := e.h.Sync(t.Context(), TriggerScheduled, nil); err != nil || job.Status != StatusCompleted ||
			job.IndexedDocumentCount != 6 {
			t.Fatalf("sync after the lock was released: %v %+v", err, job)
		}
	})
}

// TestSyncReadFailureDeletesNothing fails a rule's query at row 500, after
// several batches were written: the job ends in error and the document of a
// row deleted since the previous sync stays.
func TestSyncReadFailureDeletesNothing(t *testing.T) {
	setup := shopSetup + `
CREATE TABLE nums (id int PRIMARY KEY);
INSERT INTO nums SELECT generate_series(1, 1000);
CREATE TABLE control (v int);
INSERT INTO control VALUES (0);`
	targettest.Engines(t, func(t *testing.T, eng *targettest.Engine) {
		e := newEngineSync(t, eng, setup, func(c *Config) {
			c.FetchSize = 100
			c.Queries = []SyncQuery{
				{Tables: []string{"customers"}, Query: "SELECT * FROM customers"},
				{Tables: []string{"nums"}, Query: "SELECT n.id, 10 / (n.id - c.v) AS x FROM nums n, control c ORDER BY n.id",
					IDColumns: []string{"id"}},
			}
		})
		job, err := e.h.Sync(t.Context(), TriggerScheduled, nil)
		if err != nil || job.IndexedDocumentCount != 1003 || job.TotalDocumentCount != 1003 {
			t.Fatalf("first sync: %v %+v", err, job)
		}
		pgExec(t, e.conn, "DELETE FROM customers WHERE id = 2", "UPDATE control SET v = 500")
		job, err = e.h.Sync(t.Context(), TriggerScheduled, nil)
		if !errors.Is(err, ErrSyncFailed) {
			t.Fatalf("error %v, want ErrSyncFailed", err)
		}
		if job.Status != StatusError || job.Error == nil || !strings.Contains(*job.Error, "division by zero") ||
			job.DeletedDocumentCount != 0 || job.IndexedDocumentCount < 400 {
			t.Fatalf("job %+v (error %v)", job, deref(job.Error))
		}
		if e.source(t, e.id("customers", "2")) == nil {
			t.Fatal("a failed sync deleted the document of a vanished row")
		}
		if n := e.e.Count(t, e.cfg.Index); n != 1003 {
			t.Errorf("the index holds %d documents after the failed sync, want all 1003", n)
		}
		if got := e.storedJob(t, job.ID); got.Status != StatusError || deref(got.Error) != *job.Error {
			t.Errorf("stored job %+v", got)
		}
	})
}

func TestSyncAdvancedRuleElasticNames(t *testing.T) {
	targettest.Engines(t, func(t *testing.T, eng *targettest.Engine) {
		e := newEngineSync(t, eng, shopSetup, func(c *Config) {
			c.FieldNames = FieldNamesElastic
			c.Queries = []SyncQuery{{
				Tables:    []string{"order_lines", "customers"},
				Query:     "SELECT c.id AS cid, c.name, l.line, l.sku FROM customers c JOIN order_lines l ON l.order_id = c.id",
				IDColumns: []string{"cid", "line"},
			}}
		})
		job, err := e.h.Sync(t.Context(), TriggerOnDemand, nil)
		if err != nil || job.IndexedDocumentCount != 3 {
			t.Fatalf("sync: %v %+v", err, job)
		}
		id := "test_" + e.schema + "_customers_order_lines_1_2"
		p := e.schema + "_customers_order_lines_"
		got := e.source(t, id)
		want := map[string]any{p + "cid": 1.0, p + "name": "Zoë Åström", p + "line": 2.0, p + "sku": "B-2",
			"id": id, "table": []any{"order_lines", "customers"}, "schema": e.schema, "database": "test",
			"_timestamp": job.StartedAt.Format(time.RFC3339Nano)}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("document %s:\n got %v\nwant %v", id, got, want)
		}
		// A row the rule no longer returns is deleted: the deletion query
		// matches documents whose table field holds either table.
		pgExec(t, e.conn, "DELETE FROM order_lines WHERE order_id = 1 AND line = 2")
		job, err = e.h.Sync(t.Context(), TriggerOnDemand, nil)
		if err != nil || job.IndexedDocumentCount != 2 || job.DeletedDocumentCount != 1 || job.TotalDocumentCount != 2 {
			t.Fatalf("second sync: %v %+v", err, job)
		}
		if src := e.source(t, id); src != nil {
			t.Fatalf("document %s of a row the rule no longer returns: %v", id, src)
		}
	})
}

func TestSyncStopsBeforeDeadline(t *testing.T) {
	targettest.Engines(t, func(t *testing.T, eng *targettest.Engine) {
		e := newEngineSync(t, eng, shopSetup, nil)
		if _, err := e.h.Sync(t.Context(), TriggerScheduled, nil); err != nil {
			t.Fatal(err)
		}
		pgExec(t, e.conn, "DELETE FROM customers WHERE id = 2")
		// The deadline is closer than the margin: the run must stop at once
		// and still record why.
		ctx, cancel := context.WithTimeout(t.Context(), e.cfg.DeadlineMargin-5*time.Second)
		defer cancel()
		job, err := e.h.Sync(ctx, TriggerScheduled, nil)
		if !errors.Is(err, ErrNearDeadline) || job.Status != StatusError || !strings.Contains(deref(job.Error), "deadline") {
			t.Fatalf("error %v, job %+v", err, job)
		}
		if e.source(t, e.id("customers", "2")) == nil {
			t.Fatal("a sync stopped at the deadline deleted a document")
		}
		if got := e.storedJob(t, job.ID); got.Status != StatusError || deref(got.Error) != deref(job.Error) {
			t.Errorf("stored job %+v", got)
		}
	})
}

func TestSyncMissingTablesListed(t *testing.T) {
	targettest.Engines(t, func(t *testing.T, eng *targettest.Engine) {
		e := newEngineSync(t, eng, shopSetup, func(c *Config) {
			c.Tables = []string{"customers", "nope", "gone"}
		})
		job, err := e.h.Sync(t.Context(), TriggerOnDemand, nil)
		if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "nope, gone") || job.Status != StatusError {
			t.Fatalf("error %v, job %+v", err, job)
		}
		if got := e.storedJob(t, job.ID); got.Status != StatusError || !strings.Contains(deref(got.Error), "nope, gone") {
			t.Errorf("stored job %+v", got)
		}
	})
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// TestSyncRejectedDocuments maps name as a number so the server refuses
// every customer: the other documents are written, vanished rows are still
// deleted, and the job ends in error with the count and the server's reason.
func TestSyncRejectedDocuments(t *testing.T) {
	targettest.Engines(t, func(t *testing.T, eng *targettest.Engine) {
		e := newEngineSync(t, eng, shopSetup, nil)
		e.e.CreateIndex(t, e.cfg.Index, `{"mappings":{"properties":{"name":{"type":"long"}}}}`)
		job, err := e.h.Sync(t.Context(), TriggerScheduled, nil)
		if !errors.Is(err, ErrSyncFailed) || job.Status != StatusError {
			t.Fatalf("error %v, job %+v", err, job)
		}
		// Elasticsearch 8 and OpenSearch or Elasticsearch 7 name the refusal
		// differently; the job error carries the server's own type.
		wantType := eng.MappingErrorType()
		if job.Metadata.RejectedDocumentCount != 3 || job.IndexedDocumentCount != 3 ||
			!strings.Contains(deref(job.Error), "rejected 3 documents") || !strings.Contains(deref(job.Error), wantType) {
			t.Fatalf("job %+v (error %q), want 3 rejected for %s", job, deref(job.Error), wantType)
		}
		if e.source(t, e.id("order_lines", "3", "1")) == nil {
			t.Fatal("an accepted document is missing")
		}
		pgExec(t, e.conn, "DELETE FROM order_lines WHERE order_id = 1 AND line = 2")
		job, _ = e.h.Sync(t.Context(), TriggerScheduled, nil)
		if job.Status != StatusError || job.DeletedDocumentCount != 1 || job.IndexedDocumentCount != 2 || job.TotalDocumentCount != 2 {
			t.Fatalf("second sync job %+v", job)
		}
		if e.source(t, e.id("order_lines", "1", "2")) != nil {
			t.Fatal("the document of the deleted row is still there")
		}
		if got := e.storedJob(t, job.ID); got.Status != StatusError || got.Metadata.RejectedDocumentCount != 3 {
			t.Errorf("stored job %+v", got)
		}
	})
}

func TestHandleScheduleEvents(t *testing.T) {
	targettest.Engines(t, func(t *testing.T, eng *targettest.Engine) {
		e := newEngineSync(t, eng, shopSetup, nil)
		for _, fixture := range []string{"aws-eventbridge-schedule.json", "fc-timer.json"} {
			job, err := e.h.Handle(t.Context(), readFixture(t, fixture))
			if err != nil || job.Status != StatusCompleted || job.TriggerMethod != TriggerScheduled || job.IndexedDocumentCount != 6 {
				t.Fatalf("%s: %v %+v", fixture, err, job)
			}
		}
		if job, err := e.h.Handle(t.Context(), nil); err != nil || job.Status != StatusCompleted {
			t.Fatalf("empty payload: %v %+v", err, job)
		}
		if _, err := e.h.Handle(t.Context(), []byte(`{"Records":[]}`)); !errors.Is(err, ErrUnknownEvent) {
			t.Fatalf("unknown event: %v", err)
		}
	})
}
