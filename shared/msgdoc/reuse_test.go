package msgdoc

import (
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/esconnect/esconnect/shared/kafkaevent"
)

// batchOf makes n records whose values hold tag, so that a body of one
// batch cannot pass for a body of another.
func batchOf(n, size int, tag string) []kafkaevent.Record {
	recs := make([]kafkaevent.Record, n)
	for i := range recs {
		v := tag + "-" + strconv.Itoa(i) + "-" + strings.Repeat("x", size)
		recs[i] = rec("k-"+tag+strconv.Itoa(i), v)
		recs[i].Offset = int64(i)
	}
	return recs
}

// One Batch takes batches of every size in turn, with failures and
// skipped records in between: each result equals Build's, so nothing of an
// earlier batch shows in a later one.
func TestBuildIntoReusedBatchMatchesBuild(t *testing.T) {
	bld := newBuilder(t, Options{DocID: IDKey, NullValue: NullIgnore, ValueFormat: ValueJSON})
	fresh := newBuilder(t, Options{DocID: IDKey, NullValue: NullIgnore, ValueFormat: ValueJSON})
	jsonBatch := func(n int, tag string) []kafkaevent.Record {
		recs := make([]kafkaevent.Record, n)
		for i := range recs {
			recs[i] = rec("k"+strconv.Itoa(i), `{"tag":"`+tag+`","i":`+strconv.Itoa(i)+`,"pad":"`+strings.Repeat("p", 500)+`"}`)
			recs[i].Offset = int64(i)
		}
		return recs
	}
	mixed := jsonBatch(5, "mixed")
	mixed[1].Value = []byte("not json")
	mixed[2].Key = nil
	mixed[3].Value = nil
	batches := [][]kafkaevent.Record{jsonBatch(200, "a"), jsonBatch(3, "b"), mixed, jsonBatch(0, "c"), jsonBatch(50, "d"), jsonBatch(400, "e")}
	var out Batch
	for i, recs := range batches {
		bld.BuildInto(&out, recs)
		want := fresh.Build(recs)
		if !sameBatch(out, want) {
			got := out
			t.Fatalf("batch %d: BuildInto after earlier batches differs from Build:\n got %d actions %d failures %d skipped\nwant %d actions %d failures %d skipped",
				i, len(got.Actions), len(got.Failures), len(got.Skipped), len(want.Actions), len(want.Failures), len(want.Skipped))
		}
	}
}

// sameBatch compares two batches element by element; an empty slice and
// nil are the same.
func sameBatch(a, b Batch) bool {
	return len(a.Actions) == len(b.Actions) && (len(a.Actions) == 0 || reflect.DeepEqual(a.Actions, b.Actions)) &&
		len(a.ActionRecords) == len(b.ActionRecords) && (len(a.ActionRecords) == 0 || reflect.DeepEqual(a.ActionRecords, b.ActionRecords)) &&
		len(a.Skipped) == len(b.Skipped) && (len(a.Skipped) == 0 || reflect.DeepEqual(a.Skipped, b.Skipped)) &&
		len(a.Failures) == len(b.Failures) && (len(a.Failures) == 0 || reflect.DeepEqual(a.Failures, b.Failures))
}

// The second BuildInto of a batch of the same shape allocates neither the
// actions nor the buffer of bodies again.
func TestBuildIntoReusesMemory(t *testing.T) {
	bld := newBuilder(t, Options{})
	recs := batchOf(1000, 1000, "a")
	var out Batch
	bld.BuildInto(&out, recs)
	actions, body := unsafe.SliceData(out.Actions), unsafe.SliceData(out.Actions[0].Body)
	recs = batchOf(1000, 1000, "b")
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	bld.BuildInto(&out, recs)
	runtime.ReadMemStats(&after)
	if len(out.Actions) != 1000 || !strings.Contains(string(out.Actions[999].Body), "b-999-") {
		t.Fatalf("%d actions, last body %.80s", len(out.Actions), out.Actions[len(out.Actions)-1].Body)
	}
	// What remains is the per-record ids ("orders+3+N").
	if n, limit := after.TotalAlloc-before.TotalAlloc, uint64(1000*24); n > limit {
		t.Errorf("second BuildInto allocated %d bytes, want at most %d: the batch's memory was not reused", n, limit)
	}
	if unsafe.SliceData(out.Actions) != actions || unsafe.SliceData(out.Actions[0].Body) != body {
		t.Error("the second BuildInto put its actions or bodies into new memory")
	}
}

func TestBatchReset(t *testing.T) {
	bld := newBuilder(t, Options{})
	var out Batch
	bld.BuildInto(&out, batchOf(20, 10, "a"))
	kept := out.Retained()
	out.Reset()
	if len(out.Actions) != 0 || out.Retained() != kept || kept == 0 {
		t.Fatalf("after Reset: %d actions, %d bytes kept (were %d)", len(out.Actions), out.Retained(), kept)
	}
	for i, a := range out.Actions[:cap(out.Actions)] {
		if a.Body != nil || a.ID != "" {
			t.Fatalf("action slot %d still holds %q", i, a.ID)
		}
	}
}
