// Package esclient builds a go-elasticsearch client from the validated
// connection settings, for the CLI's tools (replay, demo) that want the
// client's API methods. The functions do not import it: it links
// go-elasticsearch's whole API surface, several megabytes the functions
// never call; they use estransport, which this package shares its
// transport settings with (TLS verification on unless explicitly turned off,
// the client's own retries off).
package esclient

import (
	"context"
	"fmt"
	"net/http"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/esclient/estransport"
)

// ErrInvalidSettings is wrapped by New when the settings cannot make a
// client; it is estransport's error, so either package's name matches.
var ErrInvalidSettings = estransport.ErrInvalidSettings

// New returns a client for cfg. The client makes one attempt per request
// (retries are esbulk's job), verifies TLS certificates against cfg.CACert or
// the system roots, and waits at most cfg.RequestTimeout for each answer.
// ES_TLS_SKIP_VERIFY is honoured with a warning on the default slog logger.
// Errors never contain credentials.
func New(cfg config.Elasticsearch) (*elasticsearch.Client, error) {
	tr, err := NewTransport(cfg)
	if err != nil {
		return nil, err
	}
	return NewWithTransport(cfg, tr)
}

// NewWithTransport is New with the HTTP transport given, typically the one
// NewTransport returned, kept to close its idle connections at shutdown
// (elasticsearch.Client.Close does not): a server that shuts down
// gracefully waits for connections the client opened and never used.
func NewWithTransport(cfg config.Elasticsearch, tr http.RoundTripper) (*elasticsearch.Client, error) {
	es, err := elasticsearch.NewClient(elasticsearch.Config{
		Addresses:           cfg.URLs,
		CloudID:             cfg.CloudID,
		Username:            cfg.Username,
		Password:            cfg.Password,
		APIKey:              cfg.APIKey,
		Transport:           tr,
		DisableRetry:        true,
		CompressRequestBody: cfg.Compress,
		// A pooled gzip writer avoids allocating a compressor (hundreds of
		// KiB) per bulk request.
		PoolCompressor: cfg.Compress,
	})
	if err != nil {
		// go-elasticsearch's messages name addresses and the cloud id, never
		// the credentials, which it only places in request headers.
		return nil, fmt.Errorf("%w: %w", ErrInvalidSettings, err)
	}
	return es, nil
}

// NewTransport returns the HTTP transport for cfg; see estransport.NewHTTP.
func NewTransport(cfg config.Elasticsearch) (*http.Transport, error) {
	return estransport.NewHTTP(cfg)
}

// Info is what Ping learns about the cluster.
type Info = estransport.Info

// ErrUnavailable is wrapped by Ping when the cluster answered with an error
// status.
var ErrUnavailable = estransport.ErrUnavailable

// Ping asks the cluster for its name and version; see estransport.Ping. Any
// esapi.Transport works: a *elasticsearch.Client or an estransport.Transport.
func Ping(ctx context.Context, tr esapi.Transport) (Info, error) {
	return estransport.Ping(ctx, tr)
}
