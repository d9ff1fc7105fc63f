package kafkawire

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

const (
	// fetchMinVersion is the first Fetch version that returns record
	// batches (magic 2) and the isolation level (Kafka 0.11).
	fetchMinVersion = 4
	// attrCompression and attrControl are record batch attribute bits.
	attrCompression   = 0x07
	attrLogAppendTime = 0x08
	attrControl       = 0x20
)

// errNoRecords reports a fetch below the high watermark that returned
// nothing: the broker's data did not arrive (a partial batch only); another
// attempt may get it.
var errNoRecords = errors.New("fetch returned no complete record batch")

// Fetch returns the record at topic/partition/offset. It wraps
// ErrOffsetGone when the partition no longer holds that offset: out of range
// (deleted by retention, or not written yet), or compacted away, which shows
// as the first record at or after the offset being a later one. Connection
// and leader errors are retried up to the attempts, then returned.
func (c *Client) Fetch(ctx context.Context, topic string, partition int32, offset int64) (Record, error) {
	where := fmt.Sprintf("%s-%d@%d", topic, partition, offset)
	if offset < 0 {
		return Record{}, fmt.Errorf("fetch %s: negative offset: %w", where, ErrOffsetGone)
	}
	var lastErr error
	for attempt := 1; ; attempt++ {
		r, err := c.fetchOnce(ctx, topic, partition, offset)
		if err == nil {
			return r, nil
		}
		lastErr = err
		if !retriable(err) || attempt >= c.cfg.Attempts {
			break
		}
		if err := backoff(ctx, attempt); err != nil {
			return Record{}, fmt.Errorf("fetch %s: %w (after %w)", where, err, lastErr)
		}
	}
	return Record{}, fmt.Errorf("fetch %s: %w", where, lastErr)
}

func (c *Client) fetchOnce(ctx context.Context, topic string, partition int32, offset int64) (Record, error) {
	m, err := c.metadata(ctx, topic)
	if err != nil {
		return Record{}, err
	}
	if int(partition) >= len(m.leaders) || partition < 0 {
		// Partitions are never removed: one beyond the count never
		// existed, so neither did the record.
		return Record{}, fmt.Errorf("topic has %d partitions: %w", len(m.leaders), ErrOffsetGone)
	}
	if err := m.errs[partition]; err != nil {
		return Record{}, err
	}
	addr := m.leaders[partition]
	cn, err := c.get(ctx, addr)
	if err != nil {
		return Record{}, err
	}
	defer c.put(cn)
	req := kmsg.NewPtrFetchRequest()
	if err := cn.version(req, fetchMinVersion); err != nil {
		return Record{}, err
	}
	if req.Version >= topicIDVersion && m.id == [16]byte{} {
		req.Version = topicIDVersion - 1
	}
	// No waiting: the record is either there or not; MinBytes 1 with
	// MaxWait 0 answers at once with what the log holds.
	req.MaxWaitMillis = 0
	req.MinBytes = 1
	req.MaxBytes = c.cfg.MaxFetchBytes
	// Read uncommitted, as the trigger that delivered the record did.
	req.IsolationLevel = 0
	ft := kmsg.NewFetchRequestTopic()
	ft.Topic, ft.TopicID = topic, m.id
	fp := kmsg.NewFetchRequestTopicPartition()
	fp.Partition = partition
	fp.FetchOffset = offset
	fp.PartitionMaxBytes = c.cfg.MaxFetchBytes
	ft.Partitions = []kmsg.FetchRequestTopicPartition{fp}
	req.Topics = []kmsg.FetchRequestTopic{ft}
	r, err := cn.request(ctx, req, deadlineOf(c.cfg.RequestTimeout))
	if err != nil {
		return Record{}, err
	}
	resp := r.(*kmsg.FetchResponse)
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return Record{}, fmt.Errorf("fetch from %s: %w", addr, err)
	}
	for _, rt := range resp.Topics {
		for _, rp := range rt.Partitions {
			if rp.Partition != partition {
				continue
			}
			switch err := kerr.ErrorForCode(rp.ErrorCode); {
			case errors.Is(err, kerr.OffsetOutOfRange):
				return Record{}, fmt.Errorf("partition holds [%d, %d): %w", rp.LogStartOffset, rp.HighWatermark, ErrOffsetGone)
			case err != nil:
				return Record{}, fmt.Errorf("fetch from %s: %w", addr, err)
			case offset >= rp.HighWatermark:
				return Record{}, fmt.Errorf("partition ends at %d: %w", rp.HighWatermark, ErrOffsetGone)
			}
			return c.findRecord(rp.RecordBatches, offset)
		}
	}
	return Record{}, fmt.Errorf("%w: fetch response from %s lacks the partition", ErrProtocol, addr)
}

