package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/elastic/go-elasticsearch/v8/esapi"
)

// ErrES is wrapped when Elasticsearch answers a demo request with an error
// status.
var ErrES = errors.New("elasticsearch request failed")

// printSearch refreshes Index, so that search sees every confirmed write,
// and prints the search response as Kibana's console would show it. It
// returns the number of hits.
func printSearch(ctx context.Context, es esapi.Transport, p *printer) (int64, error) {
	p.section("The documents in Elasticsearch")
	if _, err := do(ctx, es, "refresh "+Index, esapi.IndicesRefreshRequest{Index: []string{Index}}); err != nil {
		return 0, err
	}
	body, err := do(ctx, es, HeadingSearch, esapi.SearchRequest{Index: []string{Index}, Pretty: true})
	if err != nil {
		return 0, err
	}
	p.jsonHeading(HeadingSearch)
	p.raw(body)
	var resp struct {
		Hits struct {
			Total struct {
				Value int64 `json:"value"`
			} `json:"total"`
		} `json:"hits"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return 0, fmt.Errorf("%s: decode response: %w", HeadingSearch, err)
	}
	return resp.Hits.Total.Value, nil
}

// do sends req and returns the response body, or an error naming what for
// when the transport failed or the status is not 2xx.
func do(ctx context.Context, es esapi.Transport, what string, req esapi.Request) ([]byte, error) {
	res, err := req.Do(ctx, es)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, fmt.Errorf("%s: read response: %w", what, err)
	}
	if res.IsError() {
		return nil, fmt.Errorf("%w: %s: %s: %s", ErrES, what, res.Status(), body)
	}
	return body, nil
}
