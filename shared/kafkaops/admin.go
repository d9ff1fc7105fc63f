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
	"io"
	"sort"
	"time"

	"github.com/segmentio/kafka-go"
)

// Options configures an Admin. Zero fields take the defaults in
// withDefaults.
type Options struct {
	// Brokers are host:port bootstrap addresses.
	Brokers []string
	// Transport carries TLS and SASL settings; nil means plaintext with
	// DialTimeout.
	Transport *kafka.Transport
	// DialTimeout bounds connection set-up when Transport is nil.
	DialTimeout time.Duration
	// RequestTimeout bounds each request to the cluster.
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
// concurrent use.
type Admin struct {
	client    *kafka.Client
	transport *kafka.Transport
	now       func() time.Time
}

// New returns an Admin for the cluster at opts.Brokers. It does not connect
// until the first call.
func New(opts Options) (*Admin, error) {
	opts = opts.withDefaults()
	if len(opts.Brokers) == 0 {
		return nil, ErrNoBrokers
	}
	tr := opts.Transport
	if tr == nil {
		tr = &kafka.Transport{ClientID: ClientID, DialTimeout: opts.DialTimeout}
	}
	return &Admin{
		client:    &kafka.Client{Addr: kafka.TCP(opts.Brokers...), Timeout: opts.RequestTimeout, Transport: tr},
		transport: tr,
		now:       opts.Now,
	}, nil
}

// Close releases the Admin's idle connections.
func (a *Admin) Close() {
	a.transport.CloseIdleConnections()
}

// ErrUnknownTopic is wrapped when a named topic does not exist.
var ErrUnknownTopic = errors.New("unknown topic")

// partitions returns every partition id of each topic, sorted.
func (a *Admin) partitions(ctx context.Context, topics []string) (map[string][]int, error) {
	md, err := a.client.Metadata(ctx, &kafka.MetadataRequest{Topics: topics})
	if err != nil {
		return nil, fmt.Errorf("metadata for %q: %w", topics, err)
	}
	out := make(map[string][]int, len(topics))
	for _, t := range md.Topics {
		if t.Error != nil {
			if errors.Is(t.Error, kafka.UnknownTopicOrPartition) {
				return nil, fmt.Errorf("%w %q", ErrUnknownTopic, t.Name)
			}
			return nil, fmt.Errorf("metadata for topic %q: %w", t.Name, t.Error)
		}
		ids := make([]int, 0, len(t.Partitions))
		for _, p := range t.Partitions {
			ids = append(ids, p.ID)
		}
		sort.Ints(ids)
		out[t.Name] = ids
	}
	for _, name := range topics {
		if _, ok := out[name]; !ok {
			return nil, fmt.Errorf("%w %q", ErrUnknownTopic, name)
		}
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
	var resp *kafka.OffsetFetchResponse
	err := coordinatorRetry(ctx, func() (err error) {
		if resp, err = a.client.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: group, Topics: topics}); err == nil {
			err = resp.Error
		}
		return err
	})
	if err != nil && !errors.Is(err, kafka.GroupIdNotFound) {
		return nil, fmt.Errorf("committed offsets of group %q: %w", group, err)
	}
	if errors.Is(resp.Error, kafka.GroupIdNotFound) {
		// Newer coordinators answer so for a group that never existed:
		// it has no offsets, which is what older ones say.
		return map[string]map[int]int64{}, nil
	}
	if resp.Error != nil {
		return nil, fmt.Errorf("committed offsets of group %q: %w", group, resp.Error)
	}
	out := make(map[string]map[int]int64, len(resp.Topics))
	for topic, parts := range resp.Topics {
		for _, p := range parts {
			if p.Error != nil {
				return nil, fmt.Errorf("committed offset of group %q on %s/%d: %w", group, topic, p.Partition, p.Error)
			}
			if p.CommittedOffset <= noCommit {
				continue
			}
			if out[topic] == nil {
				out[topic] = make(map[int]int64, len(parts))
			}
			out[topic][p.Partition] = p.CommittedOffset
		}
	}
	return out, nil
}

