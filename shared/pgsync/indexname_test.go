package pgsync

import (
	"encoding/json"
	"io"
	"log/slog"
	"testing"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/targettest"
)

// TestIndexNamesAreEscaped syncs into an index and a job index whose names
// hold '%', which Elasticsearch allows: each name must reach the server as
// one path segment, so the documents land in the index of that exact name
// (not in "rows/x", which a server would read from an unescaped %2f).
func TestIndexNamesAreEscaped(t *testing.T) {
	targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
		conn := pgConnect(t)
		schema := testSchema(t, conn, `CREATE TABLE items (id int PRIMARY KEY, name text);
INSERT INTO items VALUES (1, 'a'), (2, 'b');`)
		index, jobs := e.Index("rows%2fx-"+schema), e.Index("jobs%3fy-"+schema)
		env := map[string]string{"PG_URL": pgTestURL(), "PG_SCHEMA": schema, "PG_TABLES": "items",
			"ES_INDEX": index, "SYNC_JOBS_INDEX": jobs}
		for k, v := range e.Env() {
			env[k] = v
		}
		cfg, err := LoadConfig(config.FromMap(env))
		if err != nil {
			t.Fatal(err)
		}
		h, closeFn, err := Open(t.Context(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = closeFn() })
		job, err := h.Handle(t.Context(), nil)
		if err != nil || job.Status != StatusCompleted || job.IndexedDocumentCount != 2 {
			t.Fatalf("sync: %v %+v", err, job)
		}
		res, err := e.API.Cat.Indices(e.API.Cat.Indices.WithIndex("*"+schema+"*"), e.API.Cat.Indices.WithFormat("json"),
			e.API.Cat.Indices.WithH("index"), e.API.Cat.Indices.WithContext(t.Context()))
		if err != nil {
			t.Fatal(err)
		}
		var rows []struct {
			Index string `json:"index"`
		}
		err = json.NewDecoder(res.Body).Decode(&rows)
		res.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, r := range rows {
			got[r.Index] = true
		}
		if len(got) != 2 || !got[index] || !got[jobs] {
			t.Fatalf("indices %v, want exactly %q and %q", got, index, jobs)
		}
		e.Refresh(t, index)
		if n := e.Count(t, index); n != 2 {
			t.Fatalf("%s holds %d documents, want 2", index, n)
		}
	})
}
