package demo

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
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

// produceSamples creates Topic and writes Samples with franz-go's kgo
// client, as any producing application would, and returns how many it wrote.
func produceSamples(ctx context.Context, broker string, p *printer) (int, error) {
	p.section("Kafka: topic " + Topic + " and sample messages (franz-go)")
	cl, err := newKafkaClient(broker,
		kgo.DefaultProduceTopic(Topic),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		// The samples go to the broker as they are, as the demo's output
		// shows them; kgo would compress with snappy by default.
		kgo.ProducerBatchCompression(kgo.NoCompression()),
	)
	if err != nil {
		return 0, err
	}
	defer cl.Close()

	cctx, cancel := context.WithTimeout(ctx, kafkaTimeout)
	defer cancel()
	// One partition keeps the offsets in the output in produce order.
	if _, err := kadm.NewClient(cl).CreateTopic(cctx, 1, 1, nil, Topic); err != nil {
		return 0, fmt.Errorf("create topic %s: %w", Topic, err)
	}
	p.line("Created topic %s (1 partition).", Topic)

	recs := make([]*kgo.Record, len(Samples))
	for i, s := range Samples {
		// A nil Key stays nil: kgo writes it as Kafka's null key.
		recs[i] = &kgo.Record{Key: s.Key, Value: s.Value}
	}
	pctx, cancel := context.WithTimeout(ctx, kafkaTimeout)
	defer cancel()
	// ProduceSync hands the records over in order and returns once every
	// one is acknowledged by all in-sync replicas; the idempotent producer
	// (kgo's default) keeps that order through retries, so message i gets
	// offset i.
	if err := cl.ProduceSync(pctx, recs...).FirstErr(); err != nil {
		return 0, fmt.Errorf("produce samples to %s: %w", Topic, err)
	}
	p.line("Produced %d messages:", len(Samples))
	for i, s := range Samples {
		p.line("  offset %d  key %-12s  value %s", i, showKey(s.Key), showValue(s.Value))
		p.line("            (%s)", s.Note)
	}
	return len(Samples), nil
}

// newKafkaClient returns a kgo client of the broker for one step of the
// demo; the caller closes it. NewClient connects lazily, so its error is
// only ever about the options.
func newKafkaClient(broker string, opts ...kgo.Opt) (*kgo.Client, error) {
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(broker)}, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("kafka client for %s: %w", broker, err)
	}
	return cl, nil
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
func committedOffset(ctx context.Context, adm *kadm.Client, group string) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, kafkaTimeout)
	defer cancel()
	resps, err := adm.FetchOffsets(ctx, group)
	switch {
	case errors.Is(err, kerr.GroupIDNotFound), errors.Is(err, kerr.CoordinatorNotAvailable),
		errors.Is(err, kerr.CoordinatorLoadInProgress):
		// The consumer has not joined yet (the embedded broker answers
		// "group not found" where Kafka answers "no offset"), or the
		// coordinator is still coming up: nothing is committed so far.
		return -1, nil
	case err != nil:
		return 0, fmt.Errorf("fetch committed offsets of group %s: %w", group, err)
	}
	o, ok := resps.Lookup(Topic, 0)
	if !ok {
		return -1, nil
	}
	if o.Err != nil {
		return 0, fmt.Errorf("fetch committed offset of %s/0: %w", Topic, o.Err)
	}
	return o.At, nil
}

// endOffset returns the offset the next message of partition 0 of Topic will
// get: the offset a consumer has committed once it processed everything.
func endOffset(ctx context.Context, adm *kadm.Client) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, kafkaTimeout)
	defer cancel()
	listed, err := adm.ListEndOffsets(ctx, Topic)
	if err != nil {
		return 0, fmt.Errorf("list offsets of %s: %w", Topic, err)
	}
	if o, ok := listed.Lookup(Topic, 0); ok {
		if o.Err != nil {
			return 0, fmt.Errorf("list offsets of %s/0: %w", Topic, o.Err)
		}
		return o.Offset, nil
	}
	// kadm reports a topic it could not look up as partition -1.
	if o, ok := listed.Lookup(Topic, -1); ok && o.Err != nil {
		return 0, fmt.Errorf("list offsets of %s: %w", Topic, o.Err)
	}
	return 0, fmt.Errorf("list offsets of %s: partition 0 missing from the answer", Topic)
}