// bounds is a partition's log start offset (the first retained record) and
// end offset (one past the newest record, the high watermark).
type bounds struct{ start, end int64 }

// listOffsets asks for one timestamp (kafka.FirstOffset, kafka.LastOffset or
// a time in epoch milliseconds) per partition and returns the offsets found;
// -1 means no record at or after the time.
func (a *Admin) listOffsets(ctx context.Context, topic string, parts []int, ts int64) (map[int]int64, error) {
	reqs := make([]kafka.OffsetRequest, len(parts))
	for i, p := range parts {
		reqs[i] = kafka.OffsetRequest{Partition: p, Timestamp: ts}
	}
	resp, err := a.client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: reqs}})
	if err != nil {
		return nil, fmt.Errorf("list offsets of %q: %w", topic, err)
	}
	out := make(map[int]int64, len(parts))
	for _, po := range resp.Topics[topic] {
		if po.Error != nil {
			return nil, fmt.Errorf("list offsets of %s/%d: %w", topic, po.Partition, po.Error)
		}
		switch ts {
		case kafka.FirstOffset:
			out[po.Partition] = po.FirstOffset
		case kafka.LastOffset:
			out[po.Partition] = po.LastOffset
		default:
			// kafka-go keys time lookups by the offset found; there is one.
			out[po.Partition] = -1
			for off := range po.Offsets {
				out[po.Partition] = off
			}
		}
	}
	for _, p := range parts {
		if _, ok := out[p]; !ok {
			return nil, fmt.Errorf("list offsets of %s/%d: no answer from the broker", topic, p)
		}
	}
	return out, nil
}

// bounds returns the start and end offsets of each partition.
func (a *Admin) bounds(ctx context.Context, topic string, parts []int) (map[int]bounds, error) {
	first, err := a.listOffsets(ctx, topic, parts, kafka.FirstOffset)
	if err != nil {
		return nil, err
	}
	last, err := a.listOffsets(ctx, topic, parts, kafka.LastOffset)
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

// recordAt returns the first record at or after offset (compaction may have
// removed the record at offset itself). ok is false when there is none below
// the end offset.
func (a *Admin) recordAt(ctx context.Context, topic string, partition int, offset, end int64) (rec Record, ok bool, err error) {
	if offset >= end {
		return Record{}, false, nil
	}
	resp, err := a.client.Fetch(ctx, &kafka.FetchRequest{
		Topic: topic, Partition: partition, Offset: offset,
		// A broker returns at least one whole batch even above MaxBytes, so
		// a small limit is enough to see one record.
		MinBytes: 1, MaxBytes: 1 << 20, MaxWait: fetchMaxWait,
	})
	if err != nil {
		return Record{}, false, fmt.Errorf("fetch %s/%d at offset %d: %w", topic, partition, offset, err)
	}
	if resp.Error != nil {
		return Record{}, false, fmt.Errorf("fetch %s/%d at offset %d: %w", topic, partition, offset, resp.Error)
	}
	if c, isCloser := resp.Records.(io.Closer); isCloser {
		defer c.Close()
	}
	if resp.Records == nil {
		return Record{}, false, nil
	}
	// A fetch answers with whole batches, which may begin before offset.
	// The loop ends at the response's end: a fetch response is finite.
	for {
		r, err := resp.Records.ReadRecord()
		if errors.Is(err, io.EOF) {
			return Record{}, false, nil
		}
		if err != nil {
			return Record{}, false, fmt.Errorf("read %s/%d at offset %d: %w", topic, partition, offset, err)
		}
		if r.Offset >= offset && r.Offset < end {
			return Record{Offset: r.Offset, Time: r.Time.UTC()}, true, nil
		}
		if r.Offset >= end {
			return Record{}, false, nil
		}
	}
}

// Record is the position and timestamp of one record.
type Record struct {
	Offset int64     `json:"offset"`
	Time   time.Time `json:"timestamp"`
}
