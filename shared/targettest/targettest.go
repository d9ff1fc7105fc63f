// Package targettest runs an integration test against every server the
// suite is configured for: the embedded doubles (the esnode and kfake)
// always, and each real server whose address is in the environment, as
// scripts/realstack.sh prints them:
//
//	ESCONNECT_TEST_ES8_URL=http://127.0.0.1:19200
//	ESCONNECT_TEST_ES7_URL=http://127.0.0.1:19201
//	ESCONNECT_TEST_OPENSEARCH_URL=http://127.0.0.1:19202
//	ESCONNECT_TEST_OPENSEARCH1_URL=http://127.0.0.1:19203
//	ESCONNECT_TEST_OPENSEARCH3_URL=http://127.0.0.1:19204
//	ESCONNECT_TEST_KAFKA_BROKERS=127.0.0.1:19092
//
// Each target is a subtest named after it (esnode, es8, es7, opensearch,
// opensearch1, opensearch3; kfake, kafka). A configured server that does not answer fails the test:
// it is never skipped. Real servers are shared by every test and package of
// a run, so a test names its indices, topics and groups through the target
// (Engine.Index, Kafka.Topic, Kafka.Group), which makes them private to the
// test on a real server, and the indices are deleted when the test ends.
//
// Tests that need what only the esnode has (fault injection, the blackhole,
// auth options) use esnodetest directly and say so in their name (...OnEsnode).
package targettest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elastic/elastic-transport-go/v8/elastictransport"
	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/esnode/esnodetest"
)

// The environment variables naming the real servers.
const (
	EnvES8 = "ESCONNECT_TEST_ES8_URL"
	EnvES7 = "ESCONNECT_TEST_ES7_URL"
	// EnvOpenSearch is OpenSearch 2; EnvOpenSearch1 and EnvOpenSearch3 are
	// OpenSearch 1 and 3, the other majors esconnect supports.
	EnvOpenSearch  = "ESCONNECT_TEST_OPENSEARCH_URL"
	EnvOpenSearch1 = "ESCONNECT_TEST_OPENSEARCH1_URL"
	EnvOpenSearch3 = "ESCONNECT_TEST_OPENSEARCH3_URL"
	EnvKafka       = "ESCONNECT_TEST_KAFKA_BROKERS"
	// EnvCACert is a PEM file trusted for https URLs of the variables above
	// (a cluster of one's own with a private CA).
	EnvCACert = "ESCONNECT_TEST_CA_CERT"
	// EnvEmbeddedOnly, when set to 1, is the developer's explicit opt-out
	// of the real servers (make test-embedded): the variables above are
	// ignored, and tests that exist only for a real server skip, saying so.
	EnvEmbeddedOnly = "ESCONNECT_TEST_EMBEDDED_ONLY"
)

// embeddedOnly reports the opt-out.
func embeddedOnly() bool { return os.Getenv(EnvEmbeddedOnly) == "1" }

// realEnv is the value of a real server's variable, "" under the opt-out.
func realEnv(name string) string {
	if embeddedOnly() {
		return ""
	}
	return os.Getenv(name)
}

// Distribution tells Elasticsearch and OpenSearch apart.
type Distribution string

// The distributions.
const (
	Elasticsearch Distribution = "elasticsearch"
	OpenSearch    Distribution = "opensearch"
)

// realEngine is one configured real search server.
type realEngine struct {
	name, env string
	dist      Distribution
}

var realEngines = []realEngine{
	{"es8", EnvES8, Elasticsearch},
	{"es7", EnvES7, Elasticsearch},
	{"opensearch", EnvOpenSearch, OpenSearch},
	{"opensearch1", EnvOpenSearch1, OpenSearch},
	{"opensearch3", EnvOpenSearch3, OpenSearch},
}

// Engine is one Elasticsearch-API server a test runs against.
type Engine struct {
	// Name is the subtest name: esnode, es8, es7, opensearch (2),
	// opensearch1 or opensearch3.
	Name string
	// URL is the server's base URL, possibly with user information.
	URL string
	// Distribution is Elasticsearch for the esnode, es8 and es7.
	Distribution Distribution
	// Version is the server's version number, such as 8.19.21.
	Version string
	// Node is the esnode; nil for a real server.
	Node *esnode.Server
	// API is go-elasticsearch's API over a transport without the product
	// check (which refuses OpenSearch) and without retries, so that tests
	// see exactly what the server answered.
	API *esapi.API
	// Transport is the transport under API, for requests esapi cannot
	// build (malformed bodies, raw paths).
	Transport esapi.Transport

	token string
}

