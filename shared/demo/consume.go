package demo

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/consumer"
	"github.com/esconnect/esconnect/shared/esclient"
	"github.com/esconnect/esconnect/shared/kafkaevent"
	"github.com/esconnect/esconnect/shared/sink"
)

// pollEvery is how often the committed offset is read while waiting; each
// read is one small request to the embedded broker.
const pollEvery = 100 * time.Millisecond

// stopTimeout bounds how long the consumer may take to leave its group once
// told to stop.
const stopTimeout = 15 * time.Second

// ErrNotIndexed is wrapped when the consumer did not commit every sample
// within Options.IndexTimeout.
var ErrNotIndexed = errors.New("samples not indexed in time")

// consumeUntilIndexed runs the kafka-es-sink handler behind the self-hosted
// consumer group, exactly as `esconnect run kafka-es-sink` does, until the
// group has committed the end of the topic, then stops it.
//
// The committed offset is the right condition to wait on: the consumer
// commits a batch only after the handler returned success for it, and the
// handler succeeds only when Elasticsearch confirmed every document. Once the
// commit reaches the end offset every sample is in the index (a refresh away
// from being searchable).
func consumeUntilIndexed(ctx context.Context, opts Options, broker, esURL string, want int, p *printer) error {
	p.section("kafka-es-sink: self-hosted consumer group " + consumer.DefaultGroup)
	p.line("Same as: ES_URL=%s ES_INDEX=%s esconnect run kafka-es-sink --brokers %s --topic %s",
		esURL, Index, broker, Topic)
	scfg, err := sink.LoadConfig(config.FromMap(map[string]string{
		esclient.EnvURL:   esURL,
		sink.EnvSinkIndex: Index,
	}))
	if err != nil {
		return fmt.Errorf("kafka-es-sink settings: %w", err)
	}
	h, closeSink, err := sink.Open(ctx, scfg, opts.Log)
	if err != nil {
		return fmt.Errorf("open kafka-es-sink: %w", err)
	}
	defer closeSink()

	var (
		mu      sync.Mutex
		results []sink.Result
	)
	c, err := consumer.New(consumer.Config{
		Brokers: []string{broker}, Topics: []string{Topic}, Group: consumer.DefaultGroup,
		FromEarliest: true,
		// The samples are already in the topic; waiting for more after the
		// first only delays the demo.
		Window: 50 * time.Millisecond,
	}, func(ctx context.Context, recs []kafkaevent.Record) (any, error) {
		res, err := h.HandleRecords(ctx, recs)
		if err == nil {
			mu.Lock()
			results = append(results, res)
			mu.Unlock()
		}
		return res, err
	}, opts.Log)
	if err != nil {
		return fmt.Errorf("kafka-es-sink consumer: %w", err)
	}

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	// done is closed when Run returned; runErr is read only after that.
	var runErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		runErr = c.Run(runCtx)
	}()

	began := time.Now()
	waitErr := waitCommitted(ctx, opts.IndexTimeout, broker, c, done, p)
	if err := stopConsumer(stop, done); err != nil {
		return errors.Join(waitErr, err)
	}
	if runErr != nil {
		waitErr = errors.Join(waitErr, fmt.Errorf("kafka-es-sink consumer: %w", runErr))
	}
	if waitErr != nil {
		return waitErr
	}
	mu.Lock()
	defer mu.Unlock()
	total := 0
	for _, r := range results {
		total += r.Received
		p.line("Batch: received %d, indexed %d (created %d, updated %d), dead-lettered %d, skipped %d, %d ms",
			r.Received, r.Indexed, r.Created, r.Updated, r.DeadLettered, r.Skipped, r.TookMS)
	}
	p.line("All %d messages committed after %.1fs; the consumer left its group.", total, time.Since(began).Seconds())
	if total < want {
		return fmt.Errorf("%w: the handler reported %d of %d messages", ErrNotIndexed, total, want)
	}
	return nil
}

// waitCommitted polls the group's committed offset until it reaches the end
// of the topic, the consumer fails, ctx ends or timeout passes.
func waitCommitted(ctx context.Context, timeout time.Duration, broker string, c *consumer.Consumer, done <-chan struct{}, p *printer) error {
	cl, err := newKafkaClient(broker)
	if err != nil {
		return err
	}
	adm := kadm.NewClient(cl)
	defer adm.Close()
	end, err := endOffset(ctx, adm)
	if err != nil {
		return err
	}
	p.line("Waiting (at most %s) until the group has committed offset %d of %s/0...", timeout, end, Topic)

	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		committed, err := committedOffset(ctx, adm, consumer.DefaultGroup)
		if err != nil {
			return err
		}
		if committed >= end {
			return nil
		}
		for part, perr := range c.Stopped() {
			return fmt.Errorf("%w: kafka-es-sink stopped partition %s: %w", ErrNotIndexed, part, perr)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-done:
			// Run returns early only when the group cannot be set up; its
			// error is reported by the caller.
			return fmt.Errorf("%w: the kafka-es-sink consumer ended before committing offset %d", ErrNotIndexed, end)
		case <-deadline.C:
			return fmt.Errorf("%w: committed offset %d of %d after %s (rerun with -v to see the consumer's log)",
				ErrNotIndexed, max(committed, 0), end, timeout)
		case <-tick.C:
		}
	}
}

// stopConsumer cancels the consumer and waits, bounded, for it to leave the
// group.
func stopConsumer(stop context.CancelFunc, done <-chan struct{}) error {
	stop()
	t := time.NewTimer(stopTimeout)
	defer t.Stop()
	select {
	case <-done:
		return nil
	case <-t.C:
		return fmt.Errorf("kafka-es-sink consumer did not stop within %s", stopTimeout)
	}
}
