package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/esconnect/esconnect/shared/deadletter"
	"github.com/esconnect/esconnect/shared/kafkaevent"
	"github.com/esconnect/esconnect/shared/kafkaops"
)

// KafkaRange is a parsed kafka:// source:
//
//	kafka://host:port[,host:port]/topic?partition=P&from=X&to=Y[&deadletter=true]
//
// from and to are offsets or RFC 3339 times; the range is half-open,
// [from, to): from is the first offset read, to the first offset not read.
// A time bound stands for the first offset whose timestamp is at or after it
// (the broker's offset-for-time lookup). Without from the range starts at the
// earliest offset; without to it ends at the high watermark when the replay
// starts, so a replay always terminates.
type KafkaRange struct {
	Brokers    []string
	Topic      string
	Partitions []int // empty means every partition
	From, To   Bound
	DeadLetter bool
}

// Bound is one end of a range: an offset or a time; the zero Bound is open.
type Bound struct {
	Offset int64
	Time   time.Time
	Set    bool
}

func (b Bound) String() string {
	switch {
	case !b.Set:
		return ""
	case !b.Time.IsZero():
		return b.Time.Format(time.RFC3339Nano)
	}
	return strconv.FormatInt(b.Offset, 10)
}

// ParseKafkaRange parses a kafka:// source.
func ParseKafkaRange(s string) (KafkaRange, error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "kafka" {
		return KafkaRange{}, fmt.Errorf("%w: want kafka://host:port/topic", ErrBadSource)
	}
	var r KafkaRange
	for _, b := range strings.Split(u.Host, ",") {
		if b = strings.TrimSpace(b); b != "" {
			r.Brokers = append(r.Brokers, b)
		}
	}
	r.Topic = strings.Trim(u.Path, "/")
	if len(r.Brokers) == 0 || r.Topic == "" || strings.Contains(r.Topic, "/") {
		return KafkaRange{}, fmt.Errorf("%w: want kafka://host:port[,host:port]/topic", ErrBadSource)
	}
	q := u.Query()
	var errs []error
	if p := q.Get("partition"); p != "" {
		for _, f := range strings.Split(p, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 0 {
				errs = append(errs, fmt.Errorf("partition %q is not a partition number", f))
				continue
			}
			r.Partitions = append(r.Partitions, n)
		}
	}
	if r.From, err = parseBound(q.Get("from")); err != nil {
		errs = append(errs, fmt.Errorf("from: %w", err))
	}
	if r.To, err = parseBound(q.Get("to")); err != nil {
		errs = append(errs, fmt.Errorf("to: %w", err))
	}
	if d := q.Get("deadletter"); d != "" {
		if r.DeadLetter, err = strconv.ParseBool(d); err != nil {
			errs = append(errs, fmt.Errorf("deadletter %q is not a boolean", d))
		}
	}
	for k := range q {
		switch k {
		case "partition", "from", "to", "deadletter":
		default:
			errs = append(errs, fmt.Errorf("unknown parameter %q", k))
		}
	}
	if len(errs) > 0 {
		return KafkaRange{}, fmt.Errorf("%w: %w", ErrBadSource, errors.Join(errs...))
	}
	return r, nil
}

func parseBound(s string) (Bound, error) {
	if s == "" {
		return Bound{}, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 {
			return Bound{}, fmt.Errorf("offset %d is negative", n)
		}
		return Bound{Offset: n, Set: true}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return Bound{}, fmt.Errorf("%q is neither an offset nor an RFC 3339 time", s)
	}
	return Bound{Time: t, Set: true}, nil
}

// partRange is one partition's resolved offsets, [next, end).
type partRange struct {
	partition int
	next, end int64
}

// kafkaSource reads a resolved range partition by partition.
type kafkaSource struct {
	r     KafkaRange
	parts []partRange
	total int64
	cur   int
	// cl reads the range; it is closed by Close.
	cl *kgo.Client
	// emptyFetches counts fetches in a row that returned nothing and did
	// not move past any offset although the range was not done; the
	// partition ends there rather than waiting on a log that no longer
	// holds the range.
	emptyFetches int
}

