package esnode

import (
	"net/http"
	"net/url"
	"strings"
)

// Action names, as Elasticsearch's transport actions are named; privileges
// are defined over them.
const (
	actionMain          = "cluster:monitor/main"
	actionHealth        = "cluster:monitor/health"
	actionState         = "cluster:monitor/state"
	actionCreateAPIKey  = "cluster:admin/xpack/security/api_key/create"
	actionSearch        = "indices:data/read/search"
	actionScroll        = "indices:data/read/scroll"
	actionGet           = "indices:data/read/get"
	actionBulk          = "indices:data/write/bulk"
	actionBulkShard     = "indices:data/write/bulk[s]"
	actionIndex         = "indices:data/write/index"
	actionIndexOpIndex  = "indices:data/write/index:op_type/index"
	actionIndexOpCreate = "indices:data/write/index:op_type/create"
	actionUpdate        = "indices:data/write/update"
	actionDelete        = "indices:data/write/delete"
	actionDeleteByQuery = "indices:data/write/delete/byquery"
	actionAutoCreate    = "indices:admin/auto_create"
	actionCreateIndex   = "indices:admin/create"
	actionGetIndex      = "indices:admin/get"
	actionDeleteIndex   = "indices:admin/delete"
	actionGetMapping    = "indices:admin/mappings/get"
	actionPutMapping    = "indices:admin/mapping/put"
	actionGetSettings   = "indices:monitor/settings/get"
	actionPutSettings   = "indices:admin/settings/update"
	actionRefresh       = "indices:admin/refresh"
)

// routeAuth says how a route is authorized.
type routeAuth struct {
	cluster string // a cluster action
	// indices are index actions checked, in order, on the path's indices;
	// wildcard expressions are narrowed to the indices they are granted on.
	indices []string
	// anyIndex is granted when the action is granted on some index (scroll:
	// ES ties the scroll to the search that opened it).
	anyIndex string
	bulk     bool
	docWrite bool
}

// routeAuths maps the node's route patterns (method and path as registered
// in routes) to their authorization. Patterns not listed are open to every
// authenticated caller: clearing a scroll, _authenticate, unknown routes.
var routeAuths = map[string]routeAuth{
	"GET /{$}":                       {cluster: actionMain},
	"GET /_cluster/health":           {cluster: actionHealth},
	"GET /_cluster/health/{index}":   {cluster: actionHealth},
	"GET /_cat/indices":              {cluster: actionState},
	"GET /_cat/indices/{index}":      {cluster: actionState},
	"POST /_security/api_key":        {cluster: actionCreateAPIKey},
	"PUT /_security/api_key":         {cluster: actionCreateAPIKey},
	"PUT /_ingest/pipeline/{id}":     {cluster: actionPutPipeline},
	"GET /_ingest/pipeline":          {cluster: actionGetPipeline},
	"GET /_ingest/pipeline/{id}":     {cluster: actionGetPipeline},
	"DELETE /_ingest/pipeline/{id}":  {cluster: actionDeletePipeline},
	"POST /{index}/_delete_by_query": {indices: []string{actionDeleteByQuery, actionSearch}},
	"POST /{index}/_doc":             {docWrite: true},
	"GET /{index}/_doc/{id}":         {indices: []string{actionGet}},
	"GET /{index}/_source/{id}":      {indices: []string{actionGet}},
	"DELETE /{index}/_doc/{id}":      {docWrite: true},
	"POST /{index}/_update/{id}":     {docWrite: true},
	"PUT /{index}":                   {indices: []string{actionCreateIndex}},
	"GET /{index}":                   {indices: []string{actionGetIndex}},
	"DELETE /{index}":                {indices: []string{actionDeleteIndex}},
	"GET /_mapping":                  {indices: []string{actionGetMapping}},
	"GET /{index}/_mapping":          {indices: []string{actionGetMapping}},
	"PUT /{index}/_mapping":          {indices: []string{actionPutMapping}},
	"GET /{index}/_settings":         {indices: []string{actionGetSettings}},
	"PUT /{index}/_settings":         {indices: []string{actionPutSettings}},
}

func init() {
	for _, m := range []string{"GET", "POST"} {
		routeAuths[m+" /_refresh"] = routeAuth{indices: []string{actionRefresh}}
		routeAuths[m+" /{index}/_refresh"] = routeAuth{indices: []string{actionRefresh}}
		for _, p := range []string{"/_search", "/{index}/_search", "/_count", "/{index}/_count"} {
			routeAuths[m+" "+p] = routeAuth{indices: []string{actionSearch}}
		}
		routeAuths[m+" /_search/scroll"] = routeAuth{anyIndex: actionScroll}
		routeAuths[m+" /_search/scroll/{id}"] = routeAuth{anyIndex: actionScroll}
	}
	for _, m := range []string{"POST", "PUT"} {
		routeAuths[m+" /_bulk"] = routeAuth{bulk: true}
		routeAuths[m+" /{index}/_bulk"] = routeAuth{bulk: true}
		routeAuths[m+" /{index}/_doc/{id}"] = routeAuth{docWrite: true}
		routeAuths[m+" /{index}/_create/{id}"] = routeAuth{docWrite: true}
	}
}

