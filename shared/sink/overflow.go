package sink

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/esconnect/esconnect/shared/kafkaevent"
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
	brokers []string
	dialer  *kafka.Dialer
}

// fetch returns the value of the message at topic/partition/offset. A
// connection failure is returned as is (transient: the batch is
// re-delivered); a message that is gone wraps ErrOverflowGone.
func (f *overflowFetcher) fetch(ctx context.Context, topic string, partition int32, offset int64) ([]byte, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, overflowTimeout)
		defer cancel()
	}
	var conn *kafka.Conn
	var err error
	for _, b := range f.brokers {
		if conn, err = f.dialer.DialLeader(ctx, "tcp", b, topic, int(partition)); err == nil {
			break
		}
	}
	if conn == nil {
		return nil, fmt.Errorf("fetch overflow record %s-%d@%d: %w", topic, partition, offset, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	first, last, err := conn.ReadOffsets()
	if err != nil {
		return nil, fmt.Errorf("fetch overflow record %s-%d@%d: read offsets: %w", topic, partition, offset, err)
	}
	if offset < first || offset >= last {
		return nil, fmt.Errorf("fetch overflow record %s-%d@%d: partition holds [%d, %d): %w", topic, partition, offset, first, last, ErrOverflowGone)
	}
	if _, err := conn.Seek(offset, kafka.SeekAbsolute|kafka.SeekDontCheck); err != nil {
		return nil, fmt.Errorf("fetch overflow record %s-%d@%d: seek: %w", topic, partition, offset, err)
	}
	batch := conn.ReadBatch(1, overflowMaxBytes)
	m, err := batch.ReadMessage()
	cerr := batch.Close()
	if err != nil {
		return nil, fmt.Errorf("fetch overflow record %s-%d@%d: %w", topic, partition, offset, err)
	}
	if cerr != nil {
		return nil, fmt.Errorf("fetch overflow record %s-%d@%d: %w", topic, partition, offset, cerr)
	}
	// Compaction can remove the offset while keeping later ones: the first
	// message at or after it is then another message.
	if m.Offset != offset {
		return nil, fmt.Errorf("fetch overflow record %s-%d@%d: next message is at %d: %w", topic, partition, offset, m.Offset, ErrOverflowGone)
	}
	if m.Value == nil {
		return []byte{}, nil
	}
	return m.Value, nil
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
