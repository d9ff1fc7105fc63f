package sink

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/esconnect/esconnect/shared/kafkaevent"
	"github.com/esconnect/esconnect/shared/kafkawire"
)

// ErrOverflowGone reports that an overflow record's message is no longer in
// Kafka (deleted by retention or compaction): a permanent failure of that
// record, dead-lettered like any other.
var ErrOverflowGone = errors.New("overflow message no longer in kafka")

// Overflow fetch limits.
const (
	// overflowMaxBytes bounds the fetch of one message: Kafka's largest
	// configurable message is 1 GiB, but one far larger than a function's
	// memory would fail anyway; 64 MiB covers every broker default with room.
	overflowMaxBytes = 64 << 20
	// overflowTimeout bounds one fetch when the context has no deadline.
	overflowTimeout = 30 * time.Second
)

// overflowFetcher reads the real message of an Alibaba overflow record, whose
// value the trigger left out because it was too large.
type overflowFetcher struct {
	cl *kafkawire.Client
}

// newOverflowFetcher returns a fetcher that reads from brokers with sec's
// TLS and SASL, connecting within dialTimeout. It keeps a connection to
// each leader it read from for the next overflow record (see kafkawire's
// idle timeout).
func newOverflowFetcher(brokers []string, sec kafkawire.Security, dialTimeout time.Duration) (*overflowFetcher, error) {
	cfg := kafkawire.Config{
		Brokers:       brokers,
		ClientID:      "esconnect-overflow",
		DialTimeout:   dialTimeout,
		MaxFetchBytes: overflowMaxBytes,
	}
	if err := sec.Apply(&cfg); err != nil {
		return nil, fmt.Errorf("overflow fetch: %w", err)
	}
	return &overflowFetcher{cl: kafkawire.New(cfg)}, nil
}

// fetch returns the value of the message at topic/partition/offset. A
// connection failure is returned as is (transient: the batch is
// re-delivered); a message that is gone (out of range, deleted, compacted
// away) wraps ErrOverflowGone.
func (f *overflowFetcher) fetch(ctx context.Context, topic string, partition int32, offset int64) ([]byte, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, overflowTimeout)
		defer cancel()
	}
	r, err := f.cl.Fetch(ctx, topic, partition, offset)
	switch {
	case errors.Is(err, kafkawire.ErrOffsetGone):
		return nil, fmt.Errorf("overflow record: %w: %w", err, ErrOverflowGone)
	case err != nil:
		return nil, fmt.Errorf("overflow record: %w", err)
	case r.Value == nil:
		return []byte{}, nil
	}
	return r.Value, nil
}

// fetchOverflow replaces the values of overflow records with the real
// messages when FETCH_OVERFLOW is on. Records whose message is gone come back
// as permanent failures; any other fetch error fails the invocation.
func (h *Handler) fetchOverflow(ctx context.Context, recs []kafkaevent.Record) ([]kafkaevent.Record, []pending, error) {
	if h.fetcher == nil {
		return recs, nil, nil
	}
	var gone []pending
	out := recs[:0:0]
	for _, r := range recs {
		if !r.Overflow {
			out = append(out, r)
			continue
		}
		v, err := h.fetcher.fetch(ctx, r.Topic, r.Partition, r.Offset)
		switch {
		case errors.Is(err, ErrOverflowGone):
			gone = append(gone, pending{rec: r, typ: TypeOverflowGone, reason: err.Error()})
		case err != nil:
			return nil, nil, fmt.Errorf("%w: %w", ErrOverflowFetch, err)
		default:
			r.ReplaceValue(v)
			out = append(out, r)
		}
	}
	return out, gone, nil
}