// maxEmptyFetches ends a partition whose remaining offsets hold no records.
const maxEmptyFetches = 3

// fetchWait bounds how long the broker holds one fetch; the range is below
// the high watermark, so records are there unless the offsets are a gap.
const fetchWait = 500 * time.Millisecond

// fetchMaxBytes is the most one fetch asks for.
const fetchMaxBytes = 8 << 20

// requestTimeout bounds each request, kgo's retries of it included: the
// offset lookups and each fetch (which the broker holds up to fetchWait).
const requestTimeout = 10 * time.Second

// dialTimeout bounds connecting to a broker.
const dialTimeout = 10 * time.Second

func openKafka(ctx context.Context, r KafkaRange) (*kafkaSource, error) {
	// The kafka:// source has no TLS or SASL settings: plaintext.
	opts, err := kafkaops.ClientOptions(kafkaops.Security{}, dialTimeout)
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(append(opts, kgo.SeedBrokers(r.Brokers...), kgo.RetryTimeout(requestTimeout))...)
	if err != nil {
		return nil, fmt.Errorf("connect to kafka: %w", err)
	}
	s := &kafkaSource{r: r, cl: cl}
	if err := s.resolve(ctx); err != nil {
		cl.Close()
		return nil, err
	}
	return s, nil
}

// resolve turns the bounds into offsets for each partition, clamped to what
// the partition holds.
func (s *kafkaSource) resolve(ctx context.Context) error {
	adm := kadm.NewClient(s.cl)
	parts := s.r.Partitions
	if len(parts) == 0 {
		ps, err := s.partitions(ctx, adm)
		if err != nil {
			return err
		}
		parts = ps
	}
	first, err := s.offsets(ctx, parts, "start offsets", adm.ListStartOffsets)
	if err != nil {
		return err
	}
	last, err := s.offsets(ctx, parts, "end offsets", adm.ListEndOffsets)
	if err != nil {
		return err
	}
	at := func(b Bound, def map[int]int64) (map[int]int64, error) {
		switch {
		case !b.Set:
			return def, nil
		case b.Time.IsZero():
			out := make(map[int]int64, len(parts))
			for _, p := range parts {
				out[p] = b.Offset
			}
			return out, nil
		}
		// The first offset at or after the time, or the end offset when
		// no record is that recent.
		return s.offsets(ctx, parts, "offset for time "+b.String(), func(ctx context.Context, topics ...string) (kadm.ListedOffsets, error) {
			return adm.ListOffsetsAfterMilli(ctx, b.Time.UnixMilli(), topics...)
		})
	}
	from, err := at(s.r.From, first)
	if err != nil {
		return err
	}
	to, err := at(s.r.To, last)
	if err != nil {
		return err
	}
	for _, p := range parts {
		clamp := func(off int64) int64 {
			if off < 0 {
				// The broker found no offset for the time: the end.
				off = last[p]
			}
			return min(max(off, first[p]), last[p])
		}
		pr := partRange{partition: p, next: clamp(from[p]), end: clamp(to[p])}
		pr.end = max(pr.end, pr.next)
		s.parts = append(s.parts, pr)
		s.total += pr.end - pr.next
	}
	return nil
}

func (s *kafkaSource) partitions(ctx context.Context, adm *kadm.Client) ([]int, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	md, err := adm.Metadata(ctx, s.r.Topic)
	if err != nil {
		return nil, fmt.Errorf("partitions of %s: %w", s.r.Topic, err)
	}
	td := md.Topics[s.r.Topic]
	if td.Err != nil {
		return nil, fmt.Errorf("partitions of %s: %w", s.r.Topic, td.Err)
	}
	var out []int
	for p := range td.Partitions {
		out = append(out, int(p))
	}
	sort.Ints(out)
	return out, nil
}

