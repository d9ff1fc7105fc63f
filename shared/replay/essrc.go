package replay

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/elastic/go-elasticsearch/v8"

	"github.com/esconnect/esconnect/shared/deadletter"
)

// esPage is the number of dead letters fetched per scroll page.
const esPage = 500

// esScrollKeepAlive only has to outlive one batch of sends.
const esScrollKeepAlive = 5 * time.Minute

// esSource reads the dead letters an es:// target stored, with a scroll so
// that letters written during the redrive (records failing again) are not
// read back in the same run.
type esSource struct {
	es       *elasticsearch.Client
	index    string
	scrollID string
	buf      []Item
	total    int64
	started  bool
	done     bool
}

// OpenESDeadLetters returns a source of the records held in an es:// dead
// letter index.
func OpenESDeadLetters(es *elasticsearch.Client, index string) Source {
	return &esSource{es: es, index: index, total: -1}
}

type scrollPage struct {
	ScrollID string `json:"_scroll_id"`
	Hits     struct {
		Total struct {
			Value int64 `json:"value"`
		} `json:"total"`
		Hits []struct {
			ID     string          `json:"_id"`
			Source json.RawMessage `json:"_source"`
		} `json:"hits"`
	} `json:"hits"`
}

func (s *esSource) Total() int64 { return s.total }

func (s *esSource) Next(ctx context.Context, max int) ([]Item, error) {
	for len(s.buf) < max && !s.done {
		if err := s.page(ctx); err != nil {
			return nil, err
		}
	}
	if len(s.buf) == 0 {
		return nil, io.EOF
	}
	n := min(max, len(s.buf))
	out := s.buf[:n:n]
	s.buf = s.buf[n:]
	return out, nil
}

func (s *esSource) page(ctx context.Context) error {
	var body io.ReadCloser
	var status string
	var isErr bool
	if !s.started {
		res, err := s.es.Search(
			s.es.Search.WithContext(ctx), s.es.Search.WithIndex(s.index),
			s.es.Search.WithScroll(esScrollKeepAlive), s.es.Search.WithSize(esPage),
			s.es.Search.WithSort("_doc"), s.es.Search.WithTrackTotalHits(true),
		)
		if err != nil {
			return fmt.Errorf("read es://%s: %w", s.index, err)
		}
		body, status, isErr = res.Body, res.Status(), res.IsError()
		s.started = true
	} else {
		res, err := s.es.Scroll(s.es.Scroll.WithContext(ctx), s.es.Scroll.WithScrollID(s.scrollID), s.es.Scroll.WithScroll(esScrollKeepAlive))
		if err != nil {
			return fmt.Errorf("read es://%s: %w", s.index, err)
		}
		body, status, isErr = res.Body, res.Status(), res.IsError()
	}
	defer body.Close()
	if isErr {
		b, _ := io.ReadAll(io.LimitReader(body, 512))
		return fmt.Errorf("read es://%s: %s: %s", s.index, status, strings.TrimSpace(string(b)))
	}
	var p scrollPage
	if err := json.NewDecoder(body).Decode(&p); err != nil {
		return fmt.Errorf("read es://%s: %w", s.index, err)
	}
	s.scrollID = p.ScrollID
	if s.total < 0 {
		s.total = p.Hits.Total.Value
	}
	if len(p.Hits.Hits) == 0 {
		s.done = true
		return nil
	}
	for _, h := range p.Hits.Hits {
		l, err := deadletter.Decode(h.Source)
		if err != nil {
			return fmt.Errorf("dead letter %s in es://%s: %w", h.ID, s.index, err)
		}
		if l.Raw != nil {
			return fmt.Errorf("dead letter %s in es://%s holds an undecodable trigger element: %w", h.ID, s.index, ErrNotRestorable)
		}
		r := l.Record
		s.buf = append(s.buf, Item{Record: r, From: Position{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset}})
	}
	return nil
}

func (s *esSource) Close() error {
	if s.scrollID == "" {
		return nil
	}
	// Scrolls hold resources on the cluster until they expire; free it now.
	res, err := s.es.ClearScroll(s.es.ClearScroll.WithScrollID(s.scrollID))
	if err != nil {
		return fmt.Errorf("clear scroll: %w", err)
	}
	res.Body.Close()
	return nil
}
