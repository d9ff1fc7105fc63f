package sink

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/esclient"
	"github.com/esconnect/esconnect/shared/platform"
)

// FromEnv is the kafka-es-sink function's opener, shared by its main and
// by esconnect invoke: it loads every setting from the process environment
// at once (a failure is the function's init error), then builds the handler
// with Open. prepareES, when not nil, adjusts the connection settings before
// anything is built: the CLI gives them the AWS SDK's credential chain,
// while the deployed function passes nil and reads only the environment.
func FromEnv(prepareES func(context.Context, *esclient.Config) error) platform.Opener {
	return func(ctx context.Context, log *slog.Logger) (platform.Handler, func() error, error) {
		cfg, err := LoadConfig(config.FromOS())
		if err != nil {
			return nil, nil, fmt.Errorf("kafka-es-sink configuration: %w", err)
		}
		if prepareES != nil {
			if err := prepareES(ctx, &cfg.Elasticsearch); err != nil {
				return nil, nil, err
			}
		}
		h, closeFn, err := Open(ctx, cfg, log)
		if err != nil {
			return nil, nil, fmt.Errorf("kafka-es-sink start-up: %w", err)
		}
		return func(ctx context.Context, payload []byte) (any, error) { return h.Handle(ctx, payload) }, closeFn, nil
	}
}
