package demo

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

func TestProduceSamplesKeepsNullKeysAndBytes(t *testing.T) {
	s := startTestStack(t)
	var out bytes.Buffer
	n, err := produceSamples(t.Context(), s.KafkaAddrs[0], &printer{w: &out})
	if err != nil {
		t.Fatal(err)
	}
	if n != len(Samples) {
		t.Fatalf("produced %d, want %d", n, len(Samples))
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: s.KafkaAddrs, Topic: Topic, Partition: 0, MaxWait: 100 * time.Millisecond})
	t.Cleanup(func() { r.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	for i, want := range Samples {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("read message %d: %v", i, err)
		}
		if m.Offset != int64(i) || !bytes.Equal(m.Value, want.Value) || !bytes.Equal(m.Key, want.Key) || (m.Key == nil) != (want.Key == nil) {
			t.Errorf("message %d = offset %d key %q (nil %v) value %x; want key %q (nil %v) value %x",
				i, m.Offset, m.Key, m.Key == nil, m.Value, want.Key, want.Key == nil, want.Value)
		}
	}
	for _, want := range []string{"Created topic " + Topic, "key null", "ff fe 00 01 80 (5 bytes, not UTF-8)"} {
		if !bytes.Contains(out.Bytes(), []byte(want)) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestProduceSamplesFailsWhenTopicExists(t *testing.T) {
	s := startTestStack(t)
	if _, err := produceSamples(t.Context(), s.KafkaAddrs[0], &printer{w: &bytes.Buffer{}}); err != nil {
		t.Fatal(err)
	}
	// A second run into the same broker would mix old and new samples.
	if _, err := produceSamples(t.Context(), s.KafkaAddrs[0], &printer{w: &bytes.Buffer{}}); err == nil {
		t.Fatal("second produceSamples succeeded on an existing topic")
	}
}

func TestShowKeyAndValue(t *testing.T) {
	tests := []struct {
		key, value     []byte
		wantK, wantVal string
	}{
		{key: nil, value: []byte("text"), wantK: "null", wantVal: "text"},
		{key: []byte("k"), value: []byte{0xc3, 0x28}, wantK: `"k"`, wantVal: "c3 28 (2 bytes, not UTF-8)"},
		{key: []byte{}, value: []byte(`{"a":1}`), wantK: `""`, wantVal: `{"a":1}`},
	}
	for _, tt := range tests {
		if k, v := showKey(tt.key), showValue(tt.value); k != tt.wantK || v != tt.wantVal {
			t.Errorf("show(%q, %q) = %q, %q; want %q, %q", tt.key, tt.value, k, v, tt.wantK, tt.wantVal)
		}
	}
}
