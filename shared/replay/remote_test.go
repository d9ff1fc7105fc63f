package replay

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/esconnect/esconnect/shared/kafkaevent"
)

// recorder is a local HTTP server standing in for the cloud API: it keeps
// each request and answers with respond.
type recorder struct {
	mu      sync.Mutex
	reqs    []*http.Request
	bodies  [][]byte
	respond func(w http.ResponseWriter, n int)
}

func startRecorder(t *testing.T, respond func(w http.ResponseWriter, n int)) (*recorder, string) {
	t.Helper()
	rec := &recorder{respond: respond}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, r)
		rec.bodies = append(rec.bodies, b)
		n := len(rec.reqs)
		rec.mu.Unlock()
		rec.respond(w, n)
	}))
	t.Cleanup(srv.Close)
	return rec, srv.URL
}

func sampleRecords(n, valueBytes int) []kafkaevent.Record {
	out := make([]kafkaevent.Record, n)
	for i := range out {
		v := []byte(strings.Repeat("x", valueBytes))
		out[i] = kafkaevent.Record{Topic: "orders", Partition: 1, Offset: int64(i), Timestamp: 1714557600000, TimestampType: "CREATE_TIME", Key: []byte("k"), Value: v, ValueSize: len(v)}
	}
	return out
}

var sigV4 = regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=AKIDTEST/(\d{8})/eu-west-1/lambda/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=[0-9a-f]{64}$`)

func TestLambdaInvokeShape(t *testing.T) {
	rec, url := startRecorder(t, func(w http.ResponseWriter, n int) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"batchItemFailures":[]}`)
	})
	d, err := NewLambda("kafka-es-sink", LambdaOptions{
		Region: "eu-west-1", Endpoint: url, AccessKeyID: "AKIDTEST", SecretAccessKey: "secret",
		EventSource: kafkaevent.EventSourceSelfManaged, BootstrapServers: "b1:9092",
	})
	if err != nil {
		t.Fatal(err)
	}
	// Four records of 2 MB each cannot share one 6 MB payload (base64 makes
	// each about 2.7 MB): the destination must split them.
	recs := sampleRecords(4, 2<<20)
	if _, err := d.Send(t.Context(), recs); err != nil {
		t.Fatal(err)
	}
	if len(rec.reqs) < 2 {
		t.Fatalf("%d invocations, want the batch split", len(rec.reqs))
	}
	var got []kafkaevent.Record
	for i, r := range rec.reqs {
		if r.Method != http.MethodPost || r.URL.Path != "/2015-03-31/functions/kafka-es-sink/invocations" {
			t.Fatalf("request %d: %s %s", i, r.Method, r.URL.Path)
		}
		if it := r.Header.Get("X-Amz-Invocation-Type"); it != "RequestResponse" {
			t.Fatalf("invocation type %q", it)
		}
		m := sigV4.FindStringSubmatch(r.Header.Get("Authorization"))
		if m == nil {
			t.Fatalf("Authorization %q is not a SigV4 header for lambda in eu-west-1", r.Header.Get("Authorization"))
		}
		if !strings.HasPrefix(r.Header.Get("X-Amz-Date"), m[1]) || !strings.Contains(m[2], "host") || !strings.Contains(m[2], "x-amz-date") {
			t.Fatalf("signature scope date %s / signed headers %s do not match X-Amz-Date %s", m[1], m[2], r.Header.Get("X-Amz-Date"))
		}
		if len(rec.bodies[i]) > LambdaPayloadLimit {
			t.Fatalf("payload %d is %d bytes, over the limit", i, len(rec.bodies[i]))
		}
		b, err := kafkaevent.Decode(rec.bodies[i], kafkaevent.FormatAWS)
		if err != nil || len(b.Failures) > 0 || b.EventSource != kafkaevent.EventSourceSelfManaged || b.BootstrapServers != "b1:9092" {
			t.Fatalf("payload %d: %v, %d failures, source %q", i, err, len(b.Failures), b.EventSource)
		}
		got = append(got, b.Records...)
	}
	if len(got) != len(recs) {
		t.Fatalf("functions received %d records, want %d", len(got), len(recs))
	}
	for i := range got {
		if got[i].Offset != recs[i].Offset || string(got[i].Value) != string(recs[i].Value) {
			t.Fatalf("record %d differs after the round trip", i)
		}
	}
}

