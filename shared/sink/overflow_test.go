package sink

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
)

func TestOverflowFetch(t *testing.T) {
	c, err := kfake.NewCluster(kfake.Ports(0), kfake.SeedTopics(1, "big"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	addr := c.ListenAddrs()[0]
	large := strings.Repeat("x", 300_000)
	w := &kafka.Writer{Addr: kafka.TCP(addr), Topic: "big", RequiredAcks: kafka.RequireAll, BatchTimeout: time.Millisecond, BatchBytes: 1 << 20}
	t.Cleanup(func() { w.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := w.WriteMessages(ctx, kafka.Message{Value: []byte("first")}, kafka.Message{Value: []byte(large)}); err != nil {
		t.Fatalf("produce: %v", err)
	}

	f := &overflowFetcher{brokers: []string{addr}, dialer: &kafka.Dialer{Timeout: 5 * time.Second}}
	tests := []struct {
		offset int64
		want   string
		gone   bool
	}{{0, "first", false}, {1, large, false}, {2, "", true}, {-1, "", true}}
	for _, tc := range tests {
		got, err := f.fetch(ctx, "big", 0, tc.offset)
		if tc.gone {
			if !errors.Is(err, ErrOverflowGone) {
				t.Errorf("fetch(%d) = %v, want ErrOverflowGone", tc.offset, err)
			}
			continue
		}
		if err != nil || string(got) != tc.want {
			t.Errorf("fetch(%d) = %d bytes, %v; want %d bytes", tc.offset, len(got), err, len(tc.want))
		}
	}
}
