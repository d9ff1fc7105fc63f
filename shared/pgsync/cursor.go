package pgsync

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// How an incremental run finds the rows changed since the previous run,
// without skipping any. PostgreSQL's MVCC makes the obvious "cursor column >
// the largest value read last time" wrong: a transaction that began at
// 10:00 sets updated_at = now() = 10:00 but commits at 10:05, after a run
// whose snapshot (10:03) did not see it and whose largest value read was
// 10:02; "> 10:02" then never finds the row. Two cursors avoid this:
//
// A column cursor (timestamptz, timestamp or date, written with the
// database's clock when a row changes) uses a bound measured just before the
// run's snapshot is taken: the earlier of the clock and the start of the
// oldest transaction then open in the database. Every row the snapshot does
// not see was written by a transaction open at that moment (its cursor value
// is at least its start time, so at least the bound) or by one that started
// later (its value is later than the bound). The next run reads cursor >=
// bound - SYNC_CURSOR_LAG: every row this run missed, plus some it read
// already (writes are idempotent upserts). Ties at the bound are read again
// by the >=; the lag covers writers whose clocks run behind the database's.
// Seeing other roles' transactions takes pg_read_all_stats; without it the
// bound can only rely on the lag, and the job says so.
//
// The xmin cursor compares each row's xmin (the transaction that wrote its
// current version) with the previous run's snapshot: a row is read when its
// writer was not visible to that snapshot (committed after it or still in
// progress then). No clock is involved; the only limit is xmin's 32 bits,
// which wrap after 2^32 transactions: see xminCondition.

// cursorBound is what measureBound saw just before the snapshot.
type cursorBound struct {
	// at is the earlier of the clock and the oldest open transaction's
	// start.
	at time.Time
	// sees reports whether the role sees every session's transaction (a
	// superuser or a member of pg_read_all_stats).
	sees bool
}

func measureBound(ctx context.Context, conn *pgx.Conn) (cursorBound, error) {
	var (
		now    time.Time
		oldest *time.Time
		b      cursorBound
	)
	// Autovacuum never writes user columns, and a long one would hold the
	// bound back for nothing.
	err := conn.QueryRow(ctx, `
		SELECT clock_timestamp(),
		       (SELECT min(xact_start) FROM pg_catalog.pg_stat_activity
		         WHERE datname = current_database() AND pid <> pg_backend_pid()
		           AND xact_start IS NOT NULL AND backend_type <> 'autovacuum worker'),
		       pg_has_role('pg_read_all_stats', 'USAGE')
		         OR (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user)`).Scan(&now, &oldest, &b.sees)
	if err != nil {
		return cursorBound{}, fmt.Errorf("measuring the cursor bound: %w", err)
	}
	b.at = now
	if oldest != nil && oldest.Before(now) {
		b.at = *oldest
	}
	return b, nil
}

// pgSnapshot is a pg_snapshot: transactions below xmin are finished, those
// from xmax on had not started, those in xip were in progress.
type pgSnapshot struct {
	text       string
	xmin, xmax uint64
	xip        []uint64
}

func snapshotOf(ctx context.Context, conn *pgx.Conn) (pgSnapshot, error) {
	var text string
	if err := conn.QueryRow(ctx, "SELECT pg_current_snapshot()::text").Scan(&text); err != nil {
		return pgSnapshot{}, fmt.Errorf("reading the snapshot: %w", err)
	}
	return parseSnapshot(text)
}

var errSnapshotSyntax = errors.New("not a pg_snapshot (xmin:xmax:xip,...)")

func parseSnapshot(text string) (pgSnapshot, error) {
	parts := strings.Split(text, ":")
	if len(parts) != 3 {
		return pgSnapshot{}, fmt.Errorf("%q: %w", text, errSnapshotSyntax)
	}
	s := pgSnapshot{text: text}
	var err1, err2 error
	s.xmin, err1 = strconv.ParseUint(parts[0], 10, 64)
	s.xmax, err2 = strconv.ParseUint(parts[1], 10, 64)
	if err1 != nil || err2 != nil {
		return pgSnapshot{}, fmt.Errorf("%q: %w", text, errSnapshotSyntax)
	}
	if parts[2] != "" {
		for _, x := range strings.Split(parts[2], ",") {
			v, err := strconv.ParseUint(x, 10, 64)
			if err != nil {
				return pgSnapshot{}, fmt.Errorf("%q: %w", text, errSnapshotSyntax)
			}
			s.xip = append(s.xip, v)
		}
	}
	return s, nil
}

// maxXminDistance is how far (in transactions) the previous run's snapshot
// may lie behind this run's for xmin to tell old rows from new: a row's
// 32-bit xmin is placed in the current or the previous epoch, which is
// right for every row written within the last 2^31 transactions.
const maxXminDistance = 1 << 31

// xminCondition is the WHERE clause reading the rows of alias whose writer
// prev did not see, with its parameters. Each row's 32-bit xmin is widened
// to 64 bits against cur (this run's snapshot): at or below cur's low half
// it is in cur's epoch, above it in the one before. A row written more than
// 2^31 transactions ago (frozen, say) may be placed wrongly and read again,
// which is harmless; a row written after prev is always within range,
// because prev is required to be within maxXminDistance of cur.
func xminCondition(alias string, prev, cur pgSnapshot) (string, [][]byte) {
	epoch := cur.xmax &^ 0xffffffff
	low := cur.xmax & 0xffffffff
	x := alias + ".xmin::text::bigint"
	full := fmt.Sprintf("(CASE WHEN %s <= $1::bigint THEN $2::bigint + %s ELSE $2::bigint - 4294967296 + %s END)", x, x, x)
	cond := fmt.Sprintf("(%s >= $4::bigint OR (%s >= $3::bigint AND %s = ANY($5::bigint[])))", full, full, full)
	xip := make([]string, len(prev.xip))
	for i, v := range prev.xip {
		xip[i] = strconv.FormatUint(v, 10)
	}
	params := [][]byte{
		[]byte(strconv.FormatUint(low, 10)),
		[]byte(strconv.FormatUint(epoch, 10)),
		[]byte(strconv.FormatUint(prev.xmin, 10)),
		[]byte(strconv.FormatUint(prev.xmax, 10)),
		[]byte("{" + strings.Join(xip, ",") + "}"),
	}
	return cond, params
}

// boundText writes a bound as the cursor value stored and passed to
// PostgreSQL, in UTC with microseconds.
func boundText(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000Z07:00")
}

// sourceKey names a source in the stored cursor: its table, or for an
// advanced rule a digest of its query, so that a changed query starts from a
// full sync rather than from another query's cursor.
func sourceKey(src source, rule bool) string {
	if !rule {
		return src.tables[0]
	}
	sum := sha256.Sum256([]byte(src.sql))
	return "query:" + hex.EncodeToString(sum[:8])
}
