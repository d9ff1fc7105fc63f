package pgsync

import (
	"reflect"
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/targettest"
)

// TestSyncFieldNames stores a table's rows under each FIELD_NAMES style: as
// the columns are named, with a column called like a metadata field left
// out, or prefixed with schema and table and lowercased, as Elastic's
// connector names them, which keeps that column.
func TestSyncFieldNames(t *testing.T) {
	const setup = `CREATE TABLE "Big-Orders" (id int PRIMARY KEY, "Total" int, note text);
INSERT INTO "Big-Orders" VALUES (1, 10, 'first');`
	tests := []struct {
		mode string
		want func(schema string) map[string]any
	}{
		{FieldNamesColumn, func(string) map[string]any {
			return map[string]any{"Total": 10.0, "note": "first"}
		}},
		{FieldNamesElastic, func(schema string) map[string]any {
			p := schema + "_big-orders_"
			return map[string]any{p + "id": 1.0, p + "total": 10.0, p + "note": "first"}
		}},
	}
	targettest.Engines(t, func(t *testing.T, eng *targettest.Engine) {
		for _, tt := range tests {
			t.Run(tt.mode, func(t *testing.T) {
				e := newEngineSync(t, eng, setup, func(c *Config) { c.FieldNames = tt.mode })
				job, err := e.h.Sync(t.Context(), TriggerOnDemand, nil)
				if err != nil || job.IndexedDocumentCount != 1 {
					t.Fatalf("sync: %v %+v", err, job)
				}
				id := e.id("Big-Orders", "1")
				want := tt.want(e.schema)
				for k, v := range map[string]any{"id": id, "table": "Big-Orders", "schema": e.schema, "database": "test",
					"_timestamp": job.StartedAt.Format(time.RFC3339Nano)} {
					want[k] = v
				}
				if got := e.source(t, id); !reflect.DeepEqual(got, want) {
					t.Fatalf("document %s:\n got %v\nwant %v", id, got, want)
				}
			})
		}
	})
}
