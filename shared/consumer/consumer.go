package consumer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/esconnect/esconnect/shared/kafkaevent"
	"github.com/esconnect/esconnect/shared/kafkaops"
)

// Handler processes one batch of records from one partition. A nil error
// means every record is accounted for (written, dead-lettered or skipped by
// policy), so the batch's offsets may be committed. result is logged with the
// batch; it is typically the sink's Result.
type Handler func(ctx context.Context, records []kafkaevent.Record) (result any, err error)

// ErrPartitionStopped is logged, wrapped, for a partition that stopped
// because its batch failed under OnFailureFail.
var ErrPartitionStopped = errors.New("partition stopped after a failed batch")

// Consumer runs a consumer group. Create it with New and start it with Run.
type Consumer struct {
	cfg    Config
	handle Handler
	log    *slog.Logger
	// sem bounds the handler calls in flight across partitions.
	sem chan struct{}

	mu sync.Mutex
	// stopped remembers partitions stopped under OnFailureFail, so that a
	// rebalance that hands one back to this process does not silently resume
	// it past the failure.
	stopped map[partitionKey]error
	// assigned is the current generation's assignment.
	assigned []string
	// wantPaused is the state asked for by Pause and Resume; wake is
	// closed and replaced whenever it changes.
	wantPaused bool
	wake       chan struct{}
	// joining is the state the latest JoinGroup announced, announced the
	// one of the current generation (see stateBalancer).
	joining, announced string
	generation         int32

	batches, records, commits, pausedPolls atomic.Int64
}

type partitionKey struct {
	topic     string
	partition int
}

// New validates cfg and returns a Consumer that feeds handle.
func New(cfg Config, handle Handler, log *slog.Logger) (*Consumer, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if handle == nil {
		return nil, fmt.Errorf("%w: nil handler", ErrInvalidConfig)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Consumer{
		cfg: cfg, handle: handle, log: log,
		sem:     make(chan struct{}, cfg.Concurrency),
		stopped: map[partitionKey]error{},
		wake:    make(chan struct{}),
	}, nil
}

// Stopped returns the partitions stopped under OnFailureFail, with the error
// that stopped each, as "topic/partition".
func (c *Consumer) Stopped() map[string]error {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]error, len(c.stopped))
	for k, err := range c.stopped {
		out[fmt.Sprintf("%s/%d", k.topic, k.partition)] = err
	}
	return out
}

// Assigned returns the partitions assigned in the latest generation as
// "topic/partition".
func (c *Consumer) Assigned() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.assigned...)
}

