package soak

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
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
func (c Config) message(seq int, pad []byte) *kgo.Record {
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
	return &kgo.Record{
		Key: c.key(seq), Value: v,
		Headers: []kgo.RecordHeader{{Key: headerKind, Value: []byte(k.String())}},
	}
}

// produceChunk is how many messages one ProduceSync call hands over:
// large enough to fill the producer's batches, small enough to keep memory
// flat.
const produceChunk = 1000

// produce writes the N records to topic and waits for every
// acknowledgement (acks=all).
func produce(ctx context.Context, broker, topic string, c Config) error {
	part := kgo.RoundRobinPartitioner()
	if c.DocID == DocIDKey {
		// Every version of a key in one partition, as a keyed producer does;
		// that ordering is what DOC_ID=key relies on. nil is Kafka's own
		// partitioner: murmur2 of the key, as the Java producer hashes it.
		// Which partition a key lands on matters to nothing here: the checks
		// read the partitions back from the topic.
		part = kgo.StickyKeyPartitioner(nil)
	}
	cl, err := newKafkaClient(broker,
		kgo.DefaultProduceTopic(topic), kgo.RecordPartitioner(part),
		kgo.RequiredAcks(kgo.AllISRAcks()), kgo.RecordRetries(10),
		// Uncompressed: the soak measures the consumer and the engine, and
		// the rates in docs/soak.md were measured on uncompressed records;
		// kgo would compress with snappy by default.
		kgo.ProducerBatchCompression(kgo.NoCompression()),
	)
	if err != nil {
		return err
	}
	defer cl.Close()
	pad := make([]byte, c.ValueBytes)
	for i := range pad {
		pad[i] = 'a' + byte(i%26)
	}
	recs := make([]*kgo.Record, 0, produceChunk)
	for seq := 1; seq <= c.N; seq++ {
		recs = append(recs, c.message(seq, pad))
		if len(recs) == produceChunk || seq == c.N {
			if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
				return fmt.Errorf("produce records up to %d to %s: %w", seq, topic, err)
			}
			recs = recs[:0]
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
// fn, in offset order within each partition.
func readTopic(ctx context.Context, broker, topic string, partitions int, fn func(*kgo.Record) error) (map[int]int64, error) {
	bounds, err := listOffsets(ctx, broker, topic, partitions)
	if err != nil {
		return nil, err
	}
	ends := map[int]int64{}
	// next is the offset to read next of each partition not read to its end.
	next := map[int32]int64{}
	start := map[int32]kgo.Offset{}
	for p, b := range bounds {
		ends[p] = b[1]
		if b[0] < b[1] {
			next[int32(p)] = b[0]
			start[int32(p)] = kgo.NewOffset().At(b[0])
		}
	}
	if len(next) == 0 {
		return ends, nil
	}
	// Partitions consumed directly, without a group: nothing is committed,
	// and the read starts exactly at each partition's first offset.
	cl, err := newKafkaClient(broker,
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: start}),
		kgo.FetchMaxWait(100*time.Millisecond),
	)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	for len(next) > 0 {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("%w %s: %d partitions not read to the end: %w", errReadBack, topic, len(next), err)
		}
		for _, fe := range fs.Errors() {
			if at, ok := next[fe.Partition]; ok && fe.Topic == topic {
				return nil, fmt.Errorf("%w %s/%d at offset %d of %d: %w", errReadBack, topic, fe.Partition, at, ends[int(fe.Partition)], fe.Err)
			}
			return nil, fmt.Errorf("%w %s: %w", errReadBack, topic, fe.Err)
		}
		for it := fs.RecordIter(); !it.Done(); {
			r := it.Next()
			at, ok := next[r.Partition]
			if !ok || r.Offset < at {
				continue
			}
			// Records produced after the end offsets were listed are not
			// the topic's at the time of the call.
			if r.Offset < ends[int(r.Partition)] {
				if err := fn(r); err != nil {
					return nil, err
				}
			}
			if r.Offset+1 >= ends[int(r.Partition)] {
				delete(next, r.Partition)
			} else {
				next[r.Partition] = r.Offset + 1
			}
		}
	}
	return ends, nil
}

