// Command pg-es-sync is the scheduled PostgreSQL to Elasticsearch sync
// function. Built as bootstrap, it runs on AWS Lambda (provided.al2023) and
// on Function Compute's custom runtime; see docs/deploy.md. With
// CONNECTOR_ID set it is the connector service of that Elastic connector:
// each invocation runs the connector's pending jobs and creates a
// scheduled one when due (docs/connector.md).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/connector"
	"github.com/esconnect/esconnect/shared/pgsync"
	"github.com/esconnect/esconnect/shared/platform"
)

func main() {
	os.Exit(platform.Main("pg-es-sync", open))
}

// open loads every setting at once and builds the handler; a failure is
// reported as the function's init error by the platform adapter.
func open(ctx context.Context, log *slog.Logger) (platform.Handler, func() error, error) {
	if _, ok := config.FromOS().Lookup(connector.EnvConnectorID); ok {
		return openConnector(log)
	}
	cfg, err := pgsync.LoadConfig(config.FromOS())
	if err != nil {
		return nil, nil, fmt.Errorf("pg-es-sync configuration: %w", err)
	}
	h, closeFn, err := pgsync.Open(ctx, cfg, log)
	if err != nil {
		return nil, nil, fmt.Errorf("pg-es-sync start-up: %w", err)
	}
	return func(ctx context.Context, payload []byte) (any, error) { return h.Handle(ctx, payload) }, closeFn, nil
}

// openConnector builds connector mode: the trigger's payload is not read,
// the connector document says what to do.
func openConnector(log *slog.Logger) (platform.Handler, func() error, error) {
	cfg, err := connector.LoadConfig(config.FromOS(), "")
	if err != nil {
		return nil, nil, fmt.Errorf("pg-es-sync connector configuration: %w", err)
	}
	cfg.Log = log
	svc, closeFn, err := connector.New(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("pg-es-sync connector start-up: %w", err)
	}
	return func(ctx context.Context, _ []byte) (any, error) { return svc.RunOnce(ctx) }, closeFn, nil
}