// Run joins the group and consumes until ctx is cancelled, then leaves the
// group and returns nil. It returns an error only when the group cannot be
// set up at all.
func (c *Consumer) Run(ctx context.Context) error {
	start := kafka.LastOffset
	if c.cfg.FromEarliest {
		start = kafka.FirstOffset
	}
	cg, err := kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{
		ID:                c.cfg.Group,
		Brokers:           c.cfg.Brokers,
		Topics:            c.cfg.Topics,
		HeartbeatInterval: c.cfg.HeartbeatInterval,
		SessionTimeout:    c.cfg.SessionTimeout,
		RebalanceTimeout:  c.cfg.RebalanceTimeout,
		JoinGroupBackoff:  c.cfg.Backoff,
		StartOffset:       start,
		GroupBalancers:    c.balancers(),
	})
	if err != nil {
		return fmt.Errorf("consumer group %s: %w", c.cfg.Group, err)
	}
	// Close leaves the group, after waiting for the current generation's
	// partition loops, so the partitions move to another member at once
	// instead of after the session timeout.
	defer cg.Close()
	c.log.InfoContext(ctx, "consumer started", "group", c.cfg.Group, "topics", c.cfg.Topics, "brokers", c.cfg.Brokers)
	for {
		gen, err := cg.Next(ctx)
		switch {
		case ctx.Err() != nil || errors.Is(err, kafka.ErrGroupClosed):
			c.log.Info("consumer stopped", "group", c.cfg.Group)
			return nil
		case err != nil:
			// Join and sync failures are retried by the group with a
			// backoff; they are worth a line but not the end of the run.
			c.log.WarnContext(ctx, "consumer group generation failed", "group", c.cfg.Group, "error", err.Error())
			continue
		}
		var assigned []string
		for topic, parts := range gen.Assignments {
			for _, pa := range parts {
				assigned = append(assigned, fmt.Sprintf("%s/%d", topic, pa.ID))
			}
		}
		state, previous := c.joined(gen.ID, assigned)
		if state == kafkaops.MemberPaused {
			// Holding the partitions without loops: nothing is fetched or
			// committed, and the group keeps them assigned to this member.
			c.log.InfoContext(ctx, "consumer paused", "group", c.cfg.Group, "generation", gen.ID, "held", assigned)
		} else {
			if previous == kafkaops.MemberPaused {
				c.log.InfoContext(ctx, "consumer resumed", "group", c.cfg.Group, "generation", gen.ID, "partitions", assigned)
			}
			for topic, parts := range gen.Assignments {
				for _, pa := range parts {
					c.log.InfoContext(ctx, "partition assigned", "generation", gen.ID, "topic", topic, "partition", pa.ID, "offset", pa.Offset)
					gen.Start(func(gctx context.Context) { c.consumePartition(ctx, gctx, gen, topic, pa) })
				}
			}
			if len(assigned) == 0 {
				c.log.InfoContext(ctx, "no partitions assigned", "generation", gen.ID)
			}
		}
		gen.Start(func(gctx context.Context) { c.watchState(gctx, state) })
	}
}

// consumePartition runs one partition for one generation.
//
// Why offsets are safe across rebalances and shutdown — the sequence is:
//
//  1. fetch a batch (up to Batch records or Window after the first);
//  2. call the handler with runCtx, which is cancelled only by shutdown;
//  3. only if the handler returned nil, commit last offset + 1 with this
//     generation's id.
//
// A rebalance ends the generation (genCtx is done). A fetch in progress is
// abandoned: those records were never handed to the handler, and the next
// owner starts from the committed offset, so nothing is lost. A handler call
// in progress is allowed to finish (kafka-go waits for this loop before it
// rejoins, bounded by the rebalance timeout), and its commit still carries
// the old generation id: the coordinator either accepts it — the batch is
// done, so the new owner starts after it — or rejects it with an illegal
// generation error, in which case the new owner processes the batch again,
// which is harmless because document ids are deterministic. Either way no
// offset is ever committed for a record the handler did not finish.
//
// Shutdown (SIGINT/SIGTERM) cancels runCtx, which also cancels the handler
// call in flight; the handler then returns an error and nothing is committed,
// so a restart re-reads the unfinished batch.
func (c *Consumer) consumePartition(runCtx, genCtx context.Context, gen *kafka.Generation, topic string, pa kafka.PartitionAssignment) {
	key := partitionKey{topic, pa.ID}
	log := c.log.With("topic", topic, "partition", pa.ID, "generation", gen.ID)
	if err := c.stoppedErr(key); err != nil {
		log.Warn("partition stays stopped", "error", err.Error())
		<-genCtx.Done()
		return
	}
	// fetchCtx ends with the generation or the run.
	fetchCtx, cancel := context.WithCancel(runCtx)
	defer cancel()
	stopFetch := context.AfterFunc(genCtx, cancel)
	defer stopFetch()

	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers:   c.cfg.Brokers,
		Topic:     topic,
		Partition: pa.ID,
		MinBytes:  1,
		MaxBytes:  10 << 20,
		MaxWait:   c.cfg.MaxWait,
	})
	defer r.Close()
	if err := r.SetOffset(pa.Offset); err != nil {
		log.Error("set offset", "offset", pa.Offset, "error", err.Error())
		return
	}
	for {
		batch := c.fetchBatch(fetchCtx, r)
		if fetchCtx.Err() != nil {
			if len(batch) > 0 {
				log.Info("abandoned uncommitted fetch", "records", len(batch), "first_offset", batch[0].Offset)
			}
			return
		}
		if err := c.process(runCtx, genCtx, log, batch); err != nil {
			if errors.Is(err, errAbandoned) {
				log.Info("failing batch abandoned uncommitted: the generation ended", "first_offset", batch[0].Offset, "records", len(batch))
				return
			}
			if runCtx.Err() != nil {
				log.Info("batch interrupted by shutdown; not committed", "first_offset", batch[0].Offset, "records", len(batch))
				return
			}
			// OnFailureFail: stay in the generation without consuming, so
			// the other partitions keep going (a returning loop would end
			// the generation for every partition of this member).
			err = fmt.Errorf("%w: %s/%d at offset %d: %w", ErrPartitionStopped, topic, pa.ID, batch[0].Offset, err)
			c.stop(key, err)
			log.Error("partition stopped; restart after fixing the cause to resume from the committed offset", "error", err.Error())
			<-fetchCtx.Done()
			return
		}
		next := batch[len(batch)-1].Offset + 1
		if err := gen.CommitOffsets(map[string]map[int]int64{topic: {pa.ID: next}}); err != nil {
			// The batch is done, so the worst case is that the next owner
			// repeats it; see the sequence above.
			log.Warn("commit failed; the batch may be processed again", "offset", next, "error", err.Error())
			return
		}
		c.commits.Add(1)
		log.Debug("committed", "offset", next)
	}
}

