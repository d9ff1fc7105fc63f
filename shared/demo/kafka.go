package demo

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/segmentio/kafka-go"
)

// kafkaTimeout bounds each admin request and produce call to the embedded
// broker, which answers in milliseconds when it works at all.
const kafkaTimeout = 10 * time.Second

// Sample is one message the demo produces.
type Sample struct {
	// Key nil is a Kafka null key: the document has no msg_body.key.
	Key []byte
	// Value that is not UTF-8 is stored base64 with valueEncoding.
	Value []byte
	// Why the message is in the demo.
	Note string
}

// Samples are the demo's messages, produced in this order to the single
// partition of Topic, so message i has offset i.
var Samples = []Sample{
	{Key: []byte("order-1001"), Value: []byte(`{"order_id":1001,"item":"coffee beans","qty":2}`), Note: "JSON value, kept as text"},
	{Key: []byte("order-1002"), Value: []byte(`{"order_id":1002,"item":"espresso cups","qty":6}`), Note: "JSON value, kept as text"},
	{Key: nil, Value: []byte("hello from a message without a key"), Note: "null key: no msg_body.key"},
	{Key: []byte("sensor-7"), Value: []byte{0xff, 0xfe, 0x00, 0x01, 0x80}, Note: "not UTF-8: base64 with valueEncoding"},
	{Key: []byte("order-1001"), Value: []byte(`{"order_id":1001,"item":"coffee beans","qty":3}`), Note: "same key again: a new document (DOC_ID=offset)"},
}

// produceSamples creates Topic and writes Samples with kafka-go, as any
// producing application would, and returns how many it wrote.
func produceSamples(ctx context.Context, broker string, p *printer) (int, error) {
	p.section("Kafka: topic " + Topic + " and sample messages (kafka-go)")
	tr := &kafka.Transport{}
	defer tr.CloseIdleConnections()
	cl := &kafka.Client{Addr: kafka.TCP(broker), Timeout: kafkaTimeout, Transport: tr}
	resp, err := cl.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{
		// One partition keeps the offsets in the output in produce order.
		{Topic: Topic, NumPartitions: 1, ReplicationFactor: 1},
	}})
	if err != nil {
		return 0, fmt.Errorf("create topic %s: %w", Topic, err)
	}
	if err := resp.Errors[Topic]; err != nil {
		return 0, fmt.Errorf("create topic %s: %w", Topic, err)
	}
	p.line("Created topic %s (1 partition).", Topic)

	w := &kafka.Writer{
		Addr: kafka.TCP(broker), Topic: Topic, Transport: tr,
		RequiredAcks: kafka.RequireAll,
		// kafka-go waits up to a second to fill a batch by default; the
		// samples are all handed over at once.
		BatchTimeout: 10 * time.Millisecond,
		WriteTimeout: kafkaTimeout,
	}
	msgs := make([]kafka.Message, len(Samples))
	for i, s := range Samples {
		msgs[i] = kafka.Message{Key: s.Key, Value: s.Value}
	}
	err = w.WriteMessages(ctx, msgs...)
	if cerr := w.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("produce samples to %s: %w", Topic, err)
	}
	p.line("Produced %d messages:", len(Samples))
	for i, s := range Samples {
		p.line("  offset %d  key %-12s  value %s", i, showKey(s.Key), showValue(s.Value))
		p.line("            (%s)", s.Note)
	}
	return len(Samples), nil
}

func showKey(k []byte) string {
	if k == nil {
		return "null"
	}
	return fmt.Sprintf("%q", k)
}

func showValue(v []byte) string {
	if !utf8.Valid(v) {
		return fmt.Sprintf("% x (%d bytes, not UTF-8)", v, len(v))
	}
	return string(v)
}

// committedOffset returns the group's committed offset of partition 0 of
// Topic, or -1 when it has none yet.
func committedOffset(ctx context.Context, cl *kafka.Client, group string) (int64, error) {
	resp, err := cl.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{Topic: {0}}})
	if err != nil {
		return 0, fmt.Errorf("fetch committed offsets of group %s: %w", group, err)
	}
	switch {
	case errors.Is(resp.Error, kafka.GroupIdNotFound), errors.Is(resp.Error, kafka.GroupCoordinatorNotAvailable),
		errors.Is(resp.Error, kafka.GroupLoadInProgress):
		// The consumer has not joined yet (the embedded broker answers
		// "group not found" where Kafka answers "no offset"), or the
		// coordinator is still coming up: nothing is committed so far.
		return -1, nil
	case resp.Error != nil:
		return 0, fmt.Errorf("fetch committed offsets of group %s: %w", group, resp.Error)
	}
	for _, part := range resp.Topics[Topic] {
		if part.Partition == 0 {
			if part.Error != nil {
				return 0, fmt.Errorf("fetch committed offset of %s/0: %w", Topic, part.Error)
			}
			return part.CommittedOffset, nil
		}
	}
	return -1, nil
}

// endOffset returns the offset the next message of partition 0 of Topic will
// get: the offset a consumer has committed once it processed everything.
func endOffset(ctx context.Context, cl *kafka.Client) (int64, error) {
	resp, err := cl.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{Topic: {kafka.LastOffsetOf(0)}}})
	if err != nil {
		return 0, fmt.Errorf("list offsets of %s: %w", Topic, err)
	}
	for _, part := range resp.Topics[Topic] {
		if part.Partition == 0 {
			if part.Error != nil {
				return 0, fmt.Errorf("list offsets of %s/0: %w", Topic, part.Error)
			}
			return part.LastOffset, nil
		}
	}
	return 0, fmt.Errorf("list offsets of %s: partition 0 missing from the answer", Topic)
}
