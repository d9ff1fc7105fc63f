package pgsync

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/esconnect/esconnect/shared/esbulk"
	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/esnode/esnodetest"
	"github.com/esconnect/esconnect/shared/targettest"
)

// A key that may create and read the index but not write documents gets a
// 403 security_exception per item: the sync stops at once (no retry, the
// same key gets the same answer) and its job ends in error naming the
// privilege problem, recorded in the jobs index. The real test servers run
// without security, so this needs the esnode's API keys.
func TestSyncMissingWritePrivilegeOnEsnode(t *testing.T) {
	const keyID, key = "sync-key", "sync-key-secret"
	var index string
	e := newEngineSync(t, targettest.Esnode(t, esnodetest.Start(t, esnode.Options{APIKeys: []esnode.APIKey{
		{ID: "admin", Key: "admin-secret"},
		{ID: keyID, Key: key, RoleDescriptors: map[string]esnode.RoleDescriptor{"sync": {Indices: []esnode.IndexPrivileges{
			{Names: []string{"pgsync-test-*"}, Privileges: []string{"create_index", "view_index_metadata", "read"}},
			{Names: []string{"jobs-*"}, Privileges: []string{"all"}},
		}}}},
	}})), shopSetup, func(c *Config) {
		c.Elasticsearch.APIKey = base64.StdEncoding.EncodeToString([]byte(keyID + ":" + key))
		index = c.Index
	})
	job, err := e.h.Sync(t.Context(), TriggerScheduled, nil)
	if !errors.Is(err, ErrSyncFailed) || !errors.Is(err, esbulk.ErrForbidden) {
		t.Fatalf("err = %v, want ErrSyncFailed and esbulk.ErrForbidden", err)
	}
	if job.Status != StatusError || !strings.Contains(deref(job.Error), "security_exception") || strings.Contains(deref(job.Error), key) {
		t.Fatalf("job %+v (error %q): want status error naming the security_exception, without the key", job, deref(job.Error))
	}
	if stored := e.storedJob(t, job.ID); stored.Status != StatusError {
		t.Errorf("stored job status %q, want error", stored.Status)
	}
	if n := e.e.Count(t, index); n != 0 {
		t.Errorf("%d documents written without the privilege", n)
	}
}

// A write block (index.blocks.write, as Elasticsearch also sets on its own
// at the disk flood stage) is retried, since it may lift; when the budget
// runs out the job ends in error, and the next run after the block lifted
// syncs everything.
func TestSyncWriteBlock(t *testing.T) {
	targettest.Engines(t, func(t *testing.T, eng *targettest.Engine) {
		e := newEngineSync(t, eng, shopSetup, nil)
		eng.CreateIndex(t, e.cfg.Index, "")
		eng.SetWriteBlock(t, e.cfg.Index, true)
		job, err := e.h.Sync(t.Context(), TriggerScheduled, nil)
		if !errors.Is(err, ErrSyncFailed) || !errors.Is(err, esbulk.ErrIncomplete) || errors.Is(err, esbulk.ErrForbidden) {
			t.Fatalf("err = %v, want ErrSyncFailed and ErrIncomplete", err)
		}
		if job.Status != StatusError || !strings.Contains(deref(job.Error), "cluster_block_exception") {
			t.Fatalf("job %+v (error %q)", job, deref(job.Error))
		}
		if stored := e.storedJob(t, job.ID); stored.Status != StatusError || deref(stored.Error) != deref(job.Error) {
			t.Errorf("stored job %+v", stored)
		}
		// Only the esnode counts the writes it refused: that the first
		// attempt was retried is visible there.
		if eng.Node != nil {
			if got := eng.Node.Node.Stats().WriteBlocked; got < 2 {
				t.Errorf("node refused %d writes, want the first attempt and its retries", got)
			}
		}
		eng.SetWriteBlock(t, e.cfg.Index, false)
		if job, err := e.h.Sync(t.Context(), TriggerScheduled, nil); err != nil || job.IndexedDocumentCount != 6 || job.TotalDocumentCount != 6 {
			t.Fatalf("after the block lifted: job %+v, %v", job, err)
		}
	})
}
