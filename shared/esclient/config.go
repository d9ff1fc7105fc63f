package esclient

import (
	"crypto/x509"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/esconnect/esconnect/shared/config"
)

// Environment variables of the Elasticsearch connection.
const (
	EnvURL            = "ES_URL"
	EnvUsername       = "ES_USERNAME"
	EnvPassword       = "ES_PASSWORD"
	EnvAPIKey         = "ES_API_KEY"
	EnvCloudID        = "ES_CLOUD_ID"
	EnvCACert         = "ES_CA_CERT"
	EnvTLSSkipVerify  = "ES_TLS_SKIP_VERIFY"
	EnvRequestTimeout = "ES_REQUEST_TIMEOUT"
	EnvCompress       = "ES_COMPRESS"
	EnvDistribution   = "ES_DISTRIBUTION"
	EnvAuth           = "ES_AUTH"
	EnvAWSService     = "ES_AWS_SERVICE"
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

// Defaults of the connection, in one place.
const (
	// DefaultURL is a node on this machine: the dev stack's esnode listens
	// there, and so does a local Elasticsearch.
	DefaultURL = "http://127.0.0.1:9200"
	// DefaultRequestTimeout bounds the wait for the answer to one request.
	// A 5 MiB bulk request normally answers in well under a second; 30 s
	// leaves room for a busy cluster while still failing a hung connection
	// long before a 15-minute Lambda timeout.
	DefaultRequestTimeout = 30 * time.Second
)

// Config holds the connection settings. Its String and LogValue
// methods redact credentials, so it can be logged as is.
type Config struct {
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

// LoadConfig reads the connection settings and records every problem in e
// (see config.Env.Err).
func LoadConfig(e *config.Env) Config {
	c := Config{
		Username:       e.String(EnvUsername, ""),
		Password:       e.Secret(EnvPassword, ""),
		APIKey:         e.Secret(EnvAPIKey, ""),
		CloudID:        e.String(EnvCloudID, ""),
		TLSSkipVerify:  e.Bool(EnvTLSSkipVerify, false),
		RequestTimeout: e.Duration(EnvRequestTimeout, DefaultRequestTimeout),
		Compress:       e.Bool(EnvCompress, false),
		Auth:           e.Enum(EnvAuth, "", AuthAWSSigV4),
	}
	c.Distribution = e.Enum(EnvDistribution, DistributionElasticsearch, DistributionElasticsearch, DistributionOpenSearch)
	if c.Auth == AuthAWSSigV4 {
		loadSigV4(e, &c)
	}
	urls := e.List(EnvURL, nil)
	switch {
	case c.CloudID != "" && len(urls) > 0:
		e.Fail(EnvURL, "set either %s or %s, not both", EnvURL, EnvCloudID)
	case c.CloudID == "" && len(urls) == 0:
		urls = []string{DefaultURL}
	}
	for _, u := range urls {
		checkURL(e, u)
	}
	c.URLs = urls

	switch {
	case c.Username != "" && c.Password == "":
		e.Fail(EnvPassword, "required when %s is set", EnvUsername)
	case c.Username == "" && c.Password != "":
		e.Fail(EnvUsername, "required when %s is set", EnvPassword)
	}
	if c.APIKey != "" && (c.Username != "" || c.Password != "") {
		e.Fail(EnvAPIKey, "set either %s or %s/%s, not both", EnvAPIKey, EnvUsername, EnvPassword)
	}
	if c.RequestTimeout == 0 {
		e.Fail(EnvRequestTimeout, "must be positive")
	}

	if v, ok := e.Lookup(EnvCACert); ok {
		c.CACert = loadCACert(e, v)
		if c.TLSSkipVerify {
			e.Fail(EnvTLSSkipVerify, "contradicts %s: a CA to verify against and no verification", EnvCACert)
		}
	}
	return c
}

// loadSigV4 reads and checks the SigV4 settings. Amazon OpenSearch Service
// (also its legacy Elasticsearch 7.10 domains) never sends the Elasticsearch
// product header, so the distribution is OpenSearch unless set otherwise,
// and setting it otherwise is refused.
func loadSigV4(e *config.Env, c *Config) {
	c.AWSService = e.Enum(EnvAWSService, AWSServiceES, AWSServiceES, AWSServiceAOSS)
	c.AWSRegion = e.String(EnvAWSRegion, "")
	if c.AWSRegion == "" {
		e.Fail(EnvAWSRegion, "required with %s=%s (the Lambda runtime sets it)", EnvAuth, AuthAWSSigV4)
	}
	if v, ok := e.Lookup(EnvDistribution); ok && strings.ToLower(v) != DistributionOpenSearch {
		e.Fail(EnvDistribution, "must be %s (or unset) with %s=%s: Amazon OpenSearch Service does not send the Elasticsearch product header",
			DistributionOpenSearch, EnvAuth, AuthAWSSigV4)
	}
	c.Distribution = DistributionOpenSearch
	if c.Username != "" || c.APIKey != "" {
		e.Fail(EnvAuth, "%s signs every request with AWS credentials; unset %s/%s and %s", AuthAWSSigV4, EnvUsername, EnvPassword, EnvAPIKey)
	}
	if c.CloudID != "" {
		e.Fail(EnvCloudID, "is Elastic Cloud, which does not take %s=%s", EnvAuth, AuthAWSSigV4)
	}
}

// checkURL rejects what the client would misuse. Credentials in a URL would
// end up in transport error messages, so they must come from the dedicated
// variables; the message does not echo the URL for the same reason.
func checkURL(e *config.Env, raw string) {
	u, err := url.Parse(raw)
	if err != nil {
		e.Fail(EnvURL, "an entry is not a URL")
		return
	}
	if u.User != nil {
		e.Fail(EnvURL, "credentials in the URL are not accepted: use %s/%s or %s", EnvUsername, EnvPassword, EnvAPIKey)
		return
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		e.Fail(EnvURL, "%q: scheme must be http or https", raw)
		return
	}
	if u.Host == "" {
		e.Fail(EnvURL, "%q: no host", raw)
	}
}

// loadCACert takes inline PEM, or reads the file v names, and checks that it
// holds at least one certificate so that a wrong path fails at start-up
// rather than on the first TLS handshake.
func loadCACert(e *config.Env, v string) []byte {
	pem := []byte(v)
	if !strings.HasPrefix(v, "-----BEGIN") {
		b, err := os.ReadFile(v)
		if err != nil {
			e.Fail(EnvCACert, "reading the CA file: %v", err)
			return nil
		}
		pem = b
	}
	if !x509.NewCertPool().AppendCertsFromPEM(pem) {
		e.Fail(EnvCACert, "no PEM certificate found")
		return nil
	}
	return pem
}

// String describes the settings without credentials.
func (c Config) String() string {
	return fmt.Sprintf("urls=%v cloud_id=%q username=%q password=%q api_key=%q ca_cert=%t tls_skip_verify=%t request_timeout=%s compress=%t distribution=%s auth=%q aws_service=%q aws_region=%q",
		c.URLs, c.CloudID, c.Username, config.Redact(c.Password), config.Redact(c.APIKey), c.CACert != nil,
		c.TLSSkipVerify, c.RequestTimeout, c.Compress, c.Distribution, c.Auth, c.AWSService, c.AWSRegion)
}

// LogValue makes slog print the settings without credentials.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Any("urls", c.URLs),
		slog.String("cloud_id", c.CloudID),
		slog.String("username", c.Username),
		slog.String("password", config.Redact(c.Password)),
		slog.String("api_key", config.Redact(c.APIKey)),
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
