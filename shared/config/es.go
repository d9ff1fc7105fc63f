package config

import (
	"crypto/x509"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Environment variables of the Elasticsearch connection.
const (
	EnvESURL            = "ES_URL"
	EnvESUsername       = "ES_USERNAME"
	EnvESPassword       = "ES_PASSWORD"
	EnvESAPIKey         = "ES_API_KEY"
	EnvESCloudID        = "ES_CLOUD_ID"
	EnvESCACert         = "ES_CA_CERT"
	EnvESTLSSkipVerify  = "ES_TLS_SKIP_VERIFY"
	EnvESRequestTimeout = "ES_REQUEST_TIMEOUT"
	EnvESCompress       = "ES_COMPRESS"
	EnvESDistribution   = "ES_DISTRIBUTION"
	EnvESAuth           = "ES_AUTH"
	EnvESAWSService     = "ES_AWS_SERVICE"
	// EnvAWSRegion is set by the Lambda runtime; elsewhere set it yourself.
	EnvAWSRegion = "AWS_REGION"
)

// AuthAWSSigV4 is ES_AUTH's value for AWS Signature Version 4 (Amazon
// OpenSearch Service and OpenSearch Serverless with IAM).
const AuthAWSSigV4 = "aws-sigv4"

// The services ES_AWS_SERVICE names.
const (
	AWSServiceES   = "es"
	AWSServiceAOSS = "aoss"
)

// The distributions ES_DISTRIBUTION names.
const (
	// DistributionElasticsearch is Elasticsearch, self-managed or Elastic
	// Cloud: its answers carry the X-Elastic-Product header, which the
	// transport checks.
	DistributionElasticsearch = "elasticsearch"
	// DistributionOpenSearch is OpenSearch 1.x-3.x and Amazon OpenSearch
	// Service, which speak the same REST API for everything esconnect sends
	// but do not send that header.
	DistributionOpenSearch = "opensearch"
)

// Environment variables of the bulk writer.
const (
	EnvBulkMaxBytes        = "BULK_MAX_BYTES"
	EnvBulkMaxDocs         = "BULK_MAX_DOCS"
	EnvBulkConcurrency     = "BULK_CONCURRENCY"
	EnvRetryMax            = "RETRY_MAX"
	EnvRetryBackoffInitial = "RETRY_BACKOFF_INITIAL"
	EnvRetryBackoffMax     = "RETRY_BACKOFF_MAX"
	EnvDeadlineMargin      = "DEADLINE_MARGIN"
	EnvESRefresh           = "ES_REFRESH"
)

// Defaults of the Elasticsearch connection and of the bulk writer. They live
// here, once; esbulk's zero-value defaults repeat the bulk ones by referring
// to these constants.
const (
	// DefaultESURL is a node on this machine: the dev stack's esnode listens
	// there, and so does a local Elasticsearch.
	DefaultESURL = "http://127.0.0.1:9200"
	// DefaultESRequestTimeout bounds the wait for the answer to one request.
	// A 5 MiB bulk request normally answers in well under a second; 30 s
	// leaves room for a busy cluster while still failing a hung connection
	// long before a 15-minute Lambda timeout.
	DefaultESRequestTimeout = 30 * time.Second
	// DefaultBulkMaxBytes is Elastic's own guidance for bulk request size
	// (a few MiB to tens of MiB); 5 MiB also stays under the 6 MiB Lambda
	// payload that produced the batch, so one batch is one or two requests.
	DefaultBulkMaxBytes = 5 << 20
	// DefaultBulkMaxDocs caps requests of tiny documents, where per-item
	// work rather than bytes dominates the node's cost.
	DefaultBulkMaxDocs = 1000
	// DefaultBulkConcurrency keeps two requests in flight: enough to hide one
	// round trip, small enough not to trigger write-queue rejections on a
	// small cluster.
	DefaultBulkConcurrency = 2
	// DefaultRetryMax re-sends a failed item up to 8 times; with the default
	// backoff the waits add up to about 25 s at most, which fits a typical
	// function timeout while riding out a short node restart.
	DefaultRetryMax = 8
	// DefaultRetryBackoffInitial is the first backoff ceiling; it doubles
	// per retry (full jitter picks a wait in [0, ceiling]).
	DefaultRetryBackoffInitial = 100 * time.Millisecond
	// DefaultRetryBackoffMax caps the doubling so a late retry does not wait
	// longer than a node needs to shed a burst.
	DefaultRetryBackoffMax = 10 * time.Second
	// DefaultDeadlineMargin is kept free before the invocation deadline when
	// the writer gives up retrying. It must cover what the handler still
	// does after the bulk write: publish dead letters (one Kafka produce or
	// one small bulk request, normally tens of milliseconds) and return its
	// result. 2 s covers that with room for one slow round trip, and is
	// small next to the usual 30 s-15 min function timeouts.
	DefaultDeadlineMargin = 2 * time.Second
	// DefaultESRefresh does not ask for a refresh: refreshing on every bulk
	// request costs the cluster far more than the sink gains.
	DefaultESRefresh = "false"
)

// Elasticsearch holds the connection settings. Its String and LogValue
// methods redact credentials, so it can be logged as is.
type Elasticsearch struct {
	// URLs are the node addresses; empty when CloudID is set.
	URLs     []string
	Username string
	Password string
	// APIKey is the base64-encoded "id:key" API key.
	APIKey  string
	CloudID string
	// CACert is the PEM of the certificate authorities to trust, read from
	// the ES_CA_CERT file or taken inline; nil means the system roots.
	CACert []byte
	// TLSSkipVerify turns certificate verification off (insecure).
	TLSSkipVerify bool
	// RequestTimeout bounds the wait for the answer to one request.
	RequestTimeout time.Duration
	// Compress gzips request bodies.
	Compress bool
	// Distribution is DistributionElasticsearch or DistributionOpenSearch.
	Distribution string
	// Auth is "" (basic auth or an API key, or none) or AuthAWSSigV4.
	Auth string
	// AWSService and AWSRegion scope the SigV4 signature.
	AWSService, AWSRegion string
	// AWSCredentials, when not nil, supplies the SigV4 credentials; nil
	// means the Lambda environment's (AWS_ACCESS_KEY_ID, ...). It is not
	// read from the environment: a composition root sets it, as the CLI
	// does with the AWS SDK's default chain.
	AWSCredentials aws.CredentialsProvider
}

// LoadElasticsearch reads the connection settings and records every problem
// in e.
func LoadElasticsearch(e *Env) Elasticsearch {
	c := Elasticsearch{
		Username:       e.String(EnvESUsername, ""),
		Password:       e.Secret(EnvESPassword, ""),
		APIKey:         e.Secret(EnvESAPIKey, ""),
		CloudID:        e.String(EnvESCloudID, ""),
		TLSSkipVerify:  e.Bool(EnvESTLSSkipVerify, false),
		RequestTimeout: e.Duration(EnvESRequestTimeout, DefaultESRequestTimeout),
		Compress:       e.Bool(EnvESCompress, false),
		Auth:           e.Enum(EnvESAuth, "", AuthAWSSigV4),
	}
	c.Distribution = e.Enum(EnvESDistribution, DistributionElasticsearch, DistributionElasticsearch, DistributionOpenSearch)
	if c.Auth == AuthAWSSigV4 {
		loadSigV4(e, &c)
	}
	urls := e.List(EnvESURL, nil)
	switch {
	case c.CloudID != "" && len(urls) > 0:
		e.Fail(EnvESURL, "set either %s or %s, not both", EnvESURL, EnvESCloudID)
	case c.CloudID == "" && len(urls) == 0:
		urls = []string{DefaultESURL}
	}
	for _, u := range urls {
		checkURL(e, u)
	}
	c.URLs = urls

	switch {
	case c.Username != "" && c.Password == "":
		e.Fail(EnvESPassword, "required when %s is set", EnvESUsername)
	case c.Username == "" && c.Password != "":
		e.Fail(EnvESUsername, "required when %s is set", EnvESPassword)
	}
	if c.APIKey != "" && (c.Username != "" || c.Password != "") {
		e.Fail(EnvESAPIKey, "set either %s or %s/%s, not both", EnvESAPIKey, EnvESUsername, EnvESPassword)
	}
	if c.RequestTimeout == 0 {
		e.Fail(EnvESRequestTimeout, "must be positive")
	}

	if v, ok := e.Lookup(EnvESCACert); ok {
		c.CACert = loadCACert(e, v)
		if c.TLSSkipVerify {
			e.Fail(EnvESTLSSkipVerify, "contradicts %s: a CA to verify against and no verification", EnvESCACert)
		}
	}
	return c
}

// loadSigV4 reads and checks the SigV4 settings. Amazon OpenSearch Service
// (also its legacy Elasticsearch 7.10 domains) never sends the Elasticsearch
// product header, so the distribution is OpenSearch unless set otherwise,
// and setting it otherwise is refused.
func loadSigV4(e *Env, c *Elasticsearch) {
	c.AWSService = e.Enum(EnvESAWSService, AWSServiceES, AWSServiceES, AWSServiceAOSS)
	c.AWSRegion = e.String(EnvAWSRegion, "")
	if c.AWSRegion == "" {
		e.Fail(EnvAWSRegion, "required with %s=%s (the Lambda runtime sets it)", EnvESAuth, AuthAWSSigV4)
	}
	if v, ok := e.Lookup(EnvESDistribution); ok && strings.ToLower(v) != DistributionOpenSearch {
		e.Fail(EnvESDistribution, "must be %s (or unset) with %s=%s: Amazon OpenSearch Service does not send the Elasticsearch product header",
			DistributionOpenSearch, EnvESAuth, AuthAWSSigV4)
	}
	c.Distribution = DistributionOpenSearch
	if c.Username != "" || c.APIKey != "" {
		e.Fail(EnvESAuth, "%s signs every request with AWS credentials; unset %s/%s and %s", AuthAWSSigV4, EnvESUsername, EnvESPassword, EnvESAPIKey)
	}
	if c.CloudID != "" {
		e.Fail(EnvESCloudID, "is Elastic Cloud, which does not take %s=%s", EnvESAuth, AuthAWSSigV4)
	}
}

// checkURL rejects what the client would misuse. Credentials in a URL would
// end up in transport error messages, so they must come from the dedicated
// variables; the message does not echo the URL for the same reason.
func checkURL(e *Env, raw string) {
	u, err := url.Parse(raw)
	if err != nil {
		e.Fail(EnvESURL, "an entry is not a URL")
		return
	}
	if u.User != nil {
		e.Fail(EnvESURL, "credentials in the URL are not accepted: use %s/%s or %s", EnvESUsername, EnvESPassword, EnvESAPIKey)
		return
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		e.Fail(EnvESURL, "%q: scheme must be http or https", raw)
		return
	}
	if u.Host == "" {
		e.Fail(EnvESURL, "%q: no host", raw)
	}
}

// loadCACert takes inline PEM, or reads the file v names, and checks that it
// holds at least one certificate so that a wrong path fails at start-up
// rather than on the first TLS handshake.
func loadCACert(e *Env, v string) []byte {
	pem := []byte(v)
	if !strings.HasPrefix(v, "-----BEGIN") {
		b, err := os.ReadFile(v)
		if err != nil {
			e.Fail(EnvESCACert, "reading the CA file: %v", err)
			return nil
		}
		pem = b
	}
	if !x509.NewCertPool().AppendCertsFromPEM(pem) {
		e.Fail(EnvESCACert, "no PEM certificate found")
		return nil
	}
	return pem
}

// Redacted stands in for a credential in String and LogValue.
const Redacted = "[redacted]"

func redact(s string) string {
	if s == "" {
		return ""
	}
	return Redacted
}

// String describes the settings without credentials.
func (c Elasticsearch) String() string {
	return fmt.Sprintf("urls=%v cloud_id=%q username=%q password=%q api_key=%q ca_cert=%t tls_skip_verify=%t request_timeout=%s compress=%t distribution=%s auth=%q aws_service=%q aws_region=%q",
		c.URLs, c.CloudID, c.Username, redact(c.Password), redact(c.APIKey), c.CACert != nil,
		c.TLSSkipVerify, c.RequestTimeout, c.Compress, c.Distribution, c.Auth, c.AWSService, c.AWSRegion)
}

// LogValue makes slog print the settings without credentials.
func (c Elasticsearch) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Any("urls", c.URLs),
		slog.String("cloud_id", c.CloudID),
		slog.String("username", c.Username),
		slog.String("password", redact(c.Password)),
		slog.String("api_key", redact(c.APIKey)),
		slog.Bool("ca_cert", c.CACert != nil),
		slog.Bool("tls_skip_verify", c.TLSSkipVerify),
		slog.Duration("request_timeout", c.RequestTimeout),
		slog.Bool("compress", c.Compress),
		slog.String("distribution", c.Distribution),
		slog.String("auth", c.Auth),
		slog.String("aws_service", c.AWSService),
		slog.String("aws_region", c.AWSRegion),
	)
}

