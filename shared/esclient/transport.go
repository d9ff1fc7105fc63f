// Package esclient builds the HTTP transport the functions talk to
// Elasticsearch through: elastic-transport-go's client (node addresses or a
// cloud id, basic auth or an API key, gzip request bodies) over a net/http
// transport that verifies TLS, with the transport's own retries off. With
// ES_AUTH=aws-sigv4 a signing round tripper (shared/sigv4) sits between the
// two, for Amazon OpenSearch Service and OpenSearch Serverless.
//
// It deliberately does not import go-elasticsearch's root package: its
// NewClient builds a closure for every API of esapi and pulls in the typed
// API, several megabytes of binary the functions never call. Callers use
// esapi request structs (esapi.BulkRequest{...}.Do(ctx, tr)) or Perform
// directly; *Transport satisfies esapi.Transport, and so does a
// *elasticsearch.Client, which tools and tests may still pass instead.
//
// Retries are esbulk's job: it retries per item, with a budget and the
// invocation deadline in mind, and two layers of retries would multiply
// each other into a retry storm against a cluster that is already shedding
// load.
package esclient

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/elastic/elastic-transport-go/v8/elastictransport"

	"github.com/esconnect/esconnect/shared/errtype"
	"github.com/esconnect/esconnect/shared/sigv4"
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
	// userAgent names the caller in the cluster's logs and slow logs.
	userAgent = "esconnect"
	// productHeader is the header every Elasticsearch 7.14+ answer carries.
	productHeader = "X-Elastic-Product"
	productName   = "Elasticsearch"
)

var (
	// ErrInvalidSettings is wrapped by New when the settings cannot make a
	// transport (an unparsable URL or cloud id, a CA file without PEM).
	ErrInvalidSettings = errtype.New(errtype.Config, "invalid elasticsearch settings")
	// ErrNotElasticsearch is returned by Perform for a successful answer
	// without the X-Elastic-Product header: the address reaches some other
	// HTTP service (or a proxy that strips the header), and treating its
	// 200s as bulk confirmations would acknowledge records nobody stored.
	ErrNotElasticsearch = errtype.New(errtype.NotElasticsearch, "the server is not Elasticsearch (no X-Elastic-Product header; for OpenSearch set "+EnvDistribution+"="+DistributionOpenSearch+")")
)

// Transport sends requests to the configured nodes. It is safe for
// concurrent use.
type Transport struct {
	client *elastictransport.Client
	http   *http.Transport
	// genuine is set by the first successful answer that carries the
	// product header; later answers are not checked again.
	genuine atomic.Bool
}

// New returns the transport for cfg. It contacts nothing. Errors never
// contain credentials.
func New(cfg Config) (*Transport, error) {
	ht, err := NewHTTP(cfg)
	if err != nil {
		return nil, err
	}
	urls, err := addresses(cfg)
	if err != nil {
		return nil, err
	}
	var rt http.RoundTripper = ht
	if cfg.Auth == AuthAWSSigV4 {
		creds := cfg.AWSCredentials
		if creds == nil {
			if creds, err = sigv4.EnvCredentials(); err != nil {
				return nil, fmt.Errorf("%w: %s=%s: %w", ErrInvalidSettings, EnvAuth, AuthAWSSigV4, err)
			}
		}
		rt = sigv4.NewTransport(ht, creds, cfg.AWSService, cfg.AWSRegion)
	}
	opts := []elastictransport.Option{
		elastictransport.WithUserAgent(userAgent),
		elastictransport.WithURLs(urls...),
		elastictransport.WithTransport(rt),
		elastictransport.WithDisableRetry(),
	}
	if cfg.Username != "" {
		opts = append(opts, elastictransport.WithBasicAuth(cfg.Username, cfg.Password))
	}
	if cfg.APIKey != "" {
		opts = append(opts, elastictransport.WithAPIKey(cfg.APIKey))
	}
	if cfg.Compress {
		// A pooled gzip writer avoids allocating a compressor (hundreds of
		// KiB) per bulk request.
		opts = append(opts, elastictransport.WithCompression())
	}
	c, err := elastictransport.NewClient(opts...)
	if err != nil {
		// The transport's messages name addresses, never the credentials,
		// which it only places in request headers.
		return nil, fmt.Errorf("%w: %w", ErrInvalidSettings, err)
	}
	t := &Transport{client: c, http: ht}
	// OpenSearch never sends the product header; its answers are still
	// checked for shape by the code that reads them (esbulk refuses a bulk
	// answer whose items do not match the request).
	t.genuine.Store(cfg.Distribution == DistributionOpenSearch || cfg.Auth == AuthAWSSigV4)
	return t, nil
}

// Perform sends req, whose URL holds only the path and query, to one of
// the nodes, and checks that the answer comes from Elasticsearch (unless
// the settings name OpenSearch).
func (t *Transport) Perform(req *http.Request) (*http.Response, error) {
	res, err := t.client.Perform(req)
	if err != nil || t.genuine.Load() {
		return res, err
	}
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		if res.Header.Get(productHeader) != productName {
			res.Body.Close()
			return nil, fmt.Errorf("%s %s answered %d: %w", req.Method, req.URL.Path, res.StatusCode, ErrNotElasticsearch)
		}
		t.genuine.Store(true)
	}
	return res, nil
}

// CloseIdleConnections drops pooled connections. Call it at shutdown: a
// server that shuts down gracefully waits for connections the client opened
// and never used, and a self-hosted process would leave sockets open.
func (t *Transport) CloseIdleConnections() { t.http.CloseIdleConnections() }

// NewHTTP returns the net/http transport for cfg: TLS 1.2 or later verified
// against cfg.CACert (or the system roots unless cfg.TLSSkipVerify), a
// response-header timeout of cfg.RequestTimeout, and a connection pool sized
// for parallel bulk requests.
func NewHTTP(cfg Config) (*http.Transport, error) {
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if len(cfg.CACert) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(cfg.CACert) {
			return nil, fmt.Errorf("%w: %s holds no PEM certificate", ErrInvalidSettings, EnvCACert)
		}
		tlsCfg.RootCAs = pool
	}
	if cfg.TLSSkipVerify {
		slog.Warn("TLS certificate verification is OFF (" + EnvTLSSkipVerify +
			"): anyone on the network path can read and alter the data and the credentials; set " +
			EnvCACert + " instead")
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

// addresses returns the node URLs of cfg: ES_URL's list, or the one address
// a cloud id stands for.
func addresses(cfg Config) ([]*url.URL, error) {
	if cfg.CloudID != "" {
		if len(cfg.URLs) > 0 {
			return nil, fmt.Errorf("%w: set either %s or %s, not both", ErrInvalidSettings, EnvURL, EnvCloudID)
		}
		u, err := CloudURL(cfg.CloudID)
		if err != nil {
			return nil, err
		}
		return []*url.URL{u}, nil
	}
	if len(cfg.URLs) == 0 {
		return nil, fmt.Errorf("%w: no %s and no %s", ErrInvalidSettings, EnvURL, EnvCloudID)
	}
	urls := make([]*url.URL, 0, len(cfg.URLs))
	for _, s := range cfg.URLs {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("%w: %s: %q is not an http(s) URL", ErrInvalidSettings, EnvURL, redactURL(s))
		}
		urls = append(urls, u)
	}
	return urls, nil
}

// redactURL drops user information from a URL for an error message; the
// text is returned whole when it does not parse as a URL with user info.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable)"
	}
	if u.User != nil {
		u.User = url.User("REDACTED")
	}
	return u.String()
}
