package pgsync

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestMiB(t *testing.T) {
	tests := []struct{ bytes, want int64 }{{0, 0}, {1<<19 - 1, 0}, {1 << 19, 1}, {1 << 20, 1}, {5<<20 + 1<<19, 6}}
	for _, tt := range tests {
		if got := mib(tt.bytes); got != tt.want {
			t.Errorf("mib(%d) = %d, want %d", tt.bytes, got, tt.want)
		}
	}
}

func TestJobJSONFieldNames(t *testing.T) {
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	j := Job{ID: "j1", JobType: "full", TriggerMethod: TriggerScheduled, StartedAt: start, CreatedAt: start,
		Connector: Connector{IndexName: "rows", ServiceType: "postgresql", Tables: []string{"a"}}}
	j.Metadata.RowsRead = 10
	j.Metadata.IndexedBytes = 3 << 20
	j.finish(StatusError, errors.New("boom"), start.Add(2*time.Second))
	b, err := json.Marshal(j)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"id", "job_type", "trigger_method", "status", "indexed_document_count",
		"indexed_document_volume", "deleted_document_count", "total_document_count", "error", "started_at",
		"completed_at", "last_seen", "worker_hostname", "connector"} {
		if _, ok := m[f]; !ok {
			t.Errorf("field %s missing from %s", f, b)
		}
	}
	if m["status"] != "error" || m["error"] != "boom" || m["indexed_document_volume"] != 3.0 ||
		m["completed_at"] != "2025-01-01T00:00:02Z" {
		t.Errorf("job %s", b)
	}
	if !strings.Contains(string(b), `"connector":{"index_name":"rows","service_type":"postgresql"`) {
		t.Errorf("connector: %s", b)
	}
	if got := j.Metadata.RowsPerSecond; got != 5 {
		t.Errorf("rows/s %v, want 5", got)
	}
}
