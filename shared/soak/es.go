package soak

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/esclient"
	"github.com/esconnect/esconnect/shared/indexname"
)

// indexBody creates the soak's index. msg_body.value.n is mapped as long up
// front: with dynamic mapping, whichever record came first would decide the
// type, and a poison record arriving first would turn every valid one into
// the conflict. Refresh is off until the check, which refreshes once; the
// node then spends nothing on searchable segments during the run.
const indexBody = `{
  "settings": {"number_of_replicas": 0, "refresh_interval": "-1"},
  "mappings": {"properties": {"msg_body": {"properties": {
    "value": {"properties": {"seq": {"type": "long"}, "n": {"type": "long"}, "pad": {"type": "keyword", "index": false}}}
  }}}}
}`

// newESClient returns a transport to the engine that settings (ES_URL and
// the rest, as the functions read them) name. esclient's retries are off:
// the checks run with faults off and must see exactly what the node answers.
func newESClient(settings map[string]string) (*esclient.Transport, error) {
	cfg := esclient.LoadConfig(config.FromMap(settings))
	tr, err := esclient.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("elasticsearch client for %s: %w", settings[esclient.EnvURL], err)
	}
	return tr, nil
}

// errES is wrapped for an Elasticsearch request that failed or answered an
// error.
var errES = errors.New("elasticsearch request failed")

// call checks res and decodes its body into v (when not nil).
func call(what string, res *esapi.Response, err error, v any) error {
	if err != nil {
		return fmt.Errorf("%w: %s: %w", errES, what, err)
	}
	defer res.Body.Close()
	if res.IsError() {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 1024))
		return fmt.Errorf("%w: %s: %s %s", errES, what, res.Status(), b)
	}
	if v == nil {
		_, _ = io.Copy(io.Discard, res.Body)
		return nil
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		return fmt.Errorf("%w: %s: decode answer: %w", errES, what, err)
	}
	return nil
}

func createIndex(ctx context.Context, es esapi.Transport, index string) error {
	res, err := esapi.IndicesCreateRequest{Index: indexname.Path(index), Body: strings.NewReader(indexBody)}.Do(ctx, es)
	return call("create index "+index, res, err, nil)
}

// hit is one scrolled document: its id and where its record came from.
type hit struct {
	ID     string `json:"_id"`
	Source struct {
		MsgBody struct {
			Partition int   `json:"partition"`
			Offset    int64 `json:"offset"`
		} `json:"msg_body"`
	} `json:"_source"`
}

// scrollPage is the page size of the id scroll.
const scrollPage = 1000

// scrollAll refreshes index and hands every document to fn through a
// scroll. maxHits bounds the scroll: a node answering more hits than that
// is reported instead of being read forever.
func scrollAll(ctx context.Context, es esapi.Transport, index string, maxHits int, fn func(hit)) (int, error) {
	res, err := esapi.IndicesRefreshRequest{Index: []string{indexname.Path(index)}}.Do(ctx, es)
	if err := call("refresh "+index, res, err, nil); err != nil {
		return 0, err
	}
	type page struct {
		ScrollID string `json:"_scroll_id"`
		Hits     struct {
			Hits []hit `json:"hits"`
		} `json:"hits"`
	}
	var p page
	size := scrollPage
	res, err = esapi.SearchRequest{
		Index: []string{indexname.Path(index)}, Scroll: time.Minute, Size: &size,
		Body: strings.NewReader(`{"query":{"match_all":{}},"sort":["_doc"],"_source":["msg_body.partition","msg_body.offset"]}`),
	}.Do(ctx, es)
	if err := call("search "+index, res, err, &p); err != nil {
		return 0, err
	}
	n := 0
	defer func() {
		if p.ScrollID != "" {
			res, err := esapi.ClearScrollRequest{ScrollID: []string{p.ScrollID}}.Do(ctx, es)
			_ = call("clear scroll", res, err, nil)
		}
	}()
	for len(p.Hits.Hits) > 0 {
		for _, h := range p.Hits.Hits {
			fn(h)
		}
		n += len(p.Hits.Hits)
		if n > maxHits {
			return n, fmt.Errorf("%w: scroll of %s returned more than %d hits", errES, index, maxHits)
		}
		id := p.ScrollID
		p = page{}
		res, err := esapi.ScrollRequest{ScrollID: id, Scroll: time.Minute}.Do(ctx, es)
		if err := call("scroll "+index, res, err, &p); err != nil {
			return n, err
		}
	}
	return n, nil
}

// count is the _count of index.
func count(ctx context.Context, es esapi.Transport, index string) (int, error) {
	var out struct {
		Count int `json:"count"`
	}
	res, err := esapi.CountRequest{Index: []string{indexname.Path(index)}}.Do(ctx, es)
	if err := call("count "+index, res, err, &out); err != nil {
		return 0, err
	}
	return out.Count, nil
}
