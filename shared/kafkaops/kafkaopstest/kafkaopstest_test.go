package kafkaopstest

import (
	"reflect"
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/targettest"
)

func TestProduceCommitJoin(t *testing.T) {
	targettest.Kafkas(t, func(t *testing.T, k *targettest.Kafka) {
		c := Open(t, k)
		topic, group := c.Topic(t, "t", 2), c.Group("g")
		at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		if first := c.Produce(t, topic, 1, at, at.Add(time.Second)); first != 0 {
			t.Fatalf("first offset %d, want 0", first)
		}
		if first := c.Produce(t, topic, 1, at.Add(2*time.Second)); first != 2 {
			t.Fatalf("second produce starts at %d, want 2", first)
		}
		c.Commit(t, group, topic, map[int]int64{1: 3})
		if got, want := c.Committed(t, group, topic, 0, 1), map[int]int64{0: -1, 1: 3}; !reflect.DeepEqual(got, want) {
			t.Fatalf("committed %v, want %v", got, want)
		}
		c.Join(t, group, topic, "member-a", []byte("data"))
	})
}

// TestStartSeedsTopicsOnKfake: the kfake cluster of Start has its topics
// from the start, under their own names.
func TestStartSeedsTopicsOnKfake(t *testing.T) {
	c := Start(t, Topic{Name: "t", Partitions: 2})
	if got := c.Topic(t, "t", 2); got != "t" {
		t.Fatalf("topic name %q, want t", got)
	}
	if first := c.Produce(t, "t", 1, time.Now()); first != 0 {
		t.Fatalf("first offset %d, want 0", first)
	}
}
