package sink

import (
	"context"
	"encoding/base64"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/esbulk"
	"github.com/esconnect/esconnect/shared/esclient"
	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/esnode/esnodetest"
	"github.com/esconnect/esconnect/shared/targettest"
)

// TestHandleMissingPrivilegeIsNotDeadLetteredOnEsnode: an API key that may write the
// dead-letter index but not the target index gets a 403 security_exception
// per item. Before, that was a permanent item failure and with
// ON_FAILURE=dlq every record went to the dead-letter target while the
// batch succeeded. The batch must fail with ErrForbidden, and nothing may
// be dead-lettered, whatever the target and even with Lambda's partial
// batch response on. It needs API keys with role descriptors: the real test
// servers run without security.
func TestHandleMissingPrivilegeIsNotDeadLetteredOnEsnode(t *testing.T) {
	const keyID, key = "sink-key", "sink-key-secret"
	srv := esnodetest.Start(t, esnode.Options{APIKeys: []esnode.APIKey{
		{ID: "admin", Key: "admin-secret"},
		{ID: keyID, Key: key, RoleDescriptors: map[string]esnode.RoleDescriptor{"sink": {Indices: []esnode.IndexPrivileges{
			{Names: []string{"orders"}, Privileges: []string{"read", "view_index_metadata"}},
			{Names: []string{"dead-letters"}, Privileges: []string{"create_doc", "create_index", "auto_configure"}},
		}}}},
	}})
	admin := targettest.Esnode(t, srv)
	dl := startKafka(t)
	apiKey := base64.StdEncoding.EncodeToString([]byte(keyID + ":" + key))
	tests := []struct {
		name string
		env  map[string]string
		// letters counts what reached the dead-letter target.
		letters func(t *testing.T) int
	}{
		{"es dead-letter index", map[string]string{EnvDLQTarget: "es://dead-letters"}, func(t *testing.T) int {
			if !admin.Exists(t, "dead-letters") {
				return 0
			}
			return admin.Count(t, "dead-letters")
		}},
		{"kafka dead-letter topic, partial batch response", map[string]string{
			EnvDLQTarget: dl.target(), EnvReportBatchItemFailures: "true",
		}, func(t *testing.T) int { return int(dl.end(t)) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{esclient.EnvAPIKey: apiKey, EnvSinkIndex: "orders", EnvOnFailure: OnFailureDLQ, esbulk.EnvRetryMax: "3"}
			for k, v := range tc.env {
				env[k] = v
			}
			h := openSink(t, srv, env, nil)
			payload := awsEvent(t, records("orders", 0, 4, func(i int) string { return `{"n":1}` }))
			res, err := h.Handle(t.Context(), payload)
			if !errors.Is(err, ErrForbidden) || !strings.Contains(err.Error(), "security_exception") {
				t.Fatalf("Handle err = %v, want ErrForbidden naming the security_exception", err)
			}
			if strings.Contains(err.Error(), key) {
				t.Errorf("error contains the API key: %v", err)
			}
			if res.Indexed != 0 || res.DeadLettered != 0 || res.Retries != 0 || len(res.BatchItemFailures) != 0 || len(res.Failures) != 4 {
				t.Fatalf("result %+v, %d failures, %d batch item failures: want 4 failed records, no retry, no dead letter",
					counts(res), len(res.Failures), len(res.BatchItemFailures))
			}
			if f := res.Failures[0]; f.Status != 403 || f.Outcome != OutcomeFailed {
				t.Errorf("failure %+v, want a failed 403", f)
			}
			if n := tc.letters(t); n != 0 {
				t.Fatalf("%d records were dead-lettered for a missing privilege", n)
			}
		})
	}
}

// TestHandleWriteBlockIsRetried: a write block (a read-only or flood-stage
// index answers 403 cluster_block_exception per item) may lift, so the
// records are retried; once the budget is spent the batch fails for the
// platform to re-deliver, or with Lambda's partial batch response is handed
// back from the lowest offset of each partition; nothing is dead-lettered.
// The block is index.blocks.write, set through the settings API.
func TestHandleWriteBlockIsRetried(t *testing.T) {
	targettest.Stacks(t, func(t *testing.T, s *targettest.Stack) {
		e := s.ES
		index := e.Index("orders")
		dl := letters(t, s.Kafka)
		e.CreateIndex(t, index, "")
		e.SetWriteBlock(t, index, true)
		env := map[string]string{EnvSinkIndex: index, EnvDLQTarget: dl.target(), esbulk.EnvRetryMax: "3"}
		h := openSinkOn(t, e, env, nil)
		payload := awsEvent(t, records("orders", 0, 5, func(i int) string { return `{"n":1}` }))
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		res, err := h.Handle(ctx, payload)
		if !errors.Is(err, ErrUnconfirmed) || errors.Is(err, ErrForbidden) || !strings.Contains(err.Error(), "cluster_block_exception") {
			t.Fatalf("Handle err = %v, want ErrUnconfirmed naming the cluster block", err)
		}
		if res.Retries != 15 || res.DeadLettered != 0 || res.Indexed != 0 {
			t.Errorf("result %+v: want 3 retries of each of 5 records, nothing dead-lettered", counts(res))
		}
		if e.Node != nil {
			if got := e.Node.Node.Stats().WriteBlocked; got != 20 {
				t.Errorf("esnode refused %d writes, want 20 (4 attempts of 5 records)", got)
			}
		}

		// With the partial batch response the same records are handed back:
		// the batch succeeds, Lambda retries from offset 0 of orders-0.
		partial := map[string]string{EnvReportBatchItemFailures: "true"}
		for k, v := range env {
			partial[k] = v
		}
		res, err = openSinkOn(t, e, partial, nil).Handle(ctx, payload)
		want := []BatchItemFailure{{ItemIdentifier{Partition: "orders-0", Offset: 0}}}
		if err != nil || !reflect.DeepEqual(res.BatchItemFailures, want) || res.Failed != 5 {
			t.Errorf("partial batch response: %+v, batchItemFailures %+v, %v; want %+v", counts(res), res.BatchItemFailures, err, want)
		}
		if n := dl.end(t); n != 0 {
			t.Fatalf("%d records were dead-lettered for a write block", n)
		}

		// Once the block lifts, the re-delivered batch is stored.
		e.SetWriteBlock(t, index, false)
		if res, err := h.Handle(t.Context(), payload); err != nil || res.Indexed != 5 {
			t.Fatalf("after the block lifted: %+v, %v", counts(res), err)
		}
		if n := e.Count(t, index); n != 5 {
			t.Errorf("%d documents, want 5", n)
		}
	})
}
