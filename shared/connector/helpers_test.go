package connector

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esapi"
	"github.com/jackc/pgx/v5"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/esclient"
	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/esnode/esnodetest"
)

const defaultPGTestURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// testPassword is what the tests configure; the test server trusts local
// connections, so it is never checked, but it must never show up either.
const testPassword = "s3cret-Pa55-never-echoed"

func pgTestURL() string {
	if u := os.Getenv("PG_TEST_URL"); u != "" {
		return u
	}
	return defaultPGTestURL
}

// stack is an esnode, a PostgreSQL schema and the operator's client.
type stack struct {
	srv    *esnode.Server
	es     *elasticsearch.Client
	pg     *pgx.Conn
	schema string
	logs   *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newStack(t *testing.T, setup ...string) *stack {
	t.Helper()
	srv := esnodetest.Start(t, esnode.Options{RefreshInterval: -1})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, pgTestURL())
	if err != nil {
		t.Fatalf("PostgreSQL at %s is unreachable (%v); start it with ./scripts/ensure-postgres.sh or set PG_TEST_URL", pgTestURL(), err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "connector_test_" + hex.EncodeToString(b[:])
	st := &stack{srv: srv, es: esnodetest.Client(t, srv), pg: conn, schema: schema, logs: &syncBuffer{}}
	st.exec(t, "CREATE SCHEMA "+schema)
	t.Cleanup(func() { _, _ = conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE") })
	st.exec(t, "SET search_path TO "+schema)
	st.exec(t, setup...)
	return st
}

func (st *stack) exec(t *testing.T, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := st.pg.Exec(context.Background(), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// service builds a connector service for id, polling fast.
func (st *stack) service(t *testing.T, id, host string, now func() time.Time) *Service {
	t.Helper()
	env := config.FromMap(map[string]string{"ES_URL": st.srv.URL})
	s, closeFn, err := New(Config{
		ConnectorID: id, Elasticsearch: esclient.LoadConfig(env), Environ: []string{"RETRY_MAX=1"},
		Hostname: host, Now: now, PollInterval: 5 * time.Millisecond,
		Log: slog.New(slog.NewTextHandler(st.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = closeFn() })
	return s
}

// api sends a Connector API request and decodes the answer.
func (st *stack) api(t *testing.T, req esapi.Request) (int, map[string]any) {
	t.Helper()
	res, err := req.Do(t.Context(), st.es)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return res.StatusCode, m
}

func (st *stack) must(t *testing.T, req esapi.Request) map[string]any {
	t.Helper()
	code, m := st.api(t, req)
	if code >= 300 {
		t.Fatalf("%T: %d %v", req, code, m)
	}
	return m
}

func body(v any) io.Reader {
	if s, ok := v.(string); ok {
		return strings.NewReader(s)
	}
	b, _ := json.Marshal(v)
	return bytes.NewReader(b)
}

// configured creates a connector through the API, lets the service publish
// its schema, and fills in the values of this stack's database.
func (st *stack) configured(t *testing.T, id, index string, values map[string]any) *Service {
	t.Helper()
	st.must(t, esapi.ConnectorPutRequest{ConnectorID: id, Body: body(map[string]any{
		"index_name": index, "name": "test " + id, "service_type": "postgresql"})})
	s := st.service(t, id, "worker-1", nil)
	if _, err := s.RunOnce(t.Context()); err != nil {
		t.Fatalf("first run: %v", err)
	}
	v := map[string]any{"host": "127.0.0.1", "port": 5432, "username": "postgres", "password": testPassword,
		"database": "test", "schema": st.schema, "tables": "*"}
	if u, err := pgx.ParseConfig(pgTestURL()); err == nil {
		v["host"], v["port"], v["username"], v["database"] = u.Host, int(u.Port), u.User, u.Database
	}
	for k, val := range values {
		v[k] = val
	}
	st.must(t, esapi.ConnectorUpdateConfigurationRequest{ConnectorID: id, Body: body(map[string]any{"values": v})})
	return s
}

func (st *stack) connector(t *testing.T, id string) map[string]any {
	t.Helper()
	return st.must(t, esapi.ConnectorGetRequest{ConnectorID: id})
}

func (st *stack) job(t *testing.T, id string) map[string]any {
	t.Helper()
	return st.must(t, esapi.ConnectorSyncJobGetRequest{ConnectorSyncJobID: id})
}

func (st *stack) postJob(t *testing.T, connector, jobType string) string {
	t.Helper()
	m := st.must(t, esapi.ConnectorSyncJobPostRequest{Body: body(map[string]any{"id": connector, "job_type": jobType})})
	return m["id"].(string)
}

// ids lists the document ids of an index.
func (st *stack) ids(t *testing.T, index string) []string {
	t.Helper()
	st.must(t, esapi.IndicesRefreshRequest{Index: []string{index}})
	size := 1000
	m := st.must(t, esapi.SearchRequest{Index: []string{index}, Size: &size})
	var out []string
	for _, h := range m["hits"].(map[string]any)["hits"].([]any) {
		out = append(out, h.(map[string]any)["_id"].(string))
	}
	return out
}

// num reads a JSON number.
func num(v any) int64 {
	f, _ := v.(float64)
	return int64(f)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
