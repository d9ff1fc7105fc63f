package soak

import (
	"context"
	"fmt"

	"github.com/elastic/go-elasticsearch/v8/esapi"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/esconnect/esconnect/shared/deadletter"
	"github.com/esconnect/esconnect/shared/msgdoc"
)

// position is where a record sits in Kafka.
type position struct {
	partition int
	offset    int64
}

// expectedDocs maps each document id the index must hold to the record
// that document must carry: every valid record under DocIDOffset; under
// DocIDKey each key's valid record with the highest offset (all versions of
// a key are in one partition, so offsets order them).
func expectedDocs(topic, docID string, p produced) map[string]position {
	want := map[string]position{}
	for _, r := range p.records {
		if r.kind != kindValid {
			continue
		}
		pos := position{r.partition, r.offset}
		if docID == DocIDOffset {
			want[msgdoc.OffsetID(topic, int32(r.partition), r.offset)] = pos
			continue
		}
		id := msgdoc.KeyID([]byte(r.key))
		if cur, ok := want[id]; !ok || cur.offset < r.offset {
			want[id] = pos
		}
	}
	return want
}

// checkDocs scrolls over every document of index and compares them with
// want, filling the document side of rep.
func checkDocs(ctx context.Context, es esapi.Transport, index string, want map[string]position, rep *Report) error {
	seen := make(map[string]int, len(want))
	hits, err := scrollAll(ctx, es, index, 2*rep.Sent+scrollPage, func(h hit) {
		seen[h.ID]++
		if seen[h.ID] > 1 {
			return
		}
		w, ok := want[h.ID]
		got := position{h.Source.MsgBody.Partition, h.Source.MsgBody.Offset}
		switch {
		case !ok:
			rep.Unexpected++
			rep.problem("document %s: no valid record has this id (holds %d/%d)", h.ID, got.partition, got.offset)
		case got == w:
		case got.partition == w.partition && got.offset < w.offset:
			// Only DocIDKey can get here: an older version of the key
			// survived, so the key's last write is missing.
			rep.Lost++
			rep.problem("document %s holds offset %d, want the key's last valid offset %d", h.ID, got.offset, w.offset)
		default:
			rep.Unexpected++
			rep.problem("document %s holds %d/%d, want %d/%d", h.ID, got.partition, got.offset, w.partition, w.offset)
		}
	})
	if err != nil {
		return err
	}
	rep.Hits = hits
	rep.Indexed = len(seen)
	rep.ExpectedDocs = len(want)
	for id, n := range seen {
		if n > 1 {
			rep.Duplicated += n - 1
			rep.problem("document %s returned %d times", id, n)
		}
	}
	for id, w := range want {
		if seen[id] == 0 {
			rep.Lost++
			rep.problem("document %s (record %d/%d) is missing", id, w.partition, w.offset)
		}
	}
	n, err := count(ctx, es, index)
	if err != nil {
		return err
	}
	if n != hits {
		rep.problem("_count says %d documents, the scroll returned %d", n, hits)
	}
	return nil
}

// checkDeadLetters reads the whole dead-letter topic and compares the
// original records of its letters with the poison records of p, filling the
// dead-letter side of rep.
func checkDeadLetters(ctx context.Context, broker, dlqTopic, topic string, p produced, rep *Report) error {
	poison := map[position]kind{}
	for _, r := range p.records {
		if r.kind != kindValid {
			poison[position{r.partition, r.offset}] = r.kind
		}
	}
	seen := map[position]bool{}
	rep.DeadLetterTypes = map[string]int{}
	_, err := readTopic(ctx, broker, dlqTopic, 1, func(m *kgo.Record) error {
		rep.DeadLettersRaw++
		l, err := deadletter.Decode(m.Value)
		if err != nil {
			return fmt.Errorf("dead letter at %s/%d offset %d: %w", dlqTopic, m.Partition, m.Offset, err)
		}
		pos := position{int(l.Record.Partition), l.Record.Offset}
		k, ok := poison[pos]
		switch {
		case l.Record.Topic != topic || !ok:
			rep.Unexpected++
			rep.problem("dead letter for %s/%d/%d, which is not a poison record (%s: %s)", l.Record.Topic, pos.partition, pos.offset, l.Error.Type, l.Error.Reason)
			return nil
		case seen[pos]:
			return nil
		}
		seen[pos] = true
		rep.DeadLetterTypes[l.Error.Type]++
		// A mapping conflict is refused by Elasticsearch (a 4xx); a value
		// that is not JSON never reaches it (status 0).
		if reached := l.Error.Status != 0; reached != (k == kindConflict) {
			rep.problem("dead letter for %s record %d/%d has status %d (%s)", k, pos.partition, pos.offset, l.Error.Status, l.Error.Type)
		}
		return nil
	})
	if err != nil {
		return err
	}
	rep.DeadLettered = len(seen)
	for pos, k := range poison {
		if !seen[pos] {
			rep.Lost++
			rep.problem("%s record %d/%d has no dead letter", k, pos.partition, pos.offset)
		}
	}
	return nil
}
