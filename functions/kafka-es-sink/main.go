// Command kafka-es-sink writes batches of Kafka messages into Elasticsearch.
// Built as bootstrap, it runs on AWS Lambda (provided.al2023, MSK and
// self-managed Kafka event sources) and on Function Compute's custom runtime
// (Kafka trigger or connector); see docs/deploy.md.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/platform"
	"github.com/esconnect/esconnect/shared/sink"
)

func main() {
	os.Exit(platform.Main("kafka-es-sink", open))
}

// open loads every setting at once and builds the handler; a failure is
// reported as the function's init error by the platform adapter.
func open(ctx context.Context, log *slog.Logger) (platform.Handler, func() error, error) {
	cfg, err := sink.LoadConfig(config.FromOS())
	if err != nil {
		return nil, nil, fmt.Errorf("kafka-es-sink configuration: %w", err)
	}
	h, closeFn, err := sink.Open(ctx, cfg, log)
	if err != nil {
		return nil, nil, fmt.Errorf("kafka-es-sink start-up: %w", err)
	}
	return func(ctx context.Context, payload []byte) (any, error) { return h.Handle(ctx, payload) }, closeFn, nil
}
