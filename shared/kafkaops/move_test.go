package kafkaops

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/esconnect/esconnect/shared/kafkaops/kafkaopstest"
	"github.com/esconnect/esconnect/shared/targettest"
)

// moveCluster is a topic "orders" with three partitions of records one
// second apart, p0 at base+0..4s, p1 at base+10..12s, p2 empty, and a group
// "sink" that committed 2 on p0 and 1 on p1.
type moveCluster struct {
	*kafkaopstest.Cluster
	admin        *Admin
	orders, sink string
}

// startMoveCluster sets it up on k, under names that end in suffix: tests
// that share k give each case its own.
func startMoveCluster(t *testing.T, k *targettest.Kafka, suffix string) moveCluster {
	t.Helper()
	c := kafkaopstest.Open(t, k)
	m := moveCluster{Cluster: c, orders: c.Topic(t, "orders"+suffix, 3), sink: c.Group("sink" + suffix)}
	c.Produce(t, m.orders, 0, secs(0, 1, 2, 3, 4)...)
	c.Produce(t, m.orders, 1, secs(10, 11, 12)...)
	c.Commit(t, m.sink, m.orders, map[int]int64{0: 2, 1: 1})
	m.admin = newAdmin(t, c)
	return m
}

func TestMoveOffsets(t *testing.T) {
	tests := []struct {
		name       string
		to         string
		partitions []int
		want       []PartitionMove // After and Clamped; Before/Start/End filled in below
	}{
		{name: "earliest", to: "earliest", want: []PartitionMove{{Partition: 0, After: 0}, {Partition: 1, After: 0}, {Partition: 2, After: 0}}},
		{name: "latest", to: "latest", want: []PartitionMove{{Partition: 0, After: 5}, {Partition: 1, After: 3}, {Partition: 2, After: 0}}},
		{name: "offset clamped per partition", to: "4", want: []PartitionMove{
			{Partition: 0, After: 4}, {Partition: 1, After: 3, Clamped: true}, {Partition: 2, After: 0, Clamped: true},
		}},
		{name: "time between records", to: "2024-05-01T12:00:02.500Z", want: []PartitionMove{
			{Partition: 0, After: 3}, {Partition: 1, After: 0}, {Partition: 2, After: 0},
		}},
		{name: "time of a record is that record", to: "2024-05-01T12:00:11Z", want: []PartitionMove{
			{Partition: 0, After: 5}, {Partition: 1, After: 1}, {Partition: 2, After: 0},
		}},
		{name: "time after the newest record is the end", to: "2024-06-01T00:00:00Z", want: []PartitionMove{
			{Partition: 0, After: 5}, {Partition: 1, After: 3}, {Partition: 2, After: 0},
		}},
		{name: "one partition", to: "earliest", partitions: []int{1}, want: []PartitionMove{{Partition: 1, After: 0}}},
	}
	before := map[int]int64{0: 2, 1: 1, 2: -1}
	ends := map[int]int64{0: 5, 1: 3, 2: 0}
	targettest.Kafkas(t, func(t *testing.T, k *targettest.Kafka) {
		for i, tt := range tests {
			for _, dry := range []bool{true, false} {
				name := tt.name
				if dry {
					name += " dry run"
				}
				t.Run(name, func(t *testing.T) {
					c := startMoveCluster(t, k, fmt.Sprintf("-%d-%v", i, dry))
					to, err := ParseTarget(tt.to)
					if err != nil {
						t.Fatal(err)
					}
					res, err := c.admin.MoveOffsets(t.Context(), MoveRequest{Group: c.sink, Topic: c.orders, Partitions: tt.partitions, To: to, DryRun: dry})
					if err != nil {
						t.Fatal(err)
					}
					want := append([]PartitionMove(nil), tt.want...)
					for i := range want {
						want[i].Before, want[i].End = before[want[i].Partition], ends[want[i].Partition]
					}
					if !reflect.DeepEqual(res.Partitions, want) {
						t.Fatalf("moves:\n got %+v\nwant %+v", res.Partitions, want)
					}
					if res.DryRun != dry || res.Committed == dry || res.Group != c.sink || res.Topic != c.orders {
						t.Fatalf("result %+v: dry run %v committed %v", res, res.DryRun, res.Committed)
					}
					// What the broker holds now: the new offsets, or the old
					// ones after a dry run; untouched partitions keep theirs.
					wantNow := map[int]int64{0: 2, 1: 1, 2: -1}
					if !dry {
						for _, m := range want {
							wantNow[m.Partition] = m.After
						}
					}
					if got := c.Committed(t, c.sink, c.orders, 0, 1, 2); !reflect.DeepEqual(got, wantNow) {
						t.Fatalf("committed now %v, want %v", got, wantNow)
					}
				})
			}
		}
	})
}

func TestMoveOffsetsRefusesActiveGroup(t *testing.T) {
	targettest.Kafkas(t, func(t *testing.T, k *targettest.Kafka) {
		c := startMoveCluster(t, k, "")
		c.Join(t, c.sink, c.orders, "running-sink", nil)
		to := Target{Kind: ToEarliest}

		_, err := c.admin.MoveOffsets(t.Context(), MoveRequest{Group: c.sink, Topic: c.orders, To: to})
		var active *ActiveGroupError
		if !errors.Is(err, ErrGroupActive) || !errors.As(err, &active) {
			t.Fatalf("err %v, want an ActiveGroupError", err)
		}
		if len(active.Members) != 1 || active.Members[0].ClientID != "running-sink" || active.State != "Stable" {
			t.Fatalf("refusal names %+v in state %q, want the running-sink member", active.Members, active.State)
		}
		if !strings.Contains(err.Error(), "running-sink") || !strings.Contains(err.Error(), active.Members[0].ID) {
			t.Fatalf("message %q does not name the member", err)
		}
		if got := c.Committed(t, c.sink, c.orders, 0, 1); got[0] != 2 || got[1] != 1 {
			t.Fatalf("offsets changed to %v despite the refusal", got)
		}

		// The broker refuses a member-less commit too, so a consumer that joins
		// between the member check and the commit cannot be overwritten.
		if err := c.admin.commit(t.Context(), c.sink, c.orders, []PartitionMove{{Partition: 0, After: 0}}); err == nil {
			t.Fatal("a simple commit to a group with members succeeded")
		}

		// A dry run still shows the plan, and who would block it.
		res, err := c.admin.MoveOffsets(t.Context(), MoveRequest{Group: c.sink, Topic: c.orders, To: to, DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Members) != 1 || res.Committed || len(res.Partitions) != 3 {
			t.Fatalf("dry run on an active group: %+v", res)
		}
	})
}

func TestMoveOffsetsBadRequests(t *testing.T) {
	targettest.Kafkas(t, func(t *testing.T, k *targettest.Kafka) {
		c := startMoveCluster(t, k, "")
		tests := []struct {
			name string
			req  MoveRequest
			want error
		}{
			{"unknown topic", MoveRequest{Group: c.sink, Topic: c.Missing("nope"), To: Target{Kind: ToLatest}}, ErrUnknownTopic},
			{"unknown partition", MoveRequest{Group: c.sink, Topic: c.orders, Partitions: []int{7}, To: Target{Kind: ToLatest}}, ErrUnknownPartition},
			{"no target", MoveRequest{Group: c.sink, Topic: c.orders}, ErrBadTarget},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if _, err := c.admin.MoveOffsets(t.Context(), tt.req); !errors.Is(err, tt.want) {
					t.Fatalf("err %v, want %v", err, tt.want)
				}
			})
		}
	})
}
