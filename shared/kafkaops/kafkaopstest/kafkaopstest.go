// Package kafkaopstest sets up Kafka state for tests of the operating tools:
// a cluster (kfake or a real broker, see targettest.Kafkas), records with
// chosen timestamps, committed offsets, and group members that hold their
// membership for a test.
package kafkaopstest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/esconnect/esconnect/shared/targettest"
)

// Topic is a topic to create with its partition count.
type Topic struct {
	Name       string
	Partitions int
}

// Cluster is a Kafka cluster and a kafka-go client for it.
type Cluster struct {
	Brokers []string
	Client  *kafka.Client
	// target is the cluster's target when it came from Open; nil for
	// Start's own kfake broker.
	target *targettest.Kafka
}

// Open returns a Cluster for k, one target of targettest.Kafkas. Its topics
// and groups are named through Topic and Group, so that they are private to
// the test on a real broker.
func Open(t testing.TB, k *targettest.Kafka) *Cluster {
	t.Helper()
	tr := &kafka.Transport{ClientID: "kafkaopstest"}
	t.Cleanup(tr.CloseIdleConnections)
	return &Cluster{
		Brokers: k.Brokers,
		Client:  &kafka.Client{Addr: kafka.TCP(k.Brokers...), Timeout: 10 * time.Second, Transport: tr},
		target:  k,
	}
}

// Topic creates a topic called base with the given partitions and returns
// its name (see targettest.Kafka.Topic). A Cluster from Start has its
// topics from the start: Topic only returns base there.
func (c *Cluster) Topic(t testing.TB, base string, partitions int) string {
	t.Helper()
	if c.target == nil {
		return base
	}
	return c.target.Topic(t, base, partitions)
}

// Group returns the name of a consumer group called base, private to the
// test on a real broker.
func (c *Cluster) Group(base string) string {
	if c.target == nil {
		return base
	}
	return c.target.Group(base)
}

// Missing returns the name of a topic called base that the test never
// creates, private to the test on a real broker so that no other test's
// topic can answer for it. (Group names and topic names take the same
// private suffix.)
func (c *Cluster) Missing(base string) string { return c.Group(base) }

// Start starts a kfake broker with topics; it stops when the test ends.
// Tests of behaviour that a real broker also has use Open instead.
func Start(t testing.TB, topics ...Topic) *Cluster {
	t.Helper()
	opts := []kfake.Opt{
		kfake.NumBrokers(1), kfake.Ports(0),
		// Members that leave during a test hand over quickly.
		kfake.GroupMinSessionTimeout(time.Second),
	}
	for _, tp := range topics {
		opts = append(opts, kfake.SeedTopics(int32(tp.Partitions), tp.Name))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatalf("start kfake: %v", err)
	}
	t.Cleanup(c.Close)
	tr := &kafka.Transport{ClientID: "kafkaopstest"}
	t.Cleanup(tr.CloseIdleConnections)
	return &Cluster{
		Brokers: c.ListenAddrs(),
		Client:  &kafka.Client{Addr: kafka.TCP(c.ListenAddrs()...), Timeout: 10 * time.Second, Transport: tr},
	}
}

// Produce appends one record per timestamp to a partition, in order, and
// returns the offset of the first.
func (c *Cluster) Produce(t testing.TB, topic string, partition int, times ...time.Time) int64 {
	t.Helper()
	recs := make([]kafka.Record, len(times))
	for i, tm := range times {
		recs[i] = kafka.Record{Time: tm, Value: kafka.NewBytes(fmt.Appendf(nil, "record %d", i))}
	}
	resp, err := c.Client.Produce(t.Context(), &kafka.ProduceRequest{
		Topic: topic, Partition: partition, RequiredAcks: kafka.RequireAll,
		Records: kafka.NewRecordReader(recs...),
	})
	if err != nil {
		t.Fatalf("produce to %s/%d: %v", topic, partition, err)
	}
	if resp.Error != nil {
		t.Fatalf("produce to %s/%d: %v", topic, partition, resp.Error)
	}
	return resp.BaseOffset
}

