package kafkaops

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/esconnect/esconnect/shared/kafkaops/kafkaopstest"
	"github.com/esconnect/esconnect/shared/targettest"
)

func TestFetch(t *testing.T) {
	targettest.Kafkas(t, func(t *testing.T, k *targettest.Kafka) {
		c := kafkaopstest.Open(t, k)
		orders := c.Topic(t, "orders", 1)
		// One produce request: one batch, offsets 0..2.
		c.Produce(t, orders, 0, secs(1, 2, 3)...)
		cl, err := kgo.NewClient(kgo.SeedBrokers(c.Brokers...))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(cl.Close)

		tests := []struct {
			name        string
			offset      int64
			wantOffsets []int64
			wantNext    int64
		}{
			{"from the start", 0, []int64{0, 1, 2}, 3},
			{"inside the batch", 1, []int64{1, 2}, 3},
			{"at the end", 3, nil, 3},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				f, err := Fetch(t.Context(), cl, orders, 0, tt.offset, 1<<20, 50*time.Millisecond)
				if err != nil {
					t.Fatal(err)
				}
				var got []int64
				for _, r := range f.Records {
					got = append(got, r.Offset)
					if want := secs(int(r.Offset) + 1)[0]; !r.Timestamp.Equal(want) || r.Topic != orders || r.Partition != 0 {
						t.Errorf("record %d: %s/%d at %v, want %s/0 at %v", r.Offset, r.Topic, r.Partition, r.Timestamp, orders, want)
					}
				}
				if !slices.Equal(got, tt.wantOffsets) {
					t.Fatalf("offsets %v, want %v", got, tt.wantOffsets)
				}
				if f.Next != tt.wantNext || f.HighWatermark != 3 {
					t.Fatalf("next %d high watermark %d, want %d and 3", f.Next, f.HighWatermark, tt.wantNext)
				}
			})
		}

		if _, err := Fetch(t.Context(), cl, orders, 7, 0, 1<<20, 50*time.Millisecond); !errors.Is(err, ErrUnknownPartition) {
			t.Fatalf("partition 7: err %v, want ErrUnknownPartition", err)
		}
		if _, err := Fetch(t.Context(), cl, c.Missing("missing"), 0, 0, 1<<20, 50*time.Millisecond); !errors.Is(err, kerr.UnknownTopicOrPartition) {
			t.Fatalf("missing topic: err %v, want UNKNOWN_TOPIC_OR_PARTITION", err)
		}
	})
}
