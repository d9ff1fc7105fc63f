package soak

import (
	"fmt"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/esconnect/esconnect/shared/deadletter"
	"github.com/esconnect/esconnect/shared/kafkaevent"
	"github.com/esconnect/esconnect/shared/msgdoc"
	"github.com/esconnect/esconnect/shared/targettest"
)

// sample is a small ground truth: two keys over two partitions, with one
// conflict and one non-JSON record.
func sample() produced {
	return produced{records: []record{
		{partition: 0, offset: 0, key: "a", kind: kindValid},
		{partition: 0, offset: 1, key: "a", kind: kindValid},
		{partition: 0, offset: 2, key: "a", kind: kindConflict},
		{partition: 1, offset: 0, key: "b", kind: kindValid},
		{partition: 1, offset: 1, key: "b", kind: kindNotJSON},
		{partition: 1, offset: 2, key: "c", kind: kindConflict},
	}, ends: map[int]int64{0: 3, 1: 3}}
}

func TestExpectedDocs(t *testing.T) {
	tests := []struct {
		docID string
		want  map[string]position
	}{
		{DocIDOffset, map[string]position{
			msgdoc.OffsetID(dataTopic, 0, 0): {0, 0}, msgdoc.OffsetID(dataTopic, 0, 1): {0, 1}, msgdoc.OffsetID(dataTopic, 1, 0): {1, 0},
		}},
		// The key's last valid record wins; a key with only poison records
		// ("c") has no document.
		{DocIDKey, map[string]position{"a": {0, 1}, "b": {1, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.docID, func(t *testing.T) {
			got := expectedDocs(dataTopic, tt.docID, sample())
			if len(got) != len(tt.want) {
				t.Fatalf("expectedDocs = %v, want %v", got, tt.want)
			}
			for id, p := range tt.want {
				if got[id] != p {
					t.Errorf("%s: %+v, want %+v", id, got[id], p)
				}
			}
		})
	}
}

// TestCheckDocsFindsEveryMismatch plants an index with one correct, one
// stale, one misplaced and one unknown document and one missing, and
// expects each to be counted where it belongs.
func TestCheckDocsFindsEveryMismatch(t *testing.T) {
	want := map[string]position{"ok": {0, 5}, "stale": {0, 9}, "wrong": {1, 3}, "missing": {1, 4}}
	tests := []struct {
		name                      string
		docs                      map[string]position
		lost, unexpected, indexed int
		clean                     bool
	}{
		{name: "all correct", docs: map[string]position{"ok": {0, 5}, "stale": {0, 9}, "wrong": {1, 3}, "missing": {1, 4}}, indexed: 4, clean: true},
		{
			name: "every kind of mismatch",
			docs: map[string]position{"ok": {0, 5}, "stale": {0, 7}, "wrong": {0, 3}, "unknown": {2, 2}},
			// stale (an older version of the key) and missing are lost;
			// wrong (another record under the id) and unknown are unexpected.
			lost: 2, unexpected: 2, indexed: 4,
		},
	}
	targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				// An index per case: the cases share the engine.
				es, index := soakIndex(t, e, fmt.Sprintf("%s-%d", index, i))
				bulkDocs(t, es, index, tt.docs)
				rep := Report{Sent: 10}
				if err := checkDocs(t.Context(), es, index, want, &rep); err != nil {
					t.Fatal(err)
				}
				if rep.Lost != tt.lost || rep.Unexpected != tt.unexpected || rep.Indexed != tt.indexed ||
					rep.Hits != tt.indexed || rep.Duplicated != 0 || rep.ExpectedDocs != 4 {
					t.Errorf("report %+v", rep)
				}
				if (len(rep.Problems) == 0) != tt.clean {
					t.Errorf("problems %q", rep.Problems)
				}
			})
		}
	})
}

// TestCheckDeadLetters writes letters to a real topic: a letter written
// twice counts once, a poison record without a letter is lost, and a letter
// for a valid record is unexpected.
func TestCheckDeadLetters(t *testing.T) {
	p := sample()
	letter := func(part int32, off int64, status int) kafka.Message {
		b, err := deadletter.Encode(deadletter.Letter{
			Record:   kafkaevent.Record{Topic: dataTopic, Partition: part, Offset: off, Value: []byte("x")},
			Error:    deadletter.Cause{Type: "test", Status: status},
			Function: "kafka-es-sink", Time: time.Unix(0, 0),
		})
		if err != nil {
			t.Fatal(err)
		}
		return kafka.Message{Value: b}
	}
	tests := []struct {
		name                                   string
		letters                                []kafka.Message
		raw, distinct, lost, unexpected, probs int
	}{
		{
			name:    "every poison record once, one twice",
			letters: []kafka.Message{letter(0, 2, 400), letter(1, 1, 0), letter(1, 2, 400), letter(0, 2, 400)},
			raw:     4, distinct: 3,
		},
		{
			name:    "one missing, one for a valid record, one with the wrong status",
			letters: []kafka.Message{letter(0, 2, 400), letter(1, 1, 400), letter(0, 0, 400)},
			raw:     3, distinct: 2, lost: 1, unexpected: 1, probs: 3,
		},
	}
	targettest.Kafkas(t, func(t *testing.T, k *targettest.Kafka) {
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				dlq := k.Topic(t, fmt.Sprintf("%s-%d", dlqTopic, i), 1)
				writeMessages(t, k, dlq, tt.letters)
				var rep Report
				if err := checkDeadLetters(t.Context(), k.Addr(), dlq, dataTopic, p, &rep); err != nil {
					t.Fatal(err)
				}
				if rep.DeadLettersRaw != tt.raw || rep.DeadLettered != tt.distinct || rep.Lost != tt.lost ||
					rep.Unexpected != tt.unexpected || len(rep.Problems) != tt.probs {
					t.Errorf("report %+v", rep)
				}
			})
		}
	})
}

// writeMessages produces msgs to topic in order (acks=all), through a
// transport of its own (see newKafkaClient).
func writeMessages(t *testing.T, k *targettest.Kafka, topic string, msgs []kafka.Message) {
	t.Helper()
	tr := &kafka.Transport{}
	defer tr.CloseIdleConnections()
	w := &kafka.Writer{Addr: kafka.TCP(k.Brokers...), Topic: topic, BatchTimeout: time.Millisecond, RequiredAcks: kafka.RequireAll, Transport: tr}
	defer w.Close()
	if err := w.WriteMessages(t.Context(), msgs...); err != nil {
		t.Fatal(err)
	}
}