// Commit commits offsets for group on topic, by partition, as a group
// without members does.
func (c *Cluster) Commit(t testing.TB, group, topic string, offsets map[int]int64) {
	t.Helper()
	var commits []kafka.OffsetCommit
	for p, o := range offsets {
		commits = append(commits, kafka.OffsetCommit{Partition: p, Offset: o})
	}
	err := retryCoordinator(t.Context(), func() error {
		resp, err := c.Client.OffsetCommit(t.Context(), &kafka.OffsetCommitRequest{
			GroupID: group, GenerationID: -1, Topics: map[string][]kafka.OffsetCommit{topic: commits},
		})
		if err != nil {
			return err
		}
		for _, p := range resp.Topics[topic] {
			if p.Error != nil {
				return fmt.Errorf("partition %d: %w", p.Partition, p.Error)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("commit %s %s: %v", group, topic, err)
	}
}

// Committed returns the group's committed offsets on topic, -1 where none.
func (c *Cluster) Committed(t testing.TB, group, topic string, partitions ...int) map[int]int64 {
	t.Helper()
	out := make(map[int]int64, len(partitions))
	err := retryCoordinator(t.Context(), func() error {
		resp, err := c.Client.OffsetFetch(t.Context(), &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: partitions}})
		if err != nil {
			return err
		}
		if errors.Is(resp.Error, kafka.GroupIdNotFound) {
			// Kafka 4 answers so for a group it never saw: nothing committed.
			for _, p := range partitions {
				out[p] = -1
			}
			return nil
		}
		if resp.Error != nil {
			return resp.Error
		}
		for _, p := range resp.Topics[topic] {
			if p.Error != nil {
				return fmt.Errorf("partition %d: %w", p.Partition, p.Error)
			}
			out[p.Partition] = p.CommittedOffset
		}
		return nil
	})
	if err != nil {
		t.Fatalf("offset fetch %s %s: %v", group, topic, err)
	}
	return out
}

// retryCoordinator calls fn until it succeeds or fails with an error other
// than the coordinator being unavailable, for at most 20 seconds. A real
// broker answers so while it creates and loads the offsets topic, which it
// does on a fresh cluster's first group request; kafka-go's Client does not
// retry, as Kafka's own clients do.
func retryCoordinator(ctx context.Context, fn func() error) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	for {
		err := fn()
		if err == nil || !coordinatorUnavailable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (after %w)", err, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func coordinatorUnavailable(err error) bool {
	return errors.Is(err, kafka.NotCoordinatorForGroup) || errors.Is(err, kafka.GroupCoordinatorNotAvailable) ||
		errors.Is(err, kafka.GroupLoadInProgress)
}

// memberBalancer is a range balancer that reports user data in the member
// metadata, as a consumer reporting its state does.
type memberBalancer struct {
	kafka.RangeGroupBalancer
	userData []byte
}

func (b memberBalancer) UserData() ([]byte, error) { return b.userData, nil }

// ErrNoMember is returned by Join when the member is not in the group in
// time.
var ErrNoMember = errors.New("member did not join the group")

// Join starts a kafka-go Reader in group on topic with the given member user
// data (nil for none) and returns once the group is Stable with it as a
// member; the reader leaves the group when the test ends. It never reads,
// so it commits nothing.
func (c *Cluster) Join(t testing.TB, group, topic, clientID string, userData []byte) {
	t.Helper()
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers: c.Brokers, GroupID: group, Topic: topic,
		Dialer:         &kafka.Dialer{ClientID: clientID, Timeout: 5 * time.Second},
		GroupBalancers: []kafka.GroupBalancer{memberBalancer{userData: userData}},
		// Short so that Close leaves the group promptly.
		HeartbeatInterval: 200 * time.Millisecond, SessionTimeout: 6 * time.Second,
		MaxWait: 200 * time.Millisecond,
	})
	t.Cleanup(func() { _ = r.Close() })
	if err := c.waitStable(t.Context(), group, clientID); err != nil {
		t.Fatal(err)
	}
}

// waitStable polls the group until a member with clientID is in a Stable
// group, for at most 20 seconds: joining takes a few protocol round trips
// and a rebalance delay on the broker, with no event to wait on from outside
// the reader.
func (c *Cluster) waitStable(ctx context.Context, group, clientID string) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := c.Client.DescribeGroups(ctx, &kafka.DescribeGroupsRequest{GroupIDs: []string{group}})
		if err == nil {
			for _, g := range resp.Groups {
				if g.GroupState != "Stable" {
					continue
				}
				for _, m := range g.Members {
					if m.ClientID == clientID {
						return nil
					}
				}
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w %q as %q: %w", ErrNoMember, group, clientID, ctx.Err())
		case <-tick.C:
		}
	}
}
