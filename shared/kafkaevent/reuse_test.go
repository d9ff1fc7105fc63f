package kafkaevent

import (
	"reflect"
	"runtime"
	"testing"
	"unsafe"
)

// withoutMemory is b as Decode would return it, for comparing: no kept
// memory, and nil for every empty slice (an empty slice of kept memory and
// nil mean the same).
func withoutMemory(b Batch) Batch {
	b.mem = memory{}
	if len(b.Records) == 0 {
		b.Records = nil
	}
	if len(b.Indexes) == 0 {
		b.Indexes = nil
	}
	if len(b.Failures) == 0 {
		b.Failures = nil
	}
	return b
}

// checkDecodeInto decodes payload into b and fails unless the batch equals
// Decode's of the same payload, error included: whatever b held before,
// none of it may show in the new batch.
func checkDecodeInto(t *testing.T, b *Batch, payload []byte, o DecodeOptions) {
	t.Helper()
	want, wantErr := DecodeWith(payload, o)
	err := DecodeInto(b, payload, o)
	if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
		t.Fatalf("DecodeInto error %v, DecodeWith error %v", err, wantErr)
	}
	want = withoutMemory(want)
	if got := withoutMemory(*b); !reflect.DeepEqual(got, want) {
		t.Fatalf("DecodeInto after earlier batches differs from DecodeWith:\n got %d records %d failures\nwant %d records %d failures\npayload %.200q",
			len(got.Records), len(got.Failures), len(want.Records), len(want.Failures), payload)
	}
}

// One Batch decodes events of every size and shape in turn, larger ones
// before smaller ones and the other way round, with failures and
// malformed payloads in between.
func TestDecodeIntoReusedBatchMatchesDecode(t *testing.T) {
	big, small := mskEvent(t, 300, 2048), mskEvent(t, 7, 100)
	payloads := [][]byte{
		big, small, readFixture(t, "aws-msk.json"), readFixture(t, "aws-msk-bad-base64.json"), big,
		[]byte(`{"eventSource":"aws:kafka","records":{"t-0":[{"topic":"t","partition":0,"offset":5,"value":"YW`),
		small, readFixture(t, "aws-selfmanaged.json"), readFixture(t, "fc-cloudevents-json-value.json"),
		[]byte(`{"eventSource":"aws:sqs","Records":[]}`), mskEvent(t, 1, 10), big, []byte(`{}`), small,
	}
	var b Batch
	for _, p := range payloads {
		checkDecodeInto(t, &b, p, DecodeOptions{})
	}
}

// The second DecodeInto of an event of the same shape allocates no record
// slice and no arena: the same memory holds the new records.
func TestDecodeIntoReusesMemory(t *testing.T) {
	payload := mskEvent(t, 1000, 1024)
	var b Batch
	if err := DecodeInto(&b, payload, DecodeOptions{}); err != nil {
		t.Fatal(err)
	}
	records, value := unsafe.SliceData(b.Records), unsafe.SliceData(b.Records[0].Value)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	err := DecodeInto(&b, payload, DecodeOptions{})
	runtime.ReadMemStats(&after)
	if err != nil || len(b.Records) != 1000 {
		t.Fatalf("DecodeInto: %v, %d records", err, len(b.Records))
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > uint64(len(payload))/100 {
		t.Errorf("second DecodeInto allocated %d bytes for a %d-byte event; the batch's memory was not reused", n, len(payload))
	}
	if unsafe.SliceData(b.Records) != records || unsafe.SliceData(b.Records[0].Value) != value {
		t.Error("the second DecodeInto put its records or values into new memory")
	}
}

// Reset keeps the memory but nothing of the last payload's records.
func TestBatchReset(t *testing.T) {
	var b Batch
	if err := DecodeInto(&b, mskEvent(t, 50, 100), DecodeOptions{}); err != nil {
		t.Fatal(err)
	}
	kept := b.Retained()
	b.Reset()
	if len(b.Records) != 0 || len(b.Failures) != 0 || b.Retained() != kept || kept == 0 {
		t.Fatalf("after Reset: %d records, %d failures, %d bytes kept (were %d)", len(b.Records), len(b.Failures), b.Retained(), kept)
	}
	for i, r := range b.mem.records[:cap(b.mem.records)] {
		if !reflect.DeepEqual(r, Record{}) {
			t.Fatalf("record slot %d still holds %+v", i, r)
		}
	}
}

// An empty key or value is not a Kafka null, whether or not the batch has
// memory to decode into, and even when the event has no other bytes.
func TestEmptyKeyAndValueAreNotNull(t *testing.T) {
	payload := []byte(`{"eventSource":"aws:kafka","records":{"t-0":[{"topic":"t","partition":0,"offset":1,"key":"","value":""}]}}`)
	var kept Batch
	for name, decode := range map[string]func() (Batch, error){
		"DecodeWith": func() (Batch, error) { return DecodeWith(payload, DecodeOptions{}) },
		"DecodeInto": func() (Batch, error) { err := DecodeInto(&kept, payload, DecodeOptions{}); return kept, err },
	} {
		for range 2 {
			b, err := decode()
			if err != nil || len(b.Records) != 1 {
				t.Fatalf("%s: %v, %d records", name, err, len(b.Records))
			}
			if r := b.Records[0]; r.Key == nil || r.Value == nil {
				t.Fatalf("%s: key %v value %v, want empty and not null", name, r.Key == nil, r.Value == nil)
			}
		}
	}
}
