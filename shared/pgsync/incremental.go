package pgsync

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// ErrCursor reports cursor columns that are missing or of a type that
// cannot order changes.
var ErrCursor = errors.New("unusable cursor")

// JobCursor is one source's cursor in the job record: an incremental run
// read the rows from From on; To is where the next run starts. A full sync
// has no From.
type JobCursor struct {
	Column string  `json:"column"`
	From   *string `json:"from"`
	To     string  `json:"to"`
}

// cursorTypes are the column types a column cursor may have.
var cursorTypes = map[uint32]bool{pgtype.TimestamptzOID: true, pgtype.TimestampOID: true, pgtype.DateOID: true}

// checkCursorColumns verifies, for every table source with a column cursor,
// that the column exists and is a timestamptz, timestamp or date; every
// problem is reported at once. Rules are checked when their query is
// prepared.
func (s *session) checkCursorColumns(ctx context.Context, schema string, sources []source) error {
	var problems []string
	for _, src := range sources {
		if src.rule || src.cursor == "" || src.cursor == CursorXmin {
			continue
		}
		var (
			oid uint32
			typ string
		)
		err := s.conn.QueryRow(ctx, `
			SELECT a.atttypid, format_type(a.atttypid, a.atttypmod)
			  FROM pg_catalog.pg_attribute a
			  JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
			  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
			 WHERE n.nspname = $1 AND c.relname = $2 AND a.attname = $3 AND a.attnum > 0 AND NOT a.attisdropped`,
			schema, src.tables[0], src.cursor).Scan(&oid, &typ)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			problems = append(problems, fmt.Sprintf("table %s has no column %s", src.tables[0], src.cursor))
		case err != nil:
			return fmt.Errorf("looking up cursor column %s.%s: %w", src.tables[0], src.cursor, err)
		case !cursorTypes[oid]:
			problems = append(problems, fmt.Sprintf("%s.%s is %s", src.tables[0], src.cursor, typ))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s: %w: %s; a cursor column must be timestamptz, timestamp or date, set when the row changes "+
			"(give such tables table:column or table:%s, or leave them out)",
			EnvSyncCursor, ErrCursor, strings.Join(problems, "; "), CursorXmin)
	}
	return nil
}

// cursorTo is where the next run starts for src, measured at this run's
// snapshot.
func (r *syncRun) cursorTo(src source) string {
	if src.cursor == CursorXmin {
		return r.sess.snapshot.text
	}
	return boundText(r.sess.bound.at.Add(-r.h.cfg.Incremental.CursorLag))
}

// fullReason says why a run configured as incremental must read everything,
// "" when it can read from the stored cursors.
func (r *syncRun) fullReason(st *cursorState, sources []source) string {
	in := r.h.cfg.Incremental
	switch {
	case st == nil:
		return "no stored cursor yet"
	case in.FullEvery > 0 && (st.LastFullSyncAt == nil || r.start.Sub(*st.LastFullSyncAt) >= in.FullEvery):
		last := "never"
		if st.LastFullSyncAt != nil {
			last = st.LastFullSyncAt.Format(time.RFC3339)
		}
		return fmt.Sprintf("%s=%s: the last full sync was %s", EnvSyncFullEvery, in.FullEvery, last)
	}
	for _, src := range sources {
		c, ok := st.Sources[src.key]
		switch {
		case !ok || c.Column != src.cursor:
			return fmt.Sprintf("no stored cursor on %s for %s", src.cursor, src.label)
		case src.cursor == CursorXmin:
			prev, err := parseSnapshot(c.Value)
			cur := r.sess.snapshot
			switch {
			case err != nil:
				return fmt.Sprintf("stored cursor of %s: %v", src.label, err)
			case prev.xmax > cur.xmax:
				return fmt.Sprintf("the stored snapshot of %s (%s) is ahead of the database's (%s): restored or another server",
					src.label, prev.text, cur.text)
			case cur.xmax-prev.xmin >= maxXminDistance:
				return fmt.Sprintf("more than 2^31 transactions since the snapshot of %s (%s): xmin cannot tell old rows from new",
					src.label, prev.text)
			}
		default:
			prev, err := time.Parse(time.RFC3339Nano, c.Value)
			if err != nil {
				return fmt.Sprintf("stored cursor of %s: %v", src.label, err)
			}
			if prev.After(r.sess.bound.at) {
				return fmt.Sprintf("the stored cursor of %s (%s) is ahead of the database's clock (%s)",
					src.label, c.Value, boundText(r.sess.bound.at))
			}
		}
	}
	return ""
}

// readFrom turns src into its incremental form: the query reads only the
// rows changed since the stored cursor.
func readFrom(src source, schema string, c storedCursor, cur pgSnapshot) (source, error) {
	if src.cursor == CursorXmin {
		prev, err := parseSnapshot(c.Value)
		if err != nil {
			return src, err
		}
		cond, params := xminCondition("t", prev, cur)
		src.sql = "SELECT t.* FROM " + pgx.Identifier{schema, src.tables[0]}.Sanitize() + " AS t WHERE " + cond
		src.params = params
		return src, nil
	}
	col := pgx.Identifier{src.cursor}.Sanitize()
	if src.rule {
		q := strings.TrimRight(strings.TrimSpace(src.sql), "; \t\r\n")
		src.sql = "SELECT * FROM (" + q + ") AS esconnect_rule WHERE esconnect_rule." + col + " >= $1"
	} else {
		src.sql = "SELECT * FROM " + pgx.Identifier{schema, src.tables[0]}.Sanitize() + " WHERE " + col + " >= $1"
	}
	src.params = [][]byte{[]byte(c.Value)}
	src.checkCursorParam = true
	return src, nil
}

// newCursorState is the state to store after this run.
func (r *syncRun) newCursorState(prev *cursorState, sources []source, full bool) *cursorState {
	st := &cursorState{Type: cursorDocType, IndexName: r.h.cfg.Index, Database: r.h.cfg.Database, Schema: r.h.cfg.Schema,
		JobID: r.job.ID, UpdatedAt: time.Now().UTC(), Sources: map[string]storedCursor{}}
	if full {
		start := r.start
		st.LastFullSyncAt = &start
	} else if prev != nil {
		st.LastFullSyncAt = prev.LastFullSyncAt
	}
	for _, src := range sources {
		st.Sources[src.key] = storedCursor{Source: src.label, Column: src.cursor, Value: r.cursorTo(src)}
	}
	return st
}
