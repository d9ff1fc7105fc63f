package deadletter

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/esconnect/esconnect/shared/kafkawire"
)

// Kafka writer defaults.
const (
	// defaultKafkaAttempts keeps an unreachable target from eating the
	// function's whole deadline; the platform re-delivers the batch anyway.
	defaultKafkaAttempts = 3
	// defaultKafkaWriteTimeout bounds one produce request.
	defaultKafkaWriteTimeout = 10 * time.Second
	// kafkaDialTimeout bounds connecting to a broker.
	kafkaDialTimeout = 5 * time.Second
)

type kafkaPublisher struct {
	target string // masked, for errors
	topic  string
	cl     *kafkawire.Client

	mu     sync.Mutex
	closed bool
}

func openKafka(_ context.Context, t Target, o options) (*kafkaPublisher, error) {
	sec := t.Merge(o.security)
	if err := CheckSecurity(sec); err != nil {
		return nil, err
	}
	cfg := kafkawire.Config{
		Brokers:        t.Brokers,
		ClientID:       "esconnect-deadletter",
		DialTimeout:    kafkaDialTimeout,
		Attempts:       o.maxAttempts,
		RequestTimeout: o.writeTimeout,
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = defaultKafkaAttempts
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = defaultKafkaWriteTimeout
	}
	if err := sec.Apply(&cfg); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTarget, err)
	}
	return &kafkaPublisher{target: t.String(), topic: t.Topic, cl: kafkawire.New(cfg)}, nil
}

// Publish writes one message per letter: key and headers are the original
// record's, the value is the envelope. It returns only after every
// partition leader answered with all in-sync replicas acknowledging
// (acks=all). Letters are partitioned by the original key (see
// kafkawire.Client.Produce), which keeps one key's letters in order on one
// partition of the dead-letter topic.
func (p *kafkaPublisher) Publish(ctx context.Context, letters []Letter) error {
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if len(letters) == 0 {
		return nil
	}
	recs := make([]kafkawire.Record, 0, len(letters))
	for _, l := range letters {
		v, err := Encode(l)
		if err != nil {
			return err
		}
		r := kafkawire.Record{Key: l.Record.Key, Value: v, Time: l.Time}
		for _, h := range l.Record.Headers {
			r.Headers = append(r.Headers, kafkawire.Header{Key: h.Key, Value: h.Value})
		}
		recs = append(recs, r)
	}
	if err := p.cl.Produce(ctx, p.topic, recs); err != nil {
		return fmt.Errorf("%w: %d to %s: %w", ErrPublish, len(recs), p.target, err)
	}
	return nil
}

func (p *kafkaPublisher) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	if err := p.cl.Close(); err != nil {
		return fmt.Errorf("close dead-letter writer for %s: %w", p.target, err)
	}
	return nil
}
