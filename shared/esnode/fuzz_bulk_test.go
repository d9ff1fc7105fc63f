package esnode

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// bulkSeeds are bodies that reach each branch of parseBulk and bulkOne:
// the shapes esbulk sends, every action, defaults taken from the path, and
// the malformed forms Elasticsearch refuses as a whole request.
var bulkSeeds = []string{
	"{\"update\":{\"_index\":\"kafka-orders\",\"_id\":\"orders-0-1\"}}\n{\"doc\":{\"msg_body\":{\"offset\":1}},\"doc_as_upsert\":true}\n",
	"{\"index\":{\"_id\":\"1\",\"routing\":\"r\"}}\n{\"a\":1}\n{\"create\":{}}\n{\"b\":\"x\"}\n{\"delete\":{\"_id\":\"1\"}}\n",
	"{\"index\":{\"_index\":\"v\",\"_id\":\"k\",\"version\":7,\"version_type\":\"external\"}}\n{\"n\":1}\n",
	"{\"index\":{\"_index\":\"c\",\"_id\":\"k\",\"if_seq_no\":0,\"if_primary_term\":1}}\n{}\n",
	"{\"update\":{\"_index\":\"u\"}}\n{\"doc\":{}}\n",
	"{\"index\":{\"_index\":\".hidden\",\"_id\":\"1\"}}\n{\"x\":[1,{\"y\":null}]}\r\n",
	"{\"index\":{\"_index\":\"UPPER\"}}\n{}\n",
	"{\"index\":{\"_index\":\"m\",\"_id\":\"1\"}}\nnot json\n",
	"{\"index\":{\"_index\":\"m\",\"_id\":\"1\"}}\n[1]\n",
	"{\"index\":{\"unknown\":1}}\n{}\n",
	"{\"index\":{},\"create\":{}}\n{}\n",
	"{\"upsert\":{}}\n{}\n",
	"{\"index\":[]}\n{}\n",
	"{\"index\":{\"_id\":5}}\n{}\n",
	"{\"index\":{}}\n",
	"{\"index\":{}}\n{}",
	"\n\n\n",
	"",
	"[\n",
	"\"index\"\n",
}

// FuzzBulkBody feeds arbitrary bodies to the bulk parser and to the whole
// bulk API. The parser and the request validation must either return items or an Elasticsearch error
// with a 4xx status, a type and a reason that say what was wrong; the API
// must answer every body with JSON: a 200 listing exactly one result per
// parsed item, each with a status, or the parser's error.
func FuzzBulkBody(f *testing.F) {
	for _, s := range bulkSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		items, perr := parseBulk(body)
		if perr == nil {
			perr = validateBulk(items, bulkDefaults{index: "default-index"})
		}
		if perr != nil {
			if perr.Status < 400 || perr.Status >= 500 || perr.Type == "" || perr.Reason == "" {
				t.Fatalf("parse error does not name the problem: %+v", perr)
			}
		} else if len(items) == 0 {
			t.Fatal("no error and no items")
		}

		n, err := New(Options{RefreshInterval: -1})
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/default-index/_bulk", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/x-ndjson")
		rec := httptest.NewRecorder()
		n.ServeHTTP(rec, req)

		var res struct {
			Errors bool              `json:"errors"`
			Items  []json.RawMessage `json:"items"`
			Error  *struct {
				Type   string `json:"type"`
				Reason string `json:"reason"`
			} `json:"error"`
			Status int `json:"status"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
			t.Fatalf("answer %d is not JSON (%v): %q", rec.Code, err, rec.Body.Bytes())
		}
		if perr != nil {
			if rec.Code != perr.Status || res.Error == nil || res.Error.Type != perr.Type || res.Error.Reason == "" {
				t.Fatalf("malformed body answered %d %s, want %d %s", rec.Code, rec.Body.Bytes(), perr.Status, perr.Type)
			}
			return
		}
		if rec.Code != http.StatusOK || len(res.Items) != len(items) {
			t.Fatalf("answer %d with %d items for %d parsed: %s", rec.Code, len(res.Items), len(items), rec.Body.Bytes())
		}
		for i, raw := range res.Items {
			var one map[string]struct {
				Status int             `json:"status"`
				Result string          `json:"result"`
				Error  json.RawMessage `json:"error"`
			}
			if err := json.Unmarshal(raw, &one); err != nil || len(one) != 1 {
				t.Fatalf("item %d is not {action: result}: %s", i, raw)
			}
			r, ok := one[items[i].action]
			if !ok || r.Status == 0 {
				t.Fatalf("item %d: no %s result with a status: %s", i, items[i].action, raw)
			}
			// A delete of a missing document is a 404 without an error, as
			// in Elasticsearch: the document is gone either way. Every
			// other status from 300 up carries the error saying why.
			hasErr := len(r.Error) > 0
			switch {
			case r.Status < 300 && hasErr:
				t.Fatalf("item %d: status %d with error %s", i, r.Status, r.Error)
			case r.Status >= 300 && !hasErr && !(items[i].action == "delete" && r.Status == http.StatusNotFound && r.Result == "not_found"):
				t.Fatalf("item %d: status %d without an error: %s", i, r.Status, raw)
			case hasErr && !res.Errors:
				t.Fatalf("item %d failed but errors is false: %s", i, rec.Body.Bytes())
			}
		}
	})
}
