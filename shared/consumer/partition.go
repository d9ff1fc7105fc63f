package consumer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/esconnect/esconnect/shared/kafkaevent"
)

// consumePartition runs one partition for one session.
//
// Why offsets are safe across rebalances and shutdown — the sequence is:
//
//  1. take a batch from the partition's queue (up to Batch records, or what
//     arrived within Window after the first);
//  2. call the handler with runCtx, which is cancelled only by shutdown;
//  3. only if the handler returned nil, commit last offset + 1.
//
// A rebalance ends the session (sessCtx is done). A batch being collected
// is abandoned: those records were never handed to the handler, and the
// next owner starts from the committed offset, so nothing is lost. A
// handler call in progress is allowed to finish, and its commit made, before
// the member rejoins: endSession waits for this loop (see there for why the
// commit is then either taken or harmlessly refused). Either way no offset
// is ever committed for a record the handler did not finish.
//
// Shutdown (SIGINT/SIGTERM) cancels runCtx, which also cancels the handler
// call in flight; the handler then returns an error and nothing is committed,
// so a restart re-reads the unfinished batch.
func (c *Consumer) consumePartition(runCtx, sessCtx context.Context, cl *kgo.Client, gen int32, q *partitionQueue) {
	key := q.key
	log := c.log.With("topic", key.topic, "partition", key.partition, "generation", gen)
	for {
		recs := c.fetchBatch(sessCtx, cl, q)
		if sessCtx.Err() != nil {
			if len(recs) > 0 {
				log.Info("abandoned uncommitted fetch", "records", len(recs), "first_offset", recs[0].Offset)
			}
			return
		}
		batch := make([]kafkaevent.Record, len(recs))
		for i, r := range recs {
			batch[i] = fromRecord(r)
		}
		if err := c.process(runCtx, sessCtx, log, batch); err != nil {
			if runCtx.Err() != nil {
				log.Info("batch interrupted by shutdown; not committed", "first_offset", batch[0].Offset, "records", len(batch))
				return
			}
			if errors.Is(err, errAbandoned) {
				log.Info("failing batch abandoned uncommitted: the group session ended", "first_offset", batch[0].Offset, "records", len(batch))
				return
			}
			// OnFailureFail: this partition consumes nothing more in this
			// run, while the other partitions keep going.
			err = fmt.Errorf("%w: %s at offset %d: %w", ErrPartitionStopped, key, batch[0].Offset, err)
			c.stop(key, err)
			q.close(cl)
			log.Error("partition stopped; restart after fixing the cause to resume from the committed offset", "error", err.Error())
			return
		}
		last := recs[len(recs)-1]
		if err := c.commit(runCtx, cl, last); err != nil {
			// The batch is done, so the worst case is that the next owner
			// repeats it; a later commit of this partition covers it too.
			log.Warn("commit failed; the batch may be processed again", "offset", last.Offset+1, "error", err.Error())
			continue
		}
		c.commits.Add(1)
		log.Debug("committed", "offset", last.Offset+1)
	}
}

// commit commits the offset after last for its partition, under the
// member's current generation. A finished batch is committed even when
// shutdown has begun, so that a restart does not repeat it; the wait is
// bounded by the session timeout, past which the member's generation is
// gone anyway.
func (c *Consumer) commit(runCtx context.Context, cl *kgo.Client, last *kgo.Record) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(runCtx), c.cfg.SessionTimeout)
	defer cancel()
	return cl.CommitRecords(ctx, last)
}

