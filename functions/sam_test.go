package functions

import (
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// samFunctions maps each AWS::Serverless::Function to the function it runs.
var samFunctions = map[string]string{
	"KafkaEsSinkMskFunction":         "kafka-es-sink",
	"KafkaEsSinkSelfManagedFunction": "kafka-es-sink",
	"PgEsSyncFunction":               "pg-es-sync",
}

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
	want := []string{"KafkaEsSinkMskFunction", "KafkaEsSinkSelfManagedFunction", "PgEsSyncFunction"}
	if !slices.Equal(found, want) {
		t.Fatalf("functions = %v, want %v", found, want)
	}

	events := map[string]string{
		"KafkaEsSinkMskFunction/MSK":                      "MSK",
		"KafkaEsSinkSelfManagedFunction/SelfManagedKafka": "SelfManagedKafka",
		"PgEsSyncFunction/Schedule":                       "Schedule",
	}
	for path, typ := range events {
		fn, ev, _ := strings.Cut(path, "/")
		if got := str(get(resources, fn, "Properties", "Events", ev, "Type")); got != typ {
			t.Errorf("%s event type = %q, want %s", path, got, typ)
		}
	}
	// The Kafka events use every consumer parameter.
	for _, ev := range []string{"KafkaEsSinkMskFunction/MSK", "KafkaEsSinkSelfManagedFunction/SelfManagedKafka"} {
		fn, name, _ := strings.Cut(ev, "/")
		props := get(resources, fn, "Properties", "Events", name, "Properties")
		for _, p := range []string{"Topics", "ConsumerGroupId", "StartingPosition", "BatchSize", "FunctionResponseTypes"} {
			if get(props, p) == nil {
				t.Errorf("%s lacks %s", ev, p)
			}
		}
	}
}

// TestSAMReferences resolves every !Ref, !GetAtt, !If and Condition: a
// name CloudFormation would reject only at deploy time fails here.
func TestSAMReferences(t *testing.T) {
	root := parseYAML(t, "template.yaml")
	params := keys(get(root, "Parameters"))
	resources := keys(get(root, "Resources"))
	conditions := keys(get(root, "Conditions"))
	refable := append(append([]string{}, params...), resources...)
	pseudo := []string{"AWS::NoValue", "AWS::Region", "AWS::AccountId", "AWS::StackName", "AWS::Partition"}

	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		switch n.Tag {
		case "!Ref":
			if !slices.Contains(refable, n.Value) && !slices.Contains(pseudo, n.Value) {
				t.Errorf("line %d: !Ref %s names nothing", n.Line, n.Value)
			}
		case "!GetAtt":
			res, _, _ := strings.Cut(n.Value, ".")
			if !slices.Contains(resources, res) {
				t.Errorf("line %d: !GetAtt %s names no resource", n.Line, n.Value)
			}
		case "!If":
			if len(n.Content) != 3 || !slices.Contains(conditions, n.Content[0].Value) {
				t.Errorf("line %d: !If needs a defined condition and two values", n.Line)
			}
		case "!Sub":
			for _, m := range subVar.FindAllStringSubmatch(n.Value, -1) {
				if !slices.Contains(refable, m[1]) && !slices.Contains(pseudo, m[1]) {
					t.Errorf("line %d: !Sub ${%s} names nothing", n.Line, m[1])
				}
			}
		}
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == "Condition" && n.Content[i+1].Kind == yaml.ScalarNode && n.Content[i+1].Tag != "!Ref" {
					if !slices.Contains(conditions, n.Content[i+1].Value) {
						t.Errorf("line %d: Condition %s is not defined", n.Content[i+1].Line, n.Content[i+1].Value)
					}
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(root)
}
