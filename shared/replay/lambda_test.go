package replay

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/esconnect/esconnect/shared/sigv4"
)

// lambdaStub is a local Invoke API behind the SigV4 verifier: a request
// signed wrongly is refused with 403 before respond sees it.
func lambdaStub(t *testing.T, respond func(w http.ResponseWriter, r *http.Request, n int)) (url string, calls *atomic.Int32) {
	t.Helper()
	calls = new(atomic.Int32)
	v := &sigv4.Verifier{Region: "eu-west-1", Service: "lambda", Keys: map[string]aws.Credentials{
		"AKIDTEST": {AccessKeyID: "AKIDTEST", SecretAccessKey: "s3cret-value", SessionToken: "token-value"},
	}}
	srv := httptest.NewServer(v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		respond(w, r, int(calls.Add(1)))
	})))
	t.Cleanup(srv.Close)
	return srv.URL, calls
}

func newTestLambda(t *testing.T, name, url string) *lambdaDest {
	t.Helper()
	d, err := NewLambda(name, LambdaOptions{Region: "eu-west-1", Endpoint: url,
		AccessKeyID: "AKIDTEST", SecretAccessKey: "s3cret-value", SessionToken: "token-value"})
	if err != nil {
		t.Fatal(err)
	}
	ld := d.(*lambdaDest)
	ld.backoff = func(int) time.Duration { return time.Millisecond }
	return ld
}

func TestLambdaSignedRequestAndQualifiedName(t *testing.T) {
	const arn = "arn:aws:lambda:eu-west-1:123456789012:function:kafka-es-sink:live"
	var path string
	url, calls := lambdaStub(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		path = r.URL.EscapedPath()
		io.WriteString(w, `{"batchItemFailures":[]}`)
	})
	d := newTestLambda(t, arn, url)
	res, err := d.Send(t.Context(), sampleRecords(2, 10))
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 1 {
		t.Fatalf("%d requests, want 1", calls.Load())
	}
	want := "/2015-03-31/functions/" + strings.ReplaceAll(arn, ":", "%3A") + "/invocations"
	if path != want {
		t.Fatalf("path %s, want %s", path, want)
	}
	if got := res.([]json.RawMessage); len(got) != 1 || string(got[0]) != `{"batchItemFailures":[]}` {
		t.Fatalf("results %s, want the function's one answer", got)
	}
}

