package esnode_test

// The differential test sends the same requests to the esnode and to a real
// Elasticsearch 8 and compares the answers. The requests are table data (the
// differential_*_test.go files, one per group of shapes); those the product
// sends are built by the product's own code (esbulk's writer, the esapi
// request structs its packages use) and captured, so the table cannot drift
// from what is really sent.
//
// What is compared: the HTTP status and the whole JSON answer, after the
// normalisation below. That covers bulk items (status, result, error type,
// _id, _version, _seq_no), _source, _version, result, found, error types at
// request and item level (root_cause, caused_by), mappings, and hit sets.
//
// What is not compared, and why (see normalise):
//   - took and ingest_took: time. ingest_took's presence is compared: the
//     real server sends it only when a request names a pipeline.
//   - error "reason" strings: free text; no client branches on it (esbulk,
//     deadletter and pgsync pass it through to results and logs only).
//   - index_uuid, uuid, cluster_uuid: random per index or cluster.
//   - _scroll_id values and the node ids of failed_shards: opaque and
//     random; their presence is compared.
//   - _score and max_score: the esnode does not score (docs/esnode.md); no
//     client reads scores. Hit sets are compared, in order only where the
//     request sorts on a field.
//   - index and pipeline names carry the run's private suffix on the real
//     server; it is stripped from the real answers before comparing.
//   - values a shape marks opaque (generated _ids, _doc sort values, which
//     are Lucene document numbers): only their presence and JSON type.
//
// _seq_no and _primary_term are compared: every shape writes to fresh
// single-shard indices, where both servers number operations from 0 in term 1.
//
// The real server is the integ-test-zip distribution: it has no GET / (no
// rest-root module), no _delete_by_query (no reindex module), no ingest
// processors (a pipeline with "processors": [] works) and security is off,
// so esclient.Ping's GET /, pgsync's deletes by query (it scrolls and
// bulk-deletes instead, which is compared), processor behaviour and
// POST /_security/api_key are not compared here.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elastic/elastic-transport-go/v8/elastictransport"
	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/esnode/esnodetest"
	"github.com/esconnect/esconnect/shared/targettest"
)

// maxContentLength is the real server's http.max_content_length
// (scripts/realstack.sh); the esnode is started with the same limit.
const maxContentLength = 16 << 20

// shape is one request shape: the requests that set the scene and the
// requests under test, all of them compared.
type shape struct {
	name string
	// from says which code sends the shape ("esbulk: ...") or which error
	// case it is.
	from  string
	steps []step
}

// step is one request. Path, query and body name indices and pipelines as
// {base} (private per run on the real server) and earlier answers' values
// as $(var).
type step struct {
	method string
	path   string
	query  string
	body   string
	// ctype is the Content-Type; "" means application/json, or
	// application/x-ndjson for a bulk path.
	ctype string
	// save takes values of the answer (dotted paths) for later steps.
	save map[string]string
	// opaque are paths (dotted, * for any key or element) whose values
	// legitimately differ: only presence and JSON type are compared.
	opaque []string
	// ordered compares hits in order (the request sorts on a field);
	// otherwise hits are compared as a set.
	ordered bool
	// pollUntil repeats the request (waiting pollEvery between tries, for at
	// most pollWithin) until it answers this status; only that answer is
	// compared. For scroll expiry, which the real server applies when its
	// reaper runs (search.keep_alive_interval, 1m by default).
	pollUntil int
	// known lists paths that differ for a reason documented under "Known
	// differences from Elasticsearch 8" in docs/esnode.md; they are left
	// out of the comparison and the shape counts as matching with known
	// differences.
	known []string
}

const (
	pollEvery  = 1500 * time.Millisecond
	pollWithin = 150 * time.Second
)

// target is one of the two servers of a shape's run.
type target struct {
	name   string
	tr     esapi.Transport
	suffix string // "-token" on the real server, "" on the esnode
	vars   map[string]string
}

// answer is a normalised response.
type answer struct {
	status int
	body   any // decoded JSON, raw text, or nil for an empty body
}

var placeholder = regexp.MustCompile(`\{([a-z][a-z0-9_-]*)\}`)
var variable = regexp.MustCompile(`\$\(([a-z0-9_]+)\)`)

func (tg *target) expand(s string) string {
	s = placeholder.ReplaceAllString(s, "${1}"+tg.suffix)
	return variable.ReplaceAllStringFunc(s, func(m string) string {
		return tg.vars[variable.FindStringSubmatch(m)[1]]
	})
}

func (tg *target) expandQuery(raw string) (string, error) {
	if raw == "" {
		return "", nil
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		return "", err
	}
	for k, vs := range q {
		for i := range vs {
			vs[i] = tg.expand(vs[i])
		}
		q[k] = vs
	}
	return q.Encode(), nil
}

