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
//
// A record the decoder rejects (bad base64, a missing offset, ...) does not
// stop the others: the function dead-letters such a record and indexes the
// rest of its batch, and a replay keeps that rule — nothing else in the batch
// is lost. The rejected records are kept and reported by Run after the good
// ones were sent. A file that is not a trigger event at all stops the replay
// before anything is sent, because that is a wrong path, not a bad record.
type eventSource struct {
	recs     []kafkaevent.Record
	offset   int
	rejected []Rejected
}

// Rejected is a record of an event file that could not be decoded, so was
// not sent.
type Rejected struct {
	File string `json:"file"`
	// Index is the record's position in the file's payload, counting good
	// and bad records alike, from 0.
	Index     int    `json:"index"`
	Topic     string `json:"topic,omitempty"`
	Partition int32  `json:"partition"`
	// Offset is nil when the record's offset itself could not be read.
	Offset *int64 `json:"offset,omitempty"`
	Error  string `json:"error"`
}

// rejecter is a Source that skipped records it could not decode.
type rejecter interface {
	Rejected() []Rejected
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
		for _, fl := range batch.Failures {
			r := Rejected{File: f, Index: fl.Index, Topic: fl.Topic, Partition: fl.Partition, Error: fl.Err.Error()}
			if fl.HasOffset {
				r.Offset = &fl.Offset
			}
			s.rejected = append(s.rejected, r)
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

// Rejected returns the records that could not be decoded, in file order.
func (s *eventSource) Rejected() []Rejected { return s.rejected }
func (s *eventSource) Close() error         { return nil }
