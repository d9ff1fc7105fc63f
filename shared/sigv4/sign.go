// Package sigv4 signs requests to Amazon OpenSearch Service (service "es")
// and OpenSearch Serverless ("aoss") with AWS Signature Version 4, using the
// aws-sdk-go-v2 signer, and verifies such signatures for the test doubles.
//
// Signing happens in an http.RoundTripper under elastic-transport-go, so it
// sees each request exactly as it goes on the wire: after the transport has
// set its headers and compressed the body (ES_COMPRESS), and again for every
// retry. The body is hashed, as OpenSearch Serverless requires the hash in
// X-Amz-Content-Sha256; esconnect's request bodies are already in memory,
// so reading them costs a hash, not a copy of the data set.
package sigv4

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// The services a signature is for.
const (
	// ServiceES is an Amazon OpenSearch Service domain.
	ServiceES = "es"
	// ServiceAOSS is an OpenSearch Serverless collection.
	ServiceAOSS = "aoss"
)

// The environment variables the Lambda runtime sets with the function's
// role credentials (and that the AWS SDKs read first).
const (
	EnvAccessKeyID     = "AWS_ACCESS_KEY_ID"
	EnvSecretAccessKey = "AWS_SECRET_ACCESS_KEY"
	EnvSessionToken    = "AWS_SESSION_TOKEN"
)

// headerContentSHA256 carries the hex SHA-256 of the body.
const headerContentSHA256 = "X-Amz-Content-Sha256"

// ErrNoCredentials is returned when no AWS credentials can be found.
var ErrNoCredentials = errors.New("no AWS credentials")

// EnvCredentials reads the credentials the Lambda runtime puts in the
// environment. They stay valid for the life of the execution environment,
// which Lambda replaces before they expire, so they are read once.
func EnvCredentials() (aws.CredentialsProvider, error) {
	id, secret := os.Getenv(EnvAccessKeyID), os.Getenv(EnvSecretAccessKey)
	if id == "" || secret == "" {
		return nil, fmt.Errorf("%w: %s and %s are not set (on Lambda the runtime sets them from the function's role)",
			ErrNoCredentials, EnvAccessKeyID, EnvSecretAccessKey)
	}
	c := aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: os.Getenv(EnvSessionToken),
		Source: "EnvironmentVariables"}
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return c, nil }), nil
}

// Transport signs every request it sends through its base transport.
type Transport struct {
	base            http.RoundTripper
	creds           aws.CredentialsProvider
	service, region string
	signer          *v4.Signer
	now             func() time.Time
}

// NewTransport returns a transport that signs for service in region with
// creds, then sends through base.
func NewTransport(base http.RoundTripper, creds aws.CredentialsProvider, service, region string) *Transport {
	return &Transport{base: base, creds: creds, service: service, region: region, signer: v4.NewSigner(), now: time.Now}
}

// RoundTrip signs a copy of req and sends it. The caller's request is left
// as it was (RoundTripper's contract), apart from its body being read.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := readBody(req)
	if err != nil {
		return nil, fmt.Errorf("sigv4: reading the request body: %w", err)
	}
	creds, err := t.creds.Retrieve(req.Context())
	if err != nil {
		return nil, fmt.Errorf("sigv4: retrieving AWS credentials: %w", err)
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	out := req.Clone(req.Context())
	out.Header.Set(headerContentSHA256, hash)
	out.ContentLength = int64(len(body))
	out.Body, out.GetBody = http.NoBody, func() (io.ReadCloser, error) { return http.NoBody, nil }
	if len(body) > 0 {
		out.Body = io.NopCloser(bytes.NewReader(body))
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	if err := t.signer.SignHTTP(req.Context(), creds, out, hash, t.service, t.region, t.now()); err != nil {
		return nil, fmt.Errorf("sigv4: signing: %w", err)
	}
	return t.base.RoundTrip(out)
}

// readBody returns the whole body and closes it. A request without a body
// hashes the empty string, as SigV4 specifies.
func readBody(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	defer req.Body.Close()
	if req.ContentLength > 0 {
		b := make([]byte, 0, req.ContentLength)
		buf := bytes.NewBuffer(b)
		_, err := buf.ReadFrom(req.Body)
		return buf.Bytes(), err
	}
	return io.ReadAll(req.Body)
}
