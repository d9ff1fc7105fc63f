package sink

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/esbulk"
	"github.com/esconnect/esconnect/shared/esclient"
	"github.com/esconnect/esconnect/shared/sigv4"
	"github.com/esconnect/esconnect/shared/targettest"
)

// TestSigV4 writes an MSK batch with ES_AUTH=aws-sigv4 through a proxy that
// verifies every request's AWS signature, as Amazon OpenSearch Service
// does, and forwards it to the engine: the esnode and each real server, the
// real OpenSearch among them. Credentials come from the variables the Lambda
// runtime sets. Wrong credentials fail the batch as forbidden and nothing
// reaches the engine.
func TestSigV4(t *testing.T) {
	const keyID, secret, region = "AKIDSINKTEST", "sink-test-secret", "eu-central-1"
	targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
		upstream, err := url.Parse(e.URL)
		if err != nil {
			t.Fatal(err)
		}
		verifier := &sigv4.Verifier{Region: region, Service: sigv4.ServiceES,
			Keys: map[string]aws.Credentials{keyID: {AccessKeyID: keyID, SecretAccessKey: secret, SessionToken: "tok"}}}
		var forwarded atomic.Int32
		proxy := httputil.NewSingleHostReverseProxy(upstream)
		srv := httptest.NewServer(verifier.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			forwarded.Add(1)
			proxy.ServeHTTP(&dropProductHeader{w}, r)
		})))
		t.Cleanup(srv.Close)

		index := e.Index("sigv4")
		env := map[string]string{
			esclient.EnvURL:               srv.URL,
			esclient.EnvAuth:              esclient.AuthAWSSigV4,
			esclient.EnvAWSRegion:         region,
			esbulk.EnvRetryBackoffInitial: "1ms",
			esbulk.EnvRetryBackoffMax:     "5ms",
			EnvSinkIndex:                  index,
		}
		open := func(t *testing.T, secretKey string) *Handler {
			t.Helper()
			t.Setenv(sigv4.EnvAccessKeyID, keyID)
			t.Setenv(sigv4.EnvSecretAccessKey, secretKey)
			t.Setenv(sigv4.EnvSessionToken, "tok")
			cfg, err := LoadConfig(config.FromMap(env))
			if err != nil {
				t.Fatal(err)
			}
			h, closeFn, err := Open(t.Context(), cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = closeFn() })
			return h
		}

		res, err := open(t, "wrong-secret").Handle(t.Context(), fixture(t, "aws-msk.json"))
		if !errors.Is(err, esbulk.ErrForbidden) || forwarded.Load() != 0 {
			t.Fatalf("wrong secret: result %+v, err %v, %d requests forwarded; want ErrForbidden and none", res, err, forwarded.Load())
		}

		res, err = open(t, secret).Handle(t.Context(), fixture(t, "aws-msk.json"))
		if err != nil || res.Indexed != res.Received || res.Received == 0 {
			t.Fatalf("result %+v, err %v; want every record indexed", res, err)
		}
		e.Refresh(t, index)
		if n := e.Count(t, index); n != res.Received {
			t.Fatalf("%s holds %d documents, want %d", index, n, res.Received)
		}
	})
}

// dropProductHeader removes the header the real Elasticsearch sends, so the
// transport sees what Amazon OpenSearch Service answers.
type dropProductHeader struct{ http.ResponseWriter }

func (d *dropProductHeader) WriteHeader(code int) {
	d.Header().Del("X-Elastic-Product")
	d.ResponseWriter.WriteHeader(code)
}
