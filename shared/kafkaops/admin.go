// Package kafkaops holds the operating tools for the Kafka side of
// esconnect: the status of a consumer group (committed offsets, lag, the
// timestamps of the last committed and first uncommitted records, and the
// group's "done time"), and moving a stopped group's committed offsets.
//
// It works for any consumer group given its name — the group of a Lambda
// event source mapping, of an FC Kafka trigger, of Alibaba's Kafka
// Elasticsearch sink connector, or of `esconnect run` — because it only reads
// what every group has on the broker: committed offsets and the member list.
package kafkaops

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Options configures an Admin. Zero fields take the defaults in
// withDefaults.
type Options struct {
	// Brokers are host:port bootstrap addresses.
	Brokers []string
	// ClientOptions carry TLS and SASL settings (see ClientOptions); nil
	// means plaintext with DialTimeout.
	ClientOptions []kgo.Opt
	// DialTimeout bounds connection set-up unless ClientOptions set it.
	DialTimeout time.Duration
	// RequestTimeout bounds each request to the cluster, retries included.
	RequestTimeout time.Duration
	// Now is the clock used for the done time of caught-up partitions.
	Now func() time.Time
}

// ClientID is the client id the operating tools present to the brokers, so
// that broker logs and quotas can tell them apart from consumers.
const ClientID = "esconnect-ops"