func TestLambdaFunctionFailure(t *testing.T) {
	tests := []struct {
		name    string
		respond func(w http.ResponseWriter, n int)
	}{
		{"unhandled error", func(w http.ResponseWriter, _ int) {
			w.Header().Set("X-Amz-Function-Error", "Unhandled")
			io.WriteString(w, `{"errorMessage":"bulk failed"}`)
		}},
		{"partial batch response", func(w http.ResponseWriter, _ int) {
			io.WriteString(w, `{"batchItemFailures":[{"itemIdentifier":"orders-1@0"}]}`)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, url := startRecorder(t, tt.respond)
			d, err := NewLambda("f", LambdaOptions{Region: "eu-west-1", Endpoint: url, AccessKeyID: "AKIDTEST", SecretAccessKey: "secret"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := d.Send(t.Context(), sampleRecords(1, 10)); !errors.Is(err, ErrFunction) {
				t.Fatalf("Send error = %v, want ErrFunction", err)
			}
		})
	}
}

func TestLambdaNeedsRegionAndCredentials(t *testing.T) {
	for _, n := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
		t.Setenv(n, "")
	}
	if _, err := NewLambda("f", LambdaOptions{}); !errors.Is(err, ErrBadDestination) {
		t.Fatalf("error = %v, want ErrBadDestination", err)
	}
}

var acs3 = regexp.MustCompile(`^ACS3-HMAC-SHA256 Credential=LTAITEST,SignedHeaders=([a-z0-9;-]+),Signature=([0-9a-f]{64})$`)

// verifyACS3 recomputes the ACS3-HMAC-SHA256 signature of r from the
// documented canonical request, so a request signed with the wrong secret,
// body or headers fails.
func verifyACS3(t *testing.T, r *http.Request, body []byte, secret string) {
	t.Helper()
	m := acs3.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		t.Fatalf("Authorization %q is not ACS3-HMAC-SHA256 for the test key", r.Header.Get("Authorization"))
	}
	sum := sha256.Sum256(body)
	if got := r.Header.Get("x-acs-content-sha256"); got != hex.EncodeToString(sum[:]) {
		t.Fatalf("x-acs-content-sha256 %s does not match the body", got)
	}
	signed := strings.Split(m[1], ";")
	var canonHeaders strings.Builder
	for _, h := range signed {
		v := r.Header.Get(h)
		if h == "host" {
			v = r.Host
		}
		canonHeaders.WriteString(h + ":" + strings.TrimSpace(v) + "\n")
	}
	q := r.URL.Query()
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var canonQuery []string
	for _, k := range keys {
		canonQuery = append(canonQuery, k+"="+q.Get(k))
	}
	canon := strings.Join([]string{r.Method, r.URL.EscapedPath(), strings.Join(canonQuery, "&"), canonHeaders.String(), m[1], hex.EncodeToString(sum[:])}, "\n")
	ch := sha256.Sum256([]byte(canon))
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("ACS3-HMAC-SHA256\n" + hex.EncodeToString(ch[:])))
	if want := hex.EncodeToString(mac.Sum(nil)); m[2] != want {
		t.Fatalf("signature %s, recomputed %s", m[2], want)
	}
}

func TestFCInvokeShape(t *testing.T) {
	tests := []struct {
		name   string
		format kafkaevent.Format
	}{
		{"connector", kafkaevent.FormatAlibabaConnector},
		{"cloudevents", kafkaevent.FormatFCCloudEvents},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, url := startRecorder(t, func(w http.ResponseWriter, _ int) {
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, `{"received":2}`)
			})
			d, err := NewFC("kafka-es-sink", FCOptions{Endpoint: url, AccessKeyID: "LTAITEST", AccessKeySecret: "fcsecret", Region: "cn-hangzhou", Format: tt.format, Qualifier: "prod"})
			if err != nil {
				t.Fatal(err)
			}
			recs := sampleRecords(2, 5)
			if _, err := d.Send(t.Context(), recs); err != nil {
				t.Fatal(err)
			}
			if len(rec.reqs) != 1 {
				t.Fatalf("%d requests", len(rec.reqs))
			}
			r, body := rec.reqs[0], rec.bodies[0]
			if r.Method != http.MethodPost || r.URL.Path != "/2023-03-30/functions/kafka-es-sink/invocations" || r.URL.Query().Get("qualifier") != "prod" {
				t.Fatalf("request %s %s", r.Method, r.URL)
			}
			for h, want := range map[string]string{"x-acs-action": "InvokeFunction", "x-acs-version": "2023-03-30", "x-fc-invocation-type": "Sync"} {
				if got := r.Header.Get(h); got != want {
					t.Fatalf("%s = %q, want %q", h, got, want)
				}
			}
			verifyACS3(t, r, body, "fcsecret")
			b, err := kafkaevent.Decode(body, tt.format)
			if err != nil || len(b.Records) != 2 || b.Records[1].Offset != 1 {
				t.Fatalf("payload decodes to %d records, %v", len(b.Records), err)
			}
		})
	}
}

func TestFCErrors(t *testing.T) {
	tests := []struct {
		name    string
		respond func(w http.ResponseWriter, n int)
	}{
		{"function error header", func(w http.ResponseWriter, _ int) {
			w.Header().Set("x-fc-error-type", "UnhandledInvocationError")
			io.WriteString(w, `{"errorMessage":"boom"}`)
		}},
		{"api error", func(w http.ResponseWriter, _ int) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `{"Code":"AccessDenied","Message":"no","RequestId":"r1"}`)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, url := startRecorder(t, tt.respond)
			d, err := NewFC("f", FCOptions{Endpoint: url, AccessKeyID: "LTAITEST", AccessKeySecret: "fcsecret"})
			if err != nil {
				t.Fatal(err)
			}
			_, err = d.Send(t.Context(), sampleRecords(1, 3))
			if err == nil {
				t.Fatal("Send succeeded")
			}
			if strings.Contains(err.Error(), "fcsecret") {
				t.Fatalf("error %q leaks the secret", err)
			}
		})
	}
}
