//go:build !unix

package consumer

import "context"

// HandleSignals does nothing where SIGUSR1 and SIGUSR2 do not exist; use
// WatchControlFile there.
func (c *Consumer) HandleSignals(context.Context) (stop func()) {
	return func() {}
}
