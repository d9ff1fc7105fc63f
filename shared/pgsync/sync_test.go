package pgsync

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/jackc/pgx/v5"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/esnode/esnodetest"
)

const shopSetup = `
CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, balance numeric(12,2), tags text[]);
CREATE TABLE order_lines (order_id int, line int, sku text, qty int, PRIMARY KEY (order_id, line));
CREATE TABLE audit_log (at timestamptz, msg text);
INSERT INTO customers VALUES (1, 'Zoë Åström', 10.50, '{vip,"north east"}'), (2, '李雷', NULL, NULL), (3, 'Bob', -0.01, '{}');
INSERT INTO order_lines VALUES (1, 1, 'A-1', 2), (1, 2, 'B-2', 1), (3, 1, 'C-3', NULL);
INSERT INTO audit_log VALUES (now(), 'no primary key here');
`

// syncEnv is a schema, an esnode and a handler syncing one into the other.
type syncEnv struct {
	conn   *pgx.Conn
	schema string
	cfg    config.PGSync
	es     *elasticsearch.Client
	h      *Handler
}

// newSyncEnv creates a schema with the setup statements and a handler that
// syncs it into a fresh esnode. The index is named after the schema so the
// advisory lock of concurrent test runs never collides.
func newSyncEnv(t *testing.T, opts esnode.Options, setup string, edit func(*config.PGSync)) *syncEnv {
	t.Helper()
	return newSyncEnvOn(t, esnodetest.Start(t, opts), setup, edit)
}

// newSyncEnvOn is newSyncEnv with the node given, for tests that steer it.
func newSyncEnvOn(t *testing.T, srv *esnode.Server, setup string, edit func(*config.PGSync)) *syncEnv {
	t.Helper()
	conn := pgConnect(t)
	schema := testSchema(t, conn, setup)
	env := config.FromMap(map[string]string{"ES_URL": srv.URL, "RETRY_MAX": "2", "RETRY_BACKOFF_INITIAL": "10ms"})
	cfg := testConfig(schema)
	cfg.FetchSize = 2
	cfg.DeadlineMargin = config.DefaultSyncDeadlineMargin
	cfg.Elasticsearch = config.LoadElasticsearch(env)
	cfg.Bulk = config.LoadBulk(env)
	if err := env.Err(); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(&cfg)
	}
	h, closeFn, err := Open(t.Context(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = closeFn() })
	return &syncEnv{conn: conn, schema: schema, cfg: cfg, es: esnodetest.Client(t, srv), h: h}
}

func (e *syncEnv) docID(table string, pk ...string) string {
	return "test_" + e.schema + "_" + table + "_" + strings.Join(pk, "_")
}