func TestLambdaAPIErrorIsNotRetriedAndNamesTheCause(t *testing.T) {
	url, calls := lambdaStub(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.Header().Set("X-Amzn-ErrorType", "ResourceNotFoundException:http://internal.amazon.com/coral/com.amazonaws.awsgirapi/")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"Type":"User","message":"Function not found: arn:aws:lambda:eu-west-1:123456789012:function:nope"}`)
	})
	_, err := newTestLambda(t, "nope", url).Send(t.Context(), sampleRecords(1, 10))
	if err == nil {
		t.Fatal("Send succeeded against a missing function")
	}
	for _, want := range []string{"invoke lambda nope", "ResourceNotFoundException (HTTP 404)", "Function not found"} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("error %q does not contain %q", err, want)
		}
	}
	if errors.Is(err, ErrFunction) {
		t.Fatalf("error %v says the function ran", err)
	}
	if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "token-value") {
		t.Fatalf("error %q contains a credential", err)
	}
	if calls.Load() != 1 {
		t.Fatalf("%d requests, want 1 (a missing function is not retried)", calls.Load())
	}
}

func TestLambdaRetriesThrottlingAndTransientFailures(t *testing.T) {
	t.Run("throttled then served", func(t *testing.T) {
		url, calls := lambdaStub(t, func(w http.ResponseWriter, _ *http.Request, n int) {
			if n == 1 {
				w.WriteHeader(http.StatusTooManyRequests)
				io.WriteString(w, `{"Type":"User","message":"Rate Exceeded.","Reason":"ConcurrentInvocationLimitExceeded"}`)
				return
			}
			io.WriteString(w, `{"batchItemFailures":[]}`)
		})
		if _, err := newTestLambda(t, "f", url).Send(t.Context(), sampleRecords(1, 10)); err != nil {
			t.Fatal(err)
		}
		if calls.Load() != 2 {
			t.Fatalf("%d requests, want 2", calls.Load())
		}
	})
	t.Run("unavailable every time", func(t *testing.T) {
		url, calls := lambdaStub(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
			w.Header().Set("X-Amzn-ErrorType", "ServiceException")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `{"Type":"Service","message":"try later"}`)
		})
		_, err := newTestLambda(t, "f", url).Send(t.Context(), sampleRecords(1, 10))
		if err == nil || !strings.Contains(err.Error(), "ServiceException (HTTP 503): try later") {
			t.Fatalf("error = %v, want the last ServiceException", err)
		}
		if calls.Load() != lambdaAttempts {
			t.Fatalf("%d requests, want %d", calls.Load(), lambdaAttempts)
		}
	})
}

func TestLambdaWrongSecretIsRefused(t *testing.T) {
	url, calls := lambdaStub(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		io.WriteString(w, `{}`)
	})
	d, err := NewLambda("f", LambdaOptions{Region: "eu-west-1", Endpoint: url, AccessKeyID: "AKIDTEST", SecretAccessKey: "other", SessionToken: "token-value"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.Send(t.Context(), sampleRecords(1, 10))
	if err == nil || !strings.Contains(err.Error(), "HTTP 403") || !strings.Contains(err.Error(), "signature") {
		t.Fatalf("error = %v, want the verifier's 403", err)
	}
	if calls.Load() != 0 {
		t.Fatalf("the function saw %d requests signed with the wrong secret", calls.Load())
	}
}

func TestLambdaInvokeURL(t *testing.T) {
	tests := []struct {
		region, endpoint, want string
	}{
		{"eu-west-1", "", "https://lambda.eu-west-1.amazonaws.com/2015-03-31/functions/f/invocations"},
		{"us-gov-west-1", "", "https://lambda.us-gov-west-1.amazonaws.com/2015-03-31/functions/f/invocations"},
		{"cn-northwest-1", "", "https://lambda.cn-northwest-1.amazonaws.com.cn/2015-03-31/functions/f/invocations"},
		{"eu-west-1", "http://127.0.0.1:4566/", "http://127.0.0.1:4566/2015-03-31/functions/f/invocations"},
		{"eu-west-1", "http://localhost:4566/lambda", "http://localhost:4566/lambda/2015-03-31/functions/f/invocations"},
		{"us-isob-east-1", "https://lambda.example.test", "https://lambda.example.test/2015-03-31/functions/f/invocations"},
	}
	for _, tt := range tests {
		u, err := lambdaInvokeURL(tt.region, tt.endpoint, "f")
		if err != nil {
			t.Fatalf("%s %q: %v", tt.region, tt.endpoint, err)
		}
		if u.String() != tt.want {
			t.Fatalf("%s %q: %s, want %s", tt.region, tt.endpoint, u, tt.want)
		}
	}
	for _, bad := range []struct{ region, endpoint, want string }{
		{"eu-west-1.attacker.test/x", "", "not an AWS region name"},
		{"us-isob-east-1", "", "AWS_ENDPOINT_URL_LAMBDA"},
		{"eu-west-1", "ftp://host", "not an http(s) URL"},
		{"eu-west-1", "localhost:4566", "not an http(s) URL"},
	} {
		if _, err := lambdaInvokeURL(bad.region, bad.endpoint, "f"); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Fatalf("%s %q: error %v, want one containing %q", bad.region, bad.endpoint, err, bad.want)
		}
	}
	for _, r := range []string{"eu-west-1", "us-gov-east-1", "cn-northwest-1", "ap-southeast-12"} {
		if !isRegionName(r) {
			t.Errorf("isRegionName(%q) = false", r)
		}
	}
	for _, r := range []string{"", "eu", "eu-west", "eu-west-", "EU-west-1", "eu-west-123", "eu--1", "e-west-1", "eu-west-1a", "eu-west-1.evil.test"} {
		if isRegionName(r) {
			t.Errorf("isRegionName(%q) = true", r)
		}
	}
	if _, err := NewLambda("f", LambdaOptions{Region: "eu west", AccessKeyID: "a", SecretAccessKey: "b"}); !errors.Is(err, ErrBadDestination) {
		t.Fatalf("NewLambda with a bad region: %v, want ErrBadDestination", err)
	}
}
