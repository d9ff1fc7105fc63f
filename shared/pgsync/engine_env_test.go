package pgsync

import (
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/esbulk"
	"github.com/esconnect/esconnect/shared/esclient"
	"github.com/esconnect/esconnect/shared/targettest"
)

// engineSync is a schema and a handler syncing it into one target engine
// (the esnode or a real server), for the tests of this package that must
// hold on every engine.
type engineSync struct {
	e      *targettest.Engine
	conn   *pgx.Conn
	schema string
	cfg    Config
	h      *Handler
}

// newEngineSync creates a schema with the setup statements and a handler
// writing into e. Index names go through e.Index so that they are private
// to the test on a shared server.
func newEngineSync(t *testing.T, e *targettest.Engine, setup string, edit func(*Config)) *engineSync {
	t.Helper()
	conn := pgConnect(t)
	schema := testSchema(t, conn, setup)
	return newEngineSyncOf(t, e, conn, schema, edit)
}

// newEngineSyncOf is newEngineSync over an existing schema, for a second
// handler (another index, another mode) on the same tables.
func newEngineSyncOf(t *testing.T, e *targettest.Engine, conn *pgx.Conn, schema string, edit func(*Config)) *engineSync {
	t.Helper()
	vars := map[string]string{"RETRY_MAX": "2", "RETRY_BACKOFF_INITIAL": "10ms"}
	for k, v := range e.Env() {
		vars[k] = v
	}
	env := config.FromMap(vars)
	cfg := testConfig(schema)
	base := strings.ReplaceAll(schema, "_", "-")
	cfg.Index = e.Index(base)
	cfg.JobsIndex = e.Index("jobs-" + base)
	cfg.DeadlineMargin = DefaultSyncDeadlineMargin
	cfg.Elasticsearch = esclient.LoadConfig(env)
	cfg.Bulk = esbulk.LoadConfig(env)
	if err := env.Err(); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(&cfg)
	}
	h, closeFn, err := Open(t.Context(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = closeFn() })
	return &engineSync{e: e, conn: conn, schema: schema, cfg: cfg, h: h}
}

func (s *engineSync) id(table string, pk ...string) string {
	return "test_" + s.schema + "_" + table + "_" + strings.Join(pk, "_")
}

// sync runs one on-demand sync and fails the test unless it completed.
func (s *engineSync) sync(t *testing.T) Job {
	t.Helper()
	job, err := s.h.Sync(t.Context(), TriggerOnDemand, nil)
	if err != nil || job.Status != StatusCompleted {
		b, _ := json.Marshal(job)
		t.Fatalf("sync on %s: %v\njob %s", s.e.Name, err, b)
	}
	return job
}

// search runs a query on the synced index and returns the ids it matched.
func (s *engineSync) search(t *testing.T, query string) []string {
	t.Helper()
	s.e.Refresh(t, s.cfg.Index)
	res, err := s.e.API.Search(s.e.API.Search.WithIndex(s.cfg.Index), s.e.API.Search.WithSize(1000),
		s.e.API.Search.WithBody(strings.NewReader(`{"_source":false,"sort":[{"id":"asc"}],"query":`+query+`}`)),
		s.e.API.Search.WithContext(t.Context()))
	if err != nil {
		t.Fatalf("search on %s: %v", s.e.Name, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.IsError() {
		t.Fatalf("search %s on %s: %s", query, s.e.Name, body)
	}
	var out struct {
		Hits struct {
			Hits []struct {
				ID string `json:"_id"`
			} `json:"hits"`
		} `json:"hits"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	ids := []string{}
	for _, h := range out.Hits.Hits {
		ids = append(ids, h.ID)
	}
	return ids
}

// mapping returns the field types of the synced index's mapping.
func (s *engineSync) mapping(t *testing.T) map[string]string {
	t.Helper()
	res, err := s.e.API.Indices.GetMapping(s.e.API.Indices.GetMapping.WithIndex(s.cfg.Index),
		s.e.API.Indices.GetMapping.WithContext(t.Context()))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]struct {
		Mappings struct {
			Properties map[string]struct {
				Type string `json:"type"`
			} `json:"properties"`
		} `json:"mappings"`
	}
	if err := json.NewDecoder(res.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, idx := range m {
		for f, p := range idx.Mappings.Properties {
			out[f] = p.Type
		}
	}
	return out
}
