package kafkawire

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/esconnect/esconnect/shared/targettest"
)

func TestFetchOffsets(t *testing.T) {
	targettest.Kafkas(t, func(t *testing.T, k *targettest.Kafka) {
		topic := k.Topic(t, "fetch", 1)
		ctx := timeout(t)
		cl := client(t, Config{Brokers: k.Brokers})
		recs := []Record{{Value: []byte("a")}, {Key: []byte("k"), Value: []byte("b"), Headers: []Header{{Key: "h", Value: []byte("1")}}}, {Value: nil}}
		if err := cl.Produce(ctx, topic, recs); err != nil {
			t.Fatalf("Produce: %v", err)
		}
		for off, want := range recs {
			got, err := cl.Fetch(ctx, topic, 0, int64(off))
			if err != nil {
				t.Fatalf("Fetch(%d): %v", off, err)
			}
			if got.Offset != int64(off) || !bytes.Equal(got.Value, want.Value) || (got.Value == nil) != (want.Value == nil) ||
				!bytes.Equal(got.Key, want.Key) || len(got.Headers) != len(want.Headers) || got.Time.IsZero() {
				t.Errorf("Fetch(%d) = %+v, want %+v", off, got, want)
			}
		}
		for _, off := range []int64{3, 1000, -1} {
			if _, err := cl.Fetch(ctx, topic, 0, off); !errors.Is(err, ErrOffsetGone) {
				t.Errorf("Fetch(%d) = %v, want ErrOffsetGone", off, err)
			}
		}
	})
}

// TestFetchDeletedAndCompacted: records removed by DeleteRecords (as
// retention removes them) and by compaction are gone.
func TestFetchDeletedAndCompacted(t *testing.T) {
	c := cluster(t, 1)
	ctx := timeout(t)
	kc, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer kc.Close()
	ct := kmsg.NewCreateTopicsRequestTopic()
	ct.Topic, ct.NumPartitions, ct.ReplicationFactor = "compacted", 1, 1
	ct.Configs = []kmsg.CreateTopicsRequestTopicConfig{{Name: "cleanup.policy", Value: kmsg.StringPtr("compact")}}
	creq := kmsg.NewPtrCreateTopicsRequest()
	creq.Topics = []kmsg.CreateTopicsRequestTopic{ct}
	if cresp, err := creq.RequestWith(ctx, kc); err != nil || cresp.Topics[0].ErrorCode != 0 {
		t.Fatalf("create compacted topic: %v %+v", err, cresp)
	}
	cl := client(t, Config{Brokers: c.ListenAddrs()})
	for _, topic := range []string{"t", "compacted"} {
		// One call per record: one batch each, as compaction and
		// deletion work on batches.
		for _, k := range []string{"a", "a", "b"} {
			if err := cl.Produce(ctx, topic, []Record{{Key: []byte(k), Value: []byte(k)}}); err != nil {
				t.Fatalf("Produce: %v", err)
			}
		}
	}
	dreq := kmsg.NewPtrDeleteRecordsRequest()
	dt := kmsg.NewDeleteRecordsRequestTopic()
	dt.Topic = "t"
	dt.Partitions = []kmsg.DeleteRecordsRequestTopicPartition{{Partition: 0, Offset: 2}}
	dreq.Topics = []kmsg.DeleteRecordsRequestTopic{dt}
	if _, err := dreq.RequestWith(ctx, kc); err != nil {
		t.Fatalf("delete records: %v", err)
	}
	c.Compact()
	tests := []struct {
		topic  string
		offset int64
		gone   bool
	}{
		{"t", 0, true}, {"t", 1, true}, {"t", 2, false},
		{"compacted", 0, true}, {"compacted", 1, false}, {"compacted", 2, false},
	}
	for _, tc := range tests {
		r, err := cl.Fetch(ctx, tc.topic, 0, tc.offset)
		switch {
		case tc.gone && !errors.Is(err, ErrOffsetGone):
			t.Errorf("Fetch(%s, %d) = %q, %v; want ErrOffsetGone", tc.topic, tc.offset, r.Value, err)
		case !tc.gone && (err != nil || r.Offset != tc.offset):
			t.Errorf("Fetch(%s, %d) = %+v, %v", tc.topic, tc.offset, r, err)
		}
	}
}