// offsets returns what list finds for each of parts.
func (s *kafkaSource) offsets(ctx context.Context, parts []int, what string, list func(context.Context, ...string) (kadm.ListedOffsets, error)) (map[int]int64, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	listed, err := list(ctx, s.r.Topic)
	if err != nil {
		return nil, fmt.Errorf("%s of %s: %w", what, s.r.Topic, err)
	}
	// kadm lists a topic it could not describe as partition -1.
	if lo, ok := listed.Lookup(s.r.Topic, -1); ok && lo.Err != nil {
		return nil, fmt.Errorf("%s of %s: %w", what, s.r.Topic, lo.Err)
	}
	out := make(map[int]int64, len(parts))
	for _, p := range parts {
		lo, ok := listed.Lookup(s.r.Topic, int32(p))
		switch {
		case !ok:
			return nil, fmt.Errorf("%s of %s/%d: no such partition", what, s.r.Topic, p)
		case lo.Err != nil:
			return nil, fmt.Errorf("%s of %s/%d: %w", what, s.r.Topic, p, lo.Err)
		}
		out[p] = lo.Offset
	}
	return out, nil
}

func (s *kafkaSource) Total() int64 { return s.total }

func (s *kafkaSource) Next(ctx context.Context, limit int) ([]Item, error) {
	for s.cur < len(s.parts) {
		pr := &s.parts[s.cur]
		if pr.next >= pr.end || s.emptyFetches >= maxEmptyFetches {
			s.cur++
			s.emptyFetches = 0
			continue
		}
		out, err := s.fetch(ctx, pr, limit)
		if err != nil {
			return nil, err
		}
		if len(out) == 0 {
			continue
		}
		return out, nil
	}
	return nil, io.EOF
}

// fetch reads up to limit items of pr from pr.next with one fetch and moves
// pr.next past what it read.
func (s *kafkaSource) fetch(ctx context.Context, pr *partRange, limit int) ([]Item, error) {
	fctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	f, err := kafkaops.Fetch(fctx, s.cl, s.r.Topic, int32(pr.partition), pr.next, fetchMaxBytes, fetchWait)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("fetch %s/%d at %d: %w", s.r.Topic, pr.partition, pr.next, err)
	}
	before := pr.next
	var out []Item
	for _, r := range f.Records {
		if r.Offset >= pr.end || len(out) == limit {
			break
		}
		it, err := s.item(r)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
		pr.next = r.Offset + 1
	}
	if len(out) < limit {
		// Everything this fetch returned below the end was read: the next
		// fetch starts after it, past offsets that hold no record
		// (transaction markers, compacted records), which may end the
		// range here.
		pr.next = min(max(pr.next, f.Next), pr.end)
	}
	if pr.next > before {
		s.emptyFetches = 0
	} else {
		s.emptyFetches++
	}
	return out, ctx.Err()
}

// item converts a record, restoring the original record from a dead
// letter when the source is a dead-letter topic.
func (s *kafkaSource) item(m *kgo.Record) (Item, error) {
	from := Position{Topic: s.r.Topic, Partition: m.Partition, Offset: m.Offset}
	if s.r.DeadLetter {
		l, err := deadletter.Decode(m.Value)
		if err != nil {
			return Item{}, fmt.Errorf("dead letter at %s/%d/%d: %w", s.r.Topic, m.Partition, m.Offset, err)
		}
		if l.Raw != nil {
			return Item{}, fmt.Errorf("dead letter at %s/%d/%d holds an undecodable trigger element, not a record: %w", s.r.Topic, m.Partition, m.Offset, ErrNotRestorable)
		}
		return Item{Record: l.Record, From: from}, nil
	}
	r := kafkaevent.Record{
		Topic: s.r.Topic, Partition: m.Partition, Offset: m.Offset,
		Timestamp: m.Timestamp.UnixMilli(), TimestampType: "CREATE_TIME",
		Key: m.Key, Value: m.Value, ValueSize: len(m.Value),
	}
	for _, h := range m.Headers {
		r.Headers = append(r.Headers, kafkaevent.Header{Key: h.Key, Value: h.Value})
	}
	return Item{Record: r, From: from}, nil
}

// ErrNotRestorable is wrapped for a dead letter that does not hold a whole
// record, so it cannot be redriven.
var ErrNotRestorable = errors.New("dead letter cannot be restored to a record")

func (s *kafkaSource) Close() error {
	if s.cl != nil {
		s.cl.Close()
		s.cl = nil
	}
	return nil
}
