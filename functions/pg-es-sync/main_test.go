package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/esconnect/esconnect/shared/platform/platformtest"
	"github.com/esconnect/esconnect/shared/targettest"
)

const (
	pkg         = "github.com/esconnect/esconnect/functions/pg-es-sync"
	testTimeout = 60 * time.Second
	// index is the ES_INDEX of the start-up benchmark, which reaches no server.
	index = "pg-sync-test"
)

func pgURL() string {
	if u := os.Getenv("PG_TEST_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// testTable creates a schema of its own holding a table of two rows.
func testTable(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, pgURL())
	if err != nil {
		t.Fatalf("PostgreSQL at %s: %v (run ./scripts/ensure-postgres.sh or set PG_TEST_URL)", pgURL(), err)
	}
	t.Cleanup(func() { conn.Close(context.WithoutCancel(ctx)) })
	schema := fmt.Sprintf("fn_%d", time.Now().UnixNano())
	for _, stmt := range []string{
		"CREATE SCHEMA " + schema,
		"CREATE TABLE " + schema + ".customers (id int PRIMARY KEY, name text)",
		"INSERT INTO " + schema + ".customers VALUES (1, 'ada'), (2, 'grace')",
	} {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), pgURL())
		if err == nil {
			_, _ = c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			c.Close(context.Background())
		}
	})
	return schema
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../events/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// target is where a test's sync writes: the engine and the index names,
// private to the test on a real server (through e.Index). The index is named
// after the schema, so the advisory lock of another run of these tests
// against the same PostgreSQL never collides with this one.
type target struct {
	e           *targettest.Engine
	index, jobs string
}

func newTarget(e *targettest.Engine, schema string) target {
	base := strings.ReplaceAll(schema, "_", "-")
	return target{e: e, index: e.Index("pg-sync-" + base), jobs: e.Index("jobs-" + base)}
}

// syncEnv is the function's environment for a sync of schema into tg.
func syncEnv(tg target, schema string, extra map[string]string) map[string]string {
	env := map[string]string{
		"ES_INDEX": tg.index, "SYNC_JOBS_INDEX": tg.jobs, "PG_URL": pgURL(), "PG_SCHEMA": schema,
		"PG_TABLES": "customers", "ES_REFRESH": "true",
	}
	for k, v := range tg.e.Env() {
		env[k] = v
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// assertSynced checks the function's response, the index and the job record
// the response names.
func assertSynced(t *testing.T, tg target, response []byte) {
	t.Helper()
	var job struct {
		ID                   string `json:"id"`
		Status               string `json:"status"`
		IndexedDocumentCount int    `json:"indexed_document_count"`
		TotalDocumentCount   int    `json:"total_document_count"`
	}
	if err := json.Unmarshal(response, &job); err != nil {
		t.Fatalf("response %s is not the job record: %v", response, err)
	}
	if job.Status != "completed" || job.IndexedDocumentCount != 2 || job.TotalDocumentCount != 2 {
		t.Errorf("job %s: want completed with the table's 2 rows", response)
	}
	if n := tg.e.Count(t, tg.index); n != 2 {
		t.Fatalf("index holds %d documents, want the table's 2 rows", n)
	}
	if stored := tg.e.Source(t, tg.jobs, job.ID); stored["status"] != "completed" {
		t.Errorf("stored job record %s: %v", job.ID, stored)
	}
}

func TestLambda(t *testing.T) {
	bin := platformtest.Build(t, pkg)

	t.Run("scheduled sync", func(t *testing.T) {
		targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
			ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
			defer cancel()
			schema := testTable(t)
			tg := newTarget(e, schema)
			api := platformtest.NewRuntimeAPI(t)
			platformtest.Start(t, bin, syncEnv(tg, schema, map[string]string{"AWS_LAMBDA_RUNTIME_API": api.Addr()}))
			_, o, err := api.Invoke(ctx, fixture(t, "aws-eventbridge-schedule.json"), 50*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if o.Error != nil {
				t.Fatalf("sync failed: %+v", o.Error)
			}
			assertSynced(t, tg, o.Response)
			_, o, err = api.Invoke(ctx, []byte("[not a schedule"), 10*time.Second)
			if err != nil || o.Error == nil {
				t.Fatalf("malformed trigger: %+v %v, want an error", o, err)
			}
		})
	})

	t.Run("bad configuration", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
		defer cancel()
		api := platformtest.NewRuntimeAPI(t)
		p := platformtest.Start(t, bin, map[string]string{
			"AWS_LAMBDA_RUNTIME_API": api.Addr(), "ES_URL": "not a url",
		})
		o, err := api.InitError(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"ES_URL", "PG_HOST"} {
			if !strings.Contains(o.Error.Message, want) {
				t.Errorf("init error %q does not name %s", o.Error.Message, want)
			}
		}
		if code, err := p.Wait(ctx); err != nil || code != 1 {
			t.Fatalf("exit %d, %v; want 1", code, err)
		}
	})
}

func TestFC(t *testing.T) {
	bin := platformtest.Build(t, pkg)
	targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
		ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
		defer cancel()
		schema := testTable(t)
		tg := newTarget(e, schema)
		_, base := platformtest.StartFC(ctx, t, bin, syncEnv(tg, schema, nil))
		r, err := platformtest.InvokeFC(ctx, base, "timer-1", fixture(t, "fc-timer.json"), 50)
		if err != nil || r.Status != 200 || r.FCStatus != "200" {
			t.Fatalf("timer invocation: %+v %v", r, err)
		}
		assertSynced(t, tg, r.Body)
	})
}