// Real reports whether the engine is a real server rather than the esnode.
func (e *Engine) Real() bool { return e.Node == nil }

// Major is the major version number (8 for 8.19.21).
func (e *Engine) Major() int {
	var m int
	fmt.Sscanf(e.Version, "%d", &m)
	return m
}

// Index returns the name a test uses for an index called base: base itself
// on the esnode (a fresh node per test), base with the test's token on a
// real server. Every index whose name contains the token is deleted when
// the test ends.
func (e *Engine) Index(base string) string {
	if e.token == "" {
		return base
	}
	return base + "-" + e.token
}

// Token is the test's private suffix on a real server ("" on the esnode):
// names built by the code under test (index templates, job indices) include
// it so that the cleanup finds them.
func (e *Engine) Token() string { return e.token }

// Env is the environment a function needs to reach this engine: ES_URL,
// the credentials of a URL with user information as ES_USERNAME and
// ES_PASSWORD (the functions refuse credentials in ES_URL), ES_CA_CERT, and
// ES_DISTRIBUTION for OpenSearch.
func (e *Engine) Env() map[string]string {
	env := map[string]string{"ES_URL": e.URL}
	if u, err := url.Parse(e.URL); err == nil && u.User != nil {
		env["ES_USERNAME"] = u.User.Username()
		env["ES_PASSWORD"], _ = u.User.Password()
		u.User = nil
		env["ES_URL"] = u.String()
	}
	if f := os.Getenv(EnvCACert); f != "" && e.Real() {
		env["ES_CA_CERT"] = f
	}
	if e.Distribution == OpenSearch {
		env["ES_DISTRIBUTION"] = string(OpenSearch)
	}
	return env
}

// Engines runs fn as a subtest against a fresh esnode (default options) and
// against every configured real server.
func Engines(t *testing.T, fn func(t *testing.T, e *Engine)) {
	t.Helper()
	t.Run("esnode", func(t *testing.T) {
		fn(t, startEsnode(t))
	})
	for _, re := range realEngines {
		raw := realEnv(re.env)
		if raw == "" {
			continue
		}
		t.Run(re.name, func(t *testing.T) {
			fn(t, openReal(t, re, raw))
		})
	}
}

// Require returns the real engine named es8, es7, opensearch, opensearch1 or
// opensearch3, for a test that compares the esnode with it or needs it for
// itself. An unset variable fails the test, saying how to start the server,
// unless the developer opted out (EnvEmbeddedOnly): then the test skips.
func Require(t *testing.T, name string) *Engine {
	t.Helper()
	for _, re := range realEngines {
		if re.name != name {
			continue
		}
		if embeddedOnly() {
			t.Skipf("%s=1: this test needs the real %s", EnvEmbeddedOnly, name)
		}
		raw := os.Getenv(re.env)
		if raw == "" {
			t.Fatalf("this test needs the real %s: start it with ./scripts/realstack.sh start and export what "+
				"./scripts/realstack.sh env prints (make test does both), or opt out with %s=1", name, EnvEmbeddedOnly)
		}
		return openReal(t, re, raw)
	}
	t.Fatalf("no real engine is called %q", name)
	return nil
}

func startEsnode(t *testing.T) *Engine {
	t.Helper()
	s := esnodetest.Start(t, esnode.Options{})
	tr := newTransport(t, s.URL)
	return &Engine{Name: "esnode", URL: s.URL, Distribution: Elasticsearch, Version: s.Node.Options().Version,
		Node: s, API: esapi.New(tr), Transport: tr}
}

// Esnode is the Engine of an esnode a test started itself with options of
// its own (faults, auth, TLS), for the tests that run only there: the read
// helpers then work on it too. Its API uses the credentials and CA of the
// node's options, like esnodetest.Client; Env gives only ES_URL.
func Esnode(t testing.TB, s *esnode.Server) *Engine {
	t.Helper()
	return &Engine{Name: "esnode", URL: s.URL, Distribution: Elasticsearch, Version: s.Node.Options().Version,
		Node: s, API: esapi.New(esnodetest.Client(t, s).Transport)}
}

// probes caches, per URL, what the first test learnt of a real server, so
// that one that is down fails every test at once with the same message.
var probes sync.Map // url -> *probe

