package sink

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/esconnect/esconnect/shared/kafkawire"
	"github.com/esconnect/esconnect/shared/targettest"
)

func TestOverflowFetch(t *testing.T) {
	targettest.Kafkas(t, testOverflowFetch)
}

func testOverflowFetch(t *testing.T, k *targettest.Kafka) {
	topic := k.Topic(t, "big", 1)
	large := strings.Repeat("x", 300_000)
	tests := []struct {
		name  string
		codec kafka.CompressionCodec
	}{
		{"uncompressed", nil},
		{"gzip", kafka.Gzip.Codec()},
		{"snappy", kafka.Snappy.Codec()},
		{"lz4", kafka.Lz4.Codec()},
		{"zstd", kafka.Zstd.Codec()},
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	// Each codec writes one batch of two messages, so that offsets 2i and
	// 2i+1 were compressed with tests[i].codec.
	for _, tc := range tests {
		// A transport of its own: kafka-go's default one caches metadata
		// across tests and reports a topic newer than its cache as unknown.
		transport := &kafka.Transport{}
		w := &kafka.Writer{Addr: kafka.TCP(k.Brokers...), Topic: topic, RequiredAcks: kafka.RequireAll,
			BatchTimeout: time.Millisecond, BatchBytes: 1 << 20, Transport: transport}
		if tc.codec != nil {
			w.Compression = kafka.Compression(tc.codec.Code())
		}
		err := w.WriteMessages(ctx, kafka.Message{Value: []byte("first-" + tc.name)}, kafka.Message{Value: []byte(large)})
		w.Close()
		transport.CloseIdleConnections()
		if err != nil {
			t.Fatalf("produce %s: %v", tc.name, err)
		}
	}

	f, err := newOverflowFetcher(k.Brokers, kafkawire.Security{}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.cl.Close() })
	for i, tc := range tests {
		for j, want := range []string{"first-" + tc.name, large} {
			off := int64(2*i + j)
			got, err := f.fetch(ctx, topic, 0, off)
			if err != nil || string(got) != want {
				t.Errorf("%s: fetch(%d) = %d bytes %.20q, %v; want %d bytes", tc.name, off, len(got), got, err, len(want))
			}
		}
	}
	end := int64(2 * len(tests))
	for _, off := range []int64{end, end + 100, -1} {
		if _, err := f.fetch(ctx, topic, 0, off); !errors.Is(err, ErrOverflowGone) {
			t.Errorf("fetch(%d) = %v, want ErrOverflowGone", off, err)
		}
	}
	if _, err := f.fetch(ctx, topic, 7, 0); !errors.Is(err, ErrOverflowGone) {
		t.Errorf("fetch of a partition the topic does not have = %v, want ErrOverflowGone", err)
	}
}

func TestOverflowFetchUnreachableIsTransient(t *testing.T) {
	f, err := newOverflowFetcher([]string{"127.0.0.1:1"}, kafkawire.Security{}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.cl.Close() })
	_, err = f.fetch(t.Context(), "big", 0, 0)
	if err == nil || errors.Is(err, ErrOverflowGone) {
		t.Fatalf("fetch from a closed port = %v, want a transient error", err)
	}
}