// source fetches a document and checks it against want, with the metadata
// fields every document has filled in.
func (e *syncEnv) checkSource(t *testing.T, job Job, id, table string, want map[string]any) {
	t.Helper()
	got := esnodetest.Source(t, e.es, e.cfg.Index, id)
	if got == nil {
		t.Fatalf("document %s missing", id)
	}
	full := map[string]any{"id": id, "table": table, "schema": e.schema, "database": "test",
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
func (e *syncEnv) storedJob(t *testing.T, id string) Job {
	t.Helper()
	src := esnodetest.Source(t, e.es, e.cfg.JobsIndex, id)
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
	e := newSyncEnv(t, esnode.Options{}, shopSetup+typesSetup, nil)
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
	e.checkSource(t, job, e.docID("customers", "1"), "customers", map[string]any{
		"name": "Zoë Åström", "balance": 10.5, "tags": []any{"vip", "north east"}})
	e.checkSource(t, job, e.docID("customers", "2"), "customers", map[string]any{"name": "李雷", "balance": nil, "tags": nil})
	e.checkSource(t, job, e.docID("order_lines", "1", "2"), "order_lines", map[string]any{
		"order_id": 1.0, "line": 2.0, "sku": "B-2", "qty": 1.0})
	if got := esnodetest.Source(t, e.es, e.cfg.Index, e.docID("everything", "1"))["tstz"]; got != "2024-02-29T11:14:15.500000+00:00" {
		t.Errorf("everything.tstz = %v", got)
	}

	stored := e.storedJob(t, job.ID)
	if stored.Status != StatusCompleted || stored.IndexedDocumentCount != 9 || stored.TriggerMethod != TriggerOnDemand ||
		stored.JobType != "full" || stored.Connector.ServiceType != "postgresql" || stored.Connector.IndexName != e.cfg.Index ||
		stored.CompletedAt == nil || stored.WorkerHostname == "" {
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
	e.checkSource(t, job2, e.docID("customers", "1"), "customers", map[string]any{
		"name": "Zoe", "balance": 99999999.99, "tags": []any{"vip", "north east"}})
	for _, id := range []string{e.docID("customers", "2"), e.docID("order_lines", "1", "2")} {
		if src := esnodetest.Source(t, e.es, e.cfg.Index, id); src != nil {
			t.Errorf("document %s of a deleted row is still there: %v", id, src)
		}
	}
	if esnodetest.Source(t, e.es, e.cfg.Index, e.docID("customers", "4")) == nil {
		t.Error("document of the inserted row is missing")
	}
}

func TestSyncSkipsWhileAnotherRuns(t *testing.T) {
	e := newSyncEnv(t, esnode.Options{}, shopSetup, nil)
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
	pgExec(t, e.conn, "SELECT pg_advisory_unlock_all()")
	if job, err := e.h.Sync(t.Context(), TriggerScheduled, nil); err != nil || job.Status != StatusCompleted {
		t.Fatalf("sync after the lock was released: %v %+v", err, job)
	}
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
	e := newSyncEnv(t, esnode.Options{}, setup, func(c *config.PGSync) {
		c.FetchSize = 100
		c.Queries = []config.SyncQuery{
			{Tables: []string{"customers"}, Query: "SELECT * FROM customers"},
			{Tables: []string{"nums"}, Query: "SELECT n.id, 10 / (n.id - c.v) AS x FROM nums n, control c ORDER BY n.id",
				IDColumns: []string{"id"}},
		}
	})
	job, err := e.h.Sync(t.Context(), TriggerScheduled, nil)
	if err != nil || job.IndexedDocumentCount != 1003 {
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
	if esnodetest.Source(t, e.es, e.cfg.Index, e.docID("customers", "2")) == nil {
		t.Fatal("a failed sync deleted the document of a vanished row")
	}
	if got := e.storedJob(t, job.ID); got.Status != StatusError || deref(got.Error) != *job.Error {
		t.Errorf("stored job %+v", got)
	}
}

func TestSyncAdvancedRuleElasticNames(t *testing.T) {
	e := newSyncEnv(t, esnode.Options{}, shopSetup, func(c *config.PGSync) {
		c.FieldNames = config.FieldNamesElastic
		c.Queries = []config.SyncQuery{{
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
	got := esnodetest.Source(t, e.es, e.cfg.Index, id)
	want := map[string]any{p + "cid": 1.0, p + "name": "Zoë Åström", p + "line": 2.0, p + "sku": "B-2",
		"id": id, "table": []any{"order_lines", "customers"}, "schema": e.schema, "database": "test",
		"_timestamp": job.StartedAt.Format(time.RFC3339Nano)}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("document %s:\n got %v\nwant %v", id, got, want)
	}
}

func TestSyncStopsBeforeDeadline(t *testing.T) {
	e := newSyncEnv(t, esnode.Options{}, shopSetup, nil)
	if _, err := e.h.Sync(t.Context(), TriggerScheduled, nil); err != nil {
		t.Fatal(err)
	}
	pgExec(t, e.conn, "DELETE FROM customers WHERE id = 2")
	// The deadline is closer than the margin: the run must stop at once and
	// still record why.
	ctx, cancel := context.WithTimeout(t.Context(), e.cfg.DeadlineMargin-5*time.Second)
	defer cancel()
	job, err := e.h.Sync(ctx, TriggerScheduled, nil)
	if !errors.Is(err, ErrNearDeadline) || job.Status != StatusError || !strings.Contains(deref(job.Error), "deadline") {
		t.Fatalf("error %v, job %+v", err, job)
	}
	if esnodetest.Source(t, e.es, e.cfg.Index, e.docID("customers", "2")) == nil {
		t.Fatal("a sync stopped at the deadline deleted a document")
	}
	if got := e.storedJob(t, job.ID).Status; got != StatusError {
		t.Errorf("stored status %q", got)
	}
}

func TestSyncMissingTablesListed(t *testing.T) {
	e := newSyncEnv(t, esnode.Options{}, shopSetup, func(c *config.PGSync) {
		c.Tables = []string{"customers", "nope", "gone"}
	})
	job, err := e.h.Sync(t.Context(), TriggerOnDemand, nil)
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "nope, gone") || job.Status != StatusError {
		t.Fatalf("error %v, job %+v", err, job)
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// TestSyncRejectedDocuments maps name as a number so Elasticsearch refuses
// every customer: the other documents are written, vanished rows are still
// deleted, and the job ends in error with the count.
func TestSyncRejectedDocuments(t *testing.T) {
	e := newSyncEnv(t, esnode.Options{}, shopSetup, nil)
	res, err := e.es.Indices.Create(e.cfg.Index, e.es.Indices.Create.WithBody(
		strings.NewReader(`{"mappings":{"properties":{"name":{"type":"long"}}}}`)))
	if err != nil || res.IsError() {
		t.Fatalf("creating the index: %v %v", err, res)
	}
	res.Body.Close()
	job, err := e.h.Sync(t.Context(), TriggerScheduled, nil)
	if !errors.Is(err, ErrSyncFailed) || job.Status != StatusError {
		t.Fatalf("error %v, job %+v", err, job)
	}
	if job.Metadata.RejectedDocumentCount != 3 || job.IndexedDocumentCount != 3 ||
		!strings.Contains(deref(job.Error), "rejected 3 documents") {
		t.Fatalf("job %+v (error %q)", job, deref(job.Error))
	}
	if esnodetest.Source(t, e.es, e.cfg.Index, e.docID("order_lines", "3", "1")) == nil {
		t.Fatal("an accepted document is missing")
	}
	pgExec(t, e.conn, "DELETE FROM order_lines WHERE order_id = 1 AND line = 2")
	job, _ = e.h.Sync(t.Context(), TriggerScheduled, nil)
	if job.Status != StatusError || job.DeletedDocumentCount != 1 || job.IndexedDocumentCount != 2 {
		t.Fatalf("second sync job %+v", job)
	}
	if esnodetest.Source(t, e.es, e.cfg.Index, e.docID("order_lines", "1", "2")) != nil {
		t.Fatal("the document of the deleted row is still there")
	}
}

func TestHandleScheduleEvents(t *testing.T) {
	e := newSyncEnv(t, esnode.Options{}, shopSetup, nil)
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
}
