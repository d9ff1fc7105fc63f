package deadletter

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"
)

// Kafka writer defaults.
const (
	// defaultKafkaAttempts keeps an unreachable target from eating the
	// function's whole deadline; the platform re-delivers the batch anyway.
	defaultKafkaAttempts = 3
	// defaultKafkaWriteTimeout bounds one produce request.
	defaultKafkaWriteTimeout = 10 * time.Second
	// kafkaBatchTimeout is how long a synchronous write waits for more
	// messages before sending: every letter of a Publish is already in hand,
	// so waiting (kafka-go's default is 1s) would only add latency.
	kafkaBatchTimeout = time.Millisecond
	// kafkaDialTimeout bounds connecting to a broker.
	kafkaDialTimeout = 5 * time.Second
)

type kafkaPublisher struct {
	target string // masked, for errors
	w      *kafka.Writer

	mu     sync.Mutex
	closed bool
}

func openKafka(_ context.Context, t Target, o options) (*kafkaPublisher, error) {
	sec := t.Merge(o.security)
	if err := CheckSecurity(sec); err != nil {
		return nil, err
	}
	transport := &kafka.Transport{DialTimeout: kafkaDialTimeout, ClientID: "esconnect-deadletter"}
	if sec.TLS || sec.CACert != "" {
		cfg, err := tlsConfig(sec.CACert)
		if err != nil {
			return nil, err
		}
		transport.TLS = cfg
	}
	if sec.SASLMechanism != "" {
		m, err := mechanism(sec)
		if err != nil {
			return nil, err
		}
		transport.SASL = m
	}
	attempts, timeout := o.maxAttempts, o.writeTimeout
	if attempts <= 0 {
		attempts = defaultKafkaAttempts
	}
	if timeout <= 0 {
		timeout = defaultKafkaWriteTimeout
	}
	return &kafkaPublisher{
		target: t.String(),
		w: &kafka.Writer{
			Addr:  kafka.TCP(t.Brokers...),
			Topic: t.Topic,
			// Hashing the original key keeps one key's letters in order on
			// one partition of the dead-letter topic.
			Balancer:     &kafka.Hash{},
			RequiredAcks: kafka.RequireAll,
			MaxAttempts:  attempts,
			WriteTimeout: timeout,
			BatchTimeout: kafkaBatchTimeout,
			Transport:    transport,
		},
	}, nil
}

func tlsConfig(caCert string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if caCert == "" {
		return cfg, nil
	}
	pem := []byte(caCert)
	if !strings.Contains(caCert, "-----BEGIN") {
		b, err := os.ReadFile(caCert)
		if err != nil {
			return nil, fmt.Errorf("%w: read CA certificate: %w", ErrTarget, err)
		}
		pem = b
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%w: CA certificate holds no PEM certificate", ErrTarget)
	}
	cfg.RootCAs = pool
	return cfg, nil
}

func mechanism(s KafkaSecurity) (sasl.Mechanism, error) {
	switch strings.ToLower(s.SASLMechanism) {
	case MechanismPlain:
		return plain.Mechanism{Username: s.Username, Password: s.Password}, nil
	case MechanismSCRAMSHA256, MechanismSCRAMSHA512:
		algo := scram.SHA256
		if strings.ToLower(s.SASLMechanism) == MechanismSCRAMSHA512 {
			algo = scram.SHA512
		}
		m, err := scram.Mechanism(algo, s.Username, s.Password)
		if err != nil {
			// The scram error names only the failing normalisation step,
			// never the password.
			return nil, fmt.Errorf("%w: scram credentials: %w", ErrTarget, err)
		}
		return m, nil
	}
	return nil, fmt.Errorf("%w: sasl mechanism %q is not supported", ErrTarget, s.SASLMechanism)
}

// Publish writes one message per letter: key and headers are the original
// record's, the value is the envelope. kafka-go's synchronous write returns
// only after every partition leader answered with all in-sync replicas
// acknowledging (RequiredAcks all).
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
	msgs := make([]kafka.Message, 0, len(letters))
	for _, l := range letters {
		v, err := Encode(l)
		if err != nil {
			return err
		}
		m := kafka.Message{Key: l.Record.Key, Value: v, Time: l.Time}
		for _, h := range l.Record.Headers {
			m.Headers = append(m.Headers, kafka.Header{Key: h.Key, Value: h.Value})
		}
		msgs = append(msgs, m)
	}
	if err := p.w.WriteMessages(ctx, msgs...); err != nil {
		return fmt.Errorf("%w: %d to %s: %w", ErrPublish, len(msgs), p.target, err)
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
	if err := p.w.Close(); err != nil {
		return fmt.Errorf("close dead-letter writer for %s: %w", p.target, err)
	}
	return nil
}
