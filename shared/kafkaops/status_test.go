package kafkaops

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/kafkaops/kafkaopstest"
	"github.com/esconnect/esconnect/shared/targettest"
)

var (
	base = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	now  = time.Date(2024, 5, 2, 8, 30, 0, 0, time.UTC)
)

// secs returns base+s seconds for each s.
func secs(s ...int) []time.Time {
	out := make([]time.Time, len(s))
	for i, v := range s {
		out[i] = base.Add(time.Duration(v) * time.Second)
	}
	return out
}

func rec(off int64, s int) *Record { return &Record{Offset: off, Time: secs(s)[0]} }

func newAdmin(t *testing.T, c *kafkaopstest.Cluster) *Admin {
	t.Helper()
	a, err := New(Options{Brokers: c.Brokers, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a
}

func TestStatusPartitionsAndDoneTime(t *testing.T) {
	tests := []struct {
		name     string
		produce  map[int][]time.Time // partition -> record times
		commit   map[int]int64
		want     []PartitionStatus
		done     time.Time
		caughtUp bool
	}{
		{
			name:    "lagging, caught up and empty partitions",
			produce: map[int][]time.Time{0: secs(0, 1, 2, 3, 4), 1: secs(10, 11, 12)},
			commit:  map[int]int64{0: 3, 1: 3},
			want: []PartitionStatus{
				{Partition: 0, Committed: 3, Start: 0, End: 5, Lag: 2, LastCommitted: rec(2, 2), FirstPending: rec(3, 3), DoneUntil: secs(3)[0]},
				{Partition: 1, Committed: 3, Start: 0, End: 3, Lag: 0, LastCommitted: rec(2, 12), DoneUntil: now},
				{Partition: 2, Committed: -1, Start: 0, End: 0, Lag: 0, DoneUntil: now},
			},
			done: secs(3)[0],
		},
		{
			name:    "no commit counts from the first record",
			produce: map[int][]time.Time{0: secs(5, 6), 1: secs(1, 2, 3), 2: secs(7)},
			commit:  map[int]int64{0: 1, 2: 1},
			want: []PartitionStatus{
				{Partition: 0, Committed: 1, Start: 0, End: 2, Lag: 1, LastCommitted: rec(0, 5), FirstPending: rec(1, 6), DoneUntil: secs(6)[0]},
				{Partition: 1, Committed: -1, Start: 0, End: 3, Lag: 3, FirstPending: rec(0, 1), DoneUntil: secs(1)[0]},
				{Partition: 2, Committed: 1, Start: 0, End: 1, Lag: 0, LastCommitted: rec(0, 7), DoneUntil: now},
			},
			done: secs(1)[0],
		},
		{
			name:    "all caught up is done now",
			produce: map[int][]time.Time{0: secs(1), 1: secs(2, 3)},
			commit:  map[int]int64{0: 1, 1: 2, 2: 0},
			want: []PartitionStatus{
				{Partition: 0, Committed: 1, Start: 0, End: 1, Lag: 0, LastCommitted: rec(0, 1), DoneUntil: now},
				{Partition: 1, Committed: 2, Start: 0, End: 2, Lag: 0, LastCommitted: rec(1, 3), DoneUntil: now},
				{Partition: 2, Committed: 0, Start: 0, End: 0, Lag: 0, DoneUntil: now},
			},
			done: now, caughtUp: true,
		},
		{
			name:    "commit past the end is not lag",
			produce: map[int][]time.Time{0: secs(1, 2)},
			commit:  map[int]int64{0: 9, 1: 0, 2: 0},
			want: []PartitionStatus{
				{Partition: 0, Committed: 9, Start: 0, End: 2, Lag: 0, DoneUntil: now},
				{Partition: 1, Committed: 0, Start: 0, End: 0, Lag: 0, DoneUntil: now},
				{Partition: 2, Committed: 0, Start: 0, End: 0, Lag: 0, DoneUntil: now},
			},
			done: now, caughtUp: true,
		},
	}
	targettest.Kafkas(t, func(t *testing.T, k *targettest.Kafka) {
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				// Names of its own per case: the cases share the cluster.
				c := kafkaopstest.Open(t, k)
				orders, connector := c.Topic(t, fmt.Sprintf("orders-%d", i), 3), c.Group(fmt.Sprintf("connector-%d", i))
				for p, times := range tt.produce {
					c.Produce(t, orders, p, times...)
				}
				c.Commit(t, connector, orders, tt.commit)
				a := newAdmin(t, c)
				want := append([]PartitionStatus(nil), tt.want...)
				var wantLag int64
				for i := range want {
					want[i].Topic = orders
					wantLag += want[i].Lag
				}

				// Without topics, the status covers the topics the group
				// has offsets for: the same one here.
				for _, topics := range [][]string{{orders}, nil} {
					st, err := a.Status(t.Context(), connector, topics)
					if err != nil {
						t.Fatalf("Status(%q): %v", topics, err)
					}
					if !reflect.DeepEqual(st.Partitions, want) {
						t.Errorf("Status(%q) partitions:\n got %+v\nwant %+v", topics, st.Partitions, want)
					}
					if !st.DoneTime.Equal(tt.done) || st.CaughtUp != tt.caughtUp {
						t.Errorf("done time %v caught up %v, want %v %v", st.DoneTime, st.CaughtUp, tt.done, tt.caughtUp)
					}
					if st.TotalLag != wantLag || !st.At.Equal(now) || st.ID != connector {
						t.Errorf("total lag %d at %v group %q, want %d %v %s", st.TotalLag, st.At, st.ID, wantLag, now, connector)
					}
					if len(st.Members) != 0 || st.Paused {
						t.Errorf("members %v paused %v, want none", st.Members, st.Paused)
					}
				}
			})
		}
	})
}

