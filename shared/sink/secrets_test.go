package sink

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/esbulk"
	"github.com/esconnect/esconnect/shared/esclient"
	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/targettest"
)

// TestHandleNeverLeaksCredentialsOnEsnode runs the paths most likely to echo a
// setting - records dead-lettered to an es:// index, a Kafka dead-letter
// target that refuses the credentials, and Elasticsearch refusing a wrong
// password - and looks for the secrets in the Result, the captured log, the
// error and the stored dead letters. It needs a node that checks a
// password: the real test servers run without security.
func TestHandleNeverLeaksCredentialsOnEsnode(t *testing.T) {
	const esPassword, dlqPassword = "es-pw-s3cret", "dlq-pw-s3cret"
	srv, _ := node(t, esnode.Options{Username: "elastic", Password: esPassword})
	admin := targettest.Esnode(t, srv)
	conflictIndex(t, admin, "orders")
	dl := startKafka(t)

	tests := []struct {
		name    string
		env     map[string]string
		wantErr bool
	}{
		{"dead letters in an es index", map[string]string{
			esclient.EnvUsername: "elastic", esclient.EnvPassword: esPassword, EnvDLQTarget: "es://dead-letters",
		}, false},
		{"kafka target refusing sasl", map[string]string{
			esclient.EnvUsername: "elastic", esclient.EnvPassword: esPassword,
			EnvDLQTarget: dl.target() + "?sasl_mechanism=plain&username=u&password=" + dlqPassword,
		}, true},
		{"wrong elasticsearch password", map[string]string{
			esclient.EnvUsername: "elastic", esclient.EnvPassword: esPassword + "-wrong", esbulk.EnvRetryMax: "1",
			EnvDLQTarget: "es://dead-letters",
		}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			tc.env[EnvSinkIndex] = "orders"
			tc.env[EnvValueFormat] = "json"
			h := openSink(t, srv, tc.env, &logs)
			_, payload := conflictBatch(t, 4, 1)
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			res, err := h.Handle(ctx, payload)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Handle err = %v, want error %t", err, tc.wantErr)
			}
			out, merr := json.Marshal(res)
			if merr != nil {
				t.Fatal(merr)
			}
			places := map[string]string{"result": string(out), "log": logs.String(), "error": errString(err)}
			if !tc.wantErr {
				letters, _ := json.Marshal(admin.SearchAll(t, "dead-letters"))
				if !bytes.Contains(letters, []byte(`msg_body.value.n`)) {
					t.Errorf("the dead letter was not stored: %s", letters)
				}
				places["dead letters"] = string(letters)
			}
			for where, s := range places {
				for _, secret := range []string{esPassword, dlqPassword} {
					if strings.Contains(s, secret) {
						t.Errorf("%s leaked in the %s: %s", secret, where, s)
					}
				}
			}
			if logs.Len() == 0 {
				t.Error("nothing was logged")
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
