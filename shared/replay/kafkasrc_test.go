package replay

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/esconnect/esconnect/shared/deadletter"
	"github.com/esconnect/esconnect/shared/kafkaevent"
	"github.com/esconnect/esconnect/shared/targettest"
)

func TestParseKafkaRange(t *testing.T) {
	ts := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		in      string
		want    KafkaRange
		wantErr bool
	}{
		{in: "kafka://127.0.0.1:9092/orders", want: KafkaRange{Brokers: []string{"127.0.0.1:9092"}, Topic: "orders"}},
		{in: "kafka://a:1,b:2/orders?partition=3&from=10&to=20", want: KafkaRange{
			Brokers: []string{"a:1", "b:2"}, Topic: "orders", Partitions: []int{3},
			From: Bound{Offset: 10, Set: true}, To: Bound{Offset: 20, Set: true}}},
		{in: "kafka://a:1/dlq?deadletter=true&from=2024-05-01T10:00:00Z", want: KafkaRange{
			Brokers: []string{"a:1"}, Topic: "dlq", DeadLetter: true, From: Bound{Time: ts, Set: true}}},
		{in: "kafka://a:1/", wantErr: true},
		{in: "kafka:///orders", wantErr: true},
		{in: "kafka://a:1/orders?from=yesterday", wantErr: true},
		{in: "kafka://a:1/orders?from=-3", wantErr: true},
		{in: "kafka://a:1/orders?partition=x", wantErr: true},
		{in: "kafka://a:1/orders?offset=3", wantErr: true},
		{in: "http://a:1/orders", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseKafkaRange(tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrBadSource) {
					t.Fatalf("error = %v, want ErrBadSource", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !got.From.Time.Equal(tt.want.From.Time) {
				t.Fatalf("from time = %v, want %v", got.From.Time, tt.want.From.Time)
			}
			got.From.Time, tt.want.From.Time = time.Time{}, time.Time{}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

var base = time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)

// seed creates topic base on k and writes n records to each of its
// partitions; record i of a partition has offset i, key "p<P>-<i>" and
// timestamp base+i s. It returns the address list of a kafka:// source and
// the topic's name.
func seed(t *testing.T, k *targettest.Kafka, topic string, partitions, n int) (string, string) {
	t.Helper()
	name := k.Topic(t, topic, partitions)
	for p := range partitions {
		msgs := make([]kafka.Message, n)
		for i := range msgs {
			msgs[i] = kafka.Message{
				Key: fmt.Appendf(nil, "p%d-%d", p, i), Value: fmt.Appendf(nil, `{"i":%d}`, i),
				Time:    base.Add(time.Duration(i) * time.Second),
				Headers: []kafka.Header{{Key: "h", Value: []byte("v")}},
			}
		}
		produceTo(t, k.Addr(), name, p, msgs)
	}
	return strings.Join(k.Brokers, ","), name
}

func produceTo(t *testing.T, addr, topic string, partition int, msgs []kafka.Message) {
	t.Helper()
	if len(msgs) == 0 {
		return
	}
	conn, err := kafka.DialLeader(t.Context(), "tcp", addr, topic, partition)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// The connection's default is acks=1, which a single broker answers
	// only once the records are in its log: they are readable at once.
	if _, err := conn.WriteMessages(msgs...); err != nil {
		t.Fatalf("produce: %v", err)
	}
}

// collect is a Destination that keeps what it is sent, failing the batch
// numbered failAt (1-based) when set.
type collect struct {
	recs    []kafkaevent.Record
	batches int
	failAt  int
}

var errRefused = errors.New("refused")

func (c *collect) Send(_ context.Context, recs []kafkaevent.Record) (any, error) {
	c.batches++
	if c.batches == c.failAt {
		return nil, errRefused
	}
	c.recs = append(c.recs, recs...)
	return nil, nil
}
func (c *collect) Close() error { return nil }

func offsets(recs []kafkaevent.Record) map[int32][]int64 {
	out := map[int32][]int64{}
	for _, r := range recs {
		out[r.Partition] = append(out[r.Partition], r.Offset)
	}
	return out
}

func span(from, to int64) []int64 {
	var out []int64
	for o := from; o < to; o++ {
		out = append(out, o)
	}
	return out
}

func TestKafkaRangeReplay(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want map[int32][]int64
	}{
		{"offsets", "?partition=1&from=5&to=12", map[int32][]int64{1: span(5, 12)}},
		{"times", "?partition=0&from=" + base.Add(3*time.Second).Format(time.RFC3339) + "&to=" + base.Add(9*time.Second).Format(time.RFC3339), map[int32][]int64{0: span(3, 9)}},
		{"every partition to the end", "?from=25", map[int32][]int64{0: span(25, 30), 1: span(25, 30)}},
		{"bounds clamp to the log", "?partition=0&from=28&to=1000", map[int32][]int64{0: span(28, 30)}},
		{"empty range", "?partition=0&from=10&to=10", map[int32][]int64{}},
	}
	targettest.Kafkas(t, func(t *testing.T, k *targettest.Kafka) {
		addr, orders := seed(t, k, "orders", 2, 30)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				src, err := OpenSource(t.Context(), "kafka://"+addr+"/"+orders+tt.src, kafkaevent.FormatAuto, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer src.Close()
				dst := &collect{}
				sum, err := Run(t.Context(), src, dst, Options{Batch: 4})
				if err != nil {
					t.Fatal(err)
				}
				if got := offsets(dst.recs); !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("replayed offsets %v, want %v", got, tt.want)
				}
				var wantN int
				for _, o := range tt.want {
					wantN += len(o)
				}
				if sum.Sent != int64(wantN) || src.Total() != int64(wantN) {
					t.Fatalf("sent %d, total %d, want %d", sum.Sent, src.Total(), wantN)
				}
				for _, r := range dst.recs {
					if want := fmt.Sprintf("p%d-%d", r.Partition, r.Offset); string(r.Key) != want || r.Timestamp != base.Add(time.Duration(r.Offset)*time.Second).UnixMilli() {
						t.Fatalf("record %d/%d has key %q timestamp %d", r.Partition, r.Offset, r.Key, r.Timestamp)
					}
				}
			})
		}
	})
}

