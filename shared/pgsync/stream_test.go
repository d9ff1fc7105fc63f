package pgsync

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/esconnect/esconnect/shared/config"
)

const typesSetup = `
CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE TABLE everything (
  id int PRIMARY KEY,
  i2 smallint, i8 bigint, f4 real, f8 double precision, num numeric(30,10), numbig numeric,
  b boolean, t text, vc varchar(10), ch char(3),
  ts timestamp, tstz timestamptz, d date, tm time, tmtz timetz, iv interval,
  u uuid, j json, jb jsonb, ia int[], ta text[], m2 int[][], tsa timestamptz[], by bytea,
  ip inet, net cidr, mac macaddr, e mood, ea mood[], dom posint, pt point, r int4range
);
INSERT INTO everything VALUES (
  1, -32768, 9223372036854775807, 1.5, 0.1, 12345678901234567890.0123456789, 3.141592653589793238462643383279,
  true, E'Grüße, 世界 "quoted" \\ back\nline', 'short', 'ab',
  '2024-02-29 13:14:15.123456', '2024-02-29 13:14:15.5+02', '2024-02-29', '13:14:15', '13:14:15+05:30', '1 year 2 mons 3 days 04:05:06',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2],
   "b": "x"}', '{"k": {"n": 1.50}}', '{1,NULL,3}', '{"a b","c,d","e\"f",NULL,"NULL"}', '{{1,2},{3,4}}',
  '{"2024-01-01 00:00:00+00"}', '\x00ff10',
  '192.168.0.1/24', '10.0.0.0/8', '08:00:2b:01:02:03', 'sad', '{happy,sad}', 7, '(1,2)', '[1,5)'
);
INSERT INTO everything (id, f4, f8, num, ts, d, ia) VALUES (2, 'NaN', '-Infinity', 'NaN', 'infinity', '-infinity', '{}');
INSERT INTO everything (id) VALUES (3);
`

// collect runs the reader over the configured sources and returns the
// documents by id, as the bulk writer would receive them.
func collect(t *testing.T, cfg Config) (map[string]string, []SkippedTable) {
	t.Helper()
	ctx := t.Context()
	cc, err := connConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := openSession(ctx, cc, lockKey(cfg.Database, cfg.Index))
	if err != nil {
		t.Fatal(err)
	}
	defer sess.close(context.Background())
	tables, err := sess.listTables(ctx, cfg.Schema)
	if err != nil {
		t.Fatal(err)
	}
	sources, skipped, err := plan(cfg, tables)
	if err != nil {
		t.Fatal(err)
	}
	free := make(chan *batch, 2)
	full := make(chan *batch, 2)
	free <- &batch{}
	free <- &batch{}
	docs := map[string]string{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for b := range full {
			for _, a := range b.actions(cfg.Index, nil) {
				if !json.Valid(a.Body) {
					t.Errorf("%s: invalid JSON %s", a.ID, a.Body)
				}
				docs[a.ID] = string(a.Body)
			}
			free <- b
		}
	}()
	r := &reader{sess: sess, cfg: cfg, timestamp: "2025-01-01T00:00:00Z", log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		seen: newSeenSet(0), free: free, full: full}
	for _, src := range sources {
		if _, err := r.read(ctx, src); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.flush(ctx); err != nil {
		t.Fatal(err)
	}
	close(full)
	<-done
	return docs, skipped
}

// testConfig reads schema. The index, and so the advisory lock key, is
// named after the schema: test binaries of other checkouts share the
// PostgreSQL database, and a fixed name would make their runs of the same
// test skip each other.
func testConfig(schema string) Config {
	index := strings.ReplaceAll(schema, "_", "-")
	return Config{
		Postgres: mustConn(pgTestURL()), Database: "test", Schema: schema,
		Index: index, JobsIndex: "jobs-" + index, FetchSize: 2, FieldNames: FieldNamesColumn,
	}
}

// mustConn builds the connection setting the way LoadConfig does.
func mustConn(url string) PGConn {
	c, err := LoadConfig(config.FromMap(map[string]string{"PG_URL": url, "ES_INDEX": "x"}))
	if err != nil {
		panic(err)
	}
	return c.Postgres
}

func TestTypeMapping(t *testing.T) {
	conn := pgConnect(t)
	schema := testSchema(t, conn, typesSetup)
	docs, _ := collect(t, testConfig(schema))
	meta := `"id":"test_` + schema + `_everything_%s","table":"everything","schema":"` + schema +
		`","database":"test","_timestamp":"2025-01-01T00:00:00Z"}`
	want := map[string]string{
		"1": `{"i2":-32768,"i8":9223372036854775807,"f4":1.5,"f8":0.1,"num":12345678901234567890.0123456789,` +
			`"numbig":3.141592653589793238462643383279,"b":true,"t":"Grüße, 世界 \"quoted\" \\ back\nline","vc":"short","ch":"ab ",` +
			`"ts":"2024-02-29T13:14:15.123456","tstz":"2024-02-29T11:14:15.500000+00:00","d":"2024-02-29","tm":"13:14:15","tmtz":"13:14:15+05:30",` +
			`"iv":"P1Y2M3DT4H5M6S","u":"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11","j":{"a":[1,2],"b":"x"},"jb":{"k": {"n": 1.50}},` +
			`"ia":[1,null,3],"ta":["a b","c,d","e\"f",null,"NULL"],"m2":[[1,2],[3,4]],"tsa":["2024-01-01T00:00:00+00:00"],"by":"AP8Q",` +
			`"ip":"192.168.0.1/24","net":"10.0.0.0/8","mac":"08:00:2b:01:02:03","e":"sad","ea":["happy","sad"],"dom":7,"pt":"(1,2)","r":"[1,5)",`,
		"2": `{"i2":null,"i8":null,"f4":null,"f8":null,"num":null,"numbig":null,"b":null,"t":null,"vc":null,"ch":null,` +
			`"ts":"9999-12-31T23:59:59.999999","tstz":null,"d":"0001-01-01","tm":null,"tmtz":null,"iv":null,"u":null,"j":null,"jb":null,"ia":[],"ta":null,"m2":null,` +
			`"tsa":null,"by":null,"ip":null,"net":null,"mac":null,"e":null,"ea":null,"dom":null,"pt":null,"r":null,`,
	}
	for id, body := range want {
		docID := "test_" + schema + "_everything_" + id
		got, ok := docs[docID]
		if !ok {
			t.Fatalf("no document %s; have %d documents", docID, len(docs))
		}
		if w := body + fmt.Sprintf(meta, id); got != w {
			t.Errorf("document %s:\n got %s\nwant %s", id, got, w)
		}
	}
	if len(docs) != 3 {
		t.Errorf("%d documents, want 3", len(docs))
	}
}