func (o Options) withDefaults() Options {
	if o.DialTimeout <= 0 {
		// A broker that does not accept a connection in this time is down
		// for an interactive tool's purposes.
		o.DialTimeout = 10 * time.Second
	}
	if o.RequestTimeout <= 0 {
		// Long enough for a coordinator lookup and a fetch from a busy
		// cluster; the tools make a handful of requests per partition.
		o.RequestTimeout = 30 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// ErrNoBrokers is returned by New without a broker address.
var ErrNoBrokers = errors.New("no broker addresses")

// Admin runs the operating tools against one cluster. It is safe for
// concurrent use. Its client lives until Close: one command's worth of
// requests share connections and metadata.
type Admin struct {
	cl      *kgo.Client
	adm     *kadm.Client
	timeout time.Duration
	now     func() time.Time
}

// New returns an Admin for the cluster at opts.Brokers. It does not connect
// until the first call.
func New(opts Options) (*Admin, error) {
	opts = opts.withDefaults()
	if len(opts.Brokers) == 0 {
		return nil, ErrNoBrokers
	}
	kopts := []kgo.Opt{kgo.ClientID(ClientID), kgo.DialTimeout(opts.DialTimeout)}
	kopts = append(kopts, opts.ClientOptions...)
	kopts = append(kopts, kgo.SeedBrokers(opts.Brokers...),
		// kgo retries coordinator moves, a coordinator still loading its
		// offsets and lost connections; those retries end with the
		// request's time limit.
		kgo.RetryTimeout(opts.RequestTimeout))
	cl, err := kgo.NewClient(kopts...)
	if err != nil {
		return nil, fmt.Errorf("kafka client: %w", err)
	}
	return &Admin{cl: cl, adm: kadm.NewClient(cl), timeout: opts.RequestTimeout, now: opts.Now}, nil
}

// Close closes the Admin's connections; it is not usable afterwards.
func (a *Admin) Close() {
	a.cl.Close()
}

// request bounds one request to the cluster (with kgo's retries of it).
func (a *Admin) request(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, a.timeout)
}

// ErrUnknownTopic is wrapped when a named topic does not exist.
var ErrUnknownTopic = errors.New("unknown topic")

// partitions returns every partition id of each topic, sorted.
func (a *Admin) partitions(ctx context.Context, topics []string) (map[string][]int, error) {
	ctx, cancel := a.request(ctx)
	defer cancel()
	// kadm refuses an answer with fewer topics than asked, which a list
	// naming a topic twice would get.
	topics = slices.Compact(slices.Sorted(slices.Values(topics)))
	md, err := a.adm.Metadata(ctx, topics...)
	if err != nil {
		return nil, fmt.Errorf("metadata for %q: %w", topics, err)
	}
	out := make(map[string][]int, len(topics))
	for _, name := range topics {
		t, ok := md.Topics[name]
		if !ok || errors.Is(t.Err, kerr.UnknownTopicOrPartition) {
			return nil, fmt.Errorf("%w %q", ErrUnknownTopic, name)
		}
		if t.Err != nil {
			return nil, fmt.Errorf("metadata for topic %q: %w", name, t.Err)
		}
		ids := make([]int, 0, len(t.Partitions))
		for p := range t.Partitions {
			ids = append(ids, int(p))
		}
		sort.Ints(ids)
		out[name] = ids
	}
	return out, nil
}

// noCommit is what a broker answers for a partition the group never
// committed.
const noCommit = -1

// committed returns the group's committed offsets; partitions without a
// commit are absent. A nil topics map asks for every topic the group has
// offsets for.
func (a *Admin) committed(ctx context.Context, group string, topics map[string][]int) (map[string]map[int]int64, error) {
	ctx, cancel := a.request(ctx)
	defer cancel()
	resp, err := a.adm.FetchOffsets(ctx, group)
	if errors.Is(err, kerr.GroupIDNotFound) {
		// Newer coordinators answer so for a group that never existed:
		// it has no offsets, which is what older ones say.
		return map[string]map[int]int64{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("committed offsets of group %q: %w", group, err)
	}
	out := make(map[string]map[int]int64, len(resp))
	for topic, parts := range resp {
		want, named := topics[topic]
		if topics != nil && !named {
			continue
		}
		for p, o := range parts {
			if topics != nil && !slices.Contains(want, int(p)) {
				continue
			}
			if o.Err != nil {
				return nil, fmt.Errorf("committed offset of group %q on %s/%d: %w", group, topic, p, o.Err)
			}
			if o.At <= noCommit {
				continue
			}
			if out[topic] == nil {
				out[topic] = make(map[int]int64, len(parts))
			}
			out[topic][int(p)] = o.At
		}
	}
	return out, nil
}

// bounds is a partition's log start offset (the first retained record) and
// end offset (one past the newest record, the high watermark).
type bounds struct{ start, end int64 }

// offsetLister is one of kadm's offset listings: ListStartOffsets,
// ListEndOffsets, or ListOffsetsAfterMilli bound to a time.
type offsetLister func(ctx context.Context, topics ...string) (kadm.ListedOffsets, error)

// afterTime lists, per partition, the first offset whose record has a
// timestamp at or after t, or the end offset when there is none.
func (a *Admin) afterTime(t time.Time) offsetLister {
	return func(ctx context.Context, topics ...string) (kadm.ListedOffsets, error) {
		return a.adm.ListOffsetsAfterMilli(ctx, t.UnixMilli(), topics...)
	}
}

// listOffsets returns the offsets list finds for the partitions of topic;
// -1 is an offset the broker could not find.
func (a *Admin) listOffsets(ctx context.Context, topic string, parts []int, list offsetLister) (map[int]int64, error) {
	ctx, cancel := a.request(ctx)
	defer cancel()
	listed, err := list(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("list offsets of %q: %w", topic, err)
	}
	// kadm lists a topic it could not describe as partition -1.
	if lo, ok := listed.Lookup(topic, -1); ok && lo.Err != nil {
		return nil, fmt.Errorf("list offsets of %q: %w", topic, lo.Err)
	}
	out := make(map[int]int64, len(parts))
	for _, p := range parts {
		lo, ok := listed.Lookup(topic, int32(p))
		if !ok {
			return nil, fmt.Errorf("list offsets of %s/%d: no answer from the broker", topic, p)
		}
		if lo.Err != nil {
			return nil, fmt.Errorf("list offsets of %s/%d: %w", topic, p, lo.Err)
		}
		out[p] = lo.Offset
	}
	return out, nil
}

// bounds returns the start and end offsets of each partition.
func (a *Admin) bounds(ctx context.Context, topic string, parts []int) (map[int]bounds, error) {
	first, err := a.listOffsets(ctx, topic, parts, a.adm.ListStartOffsets)
	if err != nil {
		return nil, err
	}
	last, err := a.listOffsets(ctx, topic, parts, a.adm.ListEndOffsets)
	if err != nil {
		return nil, err
	}
	out := make(map[int]bounds, len(parts))
	for _, p := range parts {
		out[p] = bounds{start: first[p], end: last[p]}
	}
	return out, nil
}

// fetchMaxWait bounds how long the broker holds a fetch for a record that is
// known to exist; it only matters if the record vanished (retention) between
// the offset lookup and the fetch.
const fetchMaxWait = 500 * time.Millisecond

// fetchMaxBytes is the size asked of a record lookup: a broker returns at
// least one whole batch even above it, so a small limit is enough to see one
// record.
const fetchMaxBytes = 1 << 20

// recordAt returns the first record at or after offset (compaction may have
// removed the record at offset itself). ok is false when there is none below
// the end offset.
func (a *Admin) recordAt(ctx context.Context, topic string, partition int, offset, end int64) (rec Record, ok bool, err error) {
	if offset >= end {
		return Record{}, false, nil
	}
	ctx, cancel := a.request(ctx)
	defer cancel()
	f, err := Fetch(ctx, a.cl, topic, int32(partition), offset, fetchMaxBytes, fetchMaxWait)
	if err != nil {
		return Record{}, false, fmt.Errorf("fetch %s/%d at offset %d: %w", topic, partition, offset, err)
	}
	// Fetch dropped what precedes offset in the first batch.
	if len(f.Records) == 0 || f.Records[0].Offset >= end {
		return Record{}, false, nil
	}
	r := f.Records[0]
	return Record{Offset: r.Offset, Time: r.Timestamp.UTC()}, true, nil
}

// Record is the position and timestamp of one record.
type Record struct {
	Offset int64     `json:"offset"`
	Time   time.Time `json:"timestamp"`
}
