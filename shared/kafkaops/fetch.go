package kafkaops

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Fetched is what one fetch from a partition returned.
type Fetched struct {
	// Records are the records at or after the offset fetched, in offset
	// order, without transaction markers.
	Records []*kgo.Record
	// Next is the offset after the last batch returned: where the next
	// fetch starts. It passes over offsets that hold no record (transaction
	// markers, records removed by compaction), so it can be past the last
	// record's offset + 1; it equals the offset fetched when nothing came.
	Next int64
	// HighWatermark is the partition's end offset as the leader answered.
	HighWatermark int64
}

// decompressor is shared by every fetch: kgo's decompressors keep pools of
// decoders, built on first use.
var decompressor = sync.OnceValue(func() kgo.Decompressor { return kgo.DefaultDecompressor() })

// Fetch sends one fetch for topic/partition at offset to the partition's
// leader and decodes what it returns. The broker holds the fetch up to
// maxWait for a first byte and answers with at most about maxBytes (at
// least one whole batch, which may begin before offset).
//
// It is one request rather than a kgo consumer so that a bounded read (a
// record lookup, a replay of an offset range) knows exactly where it stands
// after each answer, including after offsets that hold no record, instead
// of waiting for records that are not coming.
func Fetch(ctx context.Context, cl *kgo.Client, topic string, partition int32, offset int64, maxBytes int32, maxWait time.Duration) (Fetched, error) {
	// kadm's metadata is cached by the client for a few seconds, so that
	// the fetches of one status or replay share a lookup.
	md, err := kadm.NewClient(cl).Metadata(ctx, topic)
	if err != nil {
		return Fetched{}, fmt.Errorf("metadata for %q: %w", topic, err)
	}
	td := md.Topics[topic]
	if td.Err != nil {
		return Fetched{}, fmt.Errorf("metadata for topic %q: %w", topic, td.Err)
	}
	pd, ok := td.Partitions[partition]
	if !ok {
		return Fetched{}, fmt.Errorf("%w %d of topic %q", ErrUnknownPartition, partition, topic)
	}
	if pd.Leader < 0 {
		return Fetched{}, fmt.Errorf("leader of %s/%d: %w", topic, partition, kerr.LeaderNotAvailable)
	}

	req := kmsg.NewPtrFetchRequest()
	req.MaxWaitMillis = int32(maxWait / time.Millisecond)
	req.MinBytes = 1
	req.MaxBytes = maxBytes
	rt := kmsg.NewFetchRequestTopic()
	// Fetch v13+ names topics by id, older versions by name; kgo picks the
	// version, so both are given.
	rt.Topic, rt.TopicID = topic, td.ID
	rp := kmsg.NewFetchRequestTopicPartition()
	rp.Partition, rp.FetchOffset, rp.PartitionMaxBytes = partition, offset, maxBytes
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)

	kresp, err := cl.Broker(int(pd.Leader)).RetriableRequest(ctx, req)
	if err != nil {
		return Fetched{}, err
	}
	resp := kresp.(*kmsg.FetchResponse)
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return Fetched{}, err
	}
	for i := range resp.Topics {
		t := &resp.Topics[i]
		if t.Topic != topic && t.TopicID != td.ID {
			continue
		}
		for j := range t.Partitions {
			if t.Partitions[j].Partition != partition {
				continue
			}
			fp, next := kgo.ProcessFetchPartition(kgo.ProcessFetchPartitionOpts{Offset: offset, Topic: topic, Partition: partition},
				&t.Partitions[j], decompressor(), nil)
			if fp.Err != nil {
				return Fetched{}, fp.Err
			}
			return Fetched{Records: fp.Records, Next: next, HighWatermark: fp.HighWatermark}, nil
		}
	}
	return Fetched{}, fmt.Errorf("the leader did not answer for %s/%d", topic, partition)
}
