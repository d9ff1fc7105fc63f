// Command kafka-es-sink writes batches of Kafka messages into Elasticsearch.
// Built as bootstrap, it runs on AWS Lambda (provided.al2023, MSK and
// self-managed Kafka event sources) and on Function Compute's custom runtime
// (Kafka trigger or connector); see docs/deploy.md.
package main

import (
	"os"

	"github.com/esconnect/esconnect/shared/platform"
	"github.com/esconnect/esconnect/shared/sink"
)

func main() {
	// The settings come from the environment only, where Lambda puts the
	// role's credentials too (nil: no other credential source).
	os.Exit(platform.Main("kafka-es-sink", sink.FromEnv(nil)))
}
