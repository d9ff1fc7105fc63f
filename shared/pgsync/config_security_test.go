package pgsync

import (
	"strings"
	"testing"

	"github.com/esconnect/esconnect/shared/config"
)

// TestLoadConfigRefusesHiddenIndices: names starting with '.' are
// Elasticsearch's hidden and system indices (.security, .kibana, ...). A
// typo or a copied setting must not write sync documents or job records
// there; ES_INDEX_ALLOW_DOT=true is the explicit way to do it anyway, as for
// kafka-es-sink.
func TestLoadConfigRefusesHiddenIndices(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{"dot index", map[string]string{"ES_INDEX": ".rows"}, "ES_INDEX"},
		{"dot jobs index", map[string]string{EnvSyncJobsIndex: ".jobs"}, EnvSyncJobsIndex},
		{"both allowed", map[string]string{"ES_INDEX": ".rows", EnvSyncJobsIndex: ".jobs", EnvIndexAllowDot: "true"}, ""},
		{"plain names", map[string]string{EnvSyncJobsIndex: "jobs.v1"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"PG_URL": "postgres://u@127.0.0.1:5432/db", "ES_INDEX": "rows"}
			for k, v := range tc.env {
				env[k] = v
			}
			_, err := LoadConfig(config.FromMap(env))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("LoadConfig: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), EnvIndexAllowDot) {
				t.Fatalf("err = %v, want a problem with %s that names %s", err, tc.wantErr, EnvIndexAllowDot)
			}
		})
	}
}
