// Package deadletter stores the records that esconnect could not write to
// Elasticsearch for good, so that nothing a trigger delivered is lost.
//
// A dead letter is one JSON envelope (see Encode) carrying the original Kafka
// record byte for byte plus why it failed. Publishers write envelopes to a
// Kafka topic (kafka://host:port[,host:port]/topic) or to an Elasticsearch
// index (es://index). Publish is synchronous: when it returns nil, every
// letter is acknowledged by the target, which is what lets the sink report
// success for records it could not index.
package deadletter

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/esconnect/esconnect/shared/errtype"
	"github.com/esconnect/esconnect/shared/kafkaevent"
	"github.com/esconnect/esconnect/shared/kafkawire"
)

// Letter is one record that could not be written, with the reason.
type Letter struct {
	// Record is the original Kafka record. For a record the trigger payload
	// did not even let the decoder parse, it holds only what could be
	// recovered (often nothing) and Raw holds the element as delivered.
	Record kafkaevent.Record
	// Raw is the trigger payload's JSON element for an undecodable record;
	// nil for records that decoded.
	Raw []byte
	// Error says why the record was dead-lettered.
	Error Cause
	// Function is the name of the function that gave up on the record.
	Function string
	// Time is when the record was given up on.
	Time time.Time
}

// Cause is why a record was dead-lettered: an Elasticsearch item error, a
// decode failure or a document-building failure.
type Cause struct {
	// Type is a machine-readable kind, such as Elasticsearch's error type
	// (document_parsing_exception) or decode_error.
	Type   string
	Reason string
	// Status is the HTTP status Elasticsearch answered, 0 when the record
	// never reached Elasticsearch.
	Status int
}

// Publisher writes dead letters to a target.
type Publisher interface {
	// Publish writes every letter and returns nil only once the target
	// acknowledged all of them. On error, some letters may have been written;
	// publishing the same letters again is safe (Kafka consumers see a
	// duplicate; the es:// target keeps one document per record).
	Publish(ctx context.Context, letters []Letter) error
	// Close releases connections; Publish must not be called afterwards.
	Close() error
}

// Errors for branching on.
var (
	// ErrTarget reports a malformed or unsupported target.
	ErrTarget = errtype.New(errtype.Config, "invalid dead-letter target")
	// ErrPublish reports that the target did not acknowledge every letter.
	ErrPublish = errtype.New(errtype.DeadLetterUnavailable, "dead letters not acknowledged")
	// ErrClosed reports a Publish after Close.
	ErrClosed = errors.New("dead-letter publisher closed")
)

// Open returns a publisher for target (kafka://... or es://...). Options
// supply what the target string cannot: Kafka security, the bulk writer for
// es://. Open does not contact the target; the first Publish does.
func Open(ctx context.Context, target string, opts ...Option) (Publisher, error) {
	t, err := ParseTarget(target)
	if err != nil {
		return nil, err
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	switch t.Scheme {
	case SchemeKafka:
		return openKafka(ctx, t, o)
	case SchemeES:
		if o.bulk == nil {
			return nil, fmt.Errorf("%w: es://%s needs an Elasticsearch bulk writer", ErrTarget, t.Index)
		}
		return &esPublisher{index: t.Index, bulk: o.bulk}, nil
	}
	return nil, fmt.Errorf("%w: unsupported scheme %q", ErrTarget, t.Scheme)
}

// Option configures Open.
type Option func(*options)

type options struct {
	security     KafkaSecurity
	bulk         BulkFunc
	maxAttempts  int
	writeTimeout time.Duration
}

// KafkaSecurity is the TLS and SASL setup for a kafka:// target. Query
// parameters of the target (tls, ca_cert, sasl_mechanism, username,
// password) override its fields one by one.
type KafkaSecurity = kafkawire.Security

// WithKafkaSecurity sets TLS and SASL for a kafka:// target.
func WithKafkaSecurity(s KafkaSecurity) Option {
	return func(o *options) { o.security = s }
}

// WithBulk sets how an es:// target writes to Elasticsearch.
func WithBulk(f BulkFunc) Option {
	return func(o *options) { o.bulk = f }
}

// WithKafkaAttempts bounds how often a kafka:// publish is tried before it
// fails (default 3), and how long each produce request may take (default
// 10s). The caller's context deadline bounds the whole publish as well.
func WithKafkaAttempts(attempts int, writeTimeout time.Duration) Option {
	return func(o *options) {
		o.maxAttempts = attempts
		o.writeTimeout = writeTimeout
	}
}