// do sends st and returns the raw status and body.
func (tg *target) do(ctx context.Context, st *step) (int, []byte, error) {
	q, err := tg.expandQuery(st.query)
	if err != nil {
		return 0, nil, err
	}
	var body io.Reader
	n := 0
	if st.body != "" {
		b := tg.expand(st.body)
		body, n = strings.NewReader(b), len(b)
	}
	req, err := http.NewRequestWithContext(ctx, st.method, "/", body)
	if err != nil {
		return 0, nil, err
	}
	req.URL = &url.URL{Path: tg.expand(st.path), RawQuery: q}
	req.ContentLength = int64(n)
	if body != nil {
		ct := st.ctype
		if ct == "" {
			ct = "application/json"
			if strings.HasSuffix(st.path, "/_bulk") {
				ct = "application/x-ndjson"
			}
		}
		req.Header.Set("Content-Type", ct)
	}
	res, err := tg.tr.Perform(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

// run sends st (polling when asked), saves its variables and returns the
// normalised answer.
func (tg *target) run(ctx context.Context, st *step) (answer, error) {
	deadline := time.Now().Add(pollWithin)
	for {
		status, raw, err := tg.do(ctx, st)
		if err != nil {
			return answer{}, fmt.Errorf("%s %s: %w", st.method, st.path, err)
		}
		if st.pollUntil != 0 && status != st.pollUntil {
			if time.Now().After(deadline) {
				return answer{}, fmt.Errorf("%s %s: still %d after %s, want %d", st.method, st.path, status, pollWithin, st.pollUntil)
			}
			select {
			case <-ctx.Done():
				return answer{}, ctx.Err()
			case <-time.After(pollEvery):
			}
			continue
		}
		a := answer{status: status}
		if len(bytes.TrimSpace(raw)) > 0 {
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.UseNumber()
			var v any
			if dec.Decode(&v) == nil {
				a.body = v
				for name, path := range st.save {
					if s, ok := lookup(v, path).(string); ok {
						tg.vars[name] = s
					}
				}
			} else {
				a.body = string(raw)
			}
		}
		a.body = normalise(a.body, tg.suffix)
		sortHits(a.body, st.ordered)
		for _, p := range st.opaque {
			markOpaque(a.body, strings.Split(p, "."))
		}
		for _, p := range st.known {
			drop(a.body, strings.Split(p, "."))
		}
		return a, nil
	}
}

// lookup follows a dotted path of keys and array indices.
func lookup(v any, path string) any {
	for _, k := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			var i int
			if _, err := fmt.Sscanf(k, "%d", &i); err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// ignored are the keys whose values legitimately differ everywhere (see
// the package comment above).
var ignored = map[string]bool{
	"took": true, "index_uuid": true, "uuid": true, "cluster_uuid": true, "_score": true, "max_score": true,
}

// normalise removes what is not compared and the real server's name suffix.
func normalise(v any, suffix string) any {
	strip := func(s string) string {
		if suffix == "" {
			return s
		}
		return strings.ReplaceAll(s, suffix, "")
	}
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if ignored[k] {
				continue
			}
			if _, isText := e.(string); isText && k == "reason" {
				continue
			}
			if k == "_scroll_id" || k == "node" || k == "ingest_took" {
				out[k] = "<" + k + ">"
				continue
			}
			out[strip(k)] = normalise(e, suffix)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalise(e, suffix)
		}
		return out
	case string:
		return strip(x)
	}
	return v
}

// sortHits orders hits.hits by index and id unless the order is compared.
func sortHits(v any, ordered bool) {
	if ordered {
		return
	}
	hits, _ := lookup(v, "hits.hits").([]any)
	key := func(h any) string {
		m, _ := h.(map[string]any)
		return fmt.Sprint(m["_index"], "\x00", m["_id"])
	}
	sort.SliceStable(hits, func(i, j int) bool { return key(hits[i]) < key(hits[j]) })
}

// walk calls fn on the parent container and key of every value at path.
func walk(v any, path []string, fn func(parent map[string]any, key string)) {
	if len(path) == 0 {
		return
	}
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if path[0] != "*" && path[0] != k {
				continue
			}
			if len(path) == 1 {
				fn(x, k)
			} else {
				walk(e, path[1:], fn)
			}
		}
	case []any:
		for i, e := range x {
			if path[0] == "*" || path[0] == fmt.Sprint(i) {
				walk(e, path[1:], fn)
			}
		}
	}
}

func markOpaque(v any, path []string) {
	walk(v, path, func(m map[string]any, k string) { m[k] = fmt.Sprintf("<opaque %T>", m[k]) })
}

func drop(v any, path []string) {
	walk(v, path, func(m map[string]any, k string) { delete(m, k) })
}

