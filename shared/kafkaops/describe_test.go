package kafkaops

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/esconnect/esconnect/shared/kafkaops/kafkaopstest"
	"github.com/esconnect/esconnect/shared/targettest"
)

// TestDescribeGroupOfAModernConsumer: a member that joins with the consumer
// protocol's newer metadata (version 3, as Java consumers and franz-go send
// it; kafka-go's own DescribeGroups refuses it) is described with its
// assignment, on kfake and on the real broker.
func TestDescribeGroupOfAModernConsumer(t *testing.T) {
	targettest.Kafkas(t, func(t *testing.T, k *targettest.Kafka) {
		c := kafkaopstest.Open(t, k)
		topic, group := c.Topic(t, "modern", 2), c.Group("modern")
		assigned := make(chan struct{}, 1)
		cl, err := kgo.NewClient(kgo.SeedBrokers(k.Brokers...), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
			kgo.ClientID("java-like"),
			kgo.OnPartitionsAssigned(func(context.Context, *kgo.Client, map[string][]int32) {
				select {
				case assigned <- struct{}{}:
				default:
				}
			}))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(cl.Close)
		go func() {
			for cl.Context().Err() == nil {
				cl.PollFetches(cl.Context())
			}
		}()
		select {
		case <-assigned:
		case <-time.After(30 * time.Second):
			t.Fatal("the consumer got no assignment within 30 s")
		}
		a := newAdmin(t, c)
		g, err := a.DescribeGroup(t.Context(), group)
		if err != nil {
			t.Fatal(err)
		}
		if g.State != "Stable" || len(g.Members) != 1 {
			t.Fatalf("group %+v, want one member of a stable group", g)
		}
		m := g.Members[0]
		if m.ClientID != "java-like" || m.State != MemberActive || !reflect.DeepEqual(m.Assigned, map[string][]int{topic: {0, 1}}) {
			t.Fatalf("member %+v, want java-like, active, with both partitions of %s", m, topic)
		}
	})
}
