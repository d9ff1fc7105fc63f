package pgsync

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/esconnect/esconnect/shared/esclient"
	"github.com/esconnect/esconnect/shared/indexname"
)

// scrollKeepAlive is how long Elasticsearch keeps the scroll context between
// two pages; a page is processed in far less.
const scrollKeepAlive = 2 * time.Minute

// maxScrollPages bounds the scroll loop: at the page size used, more pages
// than this would be more documents than an index holds.
const maxScrollPages = 10_000_000

// indexMapping is created with the index when the sync creates it: the
// fields deletion filters on are keywords, so term queries match them
// exactly whatever the names look like.
const indexMapping = `{"mappings":{"properties":{` +
	`"id":{"type":"keyword"},"table":{"type":"keyword"},"schema":{"type":"keyword"},"database":{"type":"keyword"}}}}`

// filterFields are the field paths term queries on table, schema and
// database must use in the target index.
type filterFields struct{ table, schema, database string }

// esIndex is the synced index and the client that reaches it.
type esIndex struct {
	es   esapi.Transport
	name string
}

// do runs a request and returns the body of a 2xx answer, or an error with
// Elasticsearch's summary of the failure.
func (x esIndex) do(ctx context.Context, what string, req esapi.Request) (int, []byte, error) {
	res, err := req.Do(ctx, x.es)
	if err != nil {
		return 0, nil, fmt.Errorf("%s: %w", what, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return res.StatusCode, nil, fmt.Errorf("%s: reading the answer: %w", what, err)
	}
	if res.StatusCode >= 300 {
		return res.StatusCode, body, fmt.Errorf("%s: %d %s", what, res.StatusCode, esclient.ErrorSummary(body))
	}
	return res.StatusCode, body, nil
}

// prepare creates the index with keyword metadata fields when it does not
// exist yet, and works out which field paths term queries must use when it
// does (a dynamically mapped text field has its keyword under .keyword).
func (x esIndex) prepare(ctx context.Context) (filterFields, error) {
	status, _, err := x.do(ctx, "creating index "+x.name, esapi.IndicesCreateRequest{
		Index: indexname.Path(x.name), Body: strings.NewReader(indexMapping)})
	if err != nil && status != http.StatusBadRequest {
		return filterFields{}, err
	}
	// 400 is resource_already_exists_exception (or a create race): read the
	// mapping that is there.
	_, body, err := x.do(ctx, "reading the mapping of "+x.name, esapi.IndicesGetMappingRequest{Index: []string{indexname.Path(x.name)}})
	if err != nil {
		return filterFields{}, err
	}
	var m map[string]struct {
		Mappings struct {
			Properties map[string]struct {
				Type   string `json:"type"`
				Fields map[string]struct {
					Type string `json:"type"`
				} `json:"fields"`
			} `json:"properties"`
		} `json:"mappings"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return filterFields{}, fmt.Errorf("reading the mapping of %s: %w", x.name, err)
	}
	path := func(field string) string {
		for _, idx := range m {
			p, ok := idx.Mappings.Properties[field]
			if !ok || p.Type == "keyword" {
				return field
			}
			for sub, f := range p.Fields {
				if f.Type == "keyword" {
					return field + "." + sub
				}
			}
		}
		return field
	}
	return filterFields{table: path("table"), schema: path("schema"), database: path("database")}, nil
}

func (x esIndex) refresh(ctx context.Context) error {
	_, _, err := x.do(ctx, "refreshing "+x.name, esapi.IndicesRefreshRequest{Index: []string{indexname.Path(x.name)}})
	return err
}

func (x esIndex) count(ctx context.Context) (int64, error) {
	_, body, err := x.do(ctx, "counting "+x.name, esapi.CountRequest{Index: []string{indexname.Path(x.name)}})
	if err != nil {
		return 0, err
	}
	var c struct {
		Count int64 `json:"count"`
	}
	if err := json.Unmarshal(body, &c); err != nil {
		return 0, fmt.Errorf("counting %s: %w", x.name, err)
	}
	return c.Count, nil
}

type scrollPage struct {
	ScrollID string `json:"_scroll_id"`
	Hits     struct {
		Hits []struct {
			ID string `json:"_id"`
		} `json:"hits"`
	} `json:"hits"`
}

// errStopScroll ends a scroll early without error.
var errStopScroll = errors.New("stop scrolling")

// scrollIDs pages through the ids of the documents query matches and hands
// each page to fn. Only ids travel: _source is turned off.
func (x esIndex) scrollIDs(ctx context.Context, query map[string]any, pageSize int, fn func(ids []string) error) error {
	body, err := json.Marshal(map[string]any{"_source": false, "sort": []string{"_doc"}, "query": query})
	if err != nil {
		return err
	}
	size := pageSize
	_, raw, err := x.do(ctx, "searching "+x.name, esapi.SearchRequest{
		Index: []string{indexname.Path(x.name)}, Body: bytes.NewReader(body), Size: &size, Scroll: scrollKeepAlive})
	if err != nil {
		return err
	}
	var scrollID string
	defer func() {
		if scrollID != "" {
			_, _, _ = x.do(context.WithoutCancel(ctx), "clearing the scroll", esapi.ClearScrollRequest{ScrollID: []string{scrollID}})
		}
	}()
	for page := 0; page < maxScrollPages; page++ {
		var p scrollPage
		if err := json.Unmarshal(raw, &p); err != nil {
			return fmt.Errorf("searching %s: decoding the answer: %w", x.name, err)
		}
		scrollID = p.ScrollID
		if len(p.Hits.Hits) == 0 {
			return nil
		}
		ids := make([]string, len(p.Hits.Hits))
		for i, h := range p.Hits.Hits {
			ids[i] = h.ID
		}
		if err := fn(ids); err != nil {
			if errors.Is(err, errStopScroll) {
				return nil
			}
			return err
		}
		if scrollID == "" {
			return fmt.Errorf("searching %s: the answer has no scroll id", x.name)
		}
		if _, raw, err = x.do(ctx, "scrolling "+x.name, esapi.ScrollRequest{
			ScrollID: scrollID, Scroll: scrollKeepAlive}); err != nil {
			return err
		}
	}
	return fmt.Errorf("searching %s: more than %d pages", x.name, maxScrollPages)
}
