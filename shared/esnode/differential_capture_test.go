package esnode_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/esconnect/esconnect/shared/esbulk"
)

// recorder is a transport that keeps the requests it is given and answers
// each with a plausible success, so that product code can be driven to
// build its requests without a server.
type recorder struct {
	got []step
}

func (r *recorder) Perform(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
	}
	r.got = append(r.got, step{method: req.Method, path: req.URL.Path, query: req.URL.RawQuery,
		body: string(body), ctype: req.Header.Get("Content-Type")})
	answer := []byte("{}")
	if strings.HasSuffix(req.URL.Path, "/_bulk") {
		answer = bulkSuccess(body)
	}
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"},
		"X-Elastic-Product": {"Elasticsearch"}}, Body: io.NopCloser(bytes.NewReader(answer))}, nil
}

// bulkSuccess answers every action line of a bulk body with a success.
func bulkSuccess(body []byte) []byte {
	var items []any
	for line := range bytes.SplitSeq(body, []byte("\n")) {
		var meta map[string]json.RawMessage
		if json.Unmarshal(line, &meta) != nil || len(meta) != 1 {
			continue
		}
		for op := range meta {
			switch op {
			case "index", "create", "update", "delete":
				items = append(items, map[string]any{op: map[string]any{"_id": "x", "status": 200, "result": "updated"}})
			}
		}
	}
	b, _ := json.Marshal(map[string]any{"took": 0, "errors": false, "items": items})
	return b
}

// sinkBulk is the bulk request esbulk's writer sends for actions with the
// given refresh setting: the product's own action lines and query string
// (filter_path, refresh). Index names may be {base} placeholders.
func sinkBulk(t *testing.T, refresh string, actions ...esbulk.Action) step {
	t.Helper()
	rec := &recorder{}
	bc := esbulk.DefaultConfig()
	bc.Client, bc.Refresh, bc.RetryMax = rec, refresh, 0
	w, err := esbulk.New(bc)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := w.Write(context.Background(), actions)
	if err != nil {
		t.Fatalf("esbulk refused the shape's actions: %v", err)
	}
	for i, o := range rep.Outcomes {
		if o.Err != nil {
			t.Fatalf("esbulk refused action %d of the shape: %v", i, o.Err)
		}
	}
	if len(rec.got) != 1 {
		t.Fatalf("esbulk sent %d requests for the shape, want 1", len(rec.got))
	}
	return rec.got[0]
}

// captured is the request an esapi request struct sends, as the product's
// packages build them.
func captured(t *testing.T, req esapi.Request) step {
	t.Helper()
	rec := &recorder{}
	res, err := req.Do(context.Background(), rec)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if len(rec.got) != 1 {
		t.Fatalf("esapi sent %d requests, want 1", len(rec.got))
	}
	return rec.got[0]
}

// with returns st changed by fns, for the options of a captured step.
func with(st step, fns ...func(*step)) step {
	for _, f := range fns {
		f(&st)
	}
	return st
}

func saving(name, path string) func(*step) {
	return func(st *step) {
		if st.save == nil {
			st.save = map[string]string{}
		}
		st.save[name] = path
	}
}

func opaque(paths ...string) func(*step) {
	return func(st *step) { st.opaque = append(st.opaque, paths...) }
}

// req is a raw step; path may carry a query string.
func req(method, path, body string) step {
	path, query, _ := strings.Cut(path, "?")
	return step{method: method, path: path, query: query, body: body}
}
