// Package esnode is an in-memory node that speaks the Elasticsearch 8.x REST
// API closely enough for esconnect's clients, tests and demos: index and
// document APIs, bulk, search and count over refreshed data, scroll, dynamic
// mapping, near-real-time refresh semantics, basic and API-key auth, TLS,
// and fault injection (item 429s, 5xx answers, connection resets, latency,
// size limits, write blocks). It holds one shard per index and does no
// scoring, aggregations or ingest pipelines; see docs/esnode.md.
package esnode

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Node is the Elasticsearch-API handler. It is safe for concurrent use.
type Node struct {
	opts        Options
	mux         *http.ServeMux
	ids         *idGenerator
	clusterUUID string
	nodeID      string
	nodeName    string
	started     time.Time

	mu      sync.RWMutex
	indices map[string]*index

	keys    keyStore
	faults  faultState
	stats   counters
	scrolls scrollStore
	// pipelines are the ingest pipelines (stored, never run).
	pipelines pipelineStore
	// blackholeSeq numbers blackhole writes so _seq_no grows like a shard's.
	blackholeSeq atomic.Int64
	// now is the clock, replaceable so refresh timing can be tested.
	now func() time.Time
}

// New builds a Node; Start serves one over HTTP(S).
func New(opts Options) (*Node, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	n := &Node{
		opts:        opts,
		mux:         http.NewServeMux(),
		ids:         newIDGenerator(),
		clusterUUID: randomUUID(),
		nodeID:      randomUUID(),
		nodeName:    "esnode-1",
		started:     time.Now(),
		indices:     map[string]*index{},
		now:         time.Now,
	}
	if err := n.initKeys(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidOptions, err)
	}
	n.faults.set(opts.Faults)
	n.scrolls.init()
	n.routes()
	return n, nil
}

func (n *Node) routes() {
	h := func(pattern string, f func(http.ResponseWriter, *http.Request)) { n.mux.HandleFunc(pattern, f) }
	h("GET /{$}", n.handleInfo)
	h("GET /_cluster/health", n.handleHealth)
	h("GET /_cluster/health/{index}", n.handleHealth)
	h("GET /_cat/indices", n.handleCatIndices)
	h("GET /_cat/indices/{index}", n.handleCatIndices)
	for _, m := range []string{"GET", "POST"} {
		h(m+" /_refresh", n.handleRefresh)
		h(m+" /{index}/_refresh", n.handleRefresh)
		h(m+" /_search", n.handleSearch)
		h(m+" /{index}/_search", n.handleSearch)
		h(m+" /_count", n.handleCount)
		h(m+" /{index}/_count", n.handleCount)
		h(m+" /_search/scroll", n.handleScroll)
		h(m+" /_search/scroll/{id}", n.handleScroll)
	}
	h("DELETE /_search/scroll", n.handleClearScroll)
	h("DELETE /_search/scroll/{id}", n.handleClearScroll)
	h("POST /{index}/_delete_by_query", n.handleDeleteByQuery)
	for _, m := range []string{"POST", "PUT"} {
		h(m+" /_bulk", n.handleBulk)
		h(m+" /{index}/_bulk", n.handleBulk)
		h(m+" /{index}/_doc/{id}", n.handleIndexDoc)
		h(m+" /{index}/_create/{id}", n.handleIndexDoc)
	}
	h("POST /{index}/_doc", n.handleIndexDoc)
	h("GET /{index}/_doc/{id}", n.handleGetDoc)
	h("GET /{index}/_source/{id}", n.handleGetSource)
	h("DELETE /{index}/_doc/{id}", n.handleDeleteDoc)
	h("POST /{index}/_update/{id}", n.handleUpdateDoc)
	h("PUT /{index}", n.handleCreateIndex)
	h("GET /{index}", n.handleGetIndex)
	h("DELETE /{index}", n.handleDeleteIndex)
	h("GET /_mapping", n.handleGetMapping)
	h("GET /{index}/_mapping", n.handleGetMapping)
	h("PUT /{index}/_mapping", n.handlePutMapping)
	h("GET /{index}/_settings", n.handleGetSettings)
	h("PUT /{index}/_settings", n.handlePutSettings)
	h("POST /_security/api_key", n.handleCreateAPIKey)
	h("PUT /_security/api_key", n.handleCreateAPIKey)
	h("GET /_security/_authenticate", n.handleAuthenticate)
	h("PUT /_ingest/pipeline/{id}", n.handlePutPipeline)
	h("GET /_ingest/pipeline", n.handleGetPipeline)
	h("GET /_ingest/pipeline/{id}", n.handleGetPipeline)
	h("DELETE /_ingest/pipeline/{id}", n.handleDeletePipeline)
	h("/", n.handleNoRoute)
	// GET patterns also match HEAD; the GET handlers answer HEAD without a body.
}

