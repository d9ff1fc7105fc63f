package replay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/esconnect/esconnect/shared/kafkaevent"
	"github.com/esconnect/esconnect/shared/retry"
	"github.com/esconnect/esconnect/shared/sigv4"
)

// LambdaPayloadLimit is the synchronous Invoke request payload limit (6 MB).
const LambdaPayloadLimit = 6 * 1024 * 1024

// LambdaOptions configures the lambda:NAME destination. Empty fields are
// read from the standard AWS environment variables.
type LambdaOptions struct {
	Region string // AWS_REGION, AWS_DEFAULT_REGION
	// Endpoint overrides the service endpoint (AWS_ENDPOINT_URL_LAMBDA,
	// AWS_ENDPOINT_URL), for tests and local emulators.
	Endpoint string
	// AccessKeyID, SecretAccessKey and SessionToken default to
	// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN.
	AccessKeyID, SecretAccessKey, SessionToken string
	// EventSource is kafkaevent.EventSourceMSK (default) or
	// kafkaevent.EventSourceSelfManaged; BootstrapServers goes into the event.
	EventSource, BootstrapServers string
	// HTTPClient overrides the HTTP client.
	HTTPClient *http.Client
}

func (o LambdaOptions) withEnv() LambdaOptions {
	env := func(v *string, names ...string) {
		for _, n := range names {
			if *v == "" {
				*v = os.Getenv(n)
			}
		}
	}
	env(&o.Region, "AWS_REGION", "AWS_DEFAULT_REGION")
	env(&o.Endpoint, "AWS_ENDPOINT_URL_LAMBDA", "AWS_ENDPOINT_URL")
	env(&o.AccessKeyID, "AWS_ACCESS_KEY_ID")
	env(&o.SecretAccessKey, "AWS_SECRET_ACCESS_KEY")
	env(&o.SessionToken, "AWS_SESSION_TOKEN")
	if o.EventSource == "" {
		o.EventSource = kafkaevent.EventSourceMSK
	}
	return o
}

// ErrFunction is wrapped when the function ran but reported an error or
// failed records.
var ErrFunction = errors.New("function reported a failure")

// The destination calls Lambda's Invoke API itself, signed by the SDK's
// SigV4 signer (shared/sigv4), instead of through the SDK's Lambda client:
// that client's packages cost about 1.5 ms of initialisation on every start
// of the esconnect CLI, invoke included, for the one command that uses them.
// Invoke is a single REST call: POST the payload, read the function's answer.
type lambdaDest struct {
	name   string
	url    string // the function's invocations resource, escaped
	client *http.Client
	o      LambdaOptions
	// backoff is the wait before retry n (1, 2...); tests shorten it.
	backoff func(n int) time.Duration
}

// Invoke's retries follow the SDK's standard retryer: three attempts in all,
// on throttling and on the service's transient failures.
const lambdaAttempts = 3

// lambdaResponseLimit bounds what is read of an answer: a synchronous
// invocation returns at most 6 MB.
const lambdaResponseLimit = LambdaPayloadLimit + 1<<20

// isRegionName reports whether s has the shape of an AWS region name (two
// letters, one or more words, a number: eu-west-1, us-gov-east-1), checked
// because it becomes part of the endpoint's host name. It is a loop rather
// than a regular expression compiled at every start of the CLI.
func isRegionName(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) < 3 || len(parts[0]) != 2 {
		return false
	}
	last := parts[len(parts)-1]
	if len(last) < 1 || len(last) > 2 || strings.Trim(last, "0123456789") != "" {
		return false
	}
	for _, p := range parts[:len(parts)-1] {
		if p == "" || strings.Trim(p, "abcdefghijklmnopqrstuvwxyz") != "" {
			return false
		}
	}
	return true
}

// NewLambda returns a destination that invokes function name synchronously
// with AWS Kafka events.
func NewLambda(name string, o LambdaOptions) (Destination, error) {
	o = o.withEnv()
	var errs []error
	if name == "" {
		errs = append(errs, errors.New("no function name: use lambda:NAME"))
	}
	if o.Region == "" {
		errs = append(errs, errors.New("no region: set AWS_REGION"))
	}
	if o.AccessKeyID == "" || o.SecretAccessKey == "" {
		errs = append(errs, errors.New("no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"))
	}
	var u *url.URL
	if o.Region != "" {
		var err error
		if u, err = lambdaInvokeURL(o.Region, o.Endpoint, name); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w: lambda: %w", ErrBadDestination, errors.Join(errs...))
	}
	creds := aws.Credentials{AccessKeyID: o.AccessKeyID, SecretAccessKey: o.SecretAccessKey, SessionToken: o.SessionToken, Source: "environment"}
	provider := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil })
	base := http.DefaultTransport
	if o.HTTPClient != nil && o.HTTPClient.Transport != nil {
		base = o.HTTPClient.Transport
	}
	client := &http.Client{Transport: sigv4.NewTransport(base, provider, "lambda", o.Region)}
	if o.HTTPClient != nil {
		client.Timeout = o.HTTPClient.Timeout
	}
	return &lambdaDest{name: name, url: u.String(), client: client, o: o, backoff: lambdaBackoff}, nil
}

