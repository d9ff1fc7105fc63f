package main

import (
	"os/exec"
	"strings"
	"testing"
)

// esRoot is go-elasticsearch's root package. It imports the typed API
// (hundreds of packages) and its NewClient links every esapi endpoint:
// compiling them dominated a first `make demo`, several minutes on a fresh
// build cache. The CLI talks to Elasticsearch through esclient and esapi
// request structs instead.
const esRoot = "github.com/elastic/go-elasticsearch/v8"

func TestCLIDoesNotLinkTheFullClient(t *testing.T) {
	out, err := exec.CommandContext(t.Context(), "go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) == 0 {
		t.Fatal("go list -deps listed no packages")
	}
	for _, d := range deps {
		if d == esRoot || strings.Contains(d, "/typedapi") {
			t.Errorf("esconnect links %s", d)
		}
	}
}
