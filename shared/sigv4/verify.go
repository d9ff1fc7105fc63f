package sigv4

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Verifier checks SigV4 signatures as an AWS endpoint does: the credential
// scope names a known access key, the expected region and service and the
// request's date; the request is no older or newer than MaxSkew; the body
// matches X-Amz-Content-Sha256; and the signature, computed again from the
// signed headers with the key's secret, matches. It stands in for Amazon
// OpenSearch Service in tests, in front of the esnode or a real OpenSearch.
type Verifier struct {
	// Region and Service the signature must be scoped to.
	Region, Service string
	// Keys maps access key ids to their credentials.
	Keys map[string]aws.Credentials
	// MaxSkew bounds the difference between X-Amz-Date and the clock; 0
	// means 5 minutes, as AWS allows.
	MaxSkew time.Duration
	// Now is the verifier's clock; nil means time.Now.
	Now func() time.Time
}

var (
	errInvalidToken      = errors.New("the security token included in the request is invalid")
	errSignatureMismatch = errors.New("the request signature we calculated does not match the signature you provided")
)

// sigv4Time is the layout of X-Amz-Date.
const sigv4Time = "20060102T150405Z"

// authorization is a parsed Authorization header:
// AWS4-HMAC-SHA256 Credential=AKID/20261207/us-east-1/es/aws4_request, SignedHeaders=host;x-amz-date, Signature=hex
type authorization struct {
	accessKey, date, region, service string
	signedHeaders                    []string
	signature                        string
}

func parseAuthorization(h string) (authorization, error) {
	var a authorization
	rest, ok := strings.CutPrefix(h, "AWS4-HMAC-SHA256 ")
	if !ok {
		return a, fmt.Errorf("the Authorization header must use the AWS4-HMAC-SHA256 algorithm")
	}
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return a, fmt.Errorf("the Authorization header is malformed near %q", part)
		}
		switch k {
		case "Credential":
			f := strings.Split(v, "/")
			if len(f) != 5 || f[4] != "aws4_request" {
				return a, fmt.Errorf("the credential must be scoped to a date, region and service: %q", v)
			}
			a.accessKey, a.date, a.region, a.service = f[0], f[1], f[2], f[3]
		case "SignedHeaders":
			a.signedHeaders = strings.Split(v, ";")
		case "Signature":
			a.signature = v
		}
	}
	if a.accessKey == "" || len(a.signedHeaders) == 0 || a.signature == "" {
		return a, fmt.Errorf("the Authorization header needs Credential, SignedHeaders and Signature")
	}
	return a, nil
}

// Verify checks r's signature and returns its body, which it has read. The
// error text is what an AWS endpoint would tell the client.
func (v *Verifier) Verify(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, fmt.Errorf("reading the body: %w", err)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	a, err := parseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		return body, err
	}
	creds, ok := v.Keys[a.accessKey]
	if !ok {
		return body, errInvalidToken
	}
	if a.region != v.Region || a.service != v.Service {
		return body, fmt.Errorf("the credential must be scoped to region %q and service %q, not %q and %q",
			v.Region, v.Service, a.region, a.service)
	}
	when, err := time.Parse(sigv4Time, r.Header.Get("X-Amz-Date"))
	if err != nil {
		return body, fmt.Errorf("the X-Amz-Date header is missing or malformed")
	}
	if !strings.HasPrefix(when.Format(sigv4Time), a.date) {
		return body, fmt.Errorf("the credential date %s does not match X-Amz-Date", a.date)
	}
	now, skew := time.Now, v.MaxSkew
	if v.Now != nil {
		now = v.Now
	}
	if skew == 0 {
		skew = 5 * time.Minute
	}
	if d := now().Sub(when); d > skew || d < -skew {
		return body, fmt.Errorf("the signature has expired: %s is more than %s from the server's time", when.Format(sigv4Time), skew)
	}
	if creds.SessionToken != "" && r.Header.Get("X-Amz-Security-Token") != creds.SessionToken {
		return body, errInvalidToken
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	// The body's hash is part of the signed canonical request, so a changed
	// body fails the signature; the header itself is optional for "es" and
	// required by OpenSearch Serverless.
	switch got := r.Header.Get(headerContentSHA256); {
	case got == "" && v.Service == ServiceAOSS:
		return body, fmt.Errorf("the %s header is required", headerContentSHA256)
	case got != "" && got != hash:
		return body, fmt.Errorf("the %s header does not match the body (%q)", headerContentSHA256, got)
	}
	want, err := v.resign(r, a, creds, hash, when)
	if err != nil {
		return body, err
	}
	if !hmac.Equal([]byte(want), []byte(a.signature)) {
		return body, errSignatureMismatch
	}
	return body, nil
}

// resign signs a request made of r's method, URL and signed headers only,
// and returns the signature the signer computed.
func (v *Verifier) resign(r *http.Request, a authorization, creds aws.Credentials, hash string, when time.Time) (string, error) {
	c, err := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), nil)
	if err != nil {
		return "", fmt.Errorf("rebuilding the request: %w", err)
	}
	c.Host = r.Host
	for _, h := range a.signedHeaders {
		switch h {
		case "host":
		case "content-length":
			c.ContentLength = r.ContentLength
		default:
			for _, val := range r.Header.Values(h) {
				c.Header.Add(h, val)
			}
		}
	}
	if err := v4.NewSigner().SignHTTP(r.Context(), creds, c, hash, a.service, a.region, when); err != nil {
		return "", fmt.Errorf("signing again: %w", err)
	}
	got, err := parseAuthorization(c.Header.Get("Authorization"))
	if err != nil {
		return "", err
	}
	if strings.Join(got.signedHeaders, ";") != strings.Join(a.signedHeaders, ";") {
		return "", errSignatureMismatch
	}
	return got.signature, nil
}

// Handler verifies each request before passing it to next; a request that
// fails answers 403 with {"message": ...}, the shape Amazon OpenSearch
// Service uses.
func (v *Verifier) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := v.Verify(r); err != nil {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			_ = json.NewEncoder(w).Encode(map[string]string{"message": err.Error()})
			return
		}
		next.ServeHTTP(w, r)
	})
}