// fetchBatch returns up to Batch records from q: it blocks for the first,
// then collects more until Window has passed. Records taken when ctx ends
// are returned to be reported, never processed.
func (c *Consumer) fetchBatch(ctx context.Context, cl *kgo.Client, q *partitionQueue) []*kgo.Record {
	var batch []*kgo.Record
	for len(batch) == 0 {
		if batch = q.take(cl, c.cfg.Batch); len(batch) > 0 {
			break
		}
		select {
		case <-ctx.Done():
			return nil
		case <-q.ready:
		}
	}
	window := time.NewTimer(c.cfg.Window)
	defer window.Stop()
	for len(batch) < c.cfg.Batch {
		select {
		case <-ctx.Done():
			return batch
		case <-window.C:
			return batch
		case <-q.ready:
			batch = append(batch, q.take(cl, c.cfg.Batch-len(batch))...)
		}
	}
	return batch
}

// errAbandoned marks a failing batch that process gave up on because the
// group session ended.
var errAbandoned = errors.New("batch abandoned: group session ended")

// process calls the handler with retries. Under OnFailureLog it keeps
// retrying until the handler succeeds or ctx ends, because skipping a batch
// would commit records that never reached Elasticsearch.
//
// A call in progress always runs to its end, but once sessCtx is done
// (rebalance, pause) a failed batch is not tried again here: it is not
// committed, so the partition's next owner — or this member after a resume —
// starts with it, and the rejoin is not held up by a retry loop that may
// last as long as an outage.
func (c *Consumer) process(ctx, sessCtx context.Context, log *slog.Logger, batch []kafkaevent.Record) error {
	backoff := c.cfg.Backoff
	for attempt := 0; ; attempt++ {
		began := time.Now()
		res, err := c.call(ctx, sessCtx, batch)
		if errors.Is(err, errNotStarted) {
			return fmt.Errorf("%w: %w", errAbandoned, err)
		}
		attrs := []any{"first_offset", batch[0].Offset, "last_offset", batch[len(batch)-1].Offset,
			"records", len(batch), "attempt", attempt + 1, "took_ms", time.Since(began).Milliseconds()}
		if err == nil {
			c.batches.Add(1)
			c.records.Add(int64(len(batch)))
			log.Info("batch done", append(attrs, "result", res)...)
			return nil
		}
		log.Warn("batch failed", append(attrs, "error", err.Error())...)
		if ctx.Err() != nil || (c.cfg.OnFailure == OnFailureFail && attempt >= c.cfg.Retries) {
			return err
		}
		if sessCtx.Err() != nil {
			return fmt.Errorf("%w: %w", errAbandoned, err)
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-sessCtx.Done():
			t.Stop()
			return fmt.Errorf("%w: %w", errAbandoned, err)
		case <-t.C:
		}
		backoff = min(2*backoff, c.cfg.MaxBackoff)
	}
}

// errNotStarted is returned by call for a batch whose session ended while
// it waited for a free handler.
var errNotStarted = errors.New("the group session ended before the handler was free")

// call runs the handler once there is a free one. A batch still waiting
// when its session ends is not started: the rebalance would otherwise wait
// for a handler call that began after the session was over.
func (c *Consumer) call(ctx, sessCtx context.Context, batch []kafkaevent.Record) (any, error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-sessCtx.Done():
		return nil, errNotStarted
	}
	defer func() { <-c.sem }()
	return c.handle(ctx, batch)
}

func (c *Consumer) stop(k partitionKey, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopped[k] = err
}

func (c *Consumer) stoppedErr(k partitionKey) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stopped[k]
}

// fromRecord converts a kgo record to a Record.
func fromRecord(r *kgo.Record) kafkaevent.Record {
	tt := "CREATE_TIME"
	if r.Attrs.TimestampType() == 1 {
		tt = "LOG_APPEND_TIME"
	}
	out := kafkaevent.Record{
		Topic: r.Topic, Partition: r.Partition, Offset: r.Offset,
		Timestamp: r.Timestamp.UnixMilli(), TimestampType: tt,
		Key: r.Key, Value: r.Value, ValueSize: len(r.Value),
	}
	for _, h := range r.Headers {
		out.Headers = append(out.Headers, kafkaevent.Header{Key: h.Key, Value: h.Value})
	}
	return out
}