// findRecord returns the record at offset from the fetched batches, which
// start with the batch that holds it (a broker returns whole batches).
func (c *Client) findRecord(b []byte, offset int64) (Record, error) {
	covered := false
	limit := int(c.cfg.MaxFetchBytes)
	// Each turn consumes at least the 12-byte batch prefix.
	for len(b) >= batchHeaderBytes {
		first := int64(binary.BigEndian.Uint64(b))
		size := 12 + int(int32(binary.BigEndian.Uint32(b[8:])))
		if size < batchHeaderBytes {
			return Record{}, fmt.Errorf("%w: record batch of %d bytes", ErrProtocol, size)
		}
		if size > len(b) {
			break // the response's last batch may be cut off
		}
		raw := b[:size]
		b = b[size:]
		if raw[16] != 2 {
			return Record{}, fmt.Errorf("%w: record batch at %d has message format v%d; only v2 (Kafka 0.11+) is read", ErrProtocol, first, raw[16])
		}
		if crc32.Checksum(raw[crcOffset+4:], castagnoli) != binary.BigEndian.Uint32(raw[crcOffset:]) {
			return Record{}, fmt.Errorf("%w: record batch at %d fails its CRC", ErrProtocol, first)
		}
		var rb kmsg.RecordBatch
		if err := rb.ReadFrom(raw); err != nil {
			return Record{}, fmt.Errorf("%w: record batch at %d: %w", ErrProtocol, first, err)
		}
		last := first + int64(rb.LastOffsetDelta)
		if last < offset {
			continue
		}
		covered = true
		if rb.Attributes&attrControl != 0 {
			// A transaction marker holds no message.
			continue
		}
		recs, err := decompress(rb.Attributes&attrCompression, rb.Records, limit)
		if err != nil {
			return Record{}, fmt.Errorf("record batch at %d: %w", first, err)
		}
		r, found, err := recordIn(recs, rb, offset)
		if err != nil || found {
			return r, err
		}
	}
	if covered {
		return Record{}, fmt.Errorf("no record at the offset: %w", ErrOffsetGone)
	}
	return Record{}, errNoRecords
}

// recordIn looks through a batch's records for offset. found with an
// ErrOffsetGone error reports a later record where the offset should be.
func recordIn(b []byte, rb kmsg.RecordBatch, offset int64) (Record, bool, error) {
	for i := int32(0); i < rb.NumRecords; i++ {
		l, n := binary.Varint(b)
		if n <= 0 || l < 0 || int64(len(b)-n) < l {
			return Record{}, true, fmt.Errorf("%w: record %d of batch at %d is cut off", ErrProtocol, i, rb.FirstOffset)
		}
		var kr kmsg.Record
		if err := kr.ReadFrom(b[:n+int(l)]); err != nil {
			return Record{}, true, fmt.Errorf("%w: record %d of batch at %d: %w", ErrProtocol, i, rb.FirstOffset, err)
		}
		b = b[n+int(l):]
		at := rb.FirstOffset + int64(kr.OffsetDelta)
		switch {
		case at < offset:
			continue
		case at > offset:
			return Record{}, true, fmt.Errorf("next record is at %d: %w", at, ErrOffsetGone)
		}
		ts := rb.FirstTimestamp + kr.TimestampDelta64
		if rb.Attributes&attrLogAppendTime != 0 {
			ts = rb.MaxTimestamp // the broker's time, the same for all
		}
		r := Record{Key: kr.Key, Value: kr.Value, Offset: at, Time: time.UnixMilli(ts)}
		for _, h := range kr.Headers {
			r.Headers = append(r.Headers, Header{Key: h.Key, Value: h.Value})
		}
		return r, true, nil
	}
	return Record{}, false, nil
}
