package soak

import (
	"encoding/json"
	"testing"

	"github.com/esconnect/esconnect/shared/targettest"
)

func TestMessageKinds(t *testing.T) {
	c := Config{Binary: "b", N: 500, ValueBytes: 8}.withDefaults()
	tests := []struct {
		seq      int
		want     kind
		wantJSON bool
	}{
		{seq: 1, want: kindValid, wantJSON: true},
		{seq: 97, want: kindConflict, wantJSON: true},
		{seq: 211, want: kindNotJSON},
		{seq: 97 * 211, want: kindNotJSON}, // both: not JSON wins
	}
	for _, tt := range tests {
		m := c.message(tt.seq, []byte("abcdefgh"))
		k, ok := kindOfMessage(m)
		if !ok || k != tt.want || c.kindOf(tt.seq) != tt.want {
			t.Errorf("seq %d: kind %v (header found %t), want %v", tt.seq, k, ok, tt.want)
		}
		var v struct {
			Seq int `json:"seq"`
			N   any `json:"n"`
		}
		err := json.Unmarshal(m.Value, &v)
		if (err == nil) != tt.wantJSON {
			t.Errorf("seq %d: value %q JSON = %t, want %t", tt.seq, m.Value, err == nil, tt.wantJSON)
			continue
		}
		if err != nil {
			continue
		}
		// The conflict is exactly a string where the mapping wants a long.
		if _, isString := v.N.(string); v.Seq != tt.seq || isString != (tt.want == kindConflict) {
			t.Errorf("seq %d: value %s", tt.seq, m.Value)
		}
	}
}

func TestKeys(t *testing.T) {
	off := Config{Binary: "b", N: 100}.withDefaults()
	key := Config{Binary: "b", N: 100, DocID: DocIDKey, Keys: 7}.withDefaults()
	if string(off.key(3)) == string(off.key(10)) {
		t.Error("DOC_ID=offset keys repeat")
	}
	if string(key.key(3)) != string(key.key(10)) || string(key.key(3)) == string(key.key(4)) {
		t.Errorf("DOC_ID=key keys: %s %s %s, want seq 3 and 10 to share a key", key.key(3), key.key(10), key.key(4))
	}
}

// TestProduceReadBack produces a run's records to a real broker and reads
// them back: every record is there once, with its kind, and under
// DOC_ID=key all versions of a key sit in one partition.
func TestProduceReadBack(t *testing.T) {
	targettest.Kafkas(t, func(t *testing.T, k *targettest.Kafka) {
		for _, docID := range []string{DocIDOffset, DocIDKey} {
			t.Run(docID, func(t *testing.T) {
				testProduceReadBack(t, k, docID)
			})
		}
	})
}

func testProduceReadBack(t *testing.T, k *targettest.Kafka, docID string) {
	t.Helper()
	topic := k.Topic(t, dataTopic+"-"+docID, 3)
	c := Config{Binary: "b", N: 1500, DocID: docID, Partitions: 3}.withDefaults()
	if err := produce(t.Context(), k.Addr(), topic, c); err != nil {
		t.Fatal(err)
	}
	p, err := readProduced(t.Context(), k.Addr(), topic, 3)
	if err != nil {
		t.Fatal(err)
	}
	wantConflicts, wantNotJSON := 0, 0
	for seq := 1; seq <= c.N; seq++ {
		switch c.kindOf(seq) {
		case kindConflict:
			wantConflicts++
		case kindNotJSON:
			wantNotJSON++
		}
	}
	if len(p.records) != c.N || p.count(kindConflict) != wantConflicts || p.count(kindNotJSON) != wantNotJSON {
		t.Fatalf("read back %d records, %d conflicts, %d not JSON; want %d, %d, %d",
			len(p.records), p.count(kindConflict), p.count(kindNotJSON), c.N, wantConflicts, wantNotJSON)
	}
	var total int64
	for part, end := range p.ends {
		total += end
		if end == 0 {
			t.Errorf("partition %d got no records", part)
		}
	}
	if total != int64(c.N) {
		t.Errorf("end offsets add up to %d, want %d", total, c.N)
	}
	partOf := map[string]int{}
	for _, r := range p.records {
		if prev, ok := partOf[r.key]; ok && prev != r.partition {
			if docID == DocIDKey {
				t.Fatalf("key %s in partitions %d and %d", r.key, prev, r.partition)
			}
			t.Fatalf("DOC_ID=offset key %s produced twice", r.key)
		}
		partOf[r.key] = r.partition
	}
}

func TestCommittedHelpers(t *testing.T) {
	targettest.Kafkas(t, func(t *testing.T, k *targettest.Kafka) {
		topic := k.Topic(t, dataTopic, 2)
		c, err := committed(t.Context(), k.Addr(), k.Group("nobody"), topic, 2)
		if err != nil {
			t.Fatal(err)
		}
		// A group that never committed has -1 everywhere: nothing is behind it.
		if sumCommitted(c) != 0 || caughtUp(c, map[int]int64{0: 1, 1: 0}) {
			t.Errorf("committed = %v", c)
		}
	})
	if !caughtUp(map[int]int64{0: 5, 1: 2}, map[int]int64{0: 5, 1: 2}) || caughtUp(map[int]int64{0: 5}, map[int]int64{0: 5, 1: 2}) {
		t.Error("caughtUp ignores a partition")
	}
}
