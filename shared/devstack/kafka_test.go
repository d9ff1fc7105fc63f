package devstack

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

func TestParseTopic(t *testing.T) {
	tests := []struct {
		spec    string
		want    Topic
		wantErr bool
	}{
		{spec: "orders", want: Topic{Name: "orders", Partitions: 3}},
		{spec: "orders:7", want: Topic{Name: "orders", Partitions: 7}},
		{spec: " orders : 2 ", want: Topic{Name: "orders", Partitions: 2}},
		{spec: "orders:0", wantErr: true},
		{spec: "orders:x", wantErr: true},
		{spec: ":4", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			got, err := ParseTopic(tt.spec, 3)
			if tt.wantErr {
				if !errors.Is(err, ErrBadTopic) {
					t.Fatalf("ParseTopic(%q) error = %v, want ErrBadTopic", tt.spec, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseTopic(%q) = %+v, %v; want %+v", tt.spec, got, err, tt.want)
			}
		})
	}
}

func TestStartKafkaSeedsTopics(t *testing.T) {
	c, err := StartKafka(KafkaOptions{Addr: "127.0.0.1:0", Topics: []Topic{{Name: "a", Partitions: 4}, {Name: "b"}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	addr := c.ListenAddrs()[0]
	conn, err := kafka.DialContext(t.Context(), "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	parts, err := conn.ReadPartitions("a", "b")
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, p := range parts {
		count[p.Topic]++
	}
	if count["a"] != 4 || count["b"] != DefaultPartitions {
		t.Fatalf("partitions = %v, want a:4 b:%d", count, DefaultPartitions)
	}
}

func TestStartKafkaBusyAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	if c, err := StartKafka(KafkaOptions{Addr: ln.Addr().String()}); err == nil {
		c.Close()
		t.Fatal("StartKafka on a busy address succeeded")
	}
}

// produceConsumeCommit proves a stack's broker serves kafka-go end to end:
// producing, consuming in a group, and committing offsets that the broker
// then reports back.
func produceConsumeCommit(t *testing.T, addr, topic string, n int) {
	t.Helper()
	ctx := t.Context()
	w := &kafka.Writer{Addr: kafka.TCP(addr), Topic: topic, Balancer: &kafka.Hash{}, BatchTimeout: 10 * time.Millisecond, RequiredAcks: kafka.RequireAll}
	t.Cleanup(func() { w.Close() })
	msgs := make([]kafka.Message, n)
	for i := range msgs {
		msgs[i] = kafka.Message{Key: []byte{byte('a' + i%26)}, Value: []byte(time.Now().String())}
	}
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatalf("produce: %v", err)
	}

	const group = "devstack-test"
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers: []string{addr}, GroupID: group, Topic: topic,
		StartOffset: kafka.FirstOffset, MaxWait: 100 * time.Millisecond,
		HeartbeatInterval: 200 * time.Millisecond, SessionTimeout: 6 * time.Second,
	})
	t.Cleanup(func() { r.Close() })
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	next := map[int]int64{}
	for range n {
		m, err := r.FetchMessage(rctx)
		if err != nil {
			t.Fatalf("consume: %v", err)
		}
		if err := r.CommitMessages(rctx, m); err != nil {
			t.Fatalf("commit: %v", err)
		}
		next[m.Partition] = m.Offset + 1
	}

	cl := &kafka.Client{Addr: kafka.TCP(addr), Timeout: 10 * time.Second}
	parts := make([]int, 0, len(next))
	for p := range next {
		parts = append(parts, p)
	}
	resp, err := cl.OffsetFetch(rctx, &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: parts}})
	if err != nil || resp.Error != nil {
		t.Fatalf("offset fetch: %v %v", err, resp.Error)
	}
	got := map[int]int64{}
	for _, p := range resp.Topics[topic] {
		got[p.Partition] = p.CommittedOffset
	}
	for p, want := range next {
		if got[p] != want {
			t.Errorf("partition %d committed offset = %d, want %d", p, got[p], want)
		}
	}
}

func TestKafkaServesKafkaGo(t *testing.T) {
	c, err := StartKafka(KafkaOptions{Addr: "127.0.0.1:0", Topics: []Topic{{Name: "events", Partitions: 2}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	produceConsumeCommit(t, c.ListenAddrs()[0], "events", 20)
}
