package pgsync

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/esconnect/esconnect/shared/errtype"
)

// ErrLocked reports that another sync of the same database into the same
// index holds the advisory lock.
var ErrLocked = errors.New("another sync of this database into this index is running")

// sessionParams pin the text output of every type the encoders read, so the
// conversion does not depend on the server's or the role's settings.
var sessionParams = map[string]string{
	"DateStyle":     "ISO, MDY",
	"TimeZone":      "UTC",
	"IntervalStyle": "iso_8601",
	"bytea_output":  "hex",
	// Any positive value selects the shortest text that reads back as the
	// same float (PostgreSQL 12 and later).
	"extra_float_digits": "1",
	"application_name":   "esconnect-pg-es-sync",
}

// connConfig parses the configured connection string (sslmode and
// sslrootcert included) and pins the session parameters.
func connConfig(cfg Config) (*pgx.ConnConfig, error) {
	cc, err := pgx.ParseConfig(cfg.Postgres.ConnString())
	if err != nil {
		// The driver's message redacts passwords; the connection string
		// itself is not repeated.
		return nil, fmt.Errorf("postgres connection settings (%s): %w", cfg.Postgres, err)
	}
	for k, v := range sessionParams {
		cc.RuntimeParams[k] = v
	}
	// Advanced-rule queries name tables as users write them, unqualified:
	// they resolve in PG_SCHEMA, like the tables PG_TABLES lists.
	cc.RuntimeParams["search_path"] = pgx.Identifier{cfg.Schema}.Sanitize()
	return cc, nil
}

// lockKey derives the advisory lock key from the database and the index: one
// sync per pair at a time, while syncs of one database into different
// indices, or of different databases, do not wait for each other.
func lockKey(database, index string) int64 {
	sum := sha256.Sum256([]byte("esconnect pg-es-sync\x00" + database + "\x00" + index))
	return int64(binary.BigEndian.Uint64(sum[:8]))
}

// session is the connection a sync reads through: it holds the advisory lock
// for the whole run and one REPEATABLE READ READ ONLY transaction, so every
// table is read from the same snapshot.
type session struct {
	conn   *pgx.Conn
	key    int64
	locked bool
	types  *typeResolver
	// bound and snapshot are set when cursors are configured: see
	// cursorBound and snapshotOf.
	bound    cursorBound
	snapshot pgSnapshot
}

// openSession connects, takes the lock (ErrLocked when another sync has it)
// and opens the snapshot.
func openSession(ctx context.Context, cc *pgx.ConnConfig, key int64) (*session, error) {
	return openSessionWith(ctx, cc, key, false)
}

// openSessionWith is openSession; with cursors, it also measures the cursor
// bound just before the snapshot and records the snapshot itself.
func openSessionWith(ctx context.Context, cc *pgx.ConnConfig, key int64, cursors bool) (*session, error) {
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return nil, errtype.Wrap(errtype.PostgresUnavailable, fmt.Errorf("connecting to postgres: %w", err))
	}
	s := &session{conn: conn, key: key, types: newTypeResolver(conn)}
	var got bool
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&got); err != nil {
		s.close(ctx)
		return nil, fmt.Errorf("taking the sync lock: %w", err)
	}
	if !got {
		s.close(ctx)
		return nil, ErrLocked
	}
	s.locked = true
	if cursors {
		// The bound is measured before the snapshot exists: a transaction
		// that starts later has a start time after the bound.
		if s.bound, err = measureBound(ctx, conn); err != nil {
			s.close(ctx)
			return nil, err
		}
	}
	if _, err := conn.Exec(ctx, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); err != nil {
		s.close(ctx)
		return nil, fmt.Errorf("opening the snapshot: %w", err)
	}
	if cursors {
		// The first statement of a REPEATABLE READ transaction takes its
		// snapshot; this one also reports it.
		if s.snapshot, err = snapshotOf(ctx, conn); err != nil {
			s.close(ctx)
			return nil, err
		}
	}
	return s, nil
}

// close ends the snapshot and the connection. Closing the connection also
// releases the session-level advisory lock, and the server rolls back the
// read-only transaction; nothing needs undoing on an error path.
//
// It ends the snapshot and releases the lock explicitly before closing. Closing
// the connection alone releases the lock only when the server's backend has
// exited, which happens after Close returns: the next sync of the same index
// (the next schedule, a platform retry) could then still find the lock held
// and end as skipped although this one had finished.
func (s *session) close(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, sessionCloseTimeout)
	defer cancel()
	if !s.conn.IsClosed() {
		// ROLLBACK also clears a transaction left aborted by a failed read;
		// outside a transaction it is only a warning.
		_, _ = s.conn.Exec(ctx, "ROLLBACK")
		if s.locked {
			_, _ = s.conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", s.key)
		}
	}
	_ = s.conn.Close(ctx)
}

// sessionCloseTimeout bounds the unlock and close of a session whose server
// stopped answering; the server releases the lock itself once the connection
// is gone.
const sessionCloseTimeout = 5 * time.Second
