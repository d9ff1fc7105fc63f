// Package retry holds the waits between attempts that esconnect's clients
// share: the bulk writer, the functions' Kafka client and the replay
// destinations.
package retry

import (
	"context"
	"math/rand/v2"
	"time"
)

// Backoff returns the wait before retry n (0 for the first retry): full
// jitter over a ceiling that doubles from initial up to max, so that many
// clients refused at the same moment do not come back at the same moment.
func Backoff(n int, initial, max time.Duration) time.Duration {
	ceiling := initial
	for i := 0; i < n && ceiling < max; i++ {
		ceiling *= 2
	}
	if ceiling > max || ceiling <= 0 {
		ceiling = max
	}
	return rand.N(ceiling + 1)
}

// Sleep waits d, or returns ctx's error as soon as ctx ends.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