// TestFetchCompressed produces one batch per codec with franz-go's kgo and
// reads every record back.
func TestFetchCompressed(t *testing.T) {
	codecs := []struct {
		name  string
		codec kgo.CompressionCodec
	}{
		{"gzip", kgo.GzipCompression()},
		{"snappy", kgo.SnappyCompression()},
		{"lz4", kgo.Lz4Compression()},
		{"zstd", kgo.ZstdCompression()},
	}
	c := cluster(t, 1)
	ctx := timeout(t)
	cl := client(t, Config{Brokers: c.ListenAddrs()})
	value := bytes.Repeat([]byte("compressible "), 5000)
	var offset int64
	for _, cc := range codecs {
		kc, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.DefaultProduceTopic("t"),
			kgo.ProducerBatchCompression(cc.codec), kgo.ProducerLinger(0))
		if err != nil {
			t.Fatal(err)
		}
		// Three records buffered before the flush make one batch.
		for i := range 3 {
			kc.Produce(ctx, &kgo.Record{Value: fmt.Appendf(nil, "%s-%d-%s", cc.name, i, value)}, nil)
		}
		if err := kc.Flush(ctx); err != nil {
			t.Fatalf("%s: flush: %v", cc.name, err)
		}
		kc.Close()
		for i := range 3 {
			want := fmt.Appendf(nil, "%s-%d-%s", cc.name, i, value)
			got, err := cl.Fetch(ctx, "t", 0, offset)
			if err != nil || !bytes.Equal(got.Value, want) {
				t.Errorf("%s: Fetch(%d) = %.30q, %v; want %.30q", cc.name, offset, got.Value, err, want)
			}
			offset++
		}
	}
}

func TestDecompressBounds(t *testing.T) {
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	bomb := enc.EncodeAll(make([]byte, 1<<20), nil)
	enc.Close()
	if _, err := decompress(codecZstd, bomb, 1<<10); !errors.Is(err, ErrTooLarge) {
		t.Errorf("zstd of 1 MiB with a 1 KiB limit = %v, want ErrTooLarge", err)
	}
	if out, err := decompress(codecZstd, bomb, 2<<20); err != nil || len(out) != 1<<20 {
		t.Errorf("zstd of 1 MiB within the limit = %d bytes, %v", len(out), err)
	}
	if _, err := decompress(7, []byte{1}, 10); !errors.Is(err, ErrProtocol) {
		t.Errorf("unknown codec = %v, want ErrProtocol", err)
	}
}

// TestFetchRejectsCorruptBatch flips a byte of a stored record in the fetch
// response: the CRC must catch it.
func TestFetchRejectsCorruptBatch(t *testing.T) {
	c := cluster(t, 1, kfake.SeedTopics(1, "t"))
	ctx := timeout(t)
	cl := client(t, Config{Brokers: c.ListenAddrs(), Attempts: 1})
	if err := cl.Produce(ctx, "t", []Record{{Value: []byte("value")}}); err != nil {
		t.Fatal(err)
	}
	batch, _ := appendBatch(nil, []Record{{Value: []byte("value")}}, []int{0}, time.Now())
	batch[len(batch)-2] ^= 0xff
	if _, err := cl.findRecord(batch, 0); !errors.Is(err, ErrProtocol) {
		t.Errorf("corrupt batch = %v, want ErrProtocol", err)
	}
	batch[len(batch)-2] ^= 0xff
	if r, err := cl.findRecord(batch, 0); err != nil || string(r.Value) != "value" {
		t.Errorf("intact batch = %q, %v", r.Value, err)
	}
}
