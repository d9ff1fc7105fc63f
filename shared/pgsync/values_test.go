package pgsync

import (
	"reflect"
	"testing"

	"github.com/esconnect/esconnect/shared/targettest"
)

// datesSetup has dates Elasticsearch's ISO parser cannot take as PostgreSQL
// writes them: BC years, the infinities, years after 9999.
const datesSetup = `
CREATE TABLE dates (id int PRIMARY KEY, d date, ts timestamp, tstz timestamptz, tsa timestamptz[]);
INSERT INTO dates VALUES
  (1, '2024-02-29', '2024-02-29 13:14:15.123456', '2024-02-29 13:14:15.5+02', '{"2024-01-01 00:00:00+00"}'),
  (2, '4713-01-01 BC', '4713-01-01 00:00:00 BC', '0044-03-15 12:00:00+00 BC', '{"0001-01-01 00:00:00+00 BC"}'),
  (3, 'infinity', 'infinity', '-infinity', '{infinity}'),
  (4, '5874897-12-31', '294276-12-31 23:59:59.999999', '10000-01-01 00:00:00.5+00', NULL),
  (5, '0001-01-01 BC', NULL, NULL, NULL);`

// TestDatesElasticsearchCannotParseAreSynced syncs every kind of date
// PostgreSQL can hold into each engine: the job completes with nothing
// rejected, the fields are date fields, and the values sort and match as
// the dates they are. A second sync still deletes the document of a deleted
// row.
func TestDatesElasticsearchCannotParseAreSynced(t *testing.T) {
	targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
		s := newEngineSync(t, e, datesSetup, nil)
		job := s.sync(t)
		if job.IndexedDocumentCount != 5 || job.Metadata.RejectedDocumentCount != 0 || job.Error != nil {
			t.Fatalf("job %+v", job)
		}
		want := map[string]map[string]any{
			"1": {"d": "2024-02-29", "ts": "2024-02-29T13:14:15.123456", "tstz": "2024-02-29T11:14:15.500000+00:00",
				"tsa": []any{"2024-01-01T00:00:00+00:00"}},
			// ISO years: 4713 BC is -4712, 1 BC is 0000.
			"2": {"d": "-4712-01-01", "ts": "-4712-01-01T00:00:00", "tstz": "-0043-03-15T12:00:00+00:00",
				"tsa": []any{"0000-01-01T00:00:00+00:00"}},
			// Python's date.max / datetime.max and datetime.min, as
			// Elastic's connector writes the infinities.
			"3": {"d": "9999-12-31", "ts": "9999-12-31T23:59:59.999999", "tstz": "0001-01-01T00:00:00",
				"tsa": []any{"9999-12-31T23:59:59.999999"}},
			// Epoch milliseconds for years after 9999.
			"4": {"d": "185331706992000000", "ts": "9224318015999999.999", "tstz": "253402300800500", "tsa": nil},
			"5": {"d": "0000-01-01", "ts": nil, "tstz": nil, "tsa": nil},
		}
		for pk, fields := range want {
			src := e.Source(t, s.cfg.Index, s.id("dates", pk))
			if src == nil {
				t.Fatalf("document of row %s missing", pk)
			}
			for f, v := range fields {
				if !reflect.DeepEqual(src[f], v) {
					t.Errorf("row %s %s = %#v, want %#v", pk, f, src[f], v)
				}
			}
		}
		m := s.mapping(t)
		for _, f := range []string{"d", "ts", "tstz", "tsa"} {
			if m[f] != "date" {
				t.Errorf("%s is mapped as %q, want date", f, m[f])
			}
		}
		if got, want := s.search(t, `{"range":{"d":{"lt":"0001-01-01"}}}`), []string{s.id("dates", "2"), s.id("dates", "5")}; !reflect.DeepEqual(got, want) {
			t.Errorf("dates before year 1: %v, want %v", got, want)
		}
		if got, want := s.search(t, `{"range":{"ts":{"gt":"9999-01-01"}}}`), []string{s.id("dates", "3"), s.id("dates", "4")}; !reflect.DeepEqual(got, want) {
			t.Errorf("timestamps after 9999-01-01: %v, want %v", got, want)
		}

		pgExec(t, s.conn, "DELETE FROM dates WHERE id = 5")
		job = s.sync(t)
		if job.DeletedDocumentCount != 1 || job.TotalDocumentCount != 4 || job.Metadata.RejectedDocumentCount != 0 {
			t.Fatalf("second sync: %+v", job)
		}
	})
}

// TestColumnsNamedLikeMetadataFields pins what happens to columns named id,
// table or schema: under FIELD_NAMES=column they are left out (the
// metadata fields win; a key column's value is still in the id), other
// cases are kept; under FIELD_NAMES=elastic every column keeps its value
// under its prefixed name, as in Elastic's connector, where no column can
// clash with a metadata field.
func TestColumnsNamedLikeMetadataFields(t *testing.T) {
	conn := pgConnect(t)
	schema := testSchema(t, conn, `
CREATE TABLE named (id int PRIMARY KEY, "table" text, schema text, "ID" int, note text);
INSERT INTO named VALUES (7, 'lost', 'lost too', 8, 'kept');`)
	id := "test_" + schema + "_named_7"
	meta := `"id":"` + id + `","table":"named","schema":"` + schema + `","database":"test","_timestamp":"2025-01-01T00:00:00Z"}`

	docs, _ := collect(t, testConfig(schema))
	if got, want := docs[id], `{"ID":8,"note":"kept",`+meta; got != want {
		t.Errorf("FIELD_NAMES=column:\n got %s\nwant %s", got, want)
	}

	cfg := testConfig(schema)
	cfg.FieldNames = FieldNamesElastic
	docs, _ = collect(t, cfg)
	p := `"` + schema + `_named_`
	// "ID" lowercases to the same field as id: the first column keeps it.
	want := `{` + p + `id":7,` + p + `table":"lost",` + p + `schema":"lost too",` + p + `note":"kept",` + meta
	if got := docs[id]; got != want {
		t.Errorf("FIELD_NAMES=elastic:\n got %s\nwant %s", got, want)
	}
}
