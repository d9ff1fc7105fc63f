// Package pgessync is the pg-es-sync function's opener, shared by its main
// and by esconnect invoke: with CONNECTOR_ID set the function is the
// connector service of that Elastic connector (package connector), else a
// scheduled sync (package pgsync). It lives apart from both because the
// connector service is built on pgsync.
package pgessync

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/connector"
	"github.com/esconnect/esconnect/shared/esclient"
	"github.com/esconnect/esconnect/shared/pgsync"
	"github.com/esconnect/esconnect/shared/platform"
)

// FromEnv returns the opener: it loads every setting from the process
// environment at once (a failure is the function's init error) and builds
// the handler. prepareES, when not nil, adjusts the Elasticsearch
// connection settings before anything is built: the CLI gives them the AWS
// SDK's credential chain, while the deployed function passes nil and reads
// only the environment.
func FromEnv(prepareES func(context.Context, *esclient.Config) error) platform.Opener {
	return func(ctx context.Context, log *slog.Logger) (platform.Handler, func() error, error) {
		if _, ok := config.FromOS().Lookup(connector.EnvConnectorID); ok {
			return openConnector(ctx, log, prepareES)
		}
		cfg, err := pgsync.LoadConfig(config.FromOS())
		if err != nil {
			return nil, nil, fmt.Errorf("pg-es-sync configuration: %w", err)
		}
		if prepareES != nil {
			if err := prepareES(ctx, &cfg.Elasticsearch); err != nil {
				return nil, nil, err
			}
		}
		h, closeFn, err := pgsync.Open(ctx, cfg, log)
		if err != nil {
			return nil, nil, fmt.Errorf("pg-es-sync start-up: %w", err)
		}
		return func(ctx context.Context, payload []byte) (any, error) { return h.Handle(ctx, payload) }, closeFn, nil
	}
}

// openConnector builds connector mode: the trigger's payload is not read,
// the connector document says what to do.
func openConnector(ctx context.Context, log *slog.Logger, prepareES func(context.Context, *esclient.Config) error) (platform.Handler, func() error, error) {
	cfg, err := connector.LoadConfig(config.FromOS(), "")
	if err != nil {
		return nil, nil, fmt.Errorf("pg-es-sync connector configuration: %w", err)
	}
	if prepareES != nil {
		if err := prepareES(ctx, &cfg.Elasticsearch); err != nil {
			return nil, nil, err
		}
	}
	cfg.Log = log
	svc, closeFn, err := connector.New(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("pg-es-sync connector start-up: %w", err)
	}
	return func(ctx context.Context, _ []byte) (any, error) { return svc.RunOnce(ctx) }, closeFn, nil
}