// Bulk holds the bulk writer's settings (see esbulk.Config for their use).
type Bulk struct {
	MaxBytes       int
	MaxDocs        int
	Concurrency    int
	RetryMax       int
	BackoffInitial time.Duration
	BackoffMax     time.Duration
	DeadlineMargin time.Duration
	// Refresh is "false", "true" or "wait_for".
	Refresh string
}

// Upper bounds that catch unit mistakes (5GB instead of 5MB) at start-up.
const (
	maxBulkBytes       = 1 << 30
	maxBulkDocs        = 1_000_000
	maxBulkConcurrency = 64
	maxRetries         = 1000
)

// LoadBulk reads the bulk writer's settings and records every problem in e.
func LoadBulk(e *Env) Bulk {
	b := Bulk{
		MaxBytes:       int(e.Bytes(EnvBulkMaxBytes, DefaultBulkMaxBytes, 1, maxBulkBytes)),
		MaxDocs:        e.Int(EnvBulkMaxDocs, DefaultBulkMaxDocs, 1, maxBulkDocs),
		Concurrency:    e.Int(EnvBulkConcurrency, DefaultBulkConcurrency, 1, maxBulkConcurrency),
		RetryMax:       e.Int(EnvRetryMax, DefaultRetryMax, 0, maxRetries),
		BackoffInitial: e.Duration(EnvRetryBackoffInitial, DefaultRetryBackoffInitial),
		BackoffMax:     e.Duration(EnvRetryBackoffMax, DefaultRetryBackoffMax),
		DeadlineMargin: e.Duration(EnvDeadlineMargin, DefaultDeadlineMargin),
		Refresh:        e.Enum(EnvESRefresh, DefaultESRefresh, "false", "true", "wait_for"),
	}
	if b.BackoffInitial == 0 {
		e.Fail(EnvRetryBackoffInitial, "must be positive")
	}
	if b.BackoffMax < b.BackoffInitial {
		e.Fail(EnvRetryBackoffMax, "%s is less than %s (%s)", b.BackoffMax, EnvRetryBackoffInitial, b.BackoffInitial)
	}
	return b
}
