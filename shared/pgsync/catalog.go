package pgsync

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/esconnect/esconnect/shared/errtype"
)

// ErrNotFound reports configured schemas or tables the catalog does not have.
var ErrNotFound = errtype.New(errtype.PostgresNotFound, "not found in the database")

// source is one stream of rows that becomes documents: a table, or an
// advanced rule's query.
type source struct {
	// tables name the rows' origin: one table, or a rule's tables.
	tables []string
	// sql reads the rows; identifiers in it come from the catalog, quoted.
	sql string
	// idColumns are the result columns whose values make the document id.
	idColumns []string
	// label names the source in errors and progress.
	label string
	// estimate is the planner's row count estimate (0 when unknown), to size
	// the seen-id set once instead of growing it by doubling.
	estimate int64
	// rule marks an advanced rule's query.
	rule bool
	// cursor is the column (or xmin) incremental runs read changes by, ""
	// for none; key names the source in the stored cursor.
	cursor, key string
	// params are sql's parameters, in text format.
	params [][]byte
	// checkCursorParam makes the reader check that sql's one parameter, the
	// cursor bound, compares with a timestamp or date column.
	checkCursorParam bool
}

// SkippedTable is a table the sync did not read, with the reason.
type SkippedTable struct {
	Table  string `json:"table"`
	Reason string `json:"reason"`
}

// table is a relation of the synced schema as the catalog describes it.
type table struct {
	name     string
	pk       []string
	estimate int64
}

// listTables returns the schema's tables, views and foreign tables with their
// primary key columns in key order. Partitions are left out: their rows are
// read through the partitioned table.
func (s *session) listTables(ctx context.Context, schema string) ([]table, error) {
	var exists bool
	if err := s.conn.QueryRow(ctx,
		"SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1)", schema).Scan(&exists); err != nil {
		return nil, fmt.Errorf("looking up schema %q: %w", schema, err)
	}
	if !exists {
		return nil, fmt.Errorf("%s: schema %q: %w", EnvPGSchema, schema, ErrNotFound)
	}
	rows, err := s.conn.Query(ctx, `
		SELECT c.relname, GREATEST(c.reltuples, 0)::bigint,
		       COALESCE((SELECT array_agg(a.attname::text ORDER BY k.ord)
		                   FROM pg_catalog.pg_index i
		                   CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
		                   JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
		                  WHERE i.indrelid = c.oid AND i.indisprimary), '{}')
		  FROM pg_catalog.pg_class c
		  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		 WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
		 ORDER BY c.relname`, schema)
	if err != nil {
		return nil, fmt.Errorf("listing the tables of schema %q: %w", schema, err)
	}
	var out []table
	for rows.Next() {
		var t table
		if err := rows.Scan(&t.name, &t.estimate, &t.pk); err != nil {
			rows.Close()
			return nil, fmt.Errorf("listing the tables of schema %q: %w", schema, err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing the tables of schema %q: %w", schema, err)
	}
	return out, nil
}

// plan turns the configuration into the sources to read, and the tables left
// out for want of a primary key. Configured names missing from the catalog
// are one error that lists them all.
func plan(cfg Config, all []table) ([]source, []SkippedTable, error) {
	byName := make(map[string]table, len(all))
	for _, t := range all {
		byName[t.name] = t
	}
	var missing []string
	lookup := func(name string) (table, bool) {
		t, ok := byName[name]
		if !ok && !slices.Contains(missing, name) {
			missing = append(missing, name)
		}
		return t, ok
	}
	var (
		sources []source
		skipped []SkippedTable
	)
	if len(cfg.Queries) > 0 {
		for i, q := range cfg.Queries {
			label := fmt.Sprintf("%s[%d]", EnvSyncQueries, i)
			var (
				pk       []string
				estimate int64
			)
			for _, name := range q.Tables {
				if t, ok := lookup(name); ok {
					pk = append(pk, t.pk...)
					estimate = max(estimate, t.estimate)
				}
			}
			ids := q.IDColumns
			if len(ids) == 0 {
				ids = pk
			}
			if len(ids) == 0 {
				skipped = append(skipped, SkippedTable{Table: strings.Join(q.Tables, ","),
					Reason: label + ": no primary key and no id_columns"})
				continue
			}
			src := source{tables: q.Tables, sql: q.Query, idColumns: ids, label: label, estimate: estimate, rule: true,
				cursor: q.Cursor}
			if src.cursor == "" && cfg.Incremental.Cursors.Default != CursorXmin {
				src.cursor = cfg.Incremental.Cursors.Default
			}
			src.key = sourceKey(src, true)
			sources = append(sources, src)
		}
	} else {
		names := cfg.Tables
		if names == nil {
			for _, t := range all {
				names = append(names, t.name)
			}
		}
		for _, name := range names {
			t, ok := lookup(name)
			if !ok {
				continue
			}
			if len(t.pk) == 0 {
				skipped = append(skipped, SkippedTable{Table: name, Reason: "no primary key"})
				continue
			}
			src := source{
				tables:    []string{name},
				sql:       "SELECT * FROM " + pgx.Identifier{cfg.Schema, name}.Sanitize(),
				idColumns: t.pk,
				label:     name,
				estimate:  t.estimate,
				cursor:    cfg.Incremental.Cursors.For(name),
			}
			src.key = sourceKey(src, false)
			sources = append(sources, src)
		}
	}
	if len(missing) > 0 {
		return nil, nil, fmt.Errorf("tables %s in schema %q: %w", strings.Join(missing, ", "), cfg.Schema, ErrNotFound)
	}
	return sources, skipped, nil
}

// syncedTables lists the tables whose documents the sync owns: those it read.
// Deletion of vanished rows is limited to their documents.
func syncedTables(sources []source) []string {
	var out []string
	for _, s := range sources {
		for _, t := range s.tables {
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	slices.Sort(out)
	return out
}

// maxPrealloc caps the seen-set preallocation at 64 MB, in case statistics
// are wildly off.
const maxPrealloc = 8 << 20

// expectedRows sums the sources' row estimates.
func expectedRows(sources []source) int {
	var n int64
	for _, s := range sources {
		n += s.estimate
	}
	return int(min(n, maxPrealloc))
}
