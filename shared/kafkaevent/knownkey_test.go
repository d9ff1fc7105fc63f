package kafkaevent

import (
	"strings"
	"testing"
)

// TestKnownKey reads keys with the word-compare fast path (16 bytes or
// more left) and without it (the end of the input), after every field.
func TestKnownKey(t *testing.T) {
	tail := strings.Repeat(" ", 16)
	cases := []struct {
		in    string
		want  recordField
		colon bool
	}{
		{`"topic":`, recTopic, true},
		{`"partition":`, recPartition, true},
		{`"offset":`, recOffset, true},
		{`"timestamp":`, recTimestamp, true},
		{`"timestampType":`, recTimestampType, true},
		{`"key":`, recKey, true},
		{`"value":`, recValue, true},
		{`"headers":`, recHeaders, true},
		// Spelled right, but the colon is not next: the key alone is read.
		{`"value" :`, recValue, false},
		{`"timestamp" :`, recTimestamp, false},
		// Not a field as Lambda spells it: left for the slow path.
		{`"Value":`, recOther, false},
		{`"valu":`, recOther, false},
		{`"values":`, recOther, false},
		{`"timestampTyp":`, recOther, false},
		{`"ke\u0079":`, recOther, false},
		{`topic:`, recOther, false},
	}
	for _, c := range cases {
		for _, in := range []string{c.in + tail, c.in} {
			for prev := recOther; prev <= recHeaders; prev++ {
				s := scanner{b: []byte(in)}
				f, key, colon := s.knownKey(prev)
				if f != c.want {
					t.Errorf("knownKey(%q) after %d = field %d, want %d", in, prev, f, c.want)
					continue
				}
				if f == recOther {
					if key != nil || colon || s.i != 0 {
						t.Errorf("knownKey(%q) read an unknown key: key %q, colon %v, at %d", in, key, colon, s.i)
					}
					continue
				}
				name := recordFieldNames[f]
				// Without 16 bytes left the key is read alone, colon or not.
				wantColon := c.colon && len(in) >= 16
				wantAt := len(name) + 2
				if wantColon {
					wantAt++
				}
				if string(key) != name || colon != wantColon || s.i != wantAt {
					t.Errorf("knownKey(%q) after %d = key %q, colon %v, at %d; want %q, %v, %d", in, prev, key, colon, s.i, name, wantColon, wantAt)
				}
			}
		}
	}
}