// readProduced reads the data topic back into the ground truth.
func readProduced(ctx context.Context, broker, topic string, partitions int) (produced, error) {
	var out produced
	ends, err := readTopic(ctx, broker, topic, partitions, func(m *kgo.Record) error {
		k, ok := kindOfMessage(m)
		if !ok {
			return fmt.Errorf("%w %s/%d offset %d: no %s header", errReadBack, topic, m.Partition, m.Offset, headerKind)
		}
		out.records = append(out.records, record{partition: int(m.Partition), offset: m.Offset, key: string(m.Key), kind: k})
		return nil
	})
	out.ends = ends
	return out, err
}

func kindOfMessage(m *kgo.Record) (kind, bool) {
	for _, h := range m.Headers {
		if h.Key == headerKind {
			return parseKind(string(h.Value))
		}
	}
	return 0, false
}

// kafkaTimeout bounds each admin request, as long as a cluster that
// answers at all takes.
const kafkaTimeout = 10 * time.Second

// listOffsets returns [first, end) of each partition.
func listOffsets(ctx context.Context, broker, topic string, partitions int) (map[int][2]int64, error) {
	cl, err := newKafkaClient(broker)
	if err != nil {
		return nil, err
	}
	adm := kadm.NewClient(cl)
	defer adm.Close()
	ctx, cancel := context.WithTimeout(ctx, kafkaTimeout)
	defer cancel()
	starts, err := adm.ListStartOffsets(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("list offsets of %s: %w", topic, err)
	}
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("list offsets of %s: %w", topic, err)
	}
	out := map[int][2]int64{}
	for _, listed := range []kadm.ListedOffsets{starts, ends} {
		// kadm reports a topic it could not look up as partition -1.
		if o, ok := listed.Lookup(topic, -1); ok && o.Err != nil {
			return nil, fmt.Errorf("list offsets of %s: %w", topic, o.Err)
		}
	}
	// Only the partitions asked for, as the ListOffsets request of one
	// partition set would answer: a topic with more is the caller's
	// mistake to find, not this function's.
	for p := range partitions {
		first, ok1 := starts.Lookup(topic, int32(p))
		end, ok2 := ends.Lookup(topic, int32(p))
		if !ok1 || !ok2 {
			continue
		}
		for _, o := range []kadm.ListedOffset{first, end} {
			if o.Err != nil {
				return nil, fmt.Errorf("list offsets of %s/%d: %w", topic, p, o.Err)
			}
		}
		out[p] = [2]int64{first.Offset, end.Offset}
	}
	if len(out) != partitions {
		return nil, fmt.Errorf("list offsets of %s: %d partitions answered, want %d", topic, len(out), partitions)
	}
	return out, nil
}

// newKafkaClient returns a kgo client of the cluster at broker, for one
// call; the caller closes it. A client of its own per call starts from fresh
// metadata, so a topic created since the last call is never taken for
// missing. NewClient connects lazily: its error is only about the options.
func newKafkaClient(broker string, opts ...kgo.Opt) (*kgo.Client, error) {
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(broker)}, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("kafka client for %s: %w", broker, err)
	}
	return cl, nil
}

// committed returns the group's committed offset of each partition; -1
// where none is committed.
func committed(ctx context.Context, broker, group, topic string, partitions int) (map[int]int64, error) {
	cl, err := newKafkaClient(broker)
	if err != nil {
		return nil, err
	}
	adm := kadm.NewClient(cl)
	defer adm.Close()
	ctx, cancel := context.WithTimeout(ctx, kafkaTimeout)
	defer cancel()
	resps, err := adm.FetchOffsets(ctx, group)
	out := make(map[int]int64, partitions)
	for p := range partitions {
		out[p] = -1
	}
	if errors.Is(err, kerr.GroupIDNotFound) {
		// A group that never joined has committed nothing.
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("fetch offsets of group %s: %w", group, err)
	}
	for p := range partitions {
		o, ok := resps.Lookup(topic, int32(p))
		if !ok {
			continue
		}
		if o.Err != nil {
			return nil, fmt.Errorf("fetch offset of group %s on %s/%d: %w", group, topic, p, o.Err)
		}
		out[p] = o.At
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
