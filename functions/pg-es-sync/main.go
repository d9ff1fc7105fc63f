// Command pg-es-sync is the scheduled PostgreSQL to Elasticsearch sync
// function. Built as bootstrap, it runs on AWS Lambda (provided.al2023) and
// on Function Compute's custom runtime; see docs/deploy.md. With
// CONNECTOR_ID set it is the connector service of that Elastic connector:
// each invocation runs the connector's pending jobs and creates a
// scheduled one when due (docs/connector.md).
package main

import (
	"os"

	"github.com/esconnect/esconnect/shared/pgessync"
	"github.com/esconnect/esconnect/shared/platform"
)

func main() {
	// The settings come from the environment only, where Lambda puts the
	// role's credentials too (nil: no other credential source).
	os.Exit(platform.Main("pg-es-sync", pgessync.FromEnv(nil)))
}
