package pgsync

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/esconnect/esconnect/shared/targettest"
)

// hostileTable is a valid PostgreSQL name that would end the statement and
// drop the other table if it were ever pasted into SQL unquoted.
const hostileTable = `we"ird; DROP TABLE items;--`

// TestSyncQuotesIdentifiers syncs a table whose name holds a quote and a
// semicolon next to an ordinary one: both are read, the ordinary table
// survives, and configured tables or schemas that do not exist are errors
// naming them rather than SQL that runs something else.
func TestSyncQuotesIdentifiers(t *testing.T) {
	targettest.Engines(t, func(t *testing.T, eng *targettest.Engine) {
		e := newSecureEnv(t, eng.Env(), eng.Index)
		conn := pgConnect(t)
		pgExec(t, conn,
			`CREATE TABLE `+e.schema+`."we""ird; DROP TABLE items;--" (id int PRIMARY KEY, "co""l;" text)`,
			`INSERT INTO `+e.schema+`."we""ird; DROP TABLE items;--" VALUES (7, 'x')`)

		var logs bytes.Buffer
		job, err := e.sync(t, map[string]string{EnvPGTables: "items," + hostileTable}, &logs)
		if err != nil || job.Status != StatusCompleted || job.IndexedDocumentCount != 3 {
			t.Fatalf("Sync = %+v, %v; want 3 documents", job, err)
		}
		var n int
		if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM `+e.schema+`.items`).Scan(&n); err != nil || n != 2 {
			t.Fatalf("items after the sync: %d rows, %v", n, err)
		}
		src := eng.Source(t, e.env["ES_INDEX"], "test_"+e.schema+"_"+hostileTable+"_7")
		if src == nil || src[`co"l;`] != "x" || src["table"] != hostileTable {
			t.Fatalf("document of the hostile table: %v", src)
		}
		// The hostile name also travels in the deletion query: the document
		// of its vanished row is found and deleted, the others stay.
		pgExec(t, conn, `DELETE FROM `+e.schema+`."we""ird; DROP TABLE items;--"`)
		job, err = e.sync(t, map[string]string{EnvPGTables: "items," + hostileTable}, &logs)
		if err != nil || job.DeletedDocumentCount != 1 || job.TotalDocumentCount != 2 {
			t.Fatalf("Sync after the delete = %+v, %v; want 1 deleted, 2 left", job, err)
		}

		for name, env := range map[string]map[string]string{
			"missing table":  {EnvPGTables: `items,nope"; SELECT 1;--`},
			"missing schema": {EnvPGSchema: `nope"; DROP SCHEMA public;--`, EnvPGTables: "items"},
		} {
			t.Run(name, func(t *testing.T) {
				var logs bytes.Buffer
				job, err := e.sync(t, env, &logs)
				if !errors.Is(err, ErrNotFound) || job.Status != StatusError {
					t.Fatalf("Sync = %s, %v; want ErrNotFound", job.Status, err)
				}
			})
		}
	})
}
