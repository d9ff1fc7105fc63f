package pgsync

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/config"
)

func TestLoadIncremental(t *testing.T) {
	base := map[string]string{"PG_URL": "postgres://u@h/db", "ES_INDEX": "shop"}
	tests := []struct {
		name string
		env  map[string]string
		want Incremental
	}{
		{"defaults", nil, Incremental{Mode: SyncModeFull, FullEvery: DefaultSyncFullEvery, CursorLag: DefaultSyncCursorLag}},
		{"one column", map[string]string{"SYNC_MODE": "incremental", "SYNC_CURSOR": "updated_at"},
			Incremental{Mode: SyncModeIncremental, Cursors: Cursors{Default: "updated_at"},
				FullEvery: DefaultSyncFullEvery, CursorLag: DefaultSyncCursorLag}},
		{"per table and xmin", map[string]string{"SYNC_MODE": "incremental", "SYNC_CURSOR": "updated_at, orders:changed, log:xmin",
			"SYNC_FULL_EVERY": "0", "SYNC_CURSOR_LAG": "5s"},
			Incremental{Mode: SyncModeIncremental, Cursors: Cursors{Default: "updated_at",
				Tables: map[string]string{"orders": "changed", "log": "xmin"}}, CursorLag: 5 * time.Second}},
		{"rule cursors", map[string]string{"SYNC_MODE": "incremental",
			"SYNC_QUERIES": `[{"tables":["a"],"query":"SELECT * FROM a","cursor":"at"}]`},
			Incremental{Mode: SyncModeIncremental, FullEvery: DefaultSyncFullEvery, CursorLag: DefaultSyncCursorLag}},
		{"cursor recorded by full syncs", map[string]string{"SYNC_CURSOR": "xmin"},
			Incremental{Mode: SyncModeFull, Cursors: Cursors{Default: "xmin"}, FullEvery: DefaultSyncFullEvery, CursorLag: DefaultSyncCursorLag}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := map[string]string{}
			for k, v := range base {
				vars[k] = v
			}
			for k, v := range tt.env {
				vars[k] = v
			}
			cfg, err := LoadConfig(config.FromMap(vars))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(cfg.Incremental, tt.want) {
				t.Fatalf("got %+v, want %+v", cfg.Incremental, tt.want)
			}
		})
	}
}

// TestLoadIncrementalErrors reports every problem at once, each with the
// setting it is about.
func TestLoadIncrementalErrors(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		wants []string
	}{
		{"mode and durations", map[string]string{"SYNC_MODE": "sometimes", "SYNC_FULL_EVERY": "daily", "SYNC_CURSOR_LAG": "-1s"},
			[]string{"SYNC_MODE", "SYNC_FULL_EVERY", "SYNC_CURSOR_LAG"}},
		{"incremental without cursor", map[string]string{"SYNC_MODE": "incremental"}, []string{"SYNC_CURSOR: required"}},
		{"bad cursors", map[string]string{"SYNC_MODE": "incremental", "SYNC_CURSOR": "a,b,t:x,t:y,:z"},
			[]string{`two default cursors ("a" and "b")`, `table "t" has two cursors`, "SYNC_CURSOR: empty name"}},
		{"rules", map[string]string{"SYNC_MODE": "incremental", "SYNC_QUERIES": `[{"tables":["a"],"query":"SELECT 1"},` +
			`{"tables":["b"],"query":"SELECT 1","cursor":"xmin"}]`},
			[]string{"SYNC_QUERIES[0].cursor: required", "SYNC_QUERIES[1].cursor: xmin is a table's system column"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := map[string]string{"PG_URL": "postgres://u@h/db", "ES_INDEX": "shop"}
			for k, v := range tt.env {
				vars[k] = v
			}
			_, err := LoadConfig(config.FromMap(vars))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}
