package soak

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
)

// kind is what a produced record is meant to become.
type kind uint8

const (
	// kindValid records must end up as documents.
	kindValid kind = iota
	// kindConflict records are JSON whose "n" is a string while the index
	// maps it as long: Elasticsearch rejects them with a 400 for good.
	kindConflict
	// kindNotJSON records are not JSON under VALUE_FORMAT=json: the sink
	// rejects them before Elasticsearch.
	kindNotJSON
)

// headerKind carries the kind on each message, so that the expected
// outcome is read back from Kafka with the record itself rather than
// recomputed from a sequence number the broker never saw.
const headerKind = "soak-kind"

var kindNames = [...]string{kindValid: "valid", kindConflict: "conflict", kindNotJSON: "not-json"}

func (k kind) String() string { return kindNames[k] }

func parseKind(s string) (kind, bool) {
	for k, name := range kindNames {
		if name == s {
			return kind(k), true
		}
	}
	return 0, false
}

// kindOf is the kind of the seq-th record (from 1).
func (c Config) kindOf(seq int) kind {
	switch {
	case c.NotJSONEvery > 0 && seq%c.NotJSONEvery == 0:
		return kindNotJSON
	case c.ConflictEvery > 0 && seq%c.ConflictEvery == 0:
		return kindConflict
	}
	return kindValid
}

// key is the message key of the seq-th record: unique per record under
// DocIDOffset, one of Keys under DocIDKey.
func (c Config) key(seq int) []byte {
	if c.DocID == DocIDKey {
		return fmt.Appendf(nil, "k%07d", seq%c.Keys)
	}
	return fmt.Appendf(nil, "r%09d", seq)
}

// message builds the seq-th record. pad is shared padding of ValueBytes.
func (c Config) message(seq int, pad []byte) kafka.Message {
	k := c.kindOf(seq)
	var v []byte
	switch k {
	case kindValid:
		v = fmt.Appendf(nil, `{"seq":%d,"n":%d,"pad":"%s"}`, seq, seq, pad)
	case kindConflict:
		v = fmt.Appendf(nil, `{"seq":%d,"n":"poison-%d"}`, seq, seq)
	case kindNotJSON:
		v = fmt.Appendf(nil, `poison %d {`, seq)
	}
	return kafka.Message{
		Key: c.key(seq), Value: v,
		Headers: []kafka.Header{{Key: headerKind, Value: []byte(k.String())}},
	}
}

// produceChunk is how many messages one WriteMessages call hands over:
// large enough to fill the writer's batches, small enough to keep memory flat.
const produceChunk = 1000

// produce writes the N records to topic and waits for every
// acknowledgement (acks=all).
func produce(ctx context.Context, broker, topic string, c Config) error {
	var bal kafka.Balancer = &kafka.RoundRobin{}
	if c.DocID == DocIDKey {
		// Every version of a key in one partition, as a keyed producer does;
		// that ordering is what DOC_ID=key relies on.
		bal = &kafka.Hash{}
	}
	tr := &kafka.Transport{}
	defer tr.CloseIdleConnections()
	w := &kafka.Writer{
		Addr: kafka.TCP(broker), Topic: topic, Balancer: bal,
		BatchSize: 500, BatchTimeout: 5 * time.Millisecond,
		RequiredAcks: kafka.RequireAll, MaxAttempts: 10,
		// A transport of its own: see newKafkaClient.
		Transport: tr,
	}
	defer w.Close()
	pad := make([]byte, c.ValueBytes)
	for i := range pad {
		pad[i] = 'a' + byte(i%26)
	}
	msgs := make([]kafka.Message, 0, produceChunk)
	for seq := 1; seq <= c.N; seq++ {
		msgs = append(msgs, c.message(seq, pad))
		if len(msgs) == produceChunk || seq == c.N {
			if err := w.WriteMessages(ctx, msgs...); err != nil {
				return fmt.Errorf("produce records up to %d to %s: %w", seq, topic, err)
			}
			msgs = msgs[:0]
		}
	}
	return nil
}

// record is one record as the broker stored it.
type record struct {
	partition int
	offset    int64
	key       string
	kind      kind
}

// produced is the ground truth of a run: every record on the data topic.
type produced struct {
	records []record
	// ends is each partition's end offset (last offset + 1).
	ends map[int]int64
}

func (p produced) count(k kind) int {
	n := 0
	for _, r := range p.records {
		if r.kind == k {
			n++
		}
	}
	return n
}

// errReadBack is wrapped when the topic cannot be read back completely.
var errReadBack = errors.New("read back topic")

// readTopic reads every record of every partition of topic, from the first
// offset to the end offset at the time of the call, and hands each message to
// fn.
func readTopic(ctx context.Context, broker, topic string, partitions int, fn func(kafka.Message) error) (map[int]int64, error) {
	bounds, err := listOffsets(ctx, broker, topic, partitions)
	if err != nil {
		return nil, err
	}
	ends := map[int]int64{}
	for p, b := range bounds {
		ends[p] = b[1]
		if b[0] >= b[1] {
			continue
		}
		if err := readPartition(ctx, broker, topic, p, b[0], b[1], fn); err != nil {
			return nil, err
		}
	}
	return ends, nil
}

