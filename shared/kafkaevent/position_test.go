package kafkaevent

import "testing"

// TestFailurePosition checks that a failure says which of its position
// fields the element carried: a partial batch response may name only a
// partition and offset that were read, never their zero values.
func TestFailurePosition(t *testing.T) {
	tests := []struct {
		name                      string
		payload                   string
		wantPartition, wantOffset bool
		wantTopic                 string
	}{
		{"aws, bad base64", `{"eventSource":"aws:kafka","records":{"t-3":[{"topic":"t","partition":3,"offset":7,"value":"!"}]}}`, true, true, "t"},
		{"aws, no offset", `{"eventSource":"aws:kafka","records":{"t-3":[{"topic":"t","partition":3}]}}`, true, false, "t"},
		{"aws, null offset", `{"eventSource":"aws:kafka","records":{"t-3":[{"topic":"t","partition":3,"offset":null}]}}`, true, false, "t"},
		{"aws, no partition", `{"eventSource":"aws:kafka","records":{"t-3":[{"topic":"t","offset":7}]}}`, false, true, "t"},
		{"aws, partition of the wrong type", `{"eventSource":"aws:kafka","records":{"t-3":[{"topic":"t","partition":"3","offset":7}]}}`, false, true, "t"},
		{"aws, no topic", `{"eventSource":"aws:kafka","records":{"t-3":[{"partition":3,"offset":7}]}}`, true, true, ""},
		{"aws, not an object", `{"eventSource":"aws:kafka","records":{"t-3":["x"]}}`, false, false, ""},
		{"connector, offset of the wrong type", `[{"topic":"t","partition":3,"offset":"7","timestamp":1,"value":"v","valueSize":1}]`, true, false, "t"},
		{"connector, no partition", `[{"topic":"t","offset":7,"timestamp":1,"value":"v","valueSize":1}]`, false, true, "t"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Decode([]byte(tc.payload), FormatAuto)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if len(b.Failures) != 1 || len(b.Records) != 0 {
				t.Fatalf("got %d records and %d failures, want one failure", len(b.Records), len(b.Failures))
			}
			f := b.Failures[0]
			if f.HasPartition != tc.wantPartition || f.HasOffset != tc.wantOffset || f.Topic != tc.wantTopic {
				t.Errorf("failure %+v: want HasPartition %v, HasOffset %v, topic %q", f, tc.wantPartition, tc.wantOffset, tc.wantTopic)
			}
			if f.HasPartition && f.Partition != 3 || f.HasOffset && f.Offset != 7 {
				t.Errorf("failure %+v: read position must be partition 3, offset 7", f)
			}
		})
	}
}
