package sink

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/esconnect/esconnect/shared/deadletter"
	"github.com/esconnect/esconnect/shared/errtype"
	"github.com/esconnect/esconnect/shared/esbulk"
	"github.com/esconnect/esconnect/shared/kafkaevent"
	"github.com/esconnect/esconnect/shared/msgdoc"
)

// ErrConfig reports settings the handler cannot run with.
var ErrConfig = errtype.New(errtype.Config, "invalid kafka-es-sink setup")

// overflowDialTimeout bounds connecting to a broker for an overflow fetch.
const overflowDialTimeout = 10 * time.Second

// checkSetup refuses, before anything is built, a Config that LoadConfig
// would have refused but a caller filled in by hand: the handler could not
// account for its records.
func checkSetup(cfg Config) error {
	var errs []error
	if cfg.OnFailure == OnFailureDLQ && cfg.DLQTarget == "" {
		errs = append(errs, fmt.Errorf("%s=%s needs %s", EnvOnFailure, OnFailureDLQ, EnvDLQTarget))
	}
	if cfg.FetchOverflow && len(cfg.KafkaBrokers) == 0 {
		errs = append(errs, fmt.Errorf("%s needs %s", EnvFetchOverflow, EnvKafkaBrokers))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrConfig, errors.Join(errs...))
	}
	return nil
}

// newHandler wires the handler to what Open built: the document builder,
// the bulk writer, the dead-letter publisher (nil unless ON_FAILURE=dlq),
// the overflow fetcher (nil unless FETCH_OVERFLOW) and the log.
func newHandler(cfg Config, bld *msgdoc.Builder, w *esbulk.Writer, dlq deadletter.Publisher, fetcher *overflowFetcher, log *slog.Logger) *Handler {
	h := &Handler{
		cfg:      cfg,
		builder:  bld,
		bulk:     w,
		dlq:      dlq,
		fetcher:  fetcher,
		log:      log,
		decodeOp: kafkaevent.DecodeOptions{Format: cfg.EventFormat, BinaryValues: cfg.EventBinaryValues},
	}
	return h
}
