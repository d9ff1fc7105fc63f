package deadletter

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/esconnect/esconnect/shared/kafkaevent"
	"github.com/esconnect/esconnect/shared/targettest"
)

const dlqTopic = "dlq"

// startKafka starts a kfake broker on 127.0.0.1 with the dead-letter topic,
// for the tests that need what only kfake is set up for here (SASL).
func startKafka(t *testing.T, opts ...kfake.Opt) string {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.Ports(0), kfake.SeedTopics(1, dlqTopic)}, opts...)...)
	if err != nil {
		t.Fatalf("start kfake: %v", err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()[0]
}

// readMessages reads n messages from partition 0 of topic through kafka-go,
// failing the test if they do not arrive within 10 seconds.
func readMessages(t *testing.T, brokers []string, topic string, n int, dialer *kafka.Dialer) []kafka.Message {
	t.Helper()
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: topic, Partition: 0, MaxWait: 50 * time.Millisecond, Dialer: dialer})
	t.Cleanup(func() { r.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	var out []kafka.Message
	for len(out) < n {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("read message %d of %d: %v", len(out)+1, n, err)
		}
		out = append(out, m)
	}
	return out
}

func sampleLetters() []Letter {
	at := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	return []Letter{
		{
			Record: kafkaevent.Record{Topic: "orders", Partition: 4, Offset: 100, Timestamp: 1714979289000,
				Key: []byte("order-1"), Value: []byte(`{"price":"abc"}`), ValueSize: 15,
				Headers: []kafkaevent.Header{{Key: "trace", Value: []byte("t-1")}, {Key: "bin", Value: []byte{0xff}}}},
			Error:    Cause{Type: "document_parsing_exception", Reason: "failed to parse field [price] of type [long]", Status: 400},
			Function: "kafka-es-sink", Time: at,
		},
		{
			Record:   kafkaevent.Record{Topic: "orders", Partition: 4, Offset: 101},
			Raw:      []byte(`{"topic":"orders","partition":4,"offset":101,"value":"%%%"}`),
			Error:    Cause{Type: "bad_base64", Reason: "value: illegal base64 data at input byte 0"},
			Function: "kafka-es-sink", Time: at,
		},
	}
}

func TestKafkaPublishKeepsRecord(t *testing.T) {
	targettest.Kafkas(t, testKafkaPublishKeepsRecord)
}

func testKafkaPublishKeepsRecord(t *testing.T, k *targettest.Kafka) {
	topic := k.Topic(t, dlqTopic, 1)
	p, err := Open(t.Context(), "kafka://"+strings.Join(k.Brokers, ",")+"/"+topic)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	letters := sampleLetters()
	if err := p.Publish(t.Context(), letters); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	msgs := readMessages(t, k.Brokers, topic, len(letters), nil)
	for i, m := range msgs {
		want := letters[i]
		if string(m.Key) != string(want.Record.Key) || (m.Key == nil) != (want.Record.Key == nil) {
			t.Errorf("message %d key = %q, want the original %q", i, m.Key, want.Record.Key)
		}
		if len(m.Headers) != len(want.Record.Headers) {
			t.Fatalf("message %d headers = %v, want the original %v", i, m.Headers, want.Record.Headers)
		}
		for j, h := range want.Record.Headers {
			if m.Headers[j].Key != h.Key || string(m.Headers[j].Value) != string(h.Value) {
				t.Errorf("message %d header %d = %q:%q, want %q:%q", i, j, m.Headers[j].Key, m.Headers[j].Value, h.Key, h.Value)
			}
		}
		got, err := Decode(m.Value)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		assertLetter(t, got, want)
	}
}

// TestKafkaPublishSASLOnKfake needs a broker with SASL users: the real test
// broker has none.
func TestKafkaPublishSASLOnKfake(t *testing.T) {
	tests := []struct {
		name, method, mechanism string
	}{
		{"plain", "PLAIN", MechanismPlain},
		{"scram-sha-256", "SCRAM-SHA-256", MechanismSCRAMSHA256},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr := startKafka(t, kfake.EnableSASL(), kfake.Superuser(tc.method, "svc", "s3cret-pw"))
			good, err := Open(t.Context(), "kafka://"+addr+"/"+dlqTopic,
				WithKafkaSecurity(KafkaSecurity{SASLMechanism: tc.mechanism, Username: "svc", Password: "s3cret-pw"}))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { good.Close() })
			if err := good.Publish(t.Context(), sampleLetters()[:1]); err != nil {
				t.Fatalf("Publish with valid credentials: %v", err)
			}

			// Query parameters override the options: a wrong password there
			// must fail, and the error must not carry it.
			bad, err := Open(t.Context(), "kafka://"+addr+"/"+dlqTopic+"?password=wrong-pw-123",
				WithKafkaSecurity(KafkaSecurity{SASLMechanism: tc.mechanism, Username: "svc", Password: "s3cret-pw"}),
				WithKafkaAttempts(1, time.Second))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { bad.Close() })
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			err = bad.Publish(ctx, sampleLetters()[:1])
			if !errors.Is(err, ErrPublish) {
				t.Fatalf("Publish with a wrong password = %v, want ErrPublish", err)
			}
			if strings.Contains(err.Error(), "wrong-pw-123") || strings.Contains(err.Error(), "s3cret-pw") {
				t.Errorf("error leaks a password: %v", err)
			}
		})
	}
}

func TestKafkaPublishUnreachable(t *testing.T) {
	// A port that was just listening and is now closed refuses connections.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	p, err := Open(t.Context(), "kafka://"+addr+"/"+dlqTopic+"?sasl_mechanism=plain&username=u&password=hunter2x",
		WithKafkaAttempts(2, time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	start := time.Now()
	err = p.Publish(ctx, sampleLetters())
	if !errors.Is(err, ErrPublish) {
		t.Fatalf("Publish to a closed port = %v, want ErrPublish", err)
	}
	if strings.Contains(err.Error(), "hunter2x") {
		t.Errorf("error leaks the password: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Publish took %s; attempts are not bounded", d)
	}
}

func TestKafkaPublishAfterClose(t *testing.T) {
	targettest.Kafkas(t, func(t *testing.T, k *targettest.Kafka) {
		p, err := Open(t.Context(), "kafka://"+k.Addr()+"/"+k.Topic(t, dlqTopic, 1))
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		if err := p.Publish(t.Context(), sampleLetters()); !errors.Is(err, ErrClosed) {
			t.Errorf("Publish after Close = %v, want ErrClosed", err)
		}
		if err := p.Close(); err != nil {
			t.Errorf("second Close = %v", err)
		}
	})
}

func TestOpenRejects(t *testing.T) {
	tests := []struct {
		name   string
		target string
		opts   []Option
	}{
		{"es without bulk writer", "es://dlq", nil},
		{"sasl without password", "kafka://127.0.0.1:1/dlq?sasl_mechanism=plain&username=u", nil},
		{"missing CA file", "kafka://127.0.0.1:1/dlq?tls=true&ca_cert=/nonexistent/ca.pem", nil},
		{"CA without certificate", "kafka://127.0.0.1:1/dlq", []Option{WithKafkaSecurity(KafkaSecurity{TLS: true, CACert: "-----BEGIN nothing"})}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Open(t.Context(), tc.target, tc.opts...); !errors.Is(err, ErrTarget) {
				t.Errorf("Open = %v, want ErrTarget", err)
			}
		})
	}
}
