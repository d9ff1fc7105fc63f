package functions

import (
	"slices"
	"strings"
	"testing"
)

// samFunctions maps each AWS::Serverless::Function to the function it runs.
var samFunctions = map[string]string{
	"KafkaEsSinkFunction": "kafka-es-sink",
	"PgEsSyncFunction":    "pg-es-sync",
}

// TestSAMTemplate checks what only this project knows about template.yaml:
// the functions it builds, the Makefile targets sam build runs, and the
// settings the functions read. Whether SAM and CloudFormation accept the
// template, for every documented variant, is checked by their own tools in
// scripts/check-deploy.sh (make check-deploy, part of make test).
func TestSAMTemplate(t *testing.T) {
	root := parseYAML(t, "template.yaml")
	if got := str(get(root, "Transform")); got != "AWS::Serverless-2016-10-31" {
		t.Fatalf("Transform = %q", got)
	}
	globals := get(root, "Globals", "Function")
	for key, want := range map[string]string{"Runtime": "provided.al2023", "Handler": "bootstrap", "CodeUri": "."} {
		if got := str(get(globals, key)); got != want {
			t.Errorf("Globals.Function.%s = %q, want %q", key, got, want)
		}
	}
	if a := get(globals, "Architectures"); a == nil || len(a.Content) != 1 || a.Content[0].Value != "arm64" {
		t.Errorf("Globals.Function.Architectures must be [arm64]")
	}
	known := configNames(t)
	assertEnvKnown(t, "Globals", get(globals, "Environment", "Variables"), known)

	resources := get(root, "Resources")
	var found []string
	for _, id := range keys(resources) {
		res := get(resources, id)
		if str(get(res, "Type")) != "AWS::Serverless::Function" {
			continue
		}
		found = append(found, id)
		t.Run(id, func(t *testing.T) {
			fn, ok := samFunctions[id]
			if !ok {
				t.Fatalf("function %s is not one esconnect builds", id)
			}
			if got := str(get(res, "Metadata", "BuildMethod")); got != "makefile" {
				t.Fatalf("Metadata.BuildMethod = %q, want makefile", got)
			}
			// sam build runs `make build-<LogicalId>` with ARTIFACTS_DIR set.
			dry := makeDryRun(t, "build-"+id, "ARTIFACTS_DIR=/artifacts")
			assertBuilds(t, dry, fn, "arm64")
			if !strings.Contains(dry, "cp dist/"+fn+"/bootstrap \"/artifacts/bootstrap\"") {
				t.Errorf("build-%s does not copy the bootstrap into ARTIFACTS_DIR:\n%s", id, dry)
			}
			assertEnvKnown(t, id, get(res, "Properties", "Environment", "Variables"), known)
		})
	}
	slices.Sort(found)
	want := []string{"KafkaEsSinkFunction", "PgEsSyncFunction"}
	if !slices.Equal(found, want) {
		t.Fatalf("functions = %v, want %v", found, want)
	}
	// The Kafka event sources are plain event source mappings of the sink.
	var mappings int
	for _, id := range keys(resources) {
		res := get(resources, id)
		if str(get(res, "Type")) != "AWS::Lambda::EventSourceMapping" {
			continue
		}
		mappings++
		if fn := get(res, "Properties", "FunctionName"); fn == nil || fn.Tag != "!Ref" || fn.Value != "KafkaEsSinkFunction" {
			t.Errorf("%s: FunctionName must be !Ref KafkaEsSinkFunction", id)
		}
	}
	if mappings != 2 {
		t.Errorf("event source mappings = %d, want 2 (MSK and self-managed Kafka)", mappings)
	}
}
