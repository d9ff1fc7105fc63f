package replay

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/esconnect/esconnect/shared/deadletter"
	"github.com/esconnect/esconnect/shared/indexname"
)

// esPage is the number of dead letters fetched per scroll page.
const esPage = 500

// esScrollKeepAlive only has to outlive one batch of sends.
const esScrollKeepAlive = 5 * time.Minute

// esClearScrollTimeout bounds the clear-scroll request of Close, which has
// no context of its own: the scroll expires by itself anyway, so a cluster
// that stopped answering must not hold up the end of the redrive.
const esClearScrollTimeout = 10 * time.Second

// esSource reads the dead letters an es:// target stored, with a scroll so
// that letters written during the redrive (records failing again) are not
// read back in the same run.
type esSource struct {
	es       esapi.Transport
	index    string
	scrollID string
	buf      []Item
	total    int64
	started  bool
	done     bool
}

// OpenESDeadLetters returns a source of the records held in an es:// dead
// letter index. es is any esapi.Transport: an esclient.Transport, or a
// go-elasticsearch client.
func OpenESDeadLetters(es esapi.Transport, index string) Source {
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
	var req esapi.Request = esapi.ScrollRequest{ScrollID: s.scrollID, Scroll: esScrollKeepAlive}
	if !s.started {
		size := esPage
		req = esapi.SearchRequest{
			Index: []string{indexname.Path(s.index)}, Scroll: esScrollKeepAlive, Size: &size,
			Sort: []string{"_doc"}, TrackTotalHits: true,
		}
	}
	res, err := req.Do(ctx, s.es)
	if err != nil {
		return fmt.Errorf("read es://%s: %w", s.index, err)
	}
	s.started = true
	body := res.Body
	defer body.Close()
	if res.IsError() {
		b, _ := io.ReadAll(io.LimitReader(body, 512))
		return fmt.Errorf("read es://%s: %s: %s", s.index, res.Status(), strings.TrimSpace(string(b)))
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
	ctx, cancel := context.WithTimeout(context.Background(), esClearScrollTimeout)
	defer cancel()
	res, err := esapi.ClearScrollRequest{ScrollID: []string{s.scrollID}}.Do(ctx, s.es)
	if err != nil {
		return fmt.Errorf("clear scroll: %w", err)
	}
	res.Body.Close()
	return nil
}
