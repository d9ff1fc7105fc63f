// Package functions holds the checks of the deployment descriptors: every
// function, code path and Makefile target that template.yaml (AWS SAM) and
// s.yaml (Serverless Devs fc3) name must exist, and every setting they pass
// must be one the functions read.
package functions

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const repoRoot = ".."

// parseYAML reads a YAML file as a node tree, which keeps CloudFormation's
// short-form tags (!Ref, !If, !Sub) instead of failing on them.
func parseYAML(t *testing.T, name string) *yaml.Node {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, name))
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		t.Fatalf("%s: not a single YAML document", name)
	}
	return doc.Content[0]
}

// get walks mapping keys; it returns nil when a key is missing.
func get(n *yaml.Node, path ...string) *yaml.Node {
	for _, key := range path {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				next = n.Content[i+1]
			}
		}
		n = next
	}
	return n
}

func keys(n *yaml.Node) []string {
	var out []string
	if n != nil && n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			out = append(out, n.Content[i].Value)
		}
	}
	return out
}

func str(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	return n.Value
}

// makeDryRun returns what `make -n target` would run, failing when the
// Makefile has no such target.
func makeDryRun(t *testing.T, target string, vars ...string) string {
	t.Helper()
	cmd := exec.Command("make", append([]string{"-n", "-C", repoRoot, target}, vars...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make -n %s: %v\n%s", target, err, out)
	}
	return string(out)
}

// assertBuilds checks that a dry run of target builds functions/<fn> into
// dist/<fn>/bootstrap with the production flags.
func assertBuilds(t *testing.T, dryRun, fn, goarch string) {
	t.Helper()
	for _, want := range []string{
		"CGO_ENABLED=0", "GOARCH=" + goarch, "-tags lambda.norpc -trimpath -ldflags '-s -w'",
		"-o dist/" + fn + "/bootstrap ./functions/" + fn,
	} {
		if !strings.Contains(dryRun, want) {
			t.Errorf("build of %s lacks %q:\n%s", fn, want, dryRun)
		}
	}
	if _, err := os.Stat(filepath.Join(repoRoot, "functions", fn, "main.go")); err != nil {
		t.Errorf("functions/%s/main.go: %v", fn, err)
	}
}

// configNames returns every quoted upper-case name in the Go sources of the
// packages that read settings, which is where every env name is declared.
func configNames(t *testing.T) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	re := regexp.MustCompile(`"([A-Z][A-Z0-9_]+)"`)
	for _, dir := range []string{"shared/esclient", "shared/esbulk", "shared/sink", "shared/pgsync", "shared/platform"} {
		files, err := filepath.Glob(filepath.Join(repoRoot, dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				names[m[1]] = true
			}
		}
	}
	return names
}

func assertEnvKnown(t *testing.T, where string, vars *yaml.Node, known map[string]bool) {
	t.Helper()
	if vars == nil {
		t.Errorf("%s: no environment variables", where)
		return
	}
	for _, name := range keys(vars) {
		if !known[name] {
			t.Errorf("%s: environment variable %s is read by no function", where, name)
		}
	}
}

func TestConfigNamesAreFound(t *testing.T) {
	// Guards the scan above: if it finds nothing, the env checks pass vacuously.
	known := configNames(t)
	for _, n := range []string{"ES_URL", "BULK_MAX_BYTES", "ES_INDEX", "PG_TABLES", "DLQ_TARGET", "REPORT_BATCH_ITEM_FAILURES"} {
		if !known[n] {
			t.Fatalf("setting %s not found in the settings packages; the scan is broken", n)
		}
	}
	if !slices.Contains(keys(parseYAML(t, "template.yaml")), "Resources") {
		t.Fatal("template.yaml has no Resources")
	}
}
