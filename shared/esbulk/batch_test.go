package esbulk

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// sized returns an index action whose encoded lines are exactly n bytes.
func sized(t *testing.T, n int) Action {
	t.Helper()
	a := Action{Op: OpIndex, Index: "i", ID: "x", Body: []byte(`{}`)}
	overhead := len(AppendAction(nil, &a)) - 2
	if n < overhead+2+len(`{"p":""}`) {
		t.Fatalf("size %d too small", n)
	}
	a.Body = []byte(`{"p":"` + strings.Repeat("x", n-overhead-len(`{"p":""}`)) + `"}`)
	if got := len(AppendAction(nil, &a)); got != n {
		t.Fatalf("sized action is %d bytes, want %d", got, n)
	}
	return a
}

func TestChunks(t *testing.T) {
	tests := []struct {
		name     string
		sizes    []int
		maxBytes int
		maxDocs  int
		want     [][]int
	}{
		{"all fit", []int{100, 100, 100}, 1000, 10, [][]int{{0, 1, 2}}},
		{"by docs", []int{100, 100, 100, 100, 100}, 1000, 2, [][]int{{0, 1}, {2, 3}, {4}}},
		{"by bytes", []int{100, 100, 100, 100}, 250, 10, [][]int{{0, 1}, {2, 3}}},
		{"exact fit", []int{100, 150, 100}, 250, 10, [][]int{{0, 1}, {2}}},
		{"oversized alone", []int{100, 900, 100}, 250, 10, [][]int{{0}, {1}, {2}}},
		{"oversized first", []int{900, 100}, 250, 10, [][]int{{0}, {1}}},
		{"one doc per request", []int{100, 100}, 1000, 1, [][]int{{0}, {1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			actions := make([]Action, len(tt.sizes))
			for i, s := range tt.sizes {
				actions[i] = sized(t, s)
			}
			b, pending := newBatch(actions, make([]Outcome, len(actions)), &batchMemory{})
			got := b.chunks(pending, tt.maxBytes, tt.maxDocs)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("chunks = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNewBatchSkipsInvalid(t *testing.T) {
	actions := []Action{
		{Op: OpIndex, Index: "i", ID: "a", Body: []byte(`{}`)},
		{Op: OpUpdate, Index: "i", Body: []byte(`{}`)}, // no id
		{Op: OpDelete, Index: "i", ID: "c"},
	}
	outcomes := make([]Outcome, len(actions))
	b, pending := newBatch(actions, outcomes, &batchMemory{})
	if !reflect.DeepEqual(pending, []int{0, 2}) {
		t.Errorf("pending = %v", pending)
	}
	if outcomes[1].Err == nil || outcomes[1].Err.Type != invalidType || outcomes[0].Err != nil {
		t.Errorf("outcomes = %+v", outcomes)
	}
	if outcomes[0].ID != "a" || outcomes[2].ID != "c" {
		t.Errorf("ids not carried into outcomes: %+v", outcomes)
	}
	want := string(AppendAction(AppendAction(nil, &actions[0]), &actions[2]))
	if got, err := io.ReadAll(b.body(pending)); err != nil || string(got) != want {
		t.Errorf("encoded batch = %q, %v; want %q", got, err, want)
	}
}

func TestBatchBody(t *testing.T) {
	actions := []Action{
		{Op: OpIndex, Index: "i", ID: "0", Body: []byte(`{"n":0}`)},
		{Op: OpIndex, Index: "i", ID: "1", Body: []byte("{\"n\":\n1}")},
		{Op: OpDelete, Index: "i", ID: "2"},
		{Op: OpUpdate, Index: "i", ID: "3", Body: []byte(`{"doc":{"n":3},"doc_as_upsert":true}`)},
		{Op: OpDelete, Index: "i", ID: "4"},
	}
	bodyOf1 := string(actions[1].Body)
	b, _ := newBatch(actions, make([]Outcome, len(actions)), &batchMemory{})
	for _, idx := range [][]int{{0, 1, 2, 3, 4}, {1, 2}, {0, 3}, {2}, {2, 4}, {0, 2, 3}} {
		var want []byte
		for _, i := range idx {
			want = AppendAction(want, &actions[i])
		}
		// iotest.TestReader reads with buffers of every size, so parts are
		// cut at every boundary.
		if err := iotest.TestReader(b.body(idx), want); err != nil {
			t.Errorf("body(%v): %v", idx, err)
		}
		if bd := b.body(idx); bd.n != len(want) {
			t.Errorf("body(%v).n = %d, want %d", idx, bd.n, len(want))
		}
	}
	if string(actions[1].Body) != bodyOf1 {
		t.Errorf("the caller's body was modified: %q", actions[1].Body)
	}
}

// Once closed, a body reads nothing more: the transport must not read the
// caller's documents after Write returned.
func TestBodyCloseEndsReading(t *testing.T) {
	actions := []Action{{Op: OpIndex, Index: "i", ID: "0", Body: []byte(`{"p":"` + strings.Repeat("x", 100) + `"}`)}}
	b, _ := newBatch(actions, make([]Outcome, 1), &batchMemory{})
	bd := b.body([]int{0})
	if n, err := bd.Read(make([]byte, 10)); n != 10 || err != nil {
		t.Fatalf("Read = %d, %v", n, err)
	}
	for range 2 {
		if err := bd.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := bd.Read(make([]byte, 10)); n != 0 || !errors.Is(err, errBodyClosed) {
		t.Errorf("Read after Close = %d, %v; want errBodyClosed", n, err)
	}
}
