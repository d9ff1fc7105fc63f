// Command echofn is the function the platform tests build and drive: it echoes
// its event and can be told to fail, to wait for its deadline, or to fail at
// start-up, so the adapters are tested on a real binary without any service.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/esconnect/esconnect/shared/platform"
)

type event struct {
	Fail         string `json:"fail"`
	WaitDeadline bool   `json:"wait_deadline"`
}

type result struct {
	Echo        json.RawMessage `json:"echo"`
	RequestID   string          `json:"request_id"`
	Platform    platform.Kind   `json:"platform"`
	DeadlineMS  int64           `json:"deadline_ms,omitempty"`
	WaitedUntil string          `json:"waited_until,omitempty"`
}

func main() {
	os.Exit(platform.Main("echofn", open))
}

func open(_ context.Context, _ *slog.Logger) (platform.Handler, func() error, error) {
	// Two problems at once, as a function's config loader reports them.
	if os.Getenv("ECHOFN_BAD_CONFIG") != "" {
		return nil, nil, errors.Join(
			errors.New("ES_URL: required but not set"),
			errors.New("BULK_MAX_DOCS: \"many\" is not an integer"))
	}
	return handle, func() error { return nil }, nil
}

func handle(ctx context.Context, payload []byte) (any, error) {
	var ev event
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, fmt.Errorf("decoding event: %w", err)
	}
	if ev.Fail != "" {
		return nil, errors.New(ev.Fail)
	}
	inv, _ := platform.FromContext(ctx)
	res := result{Echo: payload, RequestID: inv.RequestID, Platform: inv.Platform}
	if d, ok := ctx.Deadline(); ok {
		res.DeadlineMS = time.Until(d).Milliseconds()
	}
	if ev.WaitDeadline {
		<-ctx.Done()
		res.WaitedUntil = ctx.Err().Error()
	}
	return res, nil
}
