package sink

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/deadletter"
	"github.com/esconnect/esconnect/shared/esbulk"
	"github.com/esconnect/esconnect/shared/esclient"
	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/esnode/esnodetest"
	"github.com/esconnect/esconnect/shared/kafkaevent"
	"github.com/esconnect/esconnect/shared/msgdoc"
	"github.com/esconnect/esconnect/shared/targettest"
)

// The helpers below run the sink the way a deployment does: settings as
// environment variables, Open, Handle on the payload bytes, against an
// Elasticsearch-API server over HTTP (the esnode or a real engine, see
// targettest) and a Kafka broker over the Kafka protocol (kfake or a real
// one).

// node starts an esnode and returns it with a go-elasticsearch client, for
// the tests that need what only the esnode has (fault injection, the
// blackhole, auth and TLS options).
func node(t *testing.T, opts esnode.Options) (*esnode.Server, *elasticsearch.Client) {
	t.Helper()
	s := esnodetest.Start(t, opts)
	return s, esnodetest.Client(t, s)
}

// openSink opens the handler against the esnode srv (see openSinkEnv).
func openSink(t testing.TB, srv *esnode.Server, env map[string]string, logs *bytes.Buffer) *Handler {
	t.Helper()
	return openSinkEnv(t, map[string]string{esclient.EnvURL: srv.URL}, env, logs)
}

// openSinkOn opens the handler against the engine e, with the settings
// e.Env gives (ES_URL, credentials, ES_DISTRIBUTION for OpenSearch).
func openSinkOn(t testing.TB, e *targettest.Engine, env map[string]string, logs *bytes.Buffer) *Handler {
	t.Helper()
	return openSinkEnv(t, e.Env(), env, logs)
}

// openSinkEnv loads base and env (fast retries unless env says otherwise)
// and opens the handler; logs, when not nil, captures its log.
func openSinkEnv(t testing.TB, base, env map[string]string, logs *bytes.Buffer) *Handler {
	t.Helper()
	full := map[string]string{
		esbulk.EnvRetryBackoffInitial: "1ms",
		esbulk.EnvRetryBackoffMax:     "5ms",
	}
	for _, m := range []map[string]string{base, env} {
		for k, v := range m {
			full[k] = v
		}
	}
	cfg, err := LoadConfig(config.FromMap(full))
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	h, closeFn, err := Open(t.Context(), cfg, jsonLogger(logs))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := closeFn(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return h
}

const dlqTopic = "dlq"

// letterTopic is a dead-letter topic: DLQ_TARGET for the sink, and where a
// test reads what the sink wrote.
type letterTopic struct {
	brokers []string
	topic   string
}

// target is the DLQ_TARGET naming the topic.
func (d letterTopic) target() string {
	return "kafka://" + strings.Join(d.brokers, ",") + "/" + d.topic
}

// startKafka starts a kfake broker with the dead-letter topic, for the
// esnode-only tests.
func startKafka(t *testing.T) letterTopic {
	t.Helper()
	c, err := kfake.NewCluster(kfake.Ports(0), kfake.SeedTopics(1, dlqTopic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return letterTopic{brokers: c.ListenAddrs(), topic: dlqTopic}
}

// letters creates the dead-letter topic of one partition on k, private to
// the test on a real broker.
func letters(t *testing.T, k *targettest.Kafka) letterTopic {
	t.Helper()
	return lettersAt(t, k, dlqTopic)
}

// lettersAt is letters with a topic called base, for a test with several
// topics on one broker.
func lettersAt(t *testing.T, k *targettest.Kafka, base string) letterTopic {
	t.Helper()
	return letterTopic{brokers: k.Brokers, topic: k.Topic(t, base, 1)}
}

// read reads n dead letters from the start of the topic.
func (d letterTopic) read(t *testing.T, n int) []deadletter.Letter {
	t.Helper()
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: d.brokers, Topic: d.topic, Partition: 0, MaxWait: 50 * time.Millisecond})
	t.Cleanup(func() { r.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	var out []deadletter.Letter
	for len(out) < n {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("read dead letter %d of %d: %v", len(out)+1, n, err)
		}
		l, err := deadletter.Decode(m.Value)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, l)
	}
	return out
}

// end is the number of messages in the dead-letter topic.
func (d letterTopic) end(t *testing.T) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	conn, err := kafka.DialLeader(ctx, "tcp", d.brokers[0], d.topic, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, last, err := conn.ReadOffsets()
	if err != nil {
		t.Fatal(err)
	}
	return last
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wantSource is the _source the connector's document shape prescribes for
// r with default settings, built as a map so that it is independent of the
// byte-appending builder under test.
func wantSource(r kafkaevent.Record) map[string]any {
	m := map[string]any{
		"offset": float64(r.Offset), "overflowFlag": r.Overflow, "partition": float64(r.Partition),
		"timestamp": float64(r.Timestamp), "topic": r.Topic, "valueSize": float64(len(r.Value)),
	}
	if r.Key != nil {
		if utf8.Valid(r.Key) {
			m["key"] = string(r.Key)
		} else {
			m["key"], m["keyEncoding"] = base64.StdEncoding.EncodeToString(r.Key), "base64"
		}
	}
	switch {
	case r.Overflow:
		m["valueSize"] = float64(r.ValueSize)
	case r.Value == nil:
	case utf8.Valid(r.Value):
		m["value"] = string(r.Value)
	default:
		m["value"], m["valueEncoding"] = base64.StdEncoding.EncodeToString(r.Value), "base64"
	}
	return map[string]any{"msg_body": m}
}

// awsEvent encodes records as an AWS MSK event.
func awsEvent(t testing.TB, recs []kafkaevent.Record) []byte {
	t.Helper()
	b, err := kafkaevent.EncodeAWS(recs, "aws:kafka", "127.0.0.1:9092")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// records makes n records of topic/partition 0 from offset first, with the
// value given by value(i).
func records(topic string, first int64, n int, value func(i int) string) []kafkaevent.Record {
	recs := make([]kafkaevent.Record, n)
	for i := range recs {
		v := value(i)
		recs[i] = kafkaevent.Record{
			Topic: topic, Offset: first + int64(i), Timestamp: 1709633700000 + int64(i), TimestampType: "CREATE_TIME",
			Key: []byte("k-" + strconv.Itoa(i)), Value: []byte(v), ValueSize: len(v),
		}
	}
	return recs
}

func offsetID(r kafkaevent.Record) string { return msgdoc.OffsetID(r.Topic, r.Partition, r.Offset) }

func jsonLogger(buf *bytes.Buffer) *slog.Logger {
	var w io.Writer = io.Discard
	if buf != nil {
		w = buf
	}
	return slog.New(slog.NewJSONHandler(w, nil))
}
