// Package esclient builds a go-elasticsearch client from the validated
// connection settings, for tests and benchmarks that want the client's API
// methods. Nothing the esconnect CLI or the functions link imports it: it
// pulls in go-elasticsearch's root package, whose NewClient builds a closure
// for every API of esapi and which imports the typed API, hundreds of
// packages that made a first build of the CLI take minutes and the
// functions' binaries megabytes larger. Shipped code uses estransport and
// esapi request structs instead; this package shares estransport's transport
// settings (TLS verification on unless explicitly turned off, the client's
// own retries off).
package esclient

import (
	"fmt"
	"net/http"

	"github.com/elastic/go-elasticsearch/v8"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/esclient/estransport"
)

// ErrInvalidSettings is wrapped by NewWithTransport when the settings cannot
// make a client; it is estransport's error, so either package's name
// matches.
var ErrInvalidSettings = estransport.ErrInvalidSettings

// NewWithTransport returns a client for cfg that sends through tr, typically
// the one NewTransport returned, kept to close its idle connections at
// shutdown (elasticsearch.Client.Close does not): a server that shuts down
// gracefully waits for connections the client opened and never used. The
// client makes one attempt per request (retries are esbulk's job). Errors
// never contain credentials.
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
// ES_TLS_SKIP_VERIFY is honoured with a warning on the default slog logger.
func NewTransport(cfg config.Elasticsearch) (*http.Transport, error) {
	return estransport.NewHTTP(cfg)
}
