package functions

import (
	"strings"
	"testing"
)

// TestServerlessDevs checks what only this project knows about s.yaml: the
// Makefile targets its actions run, the runtime contract of the bootstrap,
// and the settings the functions read. The Serverless Devs CLI renders it
// and validates it against the fc3 schema in scripts/check-deploy.sh.
func TestServerlessDevs(t *testing.T) {
	root := parseYAML(t, "s.yaml")
	if got := str(get(root, "edition")); got != "3.0.0" {
		t.Fatalf("edition = %q, want 3.0.0", got)
	}
	known := configNames(t)
	resources := get(root, "resources")
	want := map[string]string{"kafka-es-sink": "eventbridge", "pg-es-sync": "timer"}
	if got := keys(resources); len(got) != len(want) {
		t.Fatalf("resources = %v, want %v", got, want)
	}
	for fn, trigger := range want {
		t.Run(fn, func(t *testing.T) {
			res := get(resources, fn)
			if res == nil {
				t.Fatalf("no resource %s", fn)
			}
			if got := str(get(res, "component")); got != "fc3" {
				t.Fatalf("component = %q, want fc3", got)
			}
			props := get(res, "props")
			for key, want := range map[string]string{
				"runtime": "custom.debian10",
				"code":    "./dist/" + fn,
			} {
				if got := str(get(props, key)); got != want {
					t.Errorf("props.%s = %q, want %q", key, got, want)
				}
			}
			cmd := get(props, "customRuntimeConfig", "command")
			if cmd == nil || len(cmd.Content) != 1 || cmd.Content[0].Value != "/code/bootstrap" {
				t.Errorf("customRuntimeConfig.command must be [/code/bootstrap] (code is unpacked in /code)")
			}
			if got := str(get(props, "customRuntimeConfig", "port")); got != "9000" {
				t.Errorf("customRuntimeConfig.port = %q, want the adapter's default 9000", got)
			}
			// The pre-deploy action is the Makefile target that fills code.
			pre := get(res, "actions", "pre-deploy")
			if pre == nil || len(pre.Content) == 0 {
				t.Fatal("no pre-deploy build action")
			}
			run := strings.Fields(str(get(pre.Content[0], "run")))
			if len(run) < 2 || run[0] != "make" || run[1] != "build-"+fn {
				t.Fatalf("pre-deploy runs %q, want make build-%s GOARCH=amd64", run, fn)
			}
			assertBuilds(t, makeDryRun(t, run[1], run[2:]...), fn, "amd64")
			assertEnvKnown(t, fn, get(props, "environmentVariables"), known)

			triggers := get(props, "triggers")
			if triggers == nil || len(triggers.Content) != 1 {
				t.Fatalf("want exactly one trigger")
			}
			tr := triggers.Content[0]
			if got := str(get(tr, "triggerType")); got != trigger {
				t.Fatalf("triggerType = %q, want %s", got, trigger)
			}
			cfg := get(tr, "triggerConfig")
			switch trigger {
			case "eventbridge":
				if got := str(get(cfg, "eventSourceConfig", "eventSourceType")); got != "Kafka" {
					t.Errorf("eventSourceType = %q, want Kafka", got)
				}
				kafka := get(cfg, "eventSourceConfig", "eventSourceParameters", "sourceKafkaParameters")
				for _, k := range []string{"RegionId", "InstanceId", "Topic", "ConsumerGroup", "OffsetReset"} {
					if get(kafka, k) == nil {
						t.Errorf("sourceKafkaParameters lacks %s", k)
					}
				}
				run := get(cfg, "runOptions")
				for _, k := range []string{"mode", "errorsTolerance", "retryStrategy", "deadLetterQueue", "batchWindow"} {
					if get(run, k) == nil {
						t.Errorf("runOptions lacks %s", k)
					}
				}
			case "timer":
				if get(cfg, "cronExpression") == nil || str(get(cfg, "enable")) != "true" {
					t.Errorf("timer trigger needs cronExpression and enable: true")
				}
			}
		})
	}
}
