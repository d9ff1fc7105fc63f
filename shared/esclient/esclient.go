// Package esclient builds the go-elasticsearch client from the validated
// connection settings, with TLS verification on unless explicitly turned off
// and without the client's own retries: esbulk retries with a budget and the
// invocation deadline in mind, and two layers of retries would multiply each
// other (3 transport retries x 8 bulk retries per item) into a retry storm
// against a cluster that is already shedding load.
package esclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/esconnect/esconnect/shared/config"
)

// Transport tuning that has no setting of its own.
const (
	// dialTimeout fails an unreachable node fast; the request timeout then
	// only has to cover the node's processing time.
	dialTimeout = 10 * time.Second
	// maxIdleConnsPerHost keeps connections for the bulk writer's parallel
	// requests; the net/http default of 2 would close and re-open TLS
	// connections whenever BULK_CONCURRENCY is above 2.
	maxIdleConnsPerHost = 16
	// idleConnTimeout drops pooled connections before typical load-balancer
	// idle timeouts (60 s on AWS ALB/NLB) cut them under us.
	idleConnTimeout = 50 * time.Second
)

// ErrInvalidSettings is wrapped by New when the settings cannot make a client.
var ErrInvalidSettings = errors.New("invalid elasticsearch settings")

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

// NewTransport returns the HTTP transport for cfg: TLS 1.2 or later verified
// against cfg.CACert (or the system roots unless cfg.TLSSkipVerify), a
// response-header timeout of cfg.RequestTimeout, and a connection pool sized
// for parallel bulk requests.
func NewTransport(cfg config.Elasticsearch) (*http.Transport, error) {
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if len(cfg.CACert) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(cfg.CACert) {
			return nil, fmt.Errorf("%w: %s holds no PEM certificate", ErrInvalidSettings, config.EnvESCACert)
		}
		tlsCfg.RootCAs = pool
	}
	if cfg.TLSSkipVerify {
		slog.Warn("TLS certificate verification is OFF (" + config.EnvESTLSSkipVerify +
			"): anyone on the network path can read and alter the data and the credentials; set " +
			config.EnvESCACert + " instead")
		tlsCfg.InsecureSkipVerify = true
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tlsCfg
	tr.DialContext = (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext
	// The answer to a bulk request arrives in one piece once the node has
	// processed every item, so the time to the response headers is the
	// request's processing time.
	tr.ResponseHeaderTimeout = cfg.RequestTimeout
	tr.MaxIdleConnsPerHost = maxIdleConnsPerHost
	tr.IdleConnTimeout = idleConnTimeout
	return tr, nil
}

// Info is what Ping learns about the cluster.
type Info struct {
	ClusterName string
	Version     string
}

// ErrUnavailable is wrapped by Ping when the cluster answered with an error
// status; transport failures (refused connection, certificate) are wrapped
// as they come so that errors.As finds, for example,
// *tls.CertificateVerificationError.
var ErrUnavailable = errors.New("elasticsearch unavailable")

// Ping asks the cluster for its name and version: a start-up check that the
// address, credentials and certificates work.
func Ping(ctx context.Context, es *elasticsearch.Client) (Info, error) {
	res, err := esapi.InfoRequest{}.Do(ctx, es)
	if err != nil {
		return Info{}, fmt.Errorf("elasticsearch info: %w", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return Info{}, fmt.Errorf("elasticsearch info: reading the answer: %w", err)
	}
	if res.IsError() {
		return Info{}, fmt.Errorf("%w: info answered %d: %s", ErrUnavailable, res.StatusCode, ErrorSummary(body))
	}
	return parseInfo(body)
}