// diff lists the differences between two answers, one line each.
func diff(path string, a, b any, out *[]string) {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := map[string]bool{}
		for k := range am {
			keys[k] = true
		}
		for k := range bm {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			diff(path+"."+k, am[k], bm[k], out)
		}
		return
	}
	as, aok := a.([]any)
	bs, bok := b.([]any)
	if aok && bok && len(as) == len(bs) {
		for i := range as {
			diff(fmt.Sprintf("%s.%d", path, i), as[i], bs[i], out)
		}
		return
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		*out = append(*out, fmt.Sprintf("%s: esnode %s, es8 %s", strings.TrimPrefix(path, "."), clip(ja), clip(jb)))
	}
}

func clip(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "..."
	}
	return string(b)
}

// outcome is what one shape's comparison found.
type outcome struct {
	diffs []string
	known bool // some step has documented known differences
}

func TestDifferentialES8(t *testing.T) {
	// Once up front, so that a missing server fails (or the opt-out skips)
	// before the shapes are built, rather than once per shape.
	targettest.Require(t, "es8")
	groups := [][]shape{bulkShapes(t), documentShapes(t), indexShapes(t), searchShapes(t)}
	var mu sync.Mutex
	results := map[string]outcome{}
	total, requests := 0, 0
	t.Run("shapes", func(t *testing.T) {
		seen := map[string]bool{}
		for _, g := range groups {
			for _, sh := range g {
				if seen[sh.name] {
					t.Fatalf("two shapes are called %s", sh.name)
				}
				seen[sh.name] = true
				total++
				requests += len(sh.steps)
				t.Run(sh.name, func(t *testing.T) {
					t.Parallel()
					o := compareShape(t, sh)
					mu.Lock()
					results[sh.name] = o
					mu.Unlock()
				})
			}
		}
	})
	matched, withKnown := 0, 0
	for _, o := range results {
		switch {
		case len(o.diffs) == 0 && !o.known:
			matched++
		case len(o.diffs) == 0:
			withKnown++
		}
	}
	t.Logf("%d request shapes (%d requests) compared: %d match, %d match apart from documented known differences, %d differ",
		total, requests, matched, withKnown, total-matched-withKnown)
}

// compareShape runs sh against a fresh esnode and the real server and
// reports every difference as a test error.
func compareShape(t *testing.T, sh shape) outcome {
	real := targettest.Require(t, "es8")
	s := esnodetest.Start(t, esnode.Options{MaxContentLength: maxContentLength})
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := elastictransport.NewClient(elastictransport.WithURLs(u), elastictransport.WithDisableRetry())
	if err != nil {
		t.Fatal(err)
	}
	node := &target{name: "esnode", tr: tr, vars: map[string]string{}}
	es := &target{name: real.Name, tr: real.Transport, suffix: real.Index("") /* "-" + token */, vars: map[string]string{}}
	t.Cleanup(func() { deletePipelines(t, es, sh) })
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	var o outcome
	for i := range sh.steps {
		st := &sh.steps[i]
		if len(st.known) > 0 {
			o.known = true
		}
		// The two servers run one step at a time, side by side: the
		// polled steps take as long as the slower one.
		var wg sync.WaitGroup
		var a, b answer
		var aerr, berr error
		wg.Add(2)
		go func() { defer wg.Done(); a, aerr = node.run(ctx, st) }()
		go func() { defer wg.Done(); b, berr = es.run(ctx, st) }()
		wg.Wait()
		if aerr != nil || berr != nil {
			t.Fatalf("step %d (%s %s): esnode: %v; es8: %v", i+1, st.method, st.path, aerr, berr)
		}
		var d []string
		if a.status != b.status {
			d = append(d, fmt.Sprintf("status: esnode %d, es8 %d", a.status, b.status))
		}
		diff("", a.body, b.body, &d)
		for _, line := range d {
			t.Errorf("step %d (%s %s): %s", i+1, st.method, st.path, line)
			o.diffs = append(o.diffs, fmt.Sprintf("step %d: %s", i+1, line))
		}
	}
	return o
}

// deletePipelines removes the ingest pipelines a shape created on the real
// server, which the index cleanup does not cover.
func deletePipelines(t *testing.T, es *target, sh shape) {
	for _, st := range sh.steps {
		if st.method != http.MethodPut || !strings.HasPrefix(st.path, "/_ingest/pipeline/") {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		status, body, err := es.do(ctx, &step{method: http.MethodDelete, path: st.path})
		cancel()
		if err != nil || (status != http.StatusOK && status != http.StatusNotFound) {
			t.Errorf("deleting pipeline %s: %d %s %v", es.expand(st.path), status, body, err)
		}
	}
}
