package pgsync

import (
	"fmt"
	"strings"
	"time"

	"github.com/esconnect/esconnect/shared/config"
)

// Environment variables of pg-es-sync's incremental mode.
const (
	EnvSyncMode      = "SYNC_MODE"
	EnvSyncCursor    = "SYNC_CURSOR"
	EnvSyncFullEvery = "SYNC_FULL_EVERY"
	EnvSyncCursorLag = "SYNC_CURSOR_LAG"
)

// Sync modes for SYNC_MODE.
const (
	// SyncModeFull reads every row and deletes the documents of vanished
	// rows, as Elastic's connector's full sync does.
	SyncModeFull = "full"
	// SyncModeIncremental reads only the rows changed since the last run,
	// found by a cursor per table; it deletes nothing.
	SyncModeIncremental = "incremental"
)

// CursorXmin names PostgreSQL's xmin system column as a cursor: the
// transaction that last wrote each row, compared with the snapshot of the
// previous run.
const CursorXmin = "xmin"

// Incremental defaults, in one place.
const (
	// DefaultSyncFullEvery makes an incremental configuration run a full
	// sync once a day: incremental runs cannot see deleted rows, so without
	// a full sync their documents would stay for ever.
	DefaultSyncFullEvery = 24 * time.Hour
	// DefaultSyncCursorLag is read again behind the cursor on every run, to
	// cover clocks of the machines writing the cursor column that run behind
	// the database's: a minute of rows read twice costs little.
	DefaultSyncCursorLag = time.Minute
)

// Cursors says which column orders each table's changes.
type Cursors struct {
	// Default applies to every table without an entry of its own; "" for
	// none.
	Default string
	// Tables maps a table to its cursor column (or CursorXmin).
	Tables map[string]string
}

// For returns the cursor of a table, "" when it has none.
func (c Cursors) For(table string) string {
	if col, ok := c.Tables[table]; ok {
		return col
	}
	return c.Default
}

// Set reports whether any cursor is configured.
func (c Cursors) Set() bool { return c.Default != "" || len(c.Tables) > 0 }

// Incremental is the incremental-sync part of the pg-es-sync settings.
type Incremental struct {
	Mode    string
	Cursors Cursors
	// FullEvery is how long after the last full sync an incremental
	// configuration runs a full one; 0 never does.
	FullEvery time.Duration
	// CursorLag is how far behind the stored cursor a run starts reading.
	CursorLag time.Duration
}

// loadIncremental reads SYNC_MODE, SYNC_CURSOR, SYNC_FULL_EVERY and
// SYNC_CURSOR_LAG; queries are the advanced rules, whose own cursors count.
func loadIncremental(env *config.Env, queries []SyncQuery) Incremental {
	in := Incremental{
		Mode:      env.Enum(EnvSyncMode, SyncModeFull, SyncModeFull, SyncModeIncremental),
		Cursors:   parseCursors(env),
		FullEvery: env.Duration(EnvSyncFullEvery, DefaultSyncFullEvery),
		CursorLag: env.Duration(EnvSyncCursorLag, DefaultSyncCursorLag),
	}
	if in.Mode != SyncModeIncremental {
		return in
	}
	if len(queries) == 0 {
		if !in.Cursors.Set() {
			env.Fail(EnvSyncCursor, "required with %s=%s: a column such as updated_at, table:column entries, or %s",
				EnvSyncMode, SyncModeIncremental, CursorXmin)
		}
		return in
	}
	for i, q := range queries {
		name := fmt.Sprintf("%s[%d].cursor", EnvSyncQueries, i)
		c := q.Cursor
		if c == "" {
			c = in.Cursors.Default
		}
		switch c {
		case "":
			env.Fail(name, "required with %s=%s (or a column in %s)", EnvSyncMode, SyncModeIncremental, EnvSyncCursor)
		case CursorXmin:
			env.Fail(name, "%s is a table's system column; a rule's query needs a column it returns", CursorXmin)
		}
	}
	return in
}

// parseCursors reads "updated_at", "orders:changed_at,customers:xmin" or a
// mix: an entry without a table is the default.
func parseCursors(env *config.Env) Cursors {
	var c Cursors
	for _, entry := range env.List(EnvSyncCursor, nil) {
		table, col, hasTable := strings.Cut(entry, ":")
		if !hasTable {
			col = table
			if c.Default != "" {
				env.Fail(EnvSyncCursor, "two default cursors (%q and %q); give the others as table:column", c.Default, col)
				continue
			}
			checkIdentifier(env, EnvSyncCursor, col)
			c.Default = col
			continue
		}
		checkIdentifier(env, EnvSyncCursor, table)
		checkIdentifier(env, EnvSyncCursor, col)
		if c.Tables == nil {
			c.Tables = map[string]string{}
		}
		if prev, dup := c.Tables[table]; dup {
			env.Fail(EnvSyncCursor, "table %q has two cursors (%q and %q)", table, prev, col)
			continue
		}
		c.Tables[table] = col
	}
	return c
}
