package retry

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	const initial, maxWait = 100 * time.Millisecond, time.Second
	tests := []struct {
		round   int
		ceiling time.Duration
	}{
		{0, 100 * time.Millisecond},
		{1, 200 * time.Millisecond},
		{3, 800 * time.Millisecond},
		{4, time.Second},
		{200, time.Second}, // no overflow for absurd rounds
	}
	for _, tt := range tests {
		var seenHigh, seenLow bool
		for range 2000 {
			d := Backoff(tt.round, initial, maxWait)
			if d < 0 || d > tt.ceiling {
				t.Fatalf("Backoff(%d) = %s, outside [0, %s]", tt.round, d, tt.ceiling)
			}
			seenHigh = seenHigh || d > tt.ceiling*3/4
			seenLow = seenLow || d < tt.ceiling/4
		}
		// Full jitter spreads waits over the whole range: 2000 draws
		// missing a quarter of it would mean the jitter is broken.
		if !seenHigh || !seenLow {
			t.Errorf("Backoff(%d) is not spread over [0, %s]: high %t low %t", tt.round, tt.ceiling, seenHigh, seenLow)
		}
	}
}

func TestSleepEndsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("Sleep on an ended context = %v, want context.Canceled", err)
	}
	if err := Sleep(t.Context(), time.Millisecond); err != nil {
		t.Fatalf("Sleep = %v", err)
	}
}