// lambdaInvokeURL is the Invoke resource of function name: under endpoint
// when one is set, else at the region's public endpoint. The name (a name,
// a name:qualifier or an ARN) is one path segment, escaped the way the SDK
// escapes it.
func lambdaInvokeURL(region, endpoint, name string) (*url.URL, error) {
	if endpoint == "" {
		if !isRegionName(region) {
			return nil, fmt.Errorf("region %q is not an AWS region name", region)
		}
		suffix := "amazonaws.com"
		switch {
		case strings.HasPrefix(region, "cn-"):
			suffix = "amazonaws.com.cn"
		case strings.HasPrefix(region, "us-iso"), strings.HasPrefix(region, "eu-iso"), strings.HasPrefix(region, "eusc-"):
			// Partitions with their own DNS suffixes: the endpoint is
			// theirs to give rather than ours to guess.
			return nil, fmt.Errorf("region %s is in a partition without a public endpoint: set AWS_ENDPOINT_URL_LAMBDA", region)
		}
		endpoint = "https://lambda." + region + "." + suffix
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("endpoint %q is not an http(s) URL", endpoint)
	}
	prefix := strings.TrimSuffix(u.Path, "/")
	u.Path = prefix + "/2015-03-31/functions/" + name + "/invocations"
	u.RawPath = prefix + "/2015-03-31/functions/" + escapeSegment(name) + "/invocations"
	return u, nil
}

// escapeSegment percent-encodes every byte of s but RFC 3986's unreserved
// characters, so a qualifier's or an ARN's colons are escaped.
func escapeSegment(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// lambdaBackoff is the SDK's exponential backoff with full jitter, from
// 100 ms, capped at 20 s.
func lambdaBackoff(n int) time.Duration {
	return retry.Backoff(n-1, 100*time.Millisecond, 20*time.Second)
}

// lambdaAPIError is an answer of the Invoke API other than 200: the function
// did not run (not found, throttled, payload refused...).
type lambdaAPIError struct {
	Status  int
	Code    string // the error's type, e.g. ResourceNotFoundException
	Message string
}

func (e *lambdaAPIError) Error() string {
	code := e.Code
	if code == "" {
		code = http.StatusText(e.Status)
	}
	msg := fmt.Sprintf("%s (HTTP %d)", code, e.Status)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// retryable reports the answers the SDK's standard retryer retries:
// throttling and the service's transient failures.
func (e *lambdaAPIError) retryable() bool {
	switch e.Status {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// invoke runs the function once on payload, retrying throttling, transient
// service failures and failed connections (the sink writes under
// deterministic ids, so a repeated invocation stores nothing twice). It
// returns the function's answer and its X-Amz-Function-Error, if any.
func (d *lambdaDest) invoke(ctx context.Context, payload []byte) (body []byte, functionError string, err error) {
	for attempt := 1; ; attempt++ {
		body, functionError, err = d.invokeOnce(ctx, payload)
		var apiErr *lambdaAPIError
		again := err != nil && ctx.Err() == nil && (!errors.As(err, &apiErr) || apiErr.retryable())
		if !again || attempt == lambdaAttempts {
			return body, functionError, err
		}
		if serr := retry.Sleep(ctx, d.backoff(attempt)); serr != nil {
			return nil, "", fmt.Errorf("%w (retry interrupted: %w)", err, serr)
		}
	}
}

func (d *lambdaDest) invokeOnce(ctx context.Context, payload []byte) ([]byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url, bytes.NewReader(payload))
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Amz-Invocation-Type", "RequestResponse")
	resp, err := d.client.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, lambdaResponseLimit))
	if err != nil {
		return nil, "", fmt.Errorf("reading the answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, "", apiError(resp, body)
	}
	return body, resp.Header.Get("X-Amz-Function-Error"), nil
}

// apiError reads an error answer: its type from X-Amzn-ErrorType (which
// may carry ":" and a documentation URL after it) or the body's Type, its
// message from the body's message.
func apiError(resp *http.Response, body []byte) *lambdaAPIError {
	e := &lambdaAPIError{Status: resp.StatusCode}
	var b struct {
		Type, Message string
		Lower         string `json:"message"`
	}
	if json.Unmarshal(body, &b) == nil {
		e.Message = b.Lower
		if e.Message == "" {
			e.Message = b.Message
		}
		e.Code = b.Type
	} else {
		e.Message = truncate(body)
	}
	if h, _, _ := strings.Cut(resp.Header.Get("X-Amzn-ErrorType"), ":"); h != "" {
		e.Code = h
	}
	return e
}

// lambdaResponse is what the kafka-es-sink function answers; a non-empty
// batchItemFailures means some records were not written.
type lambdaResponse struct {
	BatchItemFailures []json.RawMessage `json:"batchItemFailures"`
}

func (d *lambdaDest) Send(ctx context.Context, recs []kafkaevent.Record) (any, error) {
	payloads, err := splitPayloads(recs, LambdaPayloadLimit, func(rs []kafkaevent.Record) ([]byte, error) {
		return kafkaevent.EncodeAWS(rs, d.o.EventSource, d.o.BootstrapServers)
	})
	if err != nil {
		return nil, fmt.Errorf("lambda %s: %w", d.name, err)
	}
	var results []json.RawMessage
	for _, p := range payloads {
		out, functionError, err := d.invoke(ctx, p)
		if err != nil {
			return results, fmt.Errorf("invoke lambda %s: %w", d.name, err)
		}
		if functionError != "" {
			return results, fmt.Errorf("lambda %s: %w: %s: %s", d.name, ErrFunction, functionError, truncate(out))
		}
		var resp lambdaResponse
		if json.Unmarshal(out, &resp) == nil && len(resp.BatchItemFailures) > 0 {
			return results, fmt.Errorf("lambda %s: %w: %d records in batchItemFailures", d.name, ErrFunction, len(resp.BatchItemFailures))
		}
		results = append(results, json.RawMessage(out))
	}
	return results, nil
}

func (d *lambdaDest) Close() error { return nil }

// truncate keeps error messages readable when a function answers with a
// large body.
func truncate(b []byte) string {
	const n = 512
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}
