package sink

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/esconnect/esconnect/shared/deadletter"
	"github.com/esconnect/esconnect/shared/esbulk"
	"github.com/esconnect/esconnect/shared/esclient"
	"github.com/esconnect/esconnect/shared/msgdoc"
)

// Open builds the handler and every dependency from settings: the
// Elasticsearch client, the bulk writer, the document builder, the
// dead-letter publisher (an es:// target shares the bulk writer) and, with
// FETCH_OVERFLOW, the overflow fetcher. It contacts nothing: the first
// Handle does. The returned close function releases the dead-letter
// publisher and idle connections; call it once, after the last Handle.
//
// log receives the per-invocation result lines and the bulk writer's retry
// messages; nil discards them.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (*Handler, func() error, error) {
	if log == nil {
		log = slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	if err := checkSetup(cfg); err != nil {
		return nil, nil, err
	}
	tr, err := esclient.New(cfg.Elasticsearch)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	bc := cfg.Bulk
	bc.Client, bc.Logger = tr, log
	w, err := esbulk.New(bc)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	bld, err := msgdoc.New(cfg.Document)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s: %w", ErrConfig, EnvSinkIndex, err)
	}
	var dlq deadletter.Publisher
	if cfg.OnFailure == OnFailureDLQ {
		dlq, err = deadletter.Open(ctx, cfg.DLQTarget,
			deadletter.WithKafkaSecurity(cfg.DLQSecurity), deadletter.WithBulk(deadLetterBulk(w)))
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %s: %w", ErrConfig, EnvDLQTarget, err)
		}
	}
	var fetcher *overflowFetcher
	if cfg.FetchOverflow {
		if fetcher, err = newOverflowFetcher(cfg.KafkaBrokers, cfg.KafkaSecurity, overflowDialTimeout); err != nil {
			_ = closeDLQ(dlq)
			return nil, nil, fmt.Errorf("%w: %s: %w", ErrConfig, EnvKafkaSASLMechanism, err)
		}
	}
	h := newHandler(cfg, bld, w, dlq, fetcher, log)
	closeFn := func() error {
		err := closeDLQ(dlq)
		if fetcher != nil {
			// Its idle connections to the leaders it read from.
			_ = fetcher.cl.Close()
		}
		// A graceful server shutdown on the other side (esnode in the dev
		// stack) would wait for pooled connections, and a self-hosted
		// process would leave sockets open.
		tr.CloseIdleConnections()
		return err
	}
	return h, closeFn, nil
}

func closeDLQ(p deadletter.Publisher) error {
	if p == nil {
		return nil
	}
	if err := p.Close(); err != nil {
		return fmt.Errorf("closing the dead-letter publisher: %w", err)
	}
	return nil
}

// deadLetterBulk adapts the bulk writer to an es:// dead-letter target.
func deadLetterBulk(w *esbulk.Writer) deadletter.BulkFunc {
	return func(ctx context.Context, actions []esbulk.Action) ([]esbulk.Outcome, error) {
		rep, err := w.Write(ctx, actions)
		return rep.Outcomes, err
	}
}
