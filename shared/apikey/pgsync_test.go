package apikey_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/jackc/pgx/v5"

	"github.com/esconnect/esconnect/shared/apikey"
	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/esbulk"
	"github.com/esconnect/esconnect/shared/esclient"
	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/pgsync"
)

// pgURL is the PostgreSQL server the test syncs from, as in pgsync's tests.
func pgURL() string {
	if u := os.Getenv("PG_TEST_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// pgSchema creates a schema with a three-row table, dropped at the end.
func pgSchema(t *testing.T) (*pgx.Conn, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, pgURL())
	if err != nil {
		t.Fatalf("PostgreSQL at %s is unreachable (%v); start it with ./scripts/ensure-postgres.sh or set PG_TEST_URL", pgURL(), err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "apikey_test_" + hex.EncodeToString(b[:])
	for _, stmt := range []string{
		"CREATE SCHEMA " + schema,
		"CREATE TABLE " + schema + ".items (id int PRIMARY KEY, name text)",
		"INSERT INTO " + schema + ".items VALUES (1, 'a'), (2, 'b'), (3, 'c')",
	} {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	t.Cleanup(func() { _, _ = conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE") })
	return conn, schema
}

func runSync(t *testing.T, s *esnode.Server, key, schema, index, jobs string, extra ...string) (pgsync.Job, error) {
	t.Helper()
	env := map[string]string{
		"PG_URL": pgURL(), pgsync.EnvPGSchema: schema, "ES_INDEX": index, pgsync.EnvSyncJobsIndex: jobs,
		esclient.EnvURL: s.URL, esclient.EnvAPIKey: key, esbulk.EnvRetryMax: "1", esbulk.EnvRetryBackoffInitial: "1ms",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	cfg, err := pgsync.LoadConfig(config.FromMap(env))
	if err != nil {
		t.Fatal(err)
	}
	h, closeFn, err := pgsync.Open(t.Context(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = closeFn() })
	return h.Handle(t.Context(), nil)
}

// TestSyncWorksWithExactlyItsKeyOnEsnode runs pg-es-sync with the key
// apikey builds, then, for each privilege removed, on a node where a
// full-key run already created the index and a row has since been deleted
// (so the run must delete a document), with the jobs index dropped (so it
// must be created again): the full key completes, every reduced key fails
// with a 403. The real test servers run without security, so the privileges
// are checked by the esnode's API keys.
func TestSyncWorksWithExactlyItsKeyOnEsnode(t *testing.T) {
	conn, schema := pgSchema(t)
	index := strings.ReplaceAll(schema, "_", "-")
	jobs := "jobs-" + index
	req, err := apikey.Build(apikey.Options{Function: apikey.FunctionSync, Index: index, SyncJobsIndex: jobs})
	if err != nil {
		t.Fatal(err)
	}
	prime := func(t *testing.T) (*esnode.Server, *elasticsearch.Client) {
		t.Helper()
		s, admin := secured(t)
		if _, err := conn.Exec(t.Context(), "INSERT INTO "+schema+".items VALUES (2, 'b') ON CONFLICT DO NOTHING"); err != nil {
			t.Fatal(err)
		}
		job, err := runSync(t, s, createKey(t, admin, req), schema, index, jobs)
		if err != nil || job.Status != pgsync.StatusCompleted || job.IndexedDocumentCount != 3 {
			t.Fatalf("with the full key: %v, job %+v", err, job)
		}
		if _, err := conn.Exec(t.Context(), "DELETE FROM "+schema+".items WHERE id = 2"); err != nil {
			t.Fatal(err)
		}
		res, err := admin.Indices.Delete([]string{jobs}, admin.Indices.Delete.WithContext(t.Context()))
		if err != nil || res.IsError() {
			t.Fatalf("dropping the jobs index: %v %v", err, res)
		}
		res.Body.Close()
		return s, admin
	}
	s, admin := prime(t)
	job, err := runSync(t, s, createKey(t, admin, req), schema, index, jobs)
	if err != nil || job.Status != pgsync.StatusCompleted || job.DeletedDocumentCount != 1 || job.TotalDocumentCount != 2 {
		t.Fatalf("second run with the full key: %v, job %+v", err, job)
	}
	for _, rm := range removals(req, apikey.FunctionSync) {
		t.Run([]string{"index", "jobs index"}[rm.entry]+" without "+rm.priv, func(t *testing.T) {
			s, admin := prime(t)
			job, err := runSync(t, s, createKey(t, admin, without(req, apikey.FunctionSync, rm.entry, rm.priv)), schema, index, jobs)
			if err == nil {
				t.Fatalf("the sync succeeded without %s: %+v", rm.priv, job)
			}
			// The reason is in the error and, when the job record could be
			// written, in the record's error field.
			if !strings.Contains(err.Error(), unauthorized) || !strings.Contains(err.Error(), "403") && !strings.Contains(err.Error(), "security_exception") {
				t.Fatalf("the sync failed without a 403: %v", err)
			}
		})
	}
}

// TestIncrementalSyncNeedsReadOnTheJobsIndexOnEsnode: SYNC_MODE=incremental
// reads its cursor back from the sync-jobs index (every run looks for it),
// so its key (-incremental) has read there: with it a first, full run and a
// second, incremental one complete; without it the first run fails with a
// 403.
func TestIncrementalSyncNeedsReadOnTheJobsIndexOnEsnode(t *testing.T) {
	_, schema := pgSchema(t)
	index := strings.ReplaceAll(schema, "_", "-")
	jobs := "jobs-" + index
	req, err := apikey.Build(apikey.Options{Function: apikey.FunctionSync, Index: index, SyncJobsIndex: jobs, Incremental: true})
	if err != nil {
		t.Fatal(err)
	}
	incremental := []string{pgsync.EnvSyncMode, pgsync.SyncModeIncremental, pgsync.EnvSyncCursor, pgsync.CursorXmin}
	t.Run("with read", func(t *testing.T) {
		s, admin := secured(t)
		key := createKey(t, admin, req)
		for i, want := range []string{pgsync.SyncModeFull, pgsync.SyncModeIncremental} {
			job, err := runSync(t, s, key, schema, index, jobs, incremental...)
			if err != nil || job.Status != pgsync.StatusCompleted || job.JobType != want {
				t.Fatalf("run %d: %v, job %+v; want a completed %s job", i+1, err, job, want)
			}
		}
	})
	t.Run("without read", func(t *testing.T) {
		s, admin := secured(t)
		key := createKey(t, admin, without(req, apikey.FunctionSync, 1, apikey.PrivRead))
		job, err := runSync(t, s, key, schema, index, jobs, incremental...)
		if err == nil || !strings.Contains(err.Error(), unauthorized) {
			t.Fatalf("without read on %s: %v, job %+v; want a 403", jobs, err, job)
		}
	})
}
