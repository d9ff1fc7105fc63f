package pgsync

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

const defaultPGTestURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// pgTestURL is the server the tests use: PG_TEST_URL or the local default.
func pgTestURL() string {
	if u := os.Getenv("PG_TEST_URL"); u != "" {
		return u
	}
	return defaultPGTestURL
}

// pgConnect opens a connection for the test's own setup statements. An
// unreachable server fails the test with the way to start one.
func pgConnect(t testing.TB) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, pgTestURL())
	if err != nil {
		t.Fatalf("PostgreSQL at %s is unreachable (%v).\n"+
			"Start the local cluster with ./scripts/ensure-postgres.sh (or pg_ctlcluster --skip-systemctl-redirect <version> main start),\n"+
			"or point PG_TEST_URL at a server: PG_TEST_URL=postgres://user@host:5432/db?sslmode=disable", pgTestURL(), err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

// testSchema creates a uniquely named schema, runs the setup statements in it
// and drops it when the test ends, so concurrent runs never collide.
func testSchema(t testing.TB, conn *pgx.Conn, stmts ...string) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "pgsync_test_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("creating schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
		}
	})
	pgExec(t, conn, "SET search_path TO "+schema)
	pgExec(t, conn, stmts...)
	return schema
}

func pgExec(t testing.TB, conn *pgx.Conn, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := conn.Exec(context.Background(), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}
