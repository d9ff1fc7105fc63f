package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/esconnect/esconnect/shared/pgsync"
	"github.com/esconnect/esconnect/shared/targettest"
)

func pgTestURL() string {
	if u := os.Getenv("PG_TEST_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// syncSchema creates a schema with one small table and drops it at the end.
func syncSchema(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, pgTestURL())
	if err != nil {
		t.Fatalf("PostgreSQL at %s is unreachable (%v); start it with ./scripts/ensure-postgres.sh or set PG_TEST_URL", pgTestURL(), err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "cmd_sync_" + hex.EncodeToString(b[:])
	for _, s := range []string{
		"CREATE SCHEMA " + schema,
		"CREATE TABLE " + schema + ".items (id int PRIMARY KEY, name text)",
		"INSERT INTO " + schema + ".items VALUES (1, 'one'), (2, 'two')",
	} {
		if _, err := conn.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	t.Cleanup(func() { _, _ = conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE") })
	return schema
}

func TestSyncCommand(t *testing.T) {
	targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
		schema := syncSchema(t)
		// Named after the schema, so that another run of this test against
		// the same PostgreSQL never holds this sync's lock; private to the
		// test on a real server.
		base := strings.ReplaceAll(schema, "_", "-")
		index, jobs := e.Index(base), e.Index("jobs-"+base)
		env := map[string]string{"PG_URL": pgTestURL(), "PG_SCHEMA": schema, "ES_INDEX": index, "SYNC_JOBS_INDEX": jobs}
		for k, v := range e.Env() {
			env[k] = v
		}
		for k, v := range env {
			t.Setenv(k, v)
		}
		var out, errOut bytes.Buffer
		if code := runMain([]string{"sync"}, &out, &errOut); code != 0 {
			t.Fatalf("exit %d: %s", code, errOut.String())
		}
		var job pgsync.Job
		if err := json.Unmarshal(out.Bytes(), &job); err != nil {
			t.Fatalf("stdout is not the job: %v\n%s", err, out.String())
		}
		if job.Status != pgsync.StatusCompleted || job.TriggerMethod != pgsync.TriggerOnDemand || job.IndexedDocumentCount != 2 ||
			job.TotalDocumentCount != 2 {
			t.Fatalf("job %+v", job)
		}
		// stderr is not a terminal here: no progress line.
		if strings.Contains(errOut.String(), "rows/s") {
			t.Errorf("progress written to a non-terminal: %q", errOut.String())
		}
		if src := e.Source(t, index, "test_"+schema+"_items_2"); src == nil || src["name"] != "two" {
			t.Errorf("document: %v", src)
		}
		if src := e.Source(t, jobs, job.ID); src["status"] != pgsync.StatusCompleted || src["trigger_method"] != pgsync.TriggerOnDemand {
			t.Errorf("stored job record: %v", src)
		}
	})
}

func TestSyncCommandBadSettings(t *testing.T) {
	t.Setenv("PG_URL", "")
	t.Setenv("PG_HOST", "")
	t.Setenv("ES_INDEX", "")
	var out, errOut bytes.Buffer
	if code := runMain([]string{"sync"}, &out, &errOut); code != 2 {
		t.Fatalf("exit %d, want 2: %s", code, errOut.String())
	}
	for _, want := range []string{"ES_INDEX", "PG_HOST"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr lacks %s: %s", want, errOut.String())
		}
	}
}

func TestFormatProgress(t *testing.T) {
	got := formatProgress(pgsync.Progress{TablesDone: 1, TablesTotal: 3, Source: "orders", Rows: 5000, Elapsed: 2 * time.Second})
	if want := "tables 1/3  rows 5000  2500 rows/s  2s  reading orders"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if isCharDevice(&bytes.Buffer{}) {
		t.Error("a buffer is not a terminal")
	}
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isCharDevice(f) {
		t.Error("a regular file is not a terminal")
	}
}
