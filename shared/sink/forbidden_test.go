package sink

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/esnode/esnodetest"
)

// TestHandleMissingPrivilegeIsNotDeadLettered: an API key that may write the
// dead-letter index but not the target index gets a 403 security_exception
// per item. Before, that was a permanent item failure and with
// ON_FAILURE=dlq every record went to the dead-letter target while the
// batch succeeded. The batch must fail with ErrForbidden, and nothing may
// be dead-lettered, whatever the target and even with Lambda's partial
// batch response on.
func TestHandleMissingPrivilegeIsNotDeadLettered(t *testing.T) {
	const keyID, key = "sink-key", "sink-key-secret"
	srv := esnodetest.Start(t, esnode.Options{APIKeys: []esnode.APIKey{
		{ID: "admin", Key: "admin-secret"},
		{ID: keyID, Key: key, RoleDescriptors: map[string]esnode.RoleDescriptor{"sink": {Indices: []esnode.IndexPrivileges{
			{Names: []string{"orders"}, Privileges: []string{"read", "view_index_metadata"}},
			{Names: []string{"dead-letters"}, Privileges: []string{"create_doc", "create_index", "auto_configure"}},
		}}}},
	}})
	admin := esnodetest.Client(t, srv)
	kafkaAddr := startKafka(t)
	apiKey := base64.StdEncoding.EncodeToString([]byte(keyID + ":" + key))
	tests := []struct {
		name string
		env  map[string]string
		// letters counts what reached the dead-letter target.
		letters func(t *testing.T) int
	}{
		{"es dead-letter index", map[string]string{EnvDLQTarget: "es://dead-letters"}, func(t *testing.T) int {
			res, err := admin.Indices.Exists([]string{"dead-letters"}, admin.Indices.Exists.WithContext(t.Context()))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode == 404 {
				return 0
			}
			esnodetest.Refresh(t, admin, "dead-letters")
			return esnodetest.Count(t, admin, "dead-letters")
		}},
		{"kafka dead-letter topic, partial batch response", map[string]string{
			EnvDLQTarget: "kafka://" + kafkaAddr + "/" + dlqTopic, EnvReportBatchItemFailures: "true",
		}, func(t *testing.T) int { return int(topicEnd(t, kafkaAddr)) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{config.EnvESAPIKey: apiKey, EnvSinkIndex: "orders", EnvOnFailure: OnFailureDLQ, config.EnvRetryMax: "3"}
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
// platform to re-deliver, and nothing is dead-lettered.
func TestHandleWriteBlockIsRetried(t *testing.T) {
	srv, es := node(t, esnode.Options{})
	kafkaAddr := startKafka(t)
	srv.Node.SetWriteBlock("orders", true)
	h := openSink(t, srv, map[string]string{
		EnvSinkIndex: "orders", EnvDLQTarget: "kafka://" + kafkaAddr + "/" + dlqTopic, config.EnvRetryMax: "3",
	}, nil)
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
	if got := srv.Node.Stats().WriteBlocked; got != 20 {
		t.Errorf("node refused %d writes, want 20 (4 attempts of 5 records)", got)
	}
	if n := topicEnd(t, kafkaAddr); n != 0 {
		t.Fatalf("%d records were dead-lettered for a write block", n)
	}

	// Once the block lifts, the re-delivered batch is stored.
	srv.Node.SetWriteBlock("orders", false)
	if res, err := h.Handle(t.Context(), payload); err != nil || res.Indexed != 5 {
		t.Fatalf("after the block lifted: %+v, %v", counts(res), err)
	}
	esnodetest.Refresh(t, es, "orders")
	if n := esnodetest.Count(t, es, "orders"); n != 5 {
		t.Errorf("%d documents, want 5", n)
	}
}
