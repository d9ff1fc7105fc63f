package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/segmentio/kafka-go"

	"github.com/esconnect/esconnect/shared/devstack"
	"github.com/esconnect/esconnect/shared/msgdoc"
	"github.com/esconnect/esconnect/shared/replay"
)

// replayStack starts a dev stack with topic (1 partition) holding values,
// one record each, and points the sink settings at the stack's node.
func replayStack(t *testing.T, topic string, values []string) (*devstack.Stack, *elasticsearch.Client) {
	t.Helper()
	s, err := devstack.Start(t.Context(), devstack.Options{KafkaAddr: "127.0.0.1:0", ESAddr: "127.0.0.1:0",
		Topics: []devstack.Topic{{Name: topic, Partitions: 1}, {Name: "dlq", Partitions: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if len(values) > 0 {
		conn, err := kafka.DialLeader(t.Context(), "tcp", s.KafkaAddrs[0], topic, 0)
		if err != nil {
			t.Fatal(err)
		}
		msgs := make([]kafka.Message, len(values))
		for i, v := range values {
			msgs[i] = kafka.Message{Key: fmt.Appendf(nil, "k%d", i), Value: []byte(v)}
		}
		if _, err := conn.WriteMessages(msgs...); err != nil {
			t.Fatal(err)
		}
		conn.Close()
	}
	t.Setenv("ES_URL", s.ESURL)
	t.Setenv("ES_INDEX", "replayed")
	es, err := elasticsearch.NewClient(elasticsearch.Config{Addresses: []string{s.ESURL}})
	if err != nil {
		t.Fatal(err)
	}
	return s, es
}

// indexedIDs returns the ids of every document in index.
func indexedIDs(t *testing.T, es *elasticsearch.Client, index string) map[string]json.RawMessage {
	t.Helper()
	if res, err := es.Indices.Refresh(es.Indices.Refresh.WithIndex(index)); err != nil {
		t.Fatal(err)
	} else {
		res.Body.Close()
	}
	res, err := es.Search(es.Search.WithIndex(index), es.Search.WithSize(1000), es.Search.WithContext(t.Context()))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode == http.StatusNotFound {
		return map[string]json.RawMessage{}
	}
	var body struct {
		Hits struct {
			Hits []struct {
				ID     string          `json:"_id"`
				Source json.RawMessage `json:"_source"`
			} `json:"hits"`
		} `json:"hits"`
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	out := map[string]json.RawMessage{}
	for _, h := range body.Hits.Hits {
		out[h.ID] = h.Source
	}
	return out
}

func runReplayCmd(t *testing.T, args ...string) (replay.Summary, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := runReplay(t.Context(), args, &stdout, &stderr)
	var sum replay.Summary
	if jerr := json.Unmarshal(stdout.Bytes(), &sum); jerr != nil {
		t.Fatalf("summary %q: %v (stderr %s, error %v)", stdout.String(), jerr, stderr.String(), err)
	}
	return sum, err
}

func TestReplayRangeIndexesExactlyThatRange(t *testing.T) {
	values := make([]string, 20)
	for i := range values {
		values[i] = fmt.Sprintf(`{"n":%d}`, i)
	}
	s, es := replayStack(t, "orders", values)
	sum, err := runReplayCmd(t, "--from", "kafka://"+s.KafkaAddrs[0]+"/orders?partition=0&from=5&to=15", "--to", "local", "--batch", "4")
	if err != nil {
		t.Fatal(err)
	}
	if sum.Sent != 10 || len(sum.Partitions) != 1 || sum.Partitions[0].Next != 15 {
		t.Fatalf("summary = %+v", sum)
	}
	got := indexedIDs(t, es, "replayed")
	if len(got) != 10 {
		t.Fatalf("index holds %d documents, want 10", len(got))
	}
	for off := int64(5); off < 15; off++ {
		if _, ok := got[msgdoc.OffsetID("orders", 0, off)]; !ok {
			t.Errorf("offset %d not indexed", off)
		}
	}
}

// TestRedriveFromDeadLetterTopic dead-letters records that do not parse as
// JSON, then redrives them with the cause fixed (text values): they must be
// indexed under the ids of their original topic, partition and offset.
func TestRedriveFromDeadLetterTopic(t *testing.T) {
	// The good values are JSON strings, so the first pass maps
	// msg_body.value as text and the redriven text values fit that mapping.
	values := []string{`"one"`, `not json`, `"two"`, `also not json`}
	s, es := replayStack(t, "orders", values)
	broker := s.KafkaAddrs[0]
	t.Setenv("VALUE_FORMAT", "json")
	t.Setenv("DLQ_TARGET", "kafka://"+broker+"/dlq")
	t.Setenv("ON_FAILURE", "dlq")
	if _, err := runReplayCmd(t, "--from", "kafka://"+broker+"/orders", "--to", "local"); err != nil {
		t.Fatal(err)
	}
	first := indexedIDs(t, es, "replayed")
	if len(first) != 2 {
		t.Fatalf("first pass indexed %d documents, want the 2 JSON ones", len(first))
	}

	t.Setenv("VALUE_FORMAT", "text")
	sum, err := runReplayCmd(t, "--from", "kafka://"+broker+"/dlq?deadletter=true", "--to", "local")
	if err != nil {
		t.Fatal(err)
	}
	if sum.Sent != 2 || sum.Partitions[0].Topic != "dlq" {
		t.Fatalf("redrive summary = %+v", sum)
	}
	got := indexedIDs(t, es, "replayed")
	if len(got) != 4 {
		t.Fatalf("index holds %d documents after the redrive, want 4", len(got))
	}
	for off := range values {
		src, ok := got[msgdoc.OffsetID("orders", 0, int64(off))]
		if !ok {
			t.Fatalf("offset %d missing under its original id", off)
		}
		if off%2 == 1 && !strings.Contains(string(src), `"topic":"orders"`) {
			t.Fatalf("redriven document %s does not name the original topic", src)
		}
	}
}

func TestReplayDryRunAndBadFlags(t *testing.T) {
	s, _ := replayStack(t, "orders", []string{"a", "b", "c"})
	sum, err := runReplayCmd(t, "--from", "kafka://"+s.KafkaAddrs[0]+"/orders", "--to", "lambda:nowhere", "--dry-run")
	if err != nil || sum.Read != 3 || !sum.DryRun {
		t.Fatalf("dry run = %+v, %v", sum, err)
	}
	err = runReplay(t.Context(), []string{"--from", "x"}, io.Discard, io.Discard)
	if ec, ok := err.(*exitCodeError); !ok || ec.code != 2 {
		t.Fatalf("missing --to: %v, want exit code 2", err)
	}
}
