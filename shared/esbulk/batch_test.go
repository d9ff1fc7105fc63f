package esbulk

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
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

// recordingClient keeps every request body it is sent and answers each
// item as created.
type recordingClient struct{ bodies [][]byte }

func (c *recordingClient) Perform(req *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	c.bodies = append(c.bodies, body)
	items := make([]string, 0, bytes.Count(body, []byte("\n")))
	for _, line := range bytes.Split(bytes.TrimSuffix(body, []byte("\n")), []byte("\n")) {
		if op, ok := bytes.CutPrefix(line, []byte(`{"`)); ok && bytes.Contains(line, []byte(`"_index":`)) {
			name := string(op[:bytes.IndexByte(op, '"')])
			items = append(items, `{"`+name+`":{"status":201,"result":"created"}}`)
		}
	}
	resp := `{"took":1,"errors":false,"items":[` + strings.Join(items, ",") + `]}`
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(resp))}, nil
}

func TestEncodeIsWhatWriteSends(t *testing.T) {
	actions := []Action{
		{Op: OpIndex, Index: "i", ID: "0", Body: []byte(`{"n":0}`)},
		{Op: OpIndex, Index: "i", ID: "1", Body: []byte("{\"n\":\n1}")},
		{Op: OpDelete, Index: "i", ID: "2"},
		{Op: OpUpdate, Index: "i", ID: "3", Body: []byte(`{"doc":{"n":3},"doc_as_upsert":true}`), RetryOnConflict: 2},
		{Op: OpIndex, Index: "i", Body: []byte(`{"n":4}`), Pipeline: "p"},
	}
	client := &recordingClient{}
	cfg := DefaultConfig()
	cfg.Client, cfg.Concurrency = client, 1
	w, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(context.Background(), actions); err != nil {
		t.Fatal(err)
	}
	if len(client.bodies) != 1 {
		t.Fatalf("Write sent %d requests, want 1", len(client.bodies))
	}
	var got bytes.Buffer
	n, err := w.Encode(&got, actions)
	if err != nil || n != int64(got.Len()) {
		t.Fatalf("Encode = %d, %v; wrote %d bytes", n, err, got.Len())
	}
	if got.String() != string(client.bodies[0]) {
		t.Errorf("Encode wrote\n%s\nWrite sent\n%s", got.Bytes(), client.bodies[0])
	}
	// Twice: the pooled buffers of the first call are reused.
	var again bytes.Buffer
	if _, err := w.Encode(&again, actions); err != nil || again.String() != got.String() {
		t.Errorf("second Encode = %q, %v", again.Bytes(), err)
	}
}

func TestEncodeLeavesOutInvalidActions(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Client = &recordingClient{}
	w, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	actions := []Action{
		{Op: OpIndex, Index: "i", ID: "a", Body: []byte(`{}`)},
		{Op: OpUpdate, Index: "i", Body: []byte(`{}`)}, // no id
		{Op: OpDelete, Index: "i", ID: "c"},
	}
	var got bytes.Buffer
	_, err = w.Encode(&got, actions)
	if err == nil || !strings.HasPrefix(err.Error(), "action 1: "+invalidType) {
		t.Errorf("Encode error = %v, want one naming action 1", err)
	}
	if want := string(AppendAction(AppendAction(nil, &actions[0]), &actions[2])); got.String() != want {
		t.Errorf("Encode wrote %q, want %q", got.Bytes(), want)
	}
}

// The head of a line copied from the previous one must be the action's own
// head whenever the operation or index changes, and after a refused action.
func TestBatchLinesCopySharedHeads(t *testing.T) {
	body := []byte(`{}`)
	actions := []Action{
		{Op: OpIndex, Index: "a", ID: "0", Body: body},
		{Op: OpIndex, Index: "a", ID: "1", Body: body},
		{Op: OpUpdate, Index: "a", ID: "2", Body: body},
		{Op: OpUpdate, Index: "b\"\n", ID: "3", Body: body},
		{Op: OpUpdate, Index: "b\"\n", Body: body}, // refused: no id
		{Op: OpUpdate, Index: "b\"\n", ID: "5", Body: body},
		{Op: OpDelete, Index: "a", ID: "6"},
		{Op: OpIndex, Index: "a", ID: "7", Body: body},
	}
	b, pending := newBatch(actions, make([]Outcome, len(actions)), &batchMemory{})
	var want []byte
	for _, i := range pending {
		want = AppendAction(want, &actions[i])
	}
	if got, err := io.ReadAll(b.body(pending)); err != nil || string(got) != string(want) {
		t.Errorf("encoded batch =\n%s\nwant\n%s", got, want)
	}
	// The buffer is sized for every action, the refused one included.
	if len(b.meta)+metaLen(&actions[4]) != cap(b.meta) {
		t.Errorf("action lines took %d bytes of a buffer sized %d: the sizing is not exact", len(b.meta), cap(b.meta))
	}
}
