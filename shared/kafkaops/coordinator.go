package kafkaops

import (
	"context"
	"errors"
	"time"

	"github.com/segmentio/kafka-go"
)

// Bounds of coordinatorRetry: a coordinator that is moving or loading its
// offsets (a fresh cluster creating __consumer_offsets, a broker restart)
// answers within a few seconds.
const (
	coordinatorAttempts   = 10
	coordinatorBackoff    = 100 * time.Millisecond
	coordinatorBackoffMax = 2 * time.Second
)

// coordinatorTransient reports the answers Kafka's own clients retry for a
// group request: the coordinator is elsewhere, not there yet, or still
// loading. kafka-go's transport sends group requests to whichever broker it
// finds when FindCoordinator fails, so these come back to the caller.
func coordinatorTransient(err error) bool {
	return errors.Is(err, kafka.NotCoordinatorForGroup) || errors.Is(err, kafka.GroupCoordinatorNotAvailable) ||
		errors.Is(err, kafka.GroupLoadInProgress)
}

// coordinatorRetry calls do until it returns an error that is not a
// coordinator's transient one, at most coordinatorAttempts times and
// within ctx, with a doubling backoff.
func coordinatorRetry(ctx context.Context, do func() error) error {
	wait := coordinatorBackoff
	var err error
	for attempt := 1; ; attempt++ {
		if err = do(); !coordinatorTransient(err) || attempt == coordinatorAttempts {
			return err
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, coordinatorBackoffMax)
	}
}
