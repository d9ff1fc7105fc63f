package pgsync

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/esconnect/esconnect/shared/esbulk"
)

// stmtName is the prepared statement each source is read through; it is
// prepared, executed and deallocated in turn, one source at a time.
const stmtName = "esconnect_sync_source"

// textFormat asks for every result column in text format (one format code
// applies to all columns).
var textFormat = []int16{0}

// batch is FETCH_SIZE documents on their way to the bulk writer. Ids and
// bodies live in one buffer so a batch costs a few allocations, and batches
// are recycled once written.
type batch struct {
	buf   []byte
	spans []docSpan
}

// docSpan locates one document in batch.buf: id is buf[id:body], the body
// buf[body:end].
type docSpan struct{ id, body, end int }

func (b *batch) reset() {
	b.buf = b.buf[:0]
	b.spans = b.spans[:0]
}

// actions builds the bulk actions of the batch; their bodies point into buf,
// which stays untouched until the batch is recycled after the write.
func (b *batch) actions(index string, dst []esbulk.Action) []esbulk.Action {
	dst = dst[:0]
	for _, s := range b.spans {
		dst = append(dst, esbulk.Action{
			Op:    esbulk.OpIndex,
			Index: index,
			ID:    string(b.buf[s.id:s.body]),
			Body:  b.buf[s.body:s.end],
		})
	}
	return dst
}

// reader streams the sources' rows from the snapshot into batches. It runs
// on one goroutine; full batches go to the writer through full, and empty
// ones come back through free, which bounds memory to the batches in flight.
type reader struct {
	sess      *session
	cfg       Config
	timestamp string
	log       *slog.Logger
	seen      *seenSet
	free      <-chan *batch
	full      chan<- *batch
	cur       *batch
	// rows counts the rows read, for progress.
	rows atomic.Int64
}

// flush hands the current batch to the writer and takes an empty one.
func (r *reader) flush(ctx context.Context) error {
	if r.cur == nil || len(r.cur.spans) == 0 {
		return nil
	}
	select {
	case r.full <- r.cur:
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	r.cur = nil
	return r.take(ctx)
}

func (r *reader) take(ctx context.Context) error {
	select {
	case b := <-r.free:
		b.reset()
		r.cur = b
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// read streams one source. Rows arrive as the server sends them and are
// encoded straight into the batch buffer, so memory does not grow with the
// table.
func (r *reader) read(ctx context.Context, src source) (int64, error) {
	pg := r.sess.conn.PgConn()
	desc, err := pg.Prepare(ctx, stmtName, src.sql, nil)
	if err != nil {
		return 0, fmt.Errorf("%s: preparing %q: %w", src.label, src.sql, err)
	}
	defer func() { _ = pg.Deallocate(context.WithoutCancel(ctx), stmtName) }()
	if src.checkCursorParam && (len(desc.ParamOIDs) != 1 || !cursorTypes[desc.ParamOIDs[0]]) {
		return 0, fmt.Errorf("%s: %w: column %s does not compare as a timestamptz, timestamp or date (type %v)",
			src.label, ErrCursor, src.cursor, desc.ParamOIDs)
	}

	names := make([]string, len(desc.Fields))
	encs := make([]encoder, len(desc.Fields))
	keys := make([]keyFormat, len(desc.Fields))
	for i, f := range desc.Fields {
		names[i] = f.Name
		if encs[i], keys[i], err = r.sess.types.column(ctx, f.DataTypeOID); err != nil {
			return 0, fmt.Errorf("%s: column %q: %w", src.label, f.Name, err)
		}
	}
	layout, err := newDocLayout(r.cfg, src, names, encs, keys, r.timestamp)
	if err != nil {
		return 0, err
	}
	if len(layout.dropped) > 0 {
		r.log.Warn("columns left out of the documents: their names repeat an earlier column or a metadata field",
			"source", src.label, "columns", layout.dropped)
	}
	if r.cur == nil {
		if err := r.take(ctx); err != nil {
			return 0, err
		}
	}

	rr := pg.ExecPrepared(ctx, stmtName, src.params, nil, textFormat)
	var n int64
	for rr.NextRow() {
		values := rr.Values()
		b := r.cur
		idStart := len(b.buf)
		b.buf = layout.appendID(b.buf, values)
		bodyStart := len(b.buf)
		b.buf = layout.appendBody(b.buf, values, b.buf[idStart:bodyStart])
		b.spans = append(b.spans, docSpan{id: idStart, body: bodyStart, end: len(b.buf)})
		if r.seen != nil {
			r.seen.add(b.buf[idStart:bodyStart])
		}
		n++
		if n%256 == 0 {
			r.rows.Add(256)
		}
		if len(b.spans) >= r.cfg.FetchSize {
			if err := r.flush(ctx); err != nil {
				r.rows.Add(n % 256)
				_, _ = rr.Close()
				return n, err
			}
		}
	}
	r.rows.Add(n % 256)
	if _, err := rr.Close(); err != nil {
		if cause := context.Cause(ctx); cause != nil {
			err = cause
		}
		return n, fmt.Errorf("%s: reading rows: %w", src.label, err)
	}
	return n, nil
}