type probe struct {
	once    sync.Once
	version string
	err     error
}

func openReal(t *testing.T, re realEngine, raw string) *Engine {
	t.Helper()
	tr := newTransport(t, raw)
	api := esapi.New(tr)
	p, _ := probes.LoadOrStore(raw, &probe{})
	pr := p.(*probe)
	pr.once.Do(func() { pr.version, pr.err = serverVersion(api) })
	if pr.err != nil {
		t.Fatalf("%s=%s: %v\nstart the real servers with ./scripts/realstack.sh start (make realstack), "+
			"or unset %s to run against the embedded doubles only", re.env, redact(raw), pr.err, re.env)
	}
	e := &Engine{Name: re.name, URL: raw, Distribution: re.dist, Version: pr.version, API: api, Transport: tr,
		token: newToken()}
	t.Cleanup(func() { e.deleteIndices(t) })
	return e
}

// serverVersion asks a node for its version. It reads _nodes rather than
// GET /, which the Elasticsearch 8 test distribution does not serve (its
// rest-root module is not in it).
func serverVersion(api *esapi.API) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := api.Nodes.Info(api.Nodes.Info.WithNodeID("_local"), api.Nodes.Info.WithMetric("_none"),
		api.Nodes.Info.WithContext(ctx), api.Nodes.Info.WithFilterPath("nodes.*.version"))
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.IsError() {
		return "", fmt.Errorf("GET /_nodes/_local answered %s: %s", res.Status(), body)
	}
	var v struct {
		Nodes map[string]struct {
			Version string `json:"version"`
		} `json:"nodes"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return "", fmt.Errorf("GET /_nodes/_local: %v: %s", err, body)
	}
	for _, n := range v.Nodes {
		return n.Version, nil
	}
	return "", fmt.Errorf("GET /_nodes/_local listed no node: %s", body)
}

// deleteIndices deletes every index whose name holds the test's token. It
// lists them first and deletes them by name, since clusters refuse wildcard
// deletes by default (action.destructive_requires_name).
func (e *Engine) deleteIndices(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := e.API.Cat.Indices(e.API.Cat.Indices.WithIndex("*"+e.token+"*"), e.API.Cat.Indices.WithH("index"),
		e.API.Cat.Indices.WithFormat("json"), e.API.Cat.Indices.WithExpandWildcards("all"), e.API.Cat.Indices.WithContext(ctx))
	if err != nil {
		t.Errorf("listing the test's indices on %s: %v", e.Name, err)
		return
	}
	var rows []struct {
		Index string `json:"index"`
	}
	err = json.NewDecoder(res.Body).Decode(&rows)
	res.Body.Close()
	if err != nil {
		t.Errorf("listing the test's indices on %s: %v", e.Name, err)
		return
	}
	if len(rows) == 0 {
		return
	}
	names := make([]string, len(rows))
	for i, r := range rows {
		names[i] = r.Index
	}
	res, err = e.API.Indices.Delete(names, e.API.Indices.Delete.WithContext(ctx))
	if err != nil {
		t.Errorf("deleting the test's indices %v on %s: %v", names, e.Name, err)
		return
	}
	res.Body.Close()
	if res.IsError() && res.StatusCode != http.StatusNotFound {
		t.Errorf("deleting the test's indices %v on %s: %s", names, e.Name, res.Status())
	}
}

func newTransport(t testing.TB, raw string) *elastictransport.Client {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		t.Fatalf("%q is not a URL", redact(raw))
	}
	opts := []elastictransport.Option{elastictransport.WithURLs(u), elastictransport.WithDisableRetry()}
	if u.User != nil {
		pw, _ := u.User.Password()
		opts = append(opts, elastictransport.WithBasicAuth(u.User.Username(), pw))
	}
	if f := os.Getenv(EnvCACert); f != "" && u.Scheme == "https" {
		pem, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("%s: %v", EnvCACert, err)
		}
		opts = append(opts, elastictransport.WithCACert(pem))
	}
	tr, err := elastictransport.NewClient(opts...)
	if err != nil {
		t.Fatalf("transport for %s: %v", redact(raw), err)
	}
	return tr
}

// newToken is a short random suffix, valid in index, topic and group names.
func newToken() string {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return "t" + hex.EncodeToString(b[:])
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	return strings.Replace(raw, u.User.String()+"@", "REDACTED@", 1)
}
