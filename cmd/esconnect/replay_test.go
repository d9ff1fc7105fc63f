package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/elastic/go-elasticsearch/v8/esapi"
	"github.com/segmentio/kafka-go"

	"github.com/esconnect/esconnect/shared/msgdoc"
	"github.com/esconnect/esconnect/shared/replay"
	"github.com/esconnect/esconnect/shared/targettest"
)

// replayStack is what a CLI test runs against, with the test's topics and
// index on it.
type replayStack struct {
	Kafka *targettest.Kafka
	ES    *targettest.Engine
	// brokers is the bootstrap list as the commands take it.
	brokers string
	// topic (one partition) holds the test's records, dlq (one partition)
	// takes dead letters, index takes the documents.
	topic, dlq, index string
}

// newReplayStack creates topic "orders" holding values, one record each,
// and a dead-letter topic on s.Kafka, and points the sink settings at
// s.ES with the index "replayed".
func newReplayStack(t *testing.T, s *targettest.Stack, values []string) replayStack {
	t.Helper()
	rs := newKafkaStack(t, s.Kafka, values)
	rs.ES, rs.index = s.ES, s.ES.Index("replayed")
	// ES_URL, credentials and the distribution, as a function gets them;
	// a distribution left in the caller's shell must not apply to the
	// esnode.
	t.Setenv("ES_DISTRIBUTION", "")
	for k, v := range s.ES.Env() {
		t.Setenv(k, v)
	}
	t.Setenv("ES_INDEX", rs.index)
	return rs
}

// newKafkaStack is newReplayStack without a search engine, for commands
// that do not reach one.
func newKafkaStack(t *testing.T, k *targettest.Kafka, values []string) replayStack {
	t.Helper()
	rs := replayStack{Kafka: k, brokers: strings.Join(k.Brokers, ","),
		topic: k.Topic(t, "orders", 1), dlq: k.Topic(t, "dlq", 1)}
	if len(values) > 0 {
		conn, err := kafka.DialLeader(t.Context(), "tcp", k.Addr(), rs.topic, 0)
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
	return rs
}

// indexedIDs returns the ids and sources of every document in index; a
// missing index holds none.
func indexedIDs(t *testing.T, api *esapi.API, index string) map[string]json.RawMessage {
	t.Helper()
	ids, err := searchIDs(t, api, index)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// errShardsStarting is returned by searchIDs for an index whose primary
// shard has not started: a real cluster answers a search so (503, all
// shards failed) for a moment after a bulk request created the index.
var errShardsStarting = errors.New("the index's shards are not started yet")

func searchIDs(t *testing.T, api *esapi.API, index string) (map[string]json.RawMessage, error) {
	t.Helper()
	if res, err := api.Indices.Refresh(api.Indices.Refresh.WithIndex(index), api.Indices.Refresh.WithContext(t.Context())); err != nil {
		t.Fatal(err)
	} else {
		res.Body.Close()
	}
	res, err := api.Search(api.Search.WithIndex(index), api.Search.WithSize(1000), api.Search.WithContext(t.Context()))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode == http.StatusNotFound {
		return map[string]json.RawMessage{}, nil
	}
	if res.IsError() {
		b, _ := io.ReadAll(res.Body)
		err := fmt.Errorf("search %s: %s: %s", index, res.Status(), b)
		if res.StatusCode == http.StatusServiceUnavailable {
			err = fmt.Errorf("%w: %w", errShardsStarting, err)
		}
		return nil, err
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
	return out, nil
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
	targettest.Stacks(t, func(t *testing.T, ts *targettest.Stack) {
		s := newReplayStack(t, ts, values)
		sum, err := runReplayCmd(t, "--from", "kafka://"+s.brokers+"/"+s.topic+"?partition=0&from=5&to=15", "--to", "local", "--batch", "4")
		if err != nil {
			t.Fatal(err)
		}
		if sum.Sent != 10 || len(sum.Partitions) != 1 || sum.Partitions[0].Next != 15 {
			t.Fatalf("summary = %+v", sum)
		}
		got := indexedIDs(t, s.ES.API, s.index)
		if len(got) != 10 {
			t.Fatalf("index holds %d documents, want 10", len(got))
		}
		for off := int64(5); off < 15; off++ {
			if _, ok := got[msgdoc.OffsetID(s.topic, 0, off)]; !ok {
				t.Errorf("offset %d not indexed", off)
			}
		}
	})
}

// TestRedriveFromDeadLetterTopic dead-letters records that do not parse as
// JSON, then redrives them with the cause fixed (text values): they must be
// indexed under the ids of their original topic, partition and offset.
func TestRedriveFromDeadLetterTopic(t *testing.T) {
	// The good values are JSON strings, so the first pass maps
	// msg_body.value as text and the redriven text values fit that mapping.
	values := []string{`"one"`, `not json`, `"two"`, `also not json`}
	targettest.Stacks(t, func(t *testing.T, ts *targettest.Stack) {
		s := newReplayStack(t, ts, values)
		t.Setenv("VALUE_FORMAT", "json")
		t.Setenv("DLQ_TARGET", "kafka://"+s.brokers+"/"+s.dlq)
		t.Setenv("ON_FAILURE", "dlq")
		if _, err := runReplayCmd(t, "--from", "kafka://"+s.brokers+"/"+s.topic, "--to", "local"); err != nil {
			t.Fatal(err)
		}
		first := indexedIDs(t, s.ES.API, s.index)
		if len(first) != 2 {
			t.Fatalf("first pass indexed %d documents, want the 2 JSON ones", len(first))
		}

		t.Setenv("VALUE_FORMAT", "text")
		sum, err := runReplayCmd(t, "--from", "kafka://"+s.brokers+"/"+s.dlq+"?deadletter=true", "--to", "local")
		if err != nil {
			t.Fatal(err)
		}
		if sum.Sent != 2 || sum.Partitions[0].Topic != s.dlq {
			t.Fatalf("redrive summary = %+v", sum)
		}
		got := indexedIDs(t, s.ES.API, s.index)
		if len(got) != 4 {
			t.Fatalf("index holds %d documents after the redrive, want 4", len(got))
		}
		for off := range values {
			src, ok := got[msgdoc.OffsetID(s.topic, 0, int64(off))]
			if !ok {
				t.Fatalf("offset %d missing under its original id", off)
			}
			if off%2 == 1 && !strings.Contains(string(src), `"topic":"`+s.topic+`"`) {
				t.Fatalf("redriven document %s does not name the original topic", src)
			}
		}
	})
}

func TestReplayDryRunAndBadFlags(t *testing.T) {
	targettest.Kafkas(t, func(t *testing.T, k *targettest.Kafka) {
		s := newKafkaStack(t, k, []string{"a", "b", "c"})
		sum, err := runReplayCmd(t, "--from", "kafka://"+s.brokers+"/"+s.topic, "--to", "lambda:nowhere", "--dry-run")
		if err != nil || sum.Read != 3 || !sum.DryRun {
			t.Fatalf("dry run = %+v, %v", sum, err)
		}
	})
	err := runReplay(t.Context(), []string{"--from", "x"}, io.Discard, io.Discard)
	if ec, ok := err.(*exitCodeError); !ok || ec.code != 2 {
		t.Fatalf("missing --to: %v, want exit code 2", err)
	}
}
