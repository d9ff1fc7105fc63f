package connector

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// step is one request or service run of the walkthrough in docs/connector.md.
type step struct {
	method, path, body string
	// run is the connector id of an `esconnect connector run --once` step.
	run string
}

// walkthroughSteps reads the Walkthrough section of docs/connector.md.
func walkthroughSteps(t *testing.T) []step {
	t.Helper()
	f, err := os.Open("../../docs/connector.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var steps []step
	var in, fence string
	var block []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			in = strings.TrimPrefix(line, "## ")
			continue
		}
		if in != "Walkthrough" {
			continue
		}
		switch {
		case fence == "" && strings.HasPrefix(line, "```"):
			fence, block = strings.TrimPrefix(line, "```"), nil
		case fence != "" && line == "```":
			switch fence {
			case "console":
				method, path, _ := strings.Cut(block[0], " ")
				steps = append(steps, step{method: method, path: "/" + path, body: strings.Join(block[1:], "\n")})
			case "sh":
				f := strings.Fields(block[0])
				if len(f) < 5 || f[1] != "connector" || f[2] != "run" || f[3] != "--id" {
					t.Fatalf("unexpected shell step %q", block[0])
				}
				steps = append(steps, step{run: f[4]})
			}
			fence = ""
		case fence != "":
			block = append(block, line)
		}
	}
	if len(steps) < 8 {
		t.Fatalf("the walkthrough has %d steps", len(steps))
	}
	return steps
}

// TestWalkthroughOnEsnode runs docs/connector.md's walkthrough as written.
func TestWalkthroughOnEsnode(t *testing.T) {
	st := newStack(t, albums)
	pg, err := pgx.ParseConfig(pgTestURL())
	if err != nil {
		t.Fatal(err)
	}
	var job string
	var last map[string]any
	for i, s := range walkthroughSteps(t) {
		if s.run != "" {
			if _, err := st.service(t, s.run, "walkthrough", nil).RunOnce(t.Context()); err != nil {
				t.Fatalf("step %d, connector run: %v", i, err)
			}
			continue
		}
		b := strings.ReplaceAll(s.body, "<schema>", st.schema)
		if strings.Contains(b, `"values"`) {
			// The test's own PostgreSQL settings.
			var v map[string]map[string]any
			if err := json.Unmarshal([]byte(b), &v); err != nil {
				t.Fatalf("step %d body: %v", i, err)
			}
			v["values"]["host"], v["values"]["port"], v["values"]["username"], v["values"]["database"] = pg.Host, pg.Port, pg.User, pg.Database
			raw, _ := json.Marshal(v)
			b = string(raw)
		}
		var rd io.Reader
		if b != "" {
			rd = strings.NewReader(b)
		}
		req, err := http.NewRequestWithContext(t.Context(), s.method, strings.ReplaceAll(s.path, "<job>", job), rd)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		res, err := st.es.Perform(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode >= 300 {
			t.Fatalf("step %d %s %s: %d %s", i, s.method, s.path, res.StatusCode, raw)
		}
		last = nil
		_ = json.Unmarshal(raw, &last)
		if s.method == "POST" && strings.HasSuffix(s.path, "/_sync_job") {
			job, _ = last["id"].(string)
		}
		if strings.HasSuffix(s.path, "/_sync_job/<job>") && last["status"] != "completed" {
			t.Fatalf("the job is %v: %v", last["status"], last)
		}
	}
	if job == "" {
		t.Fatal("the walkthrough started no sync")
	}
	hits, _ := last["hits"].(map[string]any)
	if total, _ := hits["total"].(map[string]any); num(total["value"]) != 5 {
		t.Fatalf("the last step found %v documents, want the 5 rows of album and artist", hits["total"])
	}
}
