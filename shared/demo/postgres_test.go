package demo

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/esconnect/esconnect/shared/pgsync"
)

// closedPGURL names a port nothing listens on, with a password that must
// never be printed.
func closedPGURL(t *testing.T) string {
	t.Helper()
	return "postgres://demo:s3cret-pw@" + freeAddr(t) + "/test?sslmode=disable"
}

func TestSyncPostgresUnreachable(t *testing.T) {
	tests := []struct {
		name      string
		requirePG bool
		wantErr   error
	}{
		{name: "skipped"},
		{name: "required", requirePG: true, wantErr: ErrPGUnreachable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			opts := Options{PGURL: closedPGURL(t), RequirePG: tt.requirePG}.withDefaults()
			job, skipped, err := syncPostgres(t.Context(), opts, "http://127.0.0.1:9", nil, &printer{w: &out})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if job != nil {
				t.Errorf("job = %+v, want none", job)
			}
			if tt.wantErr == nil && !strings.Contains(skipped, "not reachable") {
				t.Errorf("skipped = %q, want why", skipped)
			}
			all := out.String() + skipped + errString(err)
			if strings.Contains(all, "s3cret-pw") || !strings.Contains(all, "demo@127.0.0.1:") {
				t.Errorf("output should name demo@127.0.0.1 without the password:\n%s", all)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestSyncPostgresRecreatesSchemaEachRun(t *testing.T) {
	const schema = "esconnect_demo_test_pg"
	dropSchemaAtEnd(t, schema)
	s := startTestStack(t)
	es, closeES, err := newESClient(s.ESURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeES)
	opts := Options{PGURL: testPGURL(), PGSchema: schema, RequirePG: true}.withDefaults()
	// The second run finds the first run's schema and documents: the schema
	// is recreated with the same rows, so nothing is added or deleted.
	for run := 1; run <= 2; run++ {
		var out bytes.Buffer
		job, skipped, err := syncPostgres(t.Context(), opts, s.ESURL, es, &printer{w: &out})
		if err != nil || skipped != "" {
			t.Fatalf("run %d: %v %q\n%s", run, err, skipped, out.String())
		}
		if job.Status != pgsync.StatusCompleted || job.IndexedDocumentCount != 7 || job.TotalDocumentCount != 7 ||
			job.DeletedDocumentCount != 0 || len(job.Metadata.SkippedTables) != 1 || job.Metadata.SkippedTables[0].Table != "page_views" {
			t.Errorf("run %d: job = %+v, want completed, 7 indexed, 7 total, 0 deleted, page_views skipped", run, job)
		}
		var doc struct {
			Source map[string]any `json:"_source"`
		}
		jsonAfter(t, out.String(), "GET "+schema+"/_doc/"+testPGDatabase(t)+"_"+schema+"_customers_1", &doc)
		if doc.Source["name"] != "Ada Lovelace" || doc.Source["customer_id"] != float64(1) {
			t.Errorf("run %d: printed document = %v", run, doc.Source)
		}
	}
}

// testPGDatabase is the database of testPGURL, part of every document id.
func testPGDatabase(t *testing.T) string {
	t.Helper()
	cc, err := pgx.ParseConfig(testPGURL())
	if err != nil {
		t.Fatal(err)
	}
	return cc.Database
}
