package replay

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/esconnect/esconnect/shared/kafkaevent"
)

// eventSource reads trigger event files: a file, or every *.json file under
// a directory in lexical order. Each file is decoded with the same decoders
// the function uses.
type eventSource struct {
	recs   []kafkaevent.Record
	offset int
}

func openEvents(path string, format kafkaevent.Format) (*eventSource, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("event source: %w", err)
	}
	files := []string{path}
	if st.IsDir() {
		files = nil
		err := filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && filepath.Ext(p) == ".json" {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("event source: %w", err)
		}
		sort.Strings(files)
	}
	s := &eventSource{}
	// Event files are small (a trigger payload is at most a few MB), so they
	// are decoded up front, which also gives an exact total for progress.
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("event source: %w", err)
		}
		batch, err := kafkaevent.Decode(b, format)
		if err != nil {
			return nil, fmt.Errorf("event file %s: %w", f, err)
		}
		if len(batch.Failures) > 0 {
			return nil, fmt.Errorf("event file %s: record %d: %w", f, batch.Failures[0].Index, batch.Failures[0].Err)
		}
		s.recs = append(s.recs, batch.Records...)
	}
	return s, nil
}

func (s *eventSource) Next(ctx context.Context, max int) ([]Item, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.offset >= len(s.recs) {
		return nil, io.EOF
	}
	end := min(s.offset+max, len(s.recs))
	out := items(s.recs[s.offset:end])
	s.offset = end
	return out, nil
}

func (s *eventSource) Total() int64 { return int64(len(s.recs)) }
func (s *eventSource) Close() error { return nil }