func TestStatusTopicsFromCommittedOffsets(t *testing.T) {
	targettest.Kafkas(t, func(t *testing.T, k *targettest.Kafka) {
		c := kafkaopstest.Open(t, k)
		ta, tb := c.Topic(t, "a", 2), c.Topic(t, "b", 1)
		c.Topic(t, "unrelated", 1)
		g := c.Group("g")
		c.Produce(t, ta, 1, secs(1, 2)...)
		c.Produce(t, tb, 0, secs(3)...)
		c.Commit(t, g, tb, map[int]int64{0: 1})
		c.Commit(t, g, ta, map[int]int64{1: 1})
		a := newAdmin(t, c)

		st, err := a.Status(t.Context(), g, nil)
		if err != nil {
			t.Fatal(err)
		}
		type tp struct {
			topic     string
			partition int
			committed int64
		}
		var got []tp
		for _, p := range st.Partitions {
			got = append(got, tp{p.Topic, p.Partition, p.Committed})
		}
		want := []tp{{ta, 0, -1}, {ta, 1, 1}, {tb, 0, 1}}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("partitions %v, want %v", got, want)
		}
		if !st.DoneTime.Equal(secs(2)[0]) {
			t.Fatalf("done time %v, want %v", st.DoneTime, secs(2)[0])
		}

		if _, err := a.Status(t.Context(), c.Group("never-committed"), nil); !errors.Is(err, ErrNoOffsets) {
			t.Fatalf("group without offsets: err %v, want ErrNoOffsets", err)
		}
		if _, err := a.Status(t.Context(), g, []string{c.Missing("missing")}); !errors.Is(err, ErrUnknownTopic) {
			t.Fatalf("missing topic: err %v, want ErrUnknownTopic", err)
		}
	})
}

func TestStatusMembersAndPausedHook(t *testing.T) {
	tests := []struct {
		name       string
		userData   []byte
		wantState  string
		wantPaused bool
	}{
		{"plain consumer is active", nil, MemberActive, false},
		{"member reporting paused", MemberUserData(MemberPaused), MemberPaused, true},
	}
	targettest.Kafkas(t, func(t *testing.T, k *targettest.Kafka) {
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := kafkaopstest.Open(t, k)
				orders, live := c.Topic(t, fmt.Sprintf("orders-%d", i), 2), c.Group(fmt.Sprintf("live-%d", i))
				c.Produce(t, orders, 0, secs(1, 2)...)
				c.Join(t, live, orders, "consumer-1", tt.userData)
				a := newAdmin(t, c)

				st, err := a.Status(t.Context(), live, []string{orders})
				if err != nil {
					t.Fatal(err)
				}
				if st.State != "Stable" || len(st.Members) != 1 || st.Paused != tt.wantPaused {
					t.Fatalf("state %q members %d paused %v, want Stable 1 %v", st.State, len(st.Members), st.Paused, tt.wantPaused)
				}
				m := st.Members[0]
				if m.ClientID != "consumer-1" || m.State != tt.wantState || m.ID == "" {
					t.Fatalf("member %+v, want client consumer-1 in state %s", m, tt.wantState)
				}
				if want := map[string][]int{orders: {0, 1}}; !reflect.DeepEqual(m.Assigned, want) {
					t.Fatalf("assigned %v, want %v", m.Assigned, want)
				}
			})
		}
	})
}

func TestDoneTime(t *testing.T) {
	tests := []struct {
		name     string
		parts    []PartitionStatus
		want     time.Time
		caughtUp bool
	}{
		{"no partitions", nil, now, true},
		{"all without lag", []PartitionStatus{{DoneUntil: now}, {DoneUntil: now}}, now, true},
		{"oldest pending wins", []PartitionStatus{
			{Lag: 3, DoneUntil: secs(9)[0]}, {DoneUntil: now}, {Lag: 1, DoneUntil: secs(4)[0]},
		}, secs(4)[0], false},
		{"pending record newer than now keeps now", []PartitionStatus{
			{Lag: 1, DoneUntil: now.Add(time.Hour)},
		}, now, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, caughtUp := DoneTime(tt.parts, now)
			if !got.Equal(tt.want) || caughtUp != tt.caughtUp {
				t.Fatalf("DoneTime = %v, %v; want %v, %v", got, caughtUp, tt.want, tt.caughtUp)
			}
		})
	}
}

func TestReadRecordTimesStopsOnFailure(t *testing.T) {
	targettest.Kafkas(t, func(t *testing.T, k *targettest.Kafka) {
		c := kafkaopstest.Open(t, k)
		orders := c.Topic(t, "orders", 1)
		c.Produce(t, orders, 0, secs(1, 2)...)
		a := newAdmin(t, c)
		// Twenty partitions of a topic that does not exist, more than run at
		// once, behind one that does: every lookup but the first fails.
		parts := []PartitionStatus{{Topic: orders, Partition: 0, Committed: 1, End: 2}}
		gone := c.Missing("gone")
		for p := range 20 {
			parts = append(parts, PartitionStatus{Topic: gone, Partition: p, Committed: 1, End: 5})
		}
		err := a.readRecordTimes(t.Context(), parts, now)
		if err == nil {
			t.Fatal("lookups on a missing topic succeeded")
		}
		if errors.Is(err, context.Canceled) {
			t.Fatalf("err %v: the lookup failure was replaced by the cancellation it caused", err)
		}
	})
}
