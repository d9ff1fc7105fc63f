package pgsync

import (
	"encoding/json"
	"io"
	"testing"

	"github.com/esconnect/esconnect/shared/indexname"
	"github.com/esconnect/esconnect/shared/targettest"
)

// mixedCaseSetup adds a table whose name an analyzer would change: a term
// query on a text field holding it matches nothing, only its keyword does.
const mixedCaseSetup = `
CREATE TABLE "Big-Orders" (id int PRIMARY KEY, total int);
INSERT INTO "Big-Orders" VALUES (1, 10), (2, 20);
`

// TestSyncCreatesIndexMapping: an index the sync creates maps the fields
// deletion filters on as keywords.
func TestSyncCreatesIndexMapping(t *testing.T) {
	targettest.Engines(t, func(t *testing.T, eng *targettest.Engine) {
		e := newEngineSync(t, eng, shopSetup, nil)
		if _, err := e.h.Sync(t.Context(), TriggerOnDemand, nil); err != nil {
			t.Fatal(err)
		}
		props := properties(t, e.e, e.cfg.Index)
		for _, f := range []string{"id", "table", "schema", "database"} {
			if got := props[f].Type; got != "keyword" {
				t.Errorf("field %s is mapped as %q, want keyword (mapping %+v)", f, got, props)
			}
		}
	})
}

// TestSyncIntoDynamicIndexSharedBySchemas syncs two schemas into an index
// created beforehand without a mapping, so the server maps the metadata
// fields dynamically (text with a keyword subfield): deletion still finds
// the documents of a vanished row through the keyword, including for a
// table name the text analysis would change, and never touches the other
// schema's documents.
func TestSyncIntoDynamicIndexSharedBySchemas(t *testing.T) {
	targettest.Engines(t, func(t *testing.T, eng *targettest.Engine) {
		a := newEngineSync(t, eng, shopSetup+mixedCaseSetup, nil)
		a.e.CreateIndex(t, a.cfg.Index, `{}`)
		b := newEngineSync(t, eng, shopSetup+mixedCaseSetup, func(c *Config) { c.Index = a.cfg.Index })

		if job, err := a.h.Sync(t.Context(), TriggerOnDemand, nil); err != nil || job.IndexedDocumentCount != 8 {
			t.Fatalf("first sync of schema a: %v %+v", err, job)
		}
		table := properties(t, a.e, a.cfg.Index)["table"]
		if table.Type != "text" || table.Fields["keyword"].Type != "keyword" {
			t.Fatalf("dynamic mapping of table: %+v, want text with a keyword subfield", table)
		}
		if job, err := b.h.Sync(t.Context(), TriggerOnDemand, nil); err != nil || job.IndexedDocumentCount != 8 ||
			job.DeletedDocumentCount != 0 || job.TotalDocumentCount != 16 {
			t.Fatalf("sync of schema b: %v %+v", err, job)
		}

		pgExec(t, a.conn, `DELETE FROM "Big-Orders" WHERE id = 2`, "DELETE FROM customers WHERE id = 3")
		job, err := a.h.Sync(t.Context(), TriggerOnDemand, nil)
		if err != nil || job.IndexedDocumentCount != 6 || job.DeletedDocumentCount != 2 || job.TotalDocumentCount != 14 {
			t.Fatalf("second sync of schema a: %v %+v", err, job)
		}
		for _, id := range []string{a.id("Big-Orders", "2"), a.id("customers", "3")} {
			if src := a.source(t, id); src != nil {
				t.Errorf("document %s of a deleted row is still there: %v", id, src)
			}
		}
		for _, id := range []string{b.id("Big-Orders", "2"), b.id("customers", "3")} {
			if b.source(t, id) == nil {
				t.Errorf("document %s of the other schema was deleted", id)
			}
		}
	})
}

// mappedProperty is one field of an index mapping.
type mappedProperty struct {
	Type   string `json:"type"`
	Fields map[string]struct {
		Type string `json:"type"`
	} `json:"fields"`
}

// properties is the top-level field mapping of index, subfields included.
func properties(t *testing.T, e *targettest.Engine, index string) map[string]mappedProperty {
	t.Helper()
	res, err := e.API.Indices.GetMapping(e.API.Indices.GetMapping.WithIndex(indexname.Path(index)),
		e.API.Indices.GetMapping.WithContext(t.Context()))
	if err != nil {
		t.Fatalf("mapping of %s on %s: %v", index, e.Name, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil || res.IsError() {
		t.Fatalf("mapping of %s on %s: %s %v: %s", index, e.Name, res.Status(), err, body)
	}
	var out map[string]struct {
		Mappings struct {
			Properties map[string]mappedProperty `json:"properties"`
		} `json:"mappings"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("mapping of %s on %s: %v: %s", index, e.Name, err, body)
	}
	m, ok := out[index]
	if !ok {
		t.Fatalf("the mapping answer on %s does not name %s: %s", e.Name, index, body)
	}
	return m.Mappings.Properties
}
