package kafkaopstest

import (
	"reflect"
	"testing"
	"time"
)

func TestProduceCommitJoin(t *testing.T) {
	c := Start(t, Topic{Name: "t", Partitions: 2})
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	if first := c.Produce(t, "t", 1, at, at.Add(time.Second)); first != 0 {
		t.Fatalf("first offset %d, want 0", first)
	}
	if first := c.Produce(t, "t", 1, at.Add(2*time.Second)); first != 2 {
		t.Fatalf("second produce starts at %d, want 2", first)
	}
	c.Commit(t, "g", "t", map[int]int64{1: 3})
	if got, want := c.Committed(t, "g", "t", 0, 1), map[int]int64{0: -1, 1: 3}; !reflect.DeepEqual(got, want) {
		t.Fatalf("committed %v, want %v", got, want)
	}
	c.Join(t, "g", "t", "member-a", []byte("data"))
}
