package sink

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl/scram"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/targettest"
)

// overflowEvent is an Alibaba connector batch of topic's partition 0: a
// record at offset 0 whose value the connector left out, an ordinary record
// at offset 1 and a left-out record at offset 50, which the topic never had.
func overflowEvent(t *testing.T, topic string, bigSize int) []byte {
	t.Helper()
	recs := []map[string]any{
		{"key": "big", "offset": 0, "overflowFlag": true, "partition": 0, "timestamp": 1709633700123, "topic": topic, "value": "", "valueSize": bigSize},
		{"key": "small", "offset": 1, "overflowFlag": false, "partition": 0, "timestamp": 1709633700124, "topic": topic, "value": "small value", "valueSize": 11},
		{"key": "gone", "offset": 50, "overflowFlag": true, "partition": 0, "timestamp": 1709633700125, "topic": topic, "value": "", "valueSize": bigSize},
	}
	b, err := json.Marshal(recs)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// produceTwo writes a large value and a small one at offsets 0 and 1 of
// partition 0 of topic. Each call has a transport of its own: kafka-go's
// default one caches metadata across tests and reports a topic created
// after its last refresh as unknown.
func produceTwo(t *testing.T, brokers []string, topic, large string, transport *kafka.Transport) {
	t.Helper()
	if transport == nil {
		transport = &kafka.Transport{}
		defer transport.CloseIdleConnections()
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	w := &kafka.Writer{Addr: kafka.TCP(brokers...), Topic: topic, RequiredAcks: kafka.RequireAll,
		BatchTimeout: time.Millisecond, BatchBytes: 4 << 20, Transport: transport}
	defer w.Close()
	if err := w.WriteMessages(ctx, kafka.Message{Key: []byte("big"), Value: []byte(large)},
		kafka.Message{Key: []byte("small"), Value: []byte("small value")}); err != nil {
		t.Fatalf("produce: %v", err)
	}
}

// handleOverflow runs the batch through a handler opened from env.
func handleOverflow(t *testing.T, env map[string]string, payload []byte) Result {
	t.Helper()
	cfg, err := LoadConfig(config.FromMap(env))
	if err != nil {
		t.Fatal(err)
	}
	h, closeFn, err := Open(t.Context(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := closeFn(); err != nil {
			t.Error(err)
		}
	})
	res, err := h.Handle(t.Context(), payload)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	return res
}

// checkOverflowResult: the left-out value was fetched and indexed, the
// ordinary record indexed as it came, the gone one reported as
// overflow_gone and skipped (ON_FAILURE=log) without failing the batch.
func checkOverflowResult(t *testing.T, res Result, topic string) {
	t.Helper()
	if res.Indexed != 2 || res.Skipped != 1 || len(res.Failures) != 1 {
		t.Fatalf("result %+v, want 2 indexed and 1 skipped", res)
	}
	if f := res.Failures[0]; f.Offset != 50 || f.Type != TypeOverflowGone || f.Topic != topic {
		t.Errorf("failure %+v, want offset 50 of %s as %s", f, topic, TypeOverflowGone)
	}
}

func TestOverflowRecordsFetchedThroughHandle(t *testing.T) {
	targettest.Stacks(t, func(t *testing.T, s *targettest.Stack) {
		topic := s.Kafka.Topic(t, "overflow", 1)
		index := s.ES.Index("overflow")
		large := strings.Repeat("L", 900_000)
		produceTwo(t, s.Kafka.Brokers, topic, large, nil)

		env := s.ES.Env()
		env[EnvSinkIndex], env[EnvEventFormat], env[EnvOnFailure] = index, "alibaba-connector", OnFailureLog
		env[EnvFetchOverflow], env[EnvKafkaBrokers] = "true", strings.Join(s.Kafka.Brokers, ",")
		checkOverflowResult(t, handleOverflow(t, env, overflowEvent(t, topic, len(large))), topic)

		body, _ := s.ES.Source(t, index, fmt.Sprintf("%s+0+0", topic))["msg_body"].(map[string]any)
		if v, _ := body["value"].(string); v != large {
			t.Errorf("offset 0 stored with a value of %d bytes, want the fetched %d", len(v), len(large))
		}
		body, _ = s.ES.Source(t, index, fmt.Sprintf("%s+0+1", topic))["msg_body"].(map[string]any)
		if v, _ := body["value"].(string); v != "small value" {
			t.Errorf("offset 1 stored with value %q", v)
		}
	})
}

// TestOverflowFetchWithSASLOnKfake needs a broker with SASL users: the real
// test broker has none. KAFKA_SASL_* reach the overflow fetch; a wrong
// password fails the invocation (transient: the platform re-delivers) and
// never appears in the error.
func TestOverflowFetchWithSASLOnKfake(t *testing.T) {
	const user, pw = "svc", "s3cret-pw"
	c, err := kfake.NewCluster(kfake.Ports(0), kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-512", user, pw))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	brokers := c.ListenAddrs()
	mech, err := scram.Mechanism(scram.SHA512, user, pw)
	if err != nil {
		t.Fatal(err)
	}
	transport := &kafka.Transport{SASL: mech}
	t.Cleanup(transport.CloseIdleConnections)
	const topic = "overflow"
	ctl, err := (&kafka.Dialer{SASLMechanism: mech}).DialContext(t.Context(), "tcp", brokers[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := ctl.CreateTopics(kafka.TopicConfig{Topic: topic, NumPartitions: 1, ReplicationFactor: 1}); err != nil {
		t.Fatal(err)
	}
	ctl.Close()
	large := strings.Repeat("L", 300_000)
	produceTwo(t, brokers, topic, large, transport)

	srv, _ := node(t, esnode.Options{})
	env := map[string]string{
		"ES_URL": srv.URL, EnvSinkIndex: "overflow", EnvEventFormat: "alibaba-connector", EnvOnFailure: OnFailureLog,
		EnvFetchOverflow: "true", EnvKafkaBrokers: strings.Join(brokers, ","),
		EnvKafkaSASLMechanism: "scram-sha-512", EnvKafkaSASLUsername: user, EnvKafkaSASLPassword: pw,
	}
	checkOverflowResult(t, handleOverflow(t, env, overflowEvent(t, topic, len(large))), topic)

	env[EnvKafkaSASLPassword] = "wrong-pw-123"
	cfg, err := LoadConfig(config.FromMap(env))
	if err != nil {
		t.Fatal(err)
	}
	h, closeFn, err := Open(t.Context(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	_, err = h.Handle(t.Context(), overflowEvent(t, topic, len(large)))
	if err == nil || strings.Contains(err.Error(), "wrong-pw-123") {
		t.Fatalf("Handle with a wrong password = %v, want an error without the password", err)
	}
}
