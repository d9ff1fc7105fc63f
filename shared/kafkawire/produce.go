package kafkawire

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Record is a message to produce, or a fetched one.
type Record struct {
	// Key nil is no key; an empty non-nil key is a key (as in Java).
	Key, Value []byte
	Headers    []Header
	// Time is the record's timestamp; zero means when it is produced.
	Time time.Time
	// Offset is set on fetched records.
	Offset int64
}

// Header is a record header.
type Header struct {
	Key   string
	Value []byte
}

const (
	// maxBatchBytes bounds one record batch: brokers refuse batches over
	// message.max.bytes, 1 MiB + 12 bytes by default. A single record above
	// it still goes, alone, and the broker decides.
	maxBatchBytes = 1 << 20
	// produceMinVersion is the first Produce version that carries record
	// batches (magic 2, Kafka 0.11).
	produceMinVersion = 3
	// topicIDVersion is the Produce and Fetch version from which topics are
	// named by id instead of by name (KIP-516).
	topicIDVersion = 13
)

// Produce writes recs to topic and returns nil once every record's
// partition leader acknowledged it with all in-sync replicas (acks=all).
//
// Partitioning is Kafka's Java default: a record with a key goes to
// positive(murmur2(key)) % partitions, so one key's records stay in order
// on one partition, the same partition Java, franz-go and librdkafka's
// murmur2 partitioner pick; the keyless records of one call go together to
// one partition that has a leader, the next call's to the next (sticky per
// call, round-robin across calls).
//
// Records of a partition are sent in order, one batch at a time; a failed
// batch is retried (after fresh metadata) up to the attempts, and batches
// already acknowledged are not sent again. On error some records may have
// been written; producing them again yields duplicates, not losses.
func (c *Client) Produce(ctx context.Context, topic string, recs []Record) error {
	if len(recs) == 0 {
		return nil
	}
	now := time.Now()
	var queues [][]int // per partition, indices into recs in order
	var lastErr error
	for attempt := 1; ; attempt++ {
		m, err := c.metadata(ctx, topic)
		if err == nil {
			if queues == nil {
				queues, err = c.assign(m, recs)
			}
			if err == nil {
				err = c.produceQueues(ctx, m, recs, queues, now)
			}
		}
		if err == nil {
			return nil
		}
		lastErr = err
		if !retriable(err) || attempt >= c.cfg.Attempts {
			break
		}
		if err := backoff(ctx, attempt); err != nil {
			return fmt.Errorf("produce to %s: %w (after %w)", topic, err, lastErr)
		}
	}
	return fmt.Errorf("produce to %s: %w", topic, lastErr)
}

// assign maps each record to its partition. It runs once per call so that a
// retry cannot move a record, and with it the order of its key.
func (c *Client) assign(m topicMeta, recs []Record) ([][]int, error) {
	n := len(m.leaders)
	if n == 0 {
		return nil, fmt.Errorf("topic %s: %w", m.name, kerr.UnknownTopicOrPartition)
	}
	var up []int32
	for p, l := range m.leaders {
		if l != "" {
			up = append(up, int32(p))
		}
	}
	keyless := int32(-1)
	queues := make([][]int, n)
	for i, r := range recs {
		p := int32(0)
		switch {
		case r.Key != nil:
			p = int32((murmur2(r.Key) & 0x7fffffff) % uint32(n))
		case keyless >= 0:
			p = keyless
		case len(up) == 0:
			return nil, fmt.Errorf("topic %s: %w", m.name, ErrNoLeader)
		default:
			keyless = up[int(c.sticky.Add(1)-1)%len(up)]
			p = keyless
		}
		queues[p] = append(queues[p], i)
	}
	return queues, nil
}

// produceQueues sends the queued records, removing what was acknowledged.
// Each round sends at most one batch per partition (brokers take one batch
// per partition and request); a round that fails returns its error, with
// the failed batches still queued.
func (c *Client) produceQueues(ctx context.Context, m topicMeta, recs []Record, queues [][]int, now time.Time) error {
	// Every successful round empties at least one batch, so there are at
	// most as many rounds as records.
	for range len(recs) + 1 {
		byLeader := map[string][]int32{}
		var errs []error
		for p, q := range queues {
			if len(q) == 0 {
				continue
			}
			if m.errs[p] != nil {
				errs = append(errs, fmt.Errorf("partition %d: %w", p, m.errs[p]))
				continue
			}
			byLeader[m.leaders[p]] = append(byLeader[m.leaders[p]], int32(p))
		}
		if len(byLeader) == 0 {
			return errors.Join(errs...)
		}
		for addr, parts := range byLeader {
			if err := c.produceTo(ctx, addr, m, recs, queues, parts, now); err != nil {
				errs = append(errs, err)
			}
		}
		if len(errs) > 0 {
			return errors.Join(errs...)
		}
	}
	return nil
}

// produceTo sends one batch for each of parts to their leader at addr and
// pops the acknowledged ones from queues.
func (c *Client) produceTo(ctx context.Context, addr string, m topicMeta, recs []Record, queues [][]int, parts []int32, now time.Time) error {
	cn, err := c.get(ctx, addr)
	if err != nil {
		return err
	}
	defer c.put(cn)
	req := kmsg.NewPtrProduceRequest()
	if err := cn.version(req, produceMinVersion); err != nil {
		return err
	}
	if req.Version >= topicIDVersion && m.id == [16]byte{} {
		// A broker with Produce v13 also answers Metadata with topic
		// ids; this guards against one that did not.
		req.Version = topicIDVersion - 1
	}
	req.Acks = -1
	req.TimeoutMillis = int32(c.cfg.RequestTimeout.Milliseconds())
	t := kmsg.NewProduceRequestTopic()
	t.Topic, t.TopicID = m.name, m.id
	sent := make(map[int32]int, len(parts)) // partition -> records in its batch
	for _, p := range parts {
		batch, n := appendBatch(nil, recs, queues[p], now)
		rp := kmsg.NewProduceRequestTopicPartition()
		rp.Partition = p
		rp.Records = batch
		t.Partitions = append(t.Partitions, rp)
		sent[p] = n
	}
	req.Topics = []kmsg.ProduceRequestTopic{t}
	// The socket waits half as long again as the broker waits for its
	// replicas, so that the broker's REQUEST_TIMED_OUT, which names the
	// partition, arrives first.
	r, err := cn.request(ctx, req, deadlineOf(c.cfg.RequestTimeout*3/2))
	if err != nil {
		return err
	}
	resp := r.(*kmsg.ProduceResponse)
	var errs []error
	for _, rt := range resp.Topics {
		if rt.Topic != m.name && rt.TopicID != m.id {
			continue
		}
		for _, rp := range rt.Partitions {
			n, ok := sent[rp.Partition]
			if !ok {
				continue
			}
			delete(sent, rp.Partition)
			if err := kerr.ErrorForCode(rp.ErrorCode); err != nil {
				msg := ""
				if rp.ErrorMessage != nil {
					msg = ": " + *rp.ErrorMessage
				}
				errs = append(errs, fmt.Errorf("partition %d at %s: %w%s", rp.Partition, addr, err, msg))
				continue
			}
			queues[rp.Partition] = queues[rp.Partition][n:]
		}
	}
	for p := range sent {
		errs = append(errs, fmt.Errorf("%w: produce response from %s lacks partition %d", ErrProtocol, addr, p))
	}
	return errors.Join(errs...)
}
