package pgsync

import (
	"encoding/json"
	"testing"

	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/esnode/esnodetest"
	"github.com/esconnect/esconnect/shared/targettest"
)

// Without a jobs index the sync writes no job record and still returns the
// job: the connector service records it in the connector's sync job. Seeing
// that no record went anywhere takes a node of the test's own, whose every
// index the test may list.
func TestSyncWithoutJobsIndexWritesNoRecordOnEsnode(t *testing.T) {
	env := newEngineSync(t, targettest.Esnode(t, esnodetest.Start(t, esnode.Options{})), shopSetup, func(c *Config) { c.JobsIndex = "" })
	job, err := env.h.Sync(t.Context(), TriggerOnDemand, nil)
	if err != nil {
		t.Fatal(err)
	}
	if job.Status != StatusCompleted || job.IndexedDocumentCount == 0 {
		t.Fatalf("job %+v", job)
	}
	res, err := env.e.API.Indices.Get([]string{"*"}, env.e.API.Indices.Get.WithExpandWildcards("all"), env.e.API.Indices.Get.WithContext(t.Context()))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var got map[string]any
	if err := json.NewDecoder(res.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	for name := range got {
		if name != env.cfg.Index {
			t.Errorf("index %q exists; only %q should", name, env.cfg.Index)
		}
	}
}
