package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/esconnect/esconnect/shared/demo"
	"github.com/esconnect/esconnect/shared/pgsync"
)

// pgURL is the PostgreSQL the test needs; when it is not reachable the test
// fails (scripts/ensure-postgres.sh starts the local server).
func pgURL() string {
	if u := os.Getenv("PG_TEST_URL"); u != "" {
		return u
	}
	return demo.DefaultPGURL
}

// jsonAfter decodes the JSON document printed on the line after heading.
func jsonAfter(t *testing.T, out, heading string, v any) {
	t.Helper()
	i := strings.Index(out, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("output has no %q heading:\n%s", heading, out)
	}
	if err := json.NewDecoder(strings.NewReader(out[i+len(heading)+2:])).Decode(v); err != nil {
		t.Fatalf("JSON after %q: %v\n%s", heading, err, out)
	}
}

func TestRunsTheWholeDemo(t *testing.T) {
	const schema = "esconnect_demo_bintest"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, pgURL())
		if err != nil {
			t.Errorf("drop schema: %v", err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), []string{"--ephemeral", "--require-pg", "--pg-url", pgURL(), "--pg-schema", schema}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit status %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	var search struct {
		Hits struct {
			Hits []struct {
				Source struct {
					MsgBody struct {
						Topic string `json:"topic"`
					} `json:"msg_body"`
				} `json:"_source"`
			} `json:"hits"`
		} `json:"hits"`
	}
	jsonAfter(t, stdout.String(), demo.HeadingSearch, &search)
	if n := len(search.Hits.Hits); n != 5 {
		t.Errorf("search shows %d documents, want the 5 sample messages", n)
	}
	for _, h := range search.Hits.Hits {
		if h.Source.MsgBody.Topic != demo.Topic {
			t.Errorf("document of topic %q, want %q", h.Source.MsgBody.Topic, demo.Topic)
		}
	}
	var job pgsync.Job
	jsonAfter(t, stdout.String(), demo.HeadingJob, &job)
	if job.Status != pgsync.StatusCompleted || job.IndexedDocumentCount == 0 {
		t.Errorf("sync job %q with %d documents indexed, want completed with some", job.Status, job.IndexedDocumentCount)
	}
}

func TestExitStatus(t *testing.T) {
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		args []string
		want int
	}{
		{"help", t.Context(), []string{"-h"}, 0},
		{"unexpected argument", t.Context(), []string{"extra"}, demo.ExitUsage},
		{"unknown flag", t.Context(), []string{"--bogus"}, demo.ExitUsage},
		{"interrupted", cancelled, []string{"--ephemeral"}, demo.ExitInterrupted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if got := run(tt.ctx, tt.args, &stdout, &stderr); got != tt.want {
				t.Errorf("exit status %d, want %d\nstderr:\n%s", got, tt.want, stderr.String())
			}
			if tt.want != demo.ExitInterrupted && !strings.Contains(stderr.String(), "usage: esconnect-demo") {
				t.Errorf("stderr has no usage:\n%s", stderr.String())
			}
		})
	}
}

// TestLinksOnlyWhatTheDemoUses keeps the first `make demo` short: the
// program must not grow the API clients only other subcommands need, nor
// go-elasticsearch's full client.
func TestLinksOnlyWhatTheDemoUses(t *testing.T) {
	out, err := exec.CommandContext(t.Context(), "go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	linked := map[string]bool{}
	for _, d := range deps {
		linked[d] = true
		for _, banned := range []string{"github.com/aws/aws-sdk-go-v2", "github.com/alibabacloud-go/", "github.com/aliyun/", "/typedapi"} {
			if strings.Contains(d, banned) {
				t.Errorf("esconnect-demo links %s", d)
			}
		}
	}
	if linked["github.com/elastic/go-elasticsearch/v8"] {
		t.Error("esconnect-demo links go-elasticsearch's full client")
	}
	for _, want := range []string{"github.com/esconnect/esconnect/shared/demo", "github.com/twmb/franz-go/pkg/kfake"} {
		if !linked[want] {
			t.Errorf("go list -deps does not list %s; the check above saw the wrong package", want)
		}
	}
}