// fetchBatch returns up to Batch messages: it blocks for the first one, then
// collects more until Window has passed. Records fetched when ctx ends are
// returned to be reported, never processed.
func (c *Consumer) fetchBatch(ctx context.Context, r *kafka.Reader) []kafkaevent.Record {
	var batch []kafkaevent.Record
	m, err := r.FetchMessage(ctx)
	if err != nil {
		return nil
	}
	batch = append(batch, fromMessage(m))
	wctx, cancel := context.WithTimeout(ctx, c.cfg.Window)
	defer cancel()
	for len(batch) < c.cfg.Batch {
		m, err := r.FetchMessage(wctx)
		if err != nil {
			break
		}
		batch = append(batch, fromMessage(m))
	}
	return batch
}

// errAbandoned is returned by process for a failing batch given up between
// attempts because the generation ended.
var errAbandoned = errors.New("batch abandoned: generation ended")

// process calls the handler with retries. Under OnFailureLog it keeps
// retrying until the handler succeeds or ctx ends, because skipping a batch
// would commit records that never reached Elasticsearch.
//
// A call in progress always runs to its end, but once genCtx is done
// (rebalance, pause) a failed batch is not tried again here: it is not
// committed, so the partition's next owner — or this member after a resume —
// starts with it, and the rejoin is not held up by a retry loop that may
// last as long as an outage.
func (c *Consumer) process(ctx, genCtx context.Context, log *slog.Logger, batch []kafkaevent.Record) error {
	backoff := c.cfg.Backoff
	for attempt := 0; ; attempt++ {
		began := time.Now()
		res, err := c.call(ctx, batch)
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
		if genCtx.Err() != nil {
			return fmt.Errorf("%w: %w", errAbandoned, err)
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-genCtx.Done():
			t.Stop()
			return fmt.Errorf("%w: %w", errAbandoned, err)
		case <-t.C:
		}
		backoff = min(2*backoff, c.cfg.MaxBackoff)
	}
}

func (c *Consumer) call(ctx context.Context, batch []kafkaevent.Record) (any, error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
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

// fromMessage converts a kafka-go message to a Record. kafka-go does not
// expose the timestamp type; records written by producers carry CreateTime.
func fromMessage(m kafka.Message) kafkaevent.Record {
	r := kafkaevent.Record{
		Topic: m.Topic, Partition: int32(m.Partition), Offset: m.Offset,
		Timestamp: m.Time.UnixMilli(), TimestampType: "CREATE_TIME",
		Key: m.Key, Value: m.Value, ValueSize: len(m.Value),
	}
	for _, h := range m.Headers {
		r.Headers = append(r.Headers, kafkaevent.Header{Key: h.Key, Value: h.Value})
	}
	return r
}
