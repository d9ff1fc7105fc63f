package kafkawire

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/esconnect/esconnect/shared/targettest"
)

// cluster starts a kfake cluster with topic "t" of the given partitions.
func cluster(t *testing.T, partitions int32, opts ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.Ports(0), kfake.SeedTopics(partitions, "t")}, opts...)...)
	if err != nil {
		t.Fatalf("start kfake: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

func client(t *testing.T, cfg Config) *Client {
	t.Helper()
	if cfg.DialTimeout == 0 {
		cfg.DialTimeout = 5 * time.Second
	}
	cl := New(cfg)
	t.Cleanup(func() { cl.Close() })
	return cl
}

func timeout(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// consumeAll reads n records from every partition of topic through kgo,
// failing the test if they do not arrive within the context's deadline.
func consumeAll(t *testing.T, ctx context.Context, brokers []string, topic string, n int) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var out []*kgo.Record
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consumed %d of %d records: %v", len(out), n, err)
		}
		fs.EachError(func(_ string, _ int32, err error) { t.Fatalf("consume: %v", err) })
		out = append(out, fs.Records()...)
	}
	return out
}

// TestMurmur2 checks the hash against the values of Kafka's own test of
// Utils.murmur2 (clients/src/test/.../UtilsTest.java).
func TestMurmur2(t *testing.T) {
	tests := []struct {
		in   string
		want int32
	}{
		{"21", -973932308},
		{"foobar", -790332482},
		{"a-little-bit-long-string", -985981536},
		{"a-little-bit-longer-string", -1486304829},
		{"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
		{"abc", 479470107},
	}
	for _, tc := range tests {
		if got := int32(murmur2([]byte(tc.in))); got != tc.want {
			t.Errorf("murmur2(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

// TestProducePartitionsByKey produces keyed records to a topic of several
// partitions and checks that each key's records are on one partition, in
// order, and on the partition franz-go's default (Java-compatible)
// partitioner picks for that key.
func TestProducePartitionsByKey(t *testing.T) {
	targettest.Kafkas(t, func(t *testing.T, k *targettest.Kafka) {
		const partitions, keys, perKey = 6, 12, 3
		topic := k.Topic(t, "bykey", partitions)
		ctx := timeout(t)
		cl := client(t, Config{Brokers: k.Brokers})
		var recs []Record
		for i := range perKey {
			for j := range keys {
				recs = append(recs, Record{Key: fmt.Appendf(nil, "key-%d", j), Value: fmt.Appendf(nil, "%d", i),
					Headers: []Header{{Key: "h", Value: []byte("v")}}})
			}
		}
		if err := cl.Produce(ctx, topic, recs); err != nil {
			t.Fatalf("Produce: %v", err)
		}
		// The same keys through kgo's default partitioner, into a second
		// topic, name the partitions Java would pick.
		ref := k.Topic(t, "bykey-ref", partitions)
		kc, err := kgo.NewClient(kgo.SeedBrokers(k.Brokers...), kgo.DefaultProduceTopic(ref))
		if err != nil {
			t.Fatal(err)
		}
		defer kc.Close()
		for j := range keys {
			if err := kc.ProduceSync(ctx, &kgo.Record{Key: fmt.Appendf(nil, "key-%d", j)}).FirstErr(); err != nil {
				t.Fatalf("kgo produce: %v", err)
			}
		}
		want := map[string]int32{}
		for _, r := range consumeAll(t, ctx, k.Brokers, ref, keys) {
			want[string(r.Key)] = r.Partition
		}
		next := map[string]int{}
		used := map[int32]bool{}
		for _, r := range consumeAll(t, ctx, k.Brokers, topic, len(recs)) {
			if p, ok := want[string(r.Key)]; !ok || p != r.Partition {
				t.Errorf("key %s on partition %d, kgo's partitioner picks %d", r.Key, r.Partition, p)
			}
			if got := string(r.Value); got != fmt.Sprint(next[string(r.Key)]) {
				t.Errorf("key %s: record %q, want %d (out of order)", r.Key, got, next[string(r.Key)])
			}
			next[string(r.Key)]++
			if len(r.Headers) != 1 || r.Headers[0].Key != "h" || string(r.Headers[0].Value) != "v" {
				t.Errorf("headers = %v", r.Headers)
			}
			used[r.Partition] = true
		}
		if len(used) < 2 {
			t.Errorf("%d keys all on %d partition(s)", keys, len(used))
		}
	})
}

func TestProduceKeylessIsStickyPerCall(t *testing.T) {
	c := cluster(t, 4)
	ctx := timeout(t)
	cl := client(t, Config{Brokers: c.ListenAddrs()})
	for call := range 2 {
		recs := make([]Record, 5)
		for i := range recs {
			recs[i].Value = fmt.Appendf(nil, "%d", call)
		}
		if err := cl.Produce(ctx, "t", recs); err != nil {
			t.Fatalf("Produce: %v", err)
		}
	}
	parts := map[string]map[int32]bool{}
	for _, r := range consumeAll(t, ctx, c.ListenAddrs(), "t", 10) {
		if parts[string(r.Value)] == nil {
			parts[string(r.Value)] = map[int32]bool{}
		}
		parts[string(r.Value)][r.Partition] = true
	}
	if len(parts["0"]) != 1 || len(parts["1"]) != 1 {
		t.Fatalf("keyless records of one call spread over partitions %v", parts)
	}
	for p := range parts["0"] {
		if parts["1"][p] {
			t.Errorf("two calls both went to partition %d; want round-robin across calls", p)
		}
	}
}

// TestProduceFollowsLeaderChange moves the partition to the other broker
// while the first produce request is in flight: the old leader answers
// NOT_LEADER_OR_FOLLOWER and the client must find the new one.
func TestProduceFollowsLeaderChange(t *testing.T) {
	c := cluster(t, 1, kfake.Ports(0, 0))
	ctx := timeout(t)
	other := 1 - c.LeaderFor("t", 0)
	var moved, produces atomic.Int32
	c.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		produces.Add(1)
		if moved.CompareAndSwap(0, 1) {
			c.SleepControl(func() {
				if err := c.MoveTopicPartition("t", 0, other); err != nil {
					t.Errorf("move partition: %v", err)
				}
			})
		}
		return nil, nil, false
	})
	cl := client(t, Config{Brokers: c.ListenAddrs()})
	if err := cl.Produce(ctx, "t", []Record{{Key: []byte("k"), Value: []byte("v")}}); err != nil {
		t.Fatalf("Produce across a leader change: %v", err)
	}
	if n := produces.Load(); n != 2 {
		t.Errorf("%d produce requests, want 2 (one refused by the old leader, one to the new)", n)
	}
	if got := consumeAll(t, ctx, c.ListenAddrs(), "t", 1); len(got) != 1 || string(got[0].Value) != "v" {
		t.Errorf("records = %v", got)
	}
}

func TestProduceGivesUpAfterAttempts(t *testing.T) {
	c := cluster(t, 1)
	var produces atomic.Int32
	c.ControlKey(int16(kmsg.Produce), func(r kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		produces.Add(1)
		req := r.(*kmsg.ProduceRequest)
		resp := req.ResponseKind().(*kmsg.ProduceResponse)
		for _, rt := range req.Topics {
			st := kmsg.NewProduceResponseTopic()
			st.Topic, st.TopicID = rt.Topic, rt.TopicID
			for _, rp := range rt.Partitions {
				sp := kmsg.NewProduceResponseTopicPartition()
				sp.Partition, sp.ErrorCode = rp.Partition, kerr.NotLeaderForPartition.Code
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Topics = append(resp.Topics, st)
		}
		return resp, nil, true
	})
	cl := client(t, Config{Brokers: c.ListenAddrs(), Attempts: 3})
	err := cl.Produce(timeout(t), "t", []Record{{Value: []byte("v")}})
	if !errors.Is(err, kerr.NotLeaderForPartition) {
		t.Fatalf("Produce = %v, want NOT_LEADER_OR_FOLLOWER", err)
	}
	if n := produces.Load(); n != 3 {
		t.Errorf("%d produce requests, want the 3 attempts", n)
	}
}

func TestSASL(t *testing.T) {
	tests := []struct {
		method string
		mech   func(user, pass string) Config
	}{
		{"PLAIN", func(u, p string) Config { return Config{SASL: plain.Auth{User: u, Pass: p}.AsMechanism()} }},
		{"SCRAM-SHA-256", func(u, p string) Config { return Config{SASL: scram.Auth{User: u, Pass: p}.AsSha256Mechanism()} }},
		{"SCRAM-SHA-512", func(u, p string) Config { return Config{SASL: scram.Auth{User: u, Pass: p}.AsSha512Mechanism()} }},
	}
	for _, tc := range tests {
		t.Run(tc.method, func(t *testing.T) {
			c := cluster(t, 1, kfake.EnableSASL(), kfake.Superuser(tc.method, "svc", "s3cret-pw"))
			ctx := timeout(t)
			good := tc.mech("svc", "s3cret-pw")
			good.Brokers = c.ListenAddrs()
			cl := client(t, good)
			if err := cl.Produce(ctx, "t", []Record{{Value: []byte("v")}}); err != nil {
				t.Fatalf("Produce with valid credentials: %v", err)
			}
			if r, err := cl.Fetch(ctx, "t", 0, 0); err != nil || string(r.Value) != "v" {
				t.Fatalf("Fetch with valid credentials = %q, %v", r.Value, err)
			}
			bad := tc.mech("svc", "wrong-pw-123")
			bad.Brokers = c.ListenAddrs()
			err := client(t, bad).Produce(ctx, "t", []Record{{Value: []byte("v")}})
			if !errors.Is(err, ErrAuth) {
				t.Fatalf("Produce with a wrong password = %v, want ErrAuth", err)
			}
			if strings.Contains(err.Error(), "wrong-pw-123") || strings.Contains(err.Error(), "s3cret-pw") {
				t.Errorf("error leaks a password: %v", err)
			}
		})
	}
}

func TestRefusesTooOldBroker(t *testing.T) {
	v := kversion.V4_0_0()
	v.SetMaxKeyVersion(int16(kmsg.Produce), 2)
	c := cluster(t, 1, kfake.MaxVersions(v))
	err := client(t, Config{Brokers: c.ListenAddrs()}).Produce(timeout(t), "t", []Record{{Value: []byte("v")}})
	if !errors.Is(err, ErrUnsupportedVersion) {
		t.Fatalf("Produce to a broker with Produce v2 only = %v, want ErrUnsupportedVersion", err)
	}
}

func TestClosed(t *testing.T) {
	c := cluster(t, 1)
	ctx := timeout(t)
	cl := client(t, Config{Brokers: c.ListenAddrs()})
	if err := cl.Produce(ctx, "t", []Record{{Value: []byte("v")}}); err != nil {
		t.Fatal(err)
	}
	if err := cl.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := cl.Produce(ctx, "t", []Record{{Value: []byte("v")}}); !errors.Is(err, ErrClosed) {
		t.Errorf("Produce after Close = %v, want ErrClosed", err)
	}
	if _, err := cl.Fetch(ctx, "t", 0, 0); !errors.Is(err, ErrClosed) {
		t.Errorf("Fetch after Close = %v, want ErrClosed", err)
	}
	if err := cl.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}