func readPartition(ctx context.Context, broker, topic string, p int, first, end int64, fn func(kafka.Message) error) error {
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers: []string{broker}, Topic: topic, Partition: p,
		MinBytes: 1, MaxBytes: 10 << 20, MaxWait: 100 * time.Millisecond,
	})
	defer r.Close()
	if err := r.SetOffset(first); err != nil {
		return fmt.Errorf("%w %s/%d: set offset %d: %w", errReadBack, topic, p, first, err)
	}
	for next := first; next < end; {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			return fmt.Errorf("%w %s/%d at offset %d of %d: %w", errReadBack, topic, p, next, end, err)
		}
		if err := fn(m); err != nil {
			return err
		}
		next = m.Offset + 1
	}
	return nil
}

// readProduced reads the data topic back into the ground truth.
func readProduced(ctx context.Context, broker, topic string, partitions int) (produced, error) {
	var out produced
	ends, err := readTopic(ctx, broker, topic, partitions, func(m kafka.Message) error {
		k, ok := kindOfMessage(m)
		if !ok {
			return fmt.Errorf("%w %s/%d offset %d: no %s header", errReadBack, topic, m.Partition, m.Offset, headerKind)
		}
		out.records = append(out.records, record{partition: m.Partition, offset: m.Offset, key: string(m.Key), kind: k})
		return nil
	})
	out.ends = ends
	return out, err
}

func kindOfMessage(m kafka.Message) (kind, bool) {
	for _, h := range m.Headers {
		if h.Key == headerKind {
			return parseKind(string(h.Value))
		}
	}
	return 0, false
}

// listOffsets returns [first, end) of each partition.
func listOffsets(ctx context.Context, broker, topic string, partitions int) (map[int][2]int64, error) {
	reqs := make([]kafka.OffsetRequest, 0, 2*partitions)
	for p := range partitions {
		reqs = append(reqs, kafka.FirstOffsetOf(p), kafka.LastOffsetOf(p))
	}
	cl, done := newKafkaClient(broker)
	defer done()
	resp, err := cl.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: reqs}})
	if err != nil {
		return nil, fmt.Errorf("list offsets of %s: %w", topic, err)
	}
	out := map[int][2]int64{}
	for _, po := range resp.Topics[topic] {
		if po.Error != nil {
			return nil, fmt.Errorf("list offsets of %s/%d: %w", topic, po.Partition, po.Error)
		}
		out[po.Partition] = [2]int64{po.FirstOffset, po.LastOffset}
	}
	if len(out) != partitions {
		return nil, fmt.Errorf("list offsets of %s: %d partitions answered, want %d", topic, len(out), partitions)
	}
	return out, nil
}

// newKafkaClient returns a client of the cluster at broker with a transport
// of its own, and the function that closes its connections. kafka-go's
// shared default transport keeps the cluster's metadata for a while and
// answers meanwhile that a topic created since does not exist, which on a
// cluster that outlives one run is every run's topic.
func newKafkaClient(broker string) (*kafka.Client, func()) {
	tr := &kafka.Transport{}
	return &kafka.Client{Addr: kafka.TCP(broker), Timeout: 10 * time.Second, Transport: tr}, tr.CloseIdleConnections
}

// committed returns the group's committed offset of each partition; -1
// where none is committed.
func committed(ctx context.Context, broker, group, topic string, partitions int) (map[int]int64, error) {
	parts := make([]int, partitions)
	for p := range parts {
		parts[p] = p
	}
	cl, done := newKafkaClient(broker)
	defer done()
	resp, err := cl.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: parts}})
	if err != nil {
		return nil, fmt.Errorf("fetch offsets of group %s: %w", group, err)
	}
	out := map[int]int64{}
	if errors.Is(resp.Error, kafka.GroupIdNotFound) {
		// A group that never joined has committed nothing.
		for _, p := range parts {
			out[p] = -1
		}
		return out, nil
	}
	if resp.Error != nil {
		return nil, fmt.Errorf("fetch offsets of group %s: %w", group, resp.Error)
	}
	for _, p := range resp.Topics[topic] {
		if p.Error != nil {
			return nil, fmt.Errorf("fetch offset of group %s on %s/%d: %w", group, topic, p.Partition, p.Error)
		}
		out[p.Partition] = p.CommittedOffset
	}
	return out, nil
}

// sumCommitted is how many records of a partition set are behind the
// group's committed offsets.
func sumCommitted(c map[int]int64) int64 {
	var n int64
	for _, off := range c {
		n += max(off, 0)
	}
	return n
}

// caughtUp reports whether the group committed every partition up to ends.
func caughtUp(c, ends map[int]int64) bool {
	for p, end := range ends {
		if c[p] < end {
			return false
		}
	}
	return true
}
