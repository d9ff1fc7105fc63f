package targettest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/esconnect/esconnect/shared/devstack"
)

// Kafka is one Kafka cluster a test runs against.
type Kafka struct {
	// Name is the subtest name: kfake or kafka.
	Name string
	// Brokers are the bootstrap addresses.
	Brokers []string
	// Cluster is the kfake broker; nil for a real one.
	Cluster *kfake.Cluster

	token string
}

// Real reports whether the cluster is a real broker rather than kfake.
func (k *Kafka) Real() bool { return k.Cluster == nil }

// Addr is the first bootstrap address.
func (k *Kafka) Addr() string { return k.Brokers[0] }

// Name of a topic or group called base, private to the test on a real
// broker (see Engine.Index).
func (k *Kafka) name(base string) string {
	if k.token == "" {
		return base
	}
	return base + "-" + k.token
}

// Group returns the consumer group name a test uses for base.
func (k *Kafka) Group(base string) string { return k.name(base) }

// Topic creates a topic called base (made private to the test on a real
// broker) with the given partitions, waits until every partition has a
// leader, and returns its name. Real topics are deleted when the test ends.
func (k *Kafka) Topic(t testing.TB, base string, partitions int) string {
	t.Helper()
	name := k.name(base)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	conn, err := k.controller(ctx)
	if err != nil {
		t.Fatalf("%s: %v", k.Name, err)
	}
	defer conn.Close()
	err = conn.CreateTopics(kafka.TopicConfig{Topic: name, NumPartitions: partitions, ReplicationFactor: 1})
	if err != nil && !errors.Is(err, kafka.TopicAlreadyExists) {
		t.Fatalf("%s: creating topic %s: %v", k.Name, name, err)
	}
	if k.Real() {
		t.Cleanup(func() { k.deleteTopic(t, name) })
	}
	k.waitLeaders(t, ctx, name, partitions)
	return name
}

// waitLeaders polls, bounded by ctx, until every partition of topic has a
// leader that serves it: a real broker creates a topic asynchronously, and
// a producer that asks too early fails with an unknown-topic error, or, when
// the metadata already names a leader that has not taken the partition up
// yet, with a not-leader error. A ListOffsets answer without error from
// every partition's leader shows that both are past.
func (k *Kafka) waitLeaders(t testing.TB, ctx context.Context, topic string, partitions int) {
	t.Helper()
	reqs := make([]kafka.OffsetRequest, partitions)
	for p := range reqs {
		reqs[p] = kafka.LastOffsetOf(p)
	}
	for {
		err := leadersServe(ctx, k.Brokers, topic, reqs)
		if err == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: topic %s has no serving leader for all %d partitions: %v", k.Name, topic, partitions, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// errNotServed is what leadersServe returns for a partition without an answer.
var errNotServed = errors.New("partition not served")

// leadersServe asks each partition's leader for its end offset. It uses a
// transport of its own each time, whose metadata is fresh: a transport keeps
// what it learnt of the cluster for a while.
func leadersServe(ctx context.Context, brokers []string, topic string, reqs []kafka.OffsetRequest) error {
	tr := &kafka.Transport{}
	defer tr.CloseIdleConnections()
	cl := &kafka.Client{Addr: kafka.TCP(brokers...), Transport: tr}
	resp, err := cl.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: reqs}})
	if err != nil {
		return err
	}
	served := 0
	for _, po := range resp.Topics[topic] {
		if po.Error != nil {
			return fmt.Errorf("partition %d: %w", po.Partition, po.Error)
		}
		served++
	}
	if served != len(reqs) {
		return fmt.Errorf("%w: %d of %d partitions answered", errNotServed, served, len(reqs))
	}
	return nil
}

func (k *Kafka) controller(ctx context.Context) (*kafka.Conn, error) {
	conn, err := kafka.DialContext(ctx, "tcp", k.Addr())
	if err != nil {
		return nil, fmt.Errorf("dialing %s: %w", k.Addr(), err)
	}
	defer conn.Close()
	c, err := conn.Controller()
	if err != nil {
		return nil, fmt.Errorf("finding the controller: %w", err)
	}
	return kafka.DialContext(ctx, "tcp", net.JoinHostPort(c.Host, strconv.Itoa(c.Port)))
}

