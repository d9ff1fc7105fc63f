package kafkaops

import (
	"errors"
	"testing"

	"github.com/esconnect/esconnect/shared/kafkaops/kafkaopstest"
	"github.com/esconnect/esconnect/shared/targettest"
)

// startOrders creates topic orders with two partitions on k and returns its
// name; p0 holds records at base+1..3s.
func startOrders(t *testing.T, k *targettest.Kafka) (*kafkaopstest.Cluster, string) {
	t.Helper()
	c := kafkaopstest.Open(t, k)
	orders := c.Topic(t, "orders", 2)
	c.Produce(t, orders, 0, secs(1, 2, 3)...)
	return c, orders
}

func TestNewWithoutBrokers(t *testing.T) {
	if _, err := New(Options{}); !errors.Is(err, ErrNoBrokers) {
		t.Fatalf("err %v, want ErrNoBrokers", err)
	}
}

func TestRecordAt(t *testing.T) {
	tests := []struct {
		name      string
		partition int
		offset    int64
		end       int64
		want      *Record
	}{
		{"first", 0, 0, 3, rec(0, 1)},
		{"inside a batch", 0, 1, 3, rec(1, 2)},
		{"last", 0, 2, 3, rec(2, 3)},
		{"at the end", 0, 3, 3, nil},
		{"past a lower end", 0, 2, 2, nil},
		{"empty partition", 1, 0, 0, nil},
	}
	targettest.Kafkas(t, func(t *testing.T, k *targettest.Kafka) {
		c, orders := startOrders(t, k)
		a := newAdmin(t, c)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, ok, err := a.recordAt(t.Context(), orders, tt.partition, tt.offset, tt.end)
				if err != nil {
					t.Fatal(err)
				}
				if ok != (tt.want != nil) || (ok && (got.Offset != tt.want.Offset || !got.Time.Equal(tt.want.Time))) {
					t.Fatalf("recordAt = %+v, %v; want %+v", got, ok, tt.want)
				}
			})
		}
	})
}

func TestListOffsetsAndBounds(t *testing.T) {
	targettest.Kafkas(t, func(t *testing.T, k *targettest.Kafka) {
		c, orders := startOrders(t, k)
		a := newAdmin(t, c)
		b, err := a.bounds(t.Context(), orders, []int{0, 1})
		if err != nil {
			t.Fatal(err)
		}
		if b[0] != (bounds{0, 3}) || b[1] != (bounds{0, 0}) {
			t.Fatalf("bounds %+v", b)
		}
		byTime, err := a.listOffsets(t.Context(), orders, []int{0, 1}, a.afterTime(secs(2)[0]))
		if err != nil {
			t.Fatal(err)
		}
		if byTime[0] != 1 || byTime[1] != 0 {
			t.Fatalf("offsets for base+2s: %v, want p0 1 and p1 none (its end, 0)", byTime)
		}
		// After the newest record: the end offset.
		if late, err := a.listOffsets(t.Context(), orders, []int{0}, a.afterTime(secs(9)[0])); err != nil || late[0] != 3 {
			t.Fatalf("offsets for base+9s: %v, %v; want p0 3, its end", late, err)
		}
		if _, err := a.partitions(t.Context(), []string{orders, c.Missing("missing")}); !errors.Is(err, ErrUnknownTopic) {
			t.Fatalf("err %v, want ErrUnknownTopic", err)
		}
		if _, err := a.listOffsets(t.Context(), orders, []int{9}, a.adm.ListEndOffsets); err == nil {
			t.Fatal("offsets of a missing partition succeeded")
		}
	})
}
