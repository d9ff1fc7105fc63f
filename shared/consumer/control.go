package consumer

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"
)

// Control file contents.
const (
	ControlPaused  = "paused"
	ControlRunning = "running"
)

// Bounds of the control file's polling interval: below the minimum the
// polling would cost more than it is worth, above the maximum an operator
// would wait too long to see the consumer react.
const (
	MinControlInterval     = 10 * time.Millisecond
	MaxControlInterval     = time.Minute
	DefaultControlInterval = time.Second
)

// ErrControlFile is wrapped for a control file whose contents are neither
// ControlPaused nor ControlRunning.
var ErrControlFile = errors.New("control file must hold paused or running")

// readControl reads a control file. A missing file is no instruction
// (ok false, nil error), so that deleting the file leaves the consumer as it
// is. Surrounding white space and letter case are ignored, so
// `echo Paused > FILE` works.
func readControl(path string) (paused, ok bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, false, nil
	}
	if err != nil {
		return false, false, fmt.Errorf("control file: %w", err)
	}
	switch s := strings.ToLower(strings.TrimSpace(string(b))); s {
	case ControlPaused:
		return true, true, nil
	case ControlRunning:
		return false, true, nil
	default:
		const show = 32
		if len(s) > show {
			s = s[:show] + "..."
		}
		return false, false, fmt.Errorf("%w: %s holds %q", ErrControlFile, path, s)
	}
}

// WatchControlFile makes the file at path control the consumer: `paused`
// pauses it, `running` resumes it. The file is read once before
// WatchControlFile returns — so a consumer whose file says paused joins the
// group paused — and then polled every interval until ctx ends, by a
// goroutine that exits with ctx.
//
// The file acts when its contents change, not on every poll, so that a
// signal (see HandleSignals) can override it until the file is next
// changed: the latest instruction wins. A missing file and unreadable or
// unknown contents change nothing; the latter are logged once per change.
//
// It returns ErrInvalidConfig for an interval outside
// [MinControlInterval, MaxControlInterval].
func (c *Consumer) WatchControlFile(ctx context.Context, path string, interval time.Duration) error {
	if interval < MinControlInterval || interval > MaxControlInterval {
		return fmt.Errorf("%w: control interval %v is not between %v and %v", ErrInvalidConfig, interval, MinControlInterval, MaxControlInterval)
	}
	w := &controlWatch{c: c, path: path}
	w.poll()
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				w.poll()
			}
		}
	}()
	return nil
}

// controlWatch remembers what the file last said, so that it acts on
// changes only.
type controlWatch struct {
	c    *Consumer
	path string
	// last describes the previous reading: "paused", "running", "" for no
	// file, or the error text.
	last string
	seen bool
}

func (w *controlWatch) poll() {
	paused, ok, err := readControl(w.path)
	now := ""
	switch {
	case err != nil:
		now = err.Error()
	case ok:
		now = stateName(paused)
	}
	if w.seen && now == w.last {
		return
	}
	w.seen, w.last = true, now
	switch {
	case err != nil:
		w.c.log.Warn("control file ignored", "path", w.path, "error", err.Error())
	case ok:
		w.c.log.Info("control file changed", "path", w.path, "paused", paused)
		w.c.setPaused(paused)
	}
}