func (k *Kafka) deleteTopic(t testing.TB, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := k.controller(ctx)
	if err != nil {
		t.Errorf("%s: deleting topic %s: %v", k.Name, name, err)
		return
	}
	defer conn.Close()
	if err := conn.DeleteTopics(name); err != nil && !errors.Is(err, kafka.UnknownTopicOrPartition) {
		t.Errorf("%s: deleting topic %s: %v", k.Name, name, err)
	}
}

// Kafkas runs fn as a subtest against a fresh kfake broker and against the
// configured real broker, if any.
func Kafkas(t *testing.T, fn func(t *testing.T, k *Kafka)) {
	t.Helper()
	t.Run("kfake", func(t *testing.T) { fn(t, startKfake(t)) })
	if raw := realEnv(EnvKafka); raw != "" {
		t.Run("kafka", func(t *testing.T) { fn(t, openRealKafka(t, raw)) })
	}
}

func startKfake(t *testing.T) *Kafka {
	t.Helper()
	c, err := devstack.StartKafka(devstack.KafkaOptions{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return &Kafka{Name: "kfake", Brokers: c.ListenAddrs(), Cluster: c}
}

var kafkaProbes sync.Map // brokers -> *probe

func openRealKafka(t *testing.T, raw string) *Kafka {
	t.Helper()
	brokers := strings.Split(raw, ",")
	p, _ := kafkaProbes.LoadOrStore(raw, &probe{})
	pr := p.(*probe)
	pr.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := kafka.DialContext(ctx, "tcp", brokers[0])
		if err != nil {
			pr.err = err
			return
		}
		defer conn.Close()
		if _, pr.err = conn.Brokers(); pr.err == nil {
			pr.err = waitCoordinator(ctx, brokers)
		}
	})
	if pr.err != nil {
		t.Fatalf("%s=%s: %v\nstart the real servers with ./scripts/realstack.sh start (make realstack), "+
			"or unset %s to run against kfake only", EnvKafka, raw, pr.err, EnvKafka)
	}
	return &Kafka{Name: "kafka", Brokers: brokers, token: newToken()}
}

// waitCoordinator polls, bounded by ctx, until the broker names a group
// coordinator. A fresh cluster creates its offsets topic on the first
// group request and answers that no coordinator is available until the
// topic is up; kafka-go's Client does not retry that, as Kafka's own
// clients do, so the first group request of a fresh stack (make test
// starts one) would fail whichever test made it.
func waitCoordinator(ctx context.Context, brokers []string) error {
	tr := &kafka.Transport{}
	defer tr.CloseIdleConnections()
	cl := &kafka.Client{Addr: kafka.TCP(brokers...), Transport: tr}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := cl.FindCoordinator(ctx, &kafka.FindCoordinatorRequest{Key: "esconnect-targettest", KeyType: kafka.CoordinatorKeyTypeConsumer})
		if err == nil {
			err = resp.Error
		}
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no group coordinator: %w", err)
		case <-tick.C:
		}
	}
}

// Stack is a search engine and a Kafka cluster used together.
type Stack struct {
	// Name is the subtest name: embedded for the esnode with kfake, else
	// the engine's name.
	Name  string
	ES    *Engine
	Kafka *Kafka
}

// Stacks runs fn as a subtest against the esnode with kfake, and against
// each configured real engine with the real broker (kfake when none is
// configured). Tests that need both a search engine and Kafka use it rather
// than every pairing, which would multiply the suite's time.
func Stacks(t *testing.T, fn func(t *testing.T, s *Stack)) {
	t.Helper()
	t.Run("embedded", func(t *testing.T) {
		fn(t, &Stack{Name: "embedded", ES: startEsnode(t), Kafka: startKfake(t)})
	})
	for _, re := range realEngines {
		raw := realEnv(re.env)
		if raw == "" {
			continue
		}
		t.Run(re.name, func(t *testing.T) {
			e := openReal(t, re, raw)
			var k *Kafka
			if kraw := realEnv(EnvKafka); kraw != "" {
				k = openRealKafka(t, kraw)
			} else {
				k = startKfake(t)
			}
			// One token for the test's indices, topics and groups, so that
			// index names derived from a topic fall under the cleanup.
			k.token = e.token
			fn(t, &Stack{Name: re.name, ES: e, Kafka: k})
		})
	}
}
