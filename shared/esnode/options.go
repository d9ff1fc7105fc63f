package esnode

import (
	"errors"
	"fmt"
	"time"

	"github.com/esconnect/esconnect/shared/sigv4"
)

// Options configures a Node. The zero value is a plain HTTP node without
// auth or faults that refreshes every second, like a fresh Elasticsearch.
type Options struct {
	// RefreshInterval is the default index refresh interval: 0 means 1s (the
	// Elasticsearch default), negative means indices are never refreshed
	// periodically (refresh_interval: -1). Indices override it with
	// settings.index.refresh_interval.
	RefreshInterval time.Duration
	// Username and Password enable basic auth when Username is not empty.
	Username, Password string
	// APIKeys enables API-key auth (Authorization: ApiKey base64(id:key)).
	APIKeys []APIKey
	// TLSCertFile and TLSKeyFile make Start serve TLS with this key pair.
	TLSCertFile, TLSKeyFile string
	// SelfSignedTLS makes Start generate a CA and a server certificate for
	// 127.0.0.1, ::1 and localhost; the CA is in Server.CACertPEM.
	SelfSignedTLS bool
	// MaxContentLength is http.max_content_length: larger bodies get 413.
	// 0 means 100 MB, the Elasticsearch default.
	MaxContentLength int64
	// Blackhole answers bulk requests as if every item succeeded without
	// storing anything, for benchmarks of clients.
	Blackhole bool
	// Faults are injected from the start; see Node.SetFaults.
	Faults Faults
	// Version is the version number GET / reports; "" means DefaultVersion.
	Version string
	// SigV4, when not nil, makes the node stand in for Amazon OpenSearch
	// Service: every request must carry a valid AWS SigV4 signature (else
	// 403 {"message": ...}), and answers lack the Elasticsearch product
	// header, as OpenSearch's do.
	SigV4 *sigv4.Verifier
}

// APIKey is one accepted API key.
type APIKey struct {
	ID, Key string
	// Name is what GET /_security/_authenticate reports.
	Name string
	// RoleDescriptors limit what the key may do, as those of a key created
	// with POST /_security/api_key; nil or empty means full access.
	RoleDescriptors map[string]RoleDescriptor
}

// Faults are failures the node injects on purpose. Fractions are
// probabilities in [0, 1], drawn from a source seeded with Seed so that a
// test run can be repeated.
type Faults struct {
	// Item429 is the fraction of bulk items answered 429
	// es_rejected_execution_exception (the request itself succeeds).
	Item429 float64
	// Request503, Request502 and Request504 are the fractions of whole
	// requests answered with that status before any work is done.
	Request503, Request502, Request504 float64
	// Reset is the fraction of requests whose connection is reset (TCP RST)
	// after part of the request was read.
	Reset float64
	// Latency is added before each request is handled.
	Latency time.Duration
	// Seed seeds the fault randomness; 0 picks seed 1 so runs stay repeatable.
	Seed int64
}

// DefaultVersion is the Elasticsearch version the node claims to be.
const DefaultVersion = "8.15.0"

const (
	// defaultRefreshInterval is index.refresh_interval's default in ES.
	defaultRefreshInterval = time.Second
	// defaultMaxContentLength is http.max_content_length's default in ES.
	defaultMaxContentLength = 100 << 20
	// maxResultWindow is index.max_result_window's default: from+size above
	// it is refused.
	maxResultWindow = 10000
	// maxIDBytes is the longest _id ES accepts.
	maxIDBytes = 512
	// maxIndexNameBytes is the longest index name ES accepts.
	maxIndexNameBytes = 255
	// defaultSearchSize is the number of hits a search returns by default.
	defaultSearchSize = 10
)

// ErrInvalidOptions is wrapped by New for contradictory or out-of-range options.
var ErrInvalidOptions = errors.New("invalid esnode options")

func (o Options) withDefaults() Options {
	if o.RefreshInterval == 0 {
		o.RefreshInterval = defaultRefreshInterval
	}
	if o.MaxContentLength == 0 {
		o.MaxContentLength = defaultMaxContentLength
	}
	if o.Version == "" {
		o.Version = DefaultVersion
	}
	if o.Faults.Seed == 0 {
		o.Faults.Seed = 1
	}
	return o
}

func (o Options) validate() error {
	var errs []error
	if (o.TLSCertFile == "") != (o.TLSKeyFile == "") {
		errs = append(errs, errors.New("tls cert and key files must be given together"))
	}
	if o.TLSCertFile != "" && o.SelfSignedTLS {
		errs = append(errs, errors.New("tls cert files and self-signed tls are mutually exclusive"))
	}
	if o.Username == "" && o.Password != "" {
		errs = append(errs, errors.New("password given without username"))
	}
	for i, k := range o.APIKeys {
		if k.ID == "" || k.Key == "" {
			errs = append(errs, fmt.Errorf("api key %d: id and key must not be empty", i))
		}
	}
	if o.MaxContentLength < 0 {
		errs = append(errs, errors.New("max content length must not be negative"))
	}
	if o.SigV4 != nil && (o.Username != "" || len(o.APIKeys) > 0) {
		errs = append(errs, errors.New("sigv4 replaces basic auth and api keys: give one or the other"))
	}
	if err := o.Faults.validate(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrInvalidOptions, errors.Join(errs...))
	}
	return nil
}

func (f Faults) validate() error {
	var errs []error
	for _, p := range []struct {
		name string
		v    float64
	}{
		{"item 429", f.Item429}, {"request 503", f.Request503}, {"request 502", f.Request502},
		{"request 504", f.Request504}, {"reset", f.Reset},
	} {
		if p.v < 0 || p.v > 1 {
			errs = append(errs, fmt.Errorf("fault %s fraction %v is outside [0, 1]", p.name, p.v))
		}
	}
	if sum := f.Request503 + f.Request502 + f.Request504 + f.Reset; sum > 1 {
		errs = append(errs, fmt.Errorf("request fault fractions add up to %v, more than 1", sum))
	}
	if f.Latency < 0 {
		errs = append(errs, errors.New("fault latency must not be negative"))
	}
	return errors.Join(errs...)
}