// TestReplayResumes fails a batch in the middle and checks that a rerun from
// the summary's resume offset completes the range with nothing missing and
// nothing repeated.
func TestReplayResumes(t *testing.T) {
	targettest.Kafkas(t, func(t *testing.T, k *targettest.Kafka) {
		addr, orders := seed(t, k, "orders", 1, 20)
		src, err := OpenSource(t.Context(), "kafka://"+addr+"/"+orders+"?from=2&to=18", kafkaevent.FormatAuto, nil)
		if err != nil {
			t.Fatal(err)
		}
		first := &collect{failAt: 3}
		sum, err := Run(t.Context(), src, first, Options{Batch: 5})
		src.Close()
		if !errors.Is(err, ErrFailed) || !errors.Is(err, errRefused) {
			t.Fatalf("Run error = %v, want ErrFailed wrapping the destination's error", err)
		}
		if len(sum.Partitions) != 1 || sum.Partitions[0].Next != 12 || sum.Failed != 5 || sum.Error == "" {
			t.Fatalf("summary = %+v, want resume_from 12 and 5 failed", sum)
		}
		src2, err := OpenSource(t.Context(), fmt.Sprintf("kafka://%s/%s?from=%d&to=18", addr, orders, sum.Partitions[0].Next), kafkaevent.FormatAuto, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer src2.Close()
		second := &collect{}
		if _, err := Run(t.Context(), src2, second, Options{Batch: 5}); err != nil {
			t.Fatal(err)
		}
		got := offsets(append(first.recs, second.recs...))[0]
		if !reflect.DeepEqual(got, span(2, 18)) {
			t.Fatalf("offsets over both runs = %v, want 2..17 once each", got)
		}
	})
}

func TestDeadLetterTopicRestoresRecords(t *testing.T) {
	orig := []kafkaevent.Record{
		{Topic: "orders", Partition: 3, Offset: 41, Timestamp: 1714557600000, TimestampType: "CREATE_TIME", Key: []byte("k1"), Value: []byte(`{"a":1}`), ValueSize: 7, Headers: []kafkaevent.Header{{Key: "trace", Value: []byte("x")}}},
		{Topic: "orders", Partition: 0, Offset: 7, Timestamp: 1714557601000, TimestampType: "CREATE_TIME", Value: []byte{0xff, 0x00}, ValueSize: 2},
	}
	var msgs []kafka.Message
	for _, r := range orig {
		b, err := deadletter.Encode(deadletter.Letter{Record: r, Error: deadletter.Cause{Type: "mapper_parsing_exception", Status: 400}, Function: "kafka-es-sink", Time: base})
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, kafka.Message{Value: b})
	}
	targettest.Kafkas(t, func(t *testing.T, k *targettest.Kafka) {
		addr, dlq := seed(t, k, "dlq", 1, 0)
		produceTo(t, k.Addr(), dlq, 0, msgs)

		src, err := OpenSource(t.Context(), "kafka://"+addr+"/"+dlq+"?deadletter=true", kafkaevent.FormatAuto, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		dst := &collect{}
		sum, err := Run(t.Context(), src, dst, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(dst.recs, orig) {
			t.Fatalf("restored %+v\nwant %+v", dst.recs, orig)
		}
		// Resume offsets refer to the dead-letter topic, the range being read.
		if len(sum.Partitions) != 1 || sum.Partitions[0].Topic != dlq || sum.Partitions[0].Next != 2 {
			t.Fatalf("summary partitions = %+v", sum.Partitions)
		}
	})
}

func TestJSONLRoundTrip(t *testing.T) {
	targettest.Kafkas(t, func(t *testing.T, k *targettest.Kafka) {
		addr, orders := seed(t, k, "orders", 1, 12)
		spec := "kafka://" + addr + "/" + orders
		path := filepath.Join(t.TempDir(), "archive.jsonl")
		src, err := OpenSource(t.Context(), spec, kafkaevent.FormatAuto, nil)
		if err != nil {
			t.Fatal(err)
		}
		dst, err := OpenDestination(t.Context(), "jsonl:"+path, DestinationOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Run(t.Context(), src, dst, Options{Batch: 5}); err != nil {
			t.Fatal(err)
		}
		src.Close()
		if err := dst.Close(); err != nil {
			t.Fatal(err)
		}

		direct, err := OpenSource(t.Context(), spec, kafkaevent.FormatAuto, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer direct.Close()
		want := &collect{}
		if _, err := Run(t.Context(), direct, want, Options{}); err != nil {
			t.Fatal(err)
		}
		archive, err := OpenSource(t.Context(), path, kafkaevent.FormatAuto, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer archive.Close()
		got := &collect{}
		if _, err := Run(t.Context(), archive, got, Options{Batch: 3}); err != nil {
			t.Fatal(err)
		}
		if len(got.recs) != 12 || !reflect.DeepEqual(got.recs, want.recs) {
			t.Fatalf("archive gave %d records, differing from the topic's %d", len(got.recs), len(want.recs))
		}
	})
}

func TestRateLimit(t *testing.T) {
	src := &eventSource{recs: make([]kafkaevent.Record, 30)}
	start := time.Now()
	sum, err := Run(t.Context(), src, &collect{}, Options{Batch: 10, Rate: 50})
	if err != nil || sum.Sent != 30 {
		t.Fatalf("Run = %+v, %v", sum, err)
	}
	// Three batches of 10 at 50/s: the third may start only 20/50 s = 400ms
	// after the first.
	if el := time.Since(start); el < 400*time.Millisecond {
		t.Fatalf("30 records at 50/s took %v, want at least 400ms", el)
	}
}

// TestKafkaRangeEndingInATransactionMarker: a range whose last offset is a
// transaction's commit marker, which holds no record, ends as soon as a
// fetch has passed the marker, rather than after fetches that wait for a
// record that is not coming.
func TestKafkaRangeEndingInATransactionMarker(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(0), kfake.SeedTopics(1, "txn"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	var fetches atomic.Int32
	c.ControlKey(kmsg.Fetch.Int16(), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		fetches.Add(1)
		return nil, nil, false
	})
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	p, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.TransactionalID("replay-test"),
		kgo.DefaultProduceTopic("txn"), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if err := p.ProduceSync(ctx, &kgo.Record{Key: fmt.Appendf(nil, "p0-%d", i), Value: []byte("{}")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.EndTransaction(ctx, kgo.TryCommit); err != nil {
		t.Fatal(err)
	}

	src, err := OpenSource(ctx, "kafka://"+c.ListenAddrs()[0]+"/txn", kafkaevent.FormatAuto, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	// Five records and the marker after them.
	if src.Total() != 6 {
		t.Fatalf("total %d offsets, want 6", src.Total())
	}
	dst := &collect{}
	sum, err := Run(ctx, src, dst, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := offsets(dst.recs); !reflect.DeepEqual(got, map[int32][]int64{0: span(0, 5)}) || sum.Sent != 5 {
		t.Fatalf("replayed %v (sent %d), want offsets 0..4", got, sum.Sent)
	}
	if n := fetches.Load(); n > 2 {
		t.Fatalf("%d fetches for one batch and its marker: the range did not end at the marker", n)
	}
}