// serveAuthorized checks the caller's privileges for the request, the way
// ES's security layer sits in front of every action, then hands it to the
// API. Unrestricted callers pass straight through.
func (n *Node) serveAuthorized(w http.ResponseWriter, r *http.Request, p *principal) {
	if !p.restricted() {
		n.mux.ServeHTTP(w, r)
		return
	}
	_, pattern := n.mux.Handler(r)
	ra, ok := routeAuths[pattern]
	if !ok {
		n.mux.ServeHTTP(w, r)
		return
	}
	params := pathParams(pattern, r.URL.EscapedPath())
	switch {
	case ra.cluster != "":
		if !p.allowsCluster(ra.cluster) {
			n.deny(w, r, errUnauthorized(p, ra.cluster, nil))
			return
		}
	case ra.anyIndex != "":
		if !p.allowsIndex(ra.anyIndex, "") {
			n.deny(w, r, errUnauthorized(p, ra.anyIndex, nil))
			return
		}
	case ra.bulk:
		n.serveBulkAuthorized(w, r, p, params["index"])
		return
	case ra.docWrite:
		if e := n.authorizeDocWrite(r, p, pattern, params["index"]); e != nil {
			n.deny(w, r, e)
			return
		}
	default:
		var e *esError
		if r, e = n.authorizeIndices(r, p, pattern, params["index"], ra.indices); e != nil {
			n.deny(w, r, e)
			return
		}
	}
	n.mux.ServeHTTP(w, r)
}

func (n *Node) deny(w http.ResponseWriter, r *http.Request, e *esError) {
	writeError(w, r, e)
}

// pathParams reads {name} segments of a route pattern from an escaped path.
func pathParams(pattern, path string) map[string]string {
	_, pat, _ := strings.Cut(pattern, " ")
	ps := strings.Split(strings.TrimPrefix(pat, "/"), "/")
	ss := strings.Split(strings.TrimPrefix(path, "/"), "/")
	out := map[string]string{}
	for i, seg := range ps {
		if i >= len(ss) || !strings.HasPrefix(seg, "{") {
			continue
		}
		name := strings.Trim(seg, "{}$.")
		if v, err := url.PathUnescape(ss[i]); err == nil {
			out[name] = v
		}
	}
	return out
}

// authorizeIndices checks each action on the indices of the expression.
// Concrete names must all be granted (403 naming the others). Wildcards,
// _all and a missing index expand only to the indices they are granted on,
// as in ES, where a pattern never fails for lack of privileges but sees
// less; the request is then rewritten to name those indices.
func (n *Node) authorizeIndices(r *http.Request, p *principal, pattern, expr string, actions []string) (*http.Request, *esError) {
	parts := strings.Split(expr, ",")
	if expr == "" {
		parts = []string{"_all"}
	}
	narrowed := false
	var kept []string
	for _, action := range actions {
		kept = kept[:0]
		var denied []string
		for _, part := range parts {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			if part != "_all" && !strings.Contains(part, "*") {
				if !p.allowsIndex(action, part) {
					denied = append(denied, part)
				}
				kept = append(kept, part)
				continue
			}
			for _, name := range n.matchingIndices(part) {
				if p.allowsIndex(action, name) {
					kept = append(kept, name)
				} else {
					narrowed = true
				}
			}
		}
		if len(denied) > 0 {
			return r, errUnauthorized(p, action, denied)
		}
		parts = append([]string(nil), kept...)
	}
	if !narrowed {
		return r, nil
	}
	return rewriteIndexPath(r, pattern, kept), nil
}

// noIndex is an expression that matches nothing (index names cannot start
// with '-'), for a wildcard that is granted on no existing index.
const noIndex = "-*"

// rewriteIndexPath points the request at the given indices. Every route
// that takes an expression has an /{index}/... form, so an expression-less
// path gains one.
func rewriteIndexPath(r *http.Request, pattern string, indices []string) *http.Request {
	expr := noIndex
	if len(indices) > 0 {
		expr = strings.Join(indices, ",")
	}
	_, pat, _ := strings.Cut(pattern, " ")
	segs := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if strings.HasPrefix(pat, "/{index}") {
		segs[0] = expr
	} else {
		segs = append([]string{expr}, segs...)
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path = "/" + strings.Join(segs, "/")
	r2.URL.RawPath = ""
	return r2
}

// matchingIndices lists existing indices a wildcard part matches, hidden
// (dot) indices only for patterns that start with a dot.
func (n *Node) matchingIndices(part string) []string {
	if part == "_all" {
		part = "*"
	}
	n.mu.RLock()
	defer n.mu.RUnlock()
	var out []string
	for name := range n.indices {
		if wildcardMatch(part, name) && (!strings.HasPrefix(name, ".") || strings.HasPrefix(part, ".")) {
			out = append(out, name)
		}
	}
	return out
}

// authorizeDocWrite checks a single-document write as ES does: the API's
// action on the index, auto-creation when the index is missing, then the
// document operation itself (create_doc allows _create but not overwrites).
func (n *Node) authorizeDocWrite(r *http.Request, p *principal, pattern, index string) *esError {
	top, op := actionIndex, actionIndexOpIndex
	switch {
	case strings.HasPrefix(pattern, "DELETE"):
		top, op = actionDelete, actionDelete
	case strings.Contains(pattern, "/_update/"):
		top, op = actionUpdate, actionUpdate
	case strings.Contains(pattern, "/_create/"), pattern == "POST /{index}/_doc", r.URL.Query().Get("op_type") == "create":
		op = actionIndexOpCreate
	}
	for _, a := range []string{top, op} {
		if !p.allowsIndex(a, index) {
			return errUnauthorized(p, a, []string{index})
		}
		if a == top && op != actionDelete && n.lookupIndex(index) == nil && !p.allowsIndex(actionAutoCreate, index) {
			return errUnauthorized(p, actionAutoCreate, []string{index})
		}
	}
	return nil
}
