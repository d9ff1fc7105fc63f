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

	"github.com/segmentio/kafka-go"

	"github.com/esconnect/esconnect/shared/deadletter"
	"github.com/esconnect/esconnect/shared/kafkaevent"
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
	r      KafkaRange
	parts  []partRange
	total  int64
	conn   *kafka.Conn
	cur    int
	dialer *kafka.Dialer
	// emptyFetches counts fetches in a row that returned nothing although
	// the range was not done; offsets taken by transaction markers or
	// removed by compaction leave such gaps, and the range ends there.
	emptyFetches int
}

// maxEmptyFetches ends a partition whose remaining offsets hold no records.
const maxEmptyFetches = 3

// fetchWait bounds one fetch; the range is below the high watermark, so
// records are there unless the offsets are a gap.
const fetchWait = 500 * time.Millisecond

func openKafka(ctx context.Context, r KafkaRange) (*kafkaSource, error) {
	s := &kafkaSource{r: r, dialer: &kafka.Dialer{Timeout: 10 * time.Second}}
	parts := r.Partitions
	if len(parts) == 0 {
		ps, err := s.partitions(ctx)
		if err != nil {
			return nil, err
		}
		parts = ps
	}
	for _, p := range parts {
		pr, err := s.resolve(ctx, p)
		if err != nil {
			return nil, err
		}
		s.parts = append(s.parts, pr)
		s.total += pr.end - pr.next
	}
	return s, nil
}

func (s *kafkaSource) partitions(ctx context.Context) ([]int, error) {
	conn, err := s.dial(ctx, func(b string) (*kafka.Conn, error) { return s.dialer.DialContext(ctx, "tcp", b) })
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	ps, err := conn.ReadPartitions(s.r.Topic)
	if err != nil {
		return nil, fmt.Errorf("partitions of %s: %w", s.r.Topic, err)
	}
	var out []int
	for _, p := range ps {
		out = append(out, p.ID)
	}
	sort.Ints(out)
	return out, nil
}

// dial tries each broker in turn.
func (s *kafkaSource) dial(ctx context.Context, dial func(broker string) (*kafka.Conn, error)) (*kafka.Conn, error) {
	var errs []error
	for _, b := range s.r.Brokers {
		c, err := dial(b)
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("connect to kafka: %w", errors.Join(errs...))
}

func (s *kafkaSource) leader(ctx context.Context, partition int) (*kafka.Conn, error) {
	return s.dial(ctx, func(b string) (*kafka.Conn, error) {
		return s.dialer.DialLeader(ctx, "tcp", b, s.r.Topic, partition)
	})
}

// resolve turns the bounds into offsets, clamped to what the partition holds.
func (s *kafkaSource) resolve(ctx context.Context, partition int) (partRange, error) {
	conn, err := s.leader(ctx, partition)
	if err != nil {
		return partRange{}, err
	}
	defer conn.Close()
	first, last, err := conn.ReadOffsets()
	if err != nil {
		return partRange{}, fmt.Errorf("offsets of %s/%d: %w", s.r.Topic, partition, err)
	}
	at := func(b Bound, def int64) (int64, error) {
		switch {
		case !b.Set:
			return def, nil
		case b.Time.IsZero():
			return min(max(b.Offset, first), last), nil
		}
		off, err := conn.ReadOffset(b.Time)
		if err != nil {
			return 0, fmt.Errorf("offset for time %s in %s/%d: %w", b, s.r.Topic, partition, err)
		}
		if off < 0 {
			// No record at or after the time: the bound is the end.
			off = last
		}
		return min(max(off, first), last), nil
	}
	pr := partRange{partition: partition}
	if pr.next, err = at(s.r.From, first); err != nil {
		return partRange{}, err
	}
	if pr.end, err = at(s.r.To, last); err != nil {
		return partRange{}, err
	}
	pr.end = max(pr.end, pr.next)
	return pr, nil
}

func (s *kafkaSource) Total() int64 { return s.total }

func (s *kafkaSource) Next(ctx context.Context, max int) ([]Item, error) {
	for s.cur < len(s.parts) {
		pr := &s.parts[s.cur]
		if pr.next >= pr.end || s.emptyFetches >= maxEmptyFetches {
			s.closeConn()
			s.cur++
			s.emptyFetches = 0
			continue
		}
		out, err := s.fetch(ctx, pr, max)
		if err != nil {
			return nil, err
		}
		if len(out) == 0 {
			s.emptyFetches++
			continue
		}
		s.emptyFetches = 0
		return out, nil
	}
	return nil, io.EOF
}

func (s *kafkaSource) fetch(ctx context.Context, pr *partRange, max int) ([]Item, error) {
	if s.conn == nil {
		c, err := s.leader(ctx, pr.partition)
		if err != nil {
			return nil, err
		}
		s.conn = c
	}
	if _, err := s.conn.Seek(pr.next, kafka.SeekAbsolute); err != nil {
		return nil, fmt.Errorf("seek %s/%d to %d: %w", s.r.Topic, pr.partition, pr.next, err)
	}
	deadline := time.Now().Add(fetchWait + 10*time.Second)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = s.conn.SetReadDeadline(deadline)
	batch := s.conn.ReadBatchWith(kafka.ReadBatchConfig{MinBytes: 1, MaxBytes: 8 << 20, MaxWait: fetchWait})
	var out []Item
	var err error
	for len(out) < max {
		var m kafka.Message
		m, err = batch.ReadMessage()
		if err != nil {
			break
		}
		if m.Offset < pr.next {
			continue // a compressed batch starts before the requested offset
		}
		if m.Offset >= pr.end {
			pr.next = pr.end
			break
		}
		m.Topic, m.Partition = s.r.Topic, pr.partition
		it, derr := s.item(m)
		if derr != nil {
			batch.Close()
			return nil, derr
		}
		out = append(out, it)
		pr.next = m.Offset + 1
	}
	cerr := batch.Close()
	if err != nil && !errors.Is(err, io.EOF) && len(out) == 0 {
		s.closeConn()
		return nil, fmt.Errorf("fetch %s/%d at %d: %w", s.r.Topic, pr.partition, pr.next, err)
	}
	if cerr != nil && len(out) == 0 && !errors.Is(cerr, io.EOF) {
		s.closeConn()
		return nil, fmt.Errorf("fetch %s/%d at %d: %w", s.r.Topic, pr.partition, pr.next, cerr)
	}
	return out, ctx.Err()
}

// item converts a message, restoring the original record from a dead
// letter when the source is a dead-letter topic.
func (s *kafkaSource) item(m kafka.Message) (Item, error) {
	from := Position{Topic: m.Topic, Partition: int32(m.Partition), Offset: m.Offset}
	if s.r.DeadLetter {
		l, err := deadletter.Decode(m.Value)
		if err != nil {
			return Item{}, fmt.Errorf("dead letter at %s/%d/%d: %w", m.Topic, m.Partition, m.Offset, err)
		}
		if l.Raw != nil {
			return Item{}, fmt.Errorf("dead letter at %s/%d/%d holds an undecodable trigger element, not a record: %w", m.Topic, m.Partition, m.Offset, ErrNotRestorable)
		}
		return Item{Record: l.Record, From: from}, nil
	}
	r := kafkaevent.Record{
		Topic: m.Topic, Partition: int32(m.Partition), Offset: m.Offset,
		Timestamp: m.Time.UnixMilli(), TimestampType: "CREATE_TIME",
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

func (s *kafkaSource) closeConn() {
	if s.conn != nil {
		s.conn.Close()
		s.conn = nil
	}
}

func (s *kafkaSource) Close() error {
	s.closeConn()
	return nil
}