// ServeHTTP runs the envelope every request goes through — product header,
// counters, injected faults, authentication, size limit, content encoding,
// media type,
// authorization of restricted API keys — then the API.
func (n *Node) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if n.opts.SigV4 == nil {
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
	}
	n.stats.requests.Add(1)
	if !n.injectRequestFaults(w, r) {
		return
	}
	if n.opts.SigV4 != nil {
		if _, err := n.opts.SigV4.Verify(r); err != nil {
			n.stats.sigv4Refused.Add(1)
			writeJSON(w, r, http.StatusForbidden, map[string]any{"message": err.Error()})
			return
		}
	}
	p, ok := n.authenticate(w, r)
	if !ok {
		return
	}
	if r.ContentLength > n.opts.MaxContentLength {
		n.stats.tooLarge.Add(1)
		writeTooLarge(w)
		return
	}
	if e := decodeContentEncoding(r); e != nil {
		writeError(w, r, e)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, n.opts.MaxContentLength)
	if e := checkContentType(r); e != nil {
		writeJSON(w, r, http.StatusNotAcceptable, map[string]any{"error": e.Reason, "status": http.StatusNotAcceptable})
		return
	}
	if isConnectorAPI(r) {
		n.serveConnectorAPI(w, withPrincipal(r, p))
		return
	}
	n.serveAuthorized(w, withPrincipal(r, p), p)
}

func (n *Node) handleNoRoute(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, r, http.StatusBadRequest, map[string]any{
		"error":  fmt.Sprintf("no handler found for uri [%s] and method [%s]", r.URL.RequestURI(), r.Method),
		"status": http.StatusBadRequest,
	})
}

func (n *Node) handleInfo(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodHead {
		writeHead(w, r, http.StatusOK)
		return
	}
	writeJSON(w, r, http.StatusOK, map[string]any{
		"name":         n.nodeName,
		"cluster_name": "esconnect",
		"cluster_uuid": n.clusterUUID,
		"version": map[string]any{
			"number":                              n.opts.Version,
			"build_flavor":                        "default",
			"build_type":                          "tar",
			"build_hash":                          "0000000000000000000000000000000000000000",
			"build_date":                          "2024-08-05T10:05:34.233336849Z",
			"build_snapshot":                      false,
			"lucene_version":                      "9.11.1",
			"minimum_wire_compatibility_version":  "7.17.0",
			"minimum_index_compatibility_version": "7.0.0",
		},
		"tagline": "You Know, for Search",
	})
}

// lookupIndex returns an existing index or nil.
func (n *Node) lookupIndex(name string) *index {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.indices[name]
}

// writeIndex returns the index a write goes to, creating it with dynamic
// mapping when it does not exist (action.auto_create_index: true).
func (n *Node) writeIndex(name string) (*index, *esError) {
	if ix := n.lookupIndex(name); ix != nil {
		return ix, nil
	}
	if err := validateIndexName(name); err != nil {
		return nil, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if ix := n.indices[name]; ix != nil {
		return ix, nil
	}
	ix := n.newIndexLocked(name)
	return ix, nil
}

func (n *Node) newIndexLocked(name string) *index {
	now := n.now()
	ix := newIndex(name, randomUUID(), now, n.opts.RefreshInterval)
	ix.settings = map[string]string{
		"index.number_of_shards":                            "1",
		"index.number_of_replicas":                          "1",
		"index.uuid":                                        ix.uuid,
		"index.provided_name":                               name,
		"index.creation_date":                               fmt.Sprint(now.UnixMilli()),
		"index.version.created":                             "8512000",
		"index.routing.allocation.include._tier_preference": "data_content",
	}
	n.indices[name] = ix
	return ix
}

// resolveIndices expands an index expression (a,b / logs-* / _all / *) to
// existing indices, sorted by name.
func (n *Node) resolveIndices(expr string, q map[string][]string) ([]*index, *esError) {
	ignoreUnavailable := first(q["ignore_unavailable"]) == "true"
	allowNoIndices := first(q["allow_no_indices"]) != "false"
	n.mu.RLock()
	defer n.mu.RUnlock()
	seen := map[string]bool{}
	var out []*index
	addMatches := func(pattern string) {
		for name, ix := range n.indices {
			if !seen[name] && wildcardMatch(pattern, name) && (!strings.HasPrefix(name, ".") || strings.HasPrefix(pattern, ".")) {
				seen[name] = true
				out = append(out, ix)
			}
		}
	}
	if expr == "" || expr == "_all" || expr == "*" {
		addMatches("*")
		if len(out) == 0 && !allowNoIndices {
			return nil, errIndexNotFound(expr)
		}
	} else {
		for _, part := range strings.Split(expr, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			if strings.Contains(part, "*") {
				before := len(out)
				addMatches(part)
				if len(out) == before && !allowNoIndices {
					return nil, errIndexNotFound(part)
				}
				continue
			}
			ix := n.indices[part]
			if ix == nil {
				if ignoreUnavailable {
					continue
				}
				return nil, errIndexNotFound(part)
			}
			if !seen[part] {
				seen[part] = true
				out = append(out, ix)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// wildcardMatch matches ES index patterns, where only * is special.
func wildcardMatch(pattern, name string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == name
	}
	if !strings.HasPrefix(name, parts[0]) {
		return false
	}
	name = name[len(parts[0]):]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(name, p)
		if i < 0 {
			return false
		}
		name = name[i+len(p):]
	}
	return strings.HasSuffix(name, parts[len(parts)-1])
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// randomUUID makes a 22-character id like ES's index and cluster UUIDs.
func randomUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// SetWriteBlock turns index.blocks.write on or off for an index, creating
// the index when needed, as PUT /{index}/_settings would.
func (n *Node) SetWriteBlock(name string, on bool) {
	ix, err := n.writeIndex(name)
	if err != nil {
		return
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.writeBlock = on
	if on {
		ix.settings["index.blocks.write"] = "true"
	} else {
		delete(ix.settings, "index.blocks.write")
	}
}

// Options returns the options the node runs with, defaults filled in.
func (n *Node) Options() Options { return n.opts }
