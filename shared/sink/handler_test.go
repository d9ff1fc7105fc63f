package sink

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/deadletter"
	"github.com/esconnect/esconnect/shared/esbulk"
	"github.com/esconnect/esconnect/shared/kafkaevent"
)

// These tests pin the handler's accounting and failure policy: which records
// are counted, dead-lettered, skipped or handed back, and when it must
// return an error. Elasticsearch's per-item answers are scripted by offset
// (answers below) so that every branch is reached deterministically; dead
// letters go through kafka-go to a kfake broker and are read back.

const dlqTopic = "dlq"

func startDLQ(t *testing.T) string {
	t.Helper()
	c, err := kfake.NewCluster(kfake.Ports(0), kfake.SeedTopics(1, dlqTopic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()[0]
}

func readLetters(t *testing.T, addr string, n int) []deadletter.Letter {
	t.Helper()
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{addr}, Topic: dlqTopic, Partition: 0, MaxWait: 50 * time.Millisecond})
	t.Cleanup(func() { r.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	var out []deadletter.Letter
	for len(out) < n {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("read dead letter %d of %d: %v", len(out)+1, n, err)
		}
		l, err := deadletter.Decode(m.Value)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, l)
	}
	return out
}

// answers scripts Elasticsearch's answer per record offset; offsets not
// listed are created.
type answers map[int64]esbulk.Outcome

func (a answers) write(ctx context.Context, actions []esbulk.Action) (WriteReport, error) {
	rep := WriteReport{Requests: 1}
	var err error
	for _, act := range actions {
		off, _ := strconv.ParseInt(act.ID[strings.LastIndex(act.ID, "-")+1:], 10, 64)
		o, ok := a[off]
		if !ok {
			o = esbulk.Outcome{Status: 201, Result: "created", ID: act.ID, Attempts: 1}
		}
		if o.Err != nil && o.Err.Retriable {
			err = errRetryBudget
			rep.Retries += 3
		}
		rep.Outcomes = append(rep.Outcomes, o)
	}
	return rep, err
}

// buildByOffset makes an action with id topic-partition-offset, version=offset
// for DOC_ID=key semantics when external is true.
func buildByOffset(external bool) BuildFunc {
	return func(r kafkaevent.Record) (esbulk.Action, bool, string, error) {
		a := esbulk.Action{Op: esbulk.OpIndex, Index: "idx", ID: r.Topic + "-" + strconv.Itoa(int(r.Partition)) + "-" + strconv.FormatInt(r.Offset, 10), Body: []byte(`{}`)}
		if external {
			a.VersionType, a.Version = "external", r.Offset
		}
		return a, false, "", nil
	}
}

func sinkConfig(t *testing.T, env map[string]string) Config {
	t.Helper()
	env[EnvSinkIndex] = "idx"
	cfg, err := LoadConfig(config.FromMap(env))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../events/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newHandler(t *testing.T, cfg Config, ans answers, external bool, logs *bytes.Buffer) *Handler {
	t.Helper()
	deps := Deps{Build: buildByOffset(external), Write: ans.write, Log: jsonLogger(logs)}
	if cfg.OnFailure == OnFailureDLQ {
		p, err := deadletter.Open(t.Context(), cfg.DLQTarget, deadletter.WithKafkaSecurity(cfg.DLQSecurity), deadletter.WithKafkaAttempts(2, time.Second))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		deps.DeadLetters = p
	}
	h, err := New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func permanentErr(status int, typ, reason string) esbulk.Outcome {
	return esbulk.Outcome{Status: status, Err: &esbulk.ItemError{Status: status, Type: typ, Reason: reason}, Attempts: 1}
}

func retriableErr() esbulk.Outcome {
	return esbulk.Outcome{Status: 429, Err: &esbulk.ItemError{Status: 429, Type: "es_rejected_execution_exception", Reason: "rejected execution", Retriable: true}, Attempts: 4}
}

func TestHandleMappingConflictIsDeadLettered(t *testing.T) {
	addr := startDLQ(t)
	cfg := sinkConfig(t, map[string]string{EnvDLQTarget: "kafka://" + addr + "/" + dlqTopic})
	var logs bytes.Buffer
	h := newHandler(t, cfg, answers{15231: permanentErr(400, "document_parsing_exception", "failed to parse field [orderId] of type [long]")}, false, &logs)
	res, err := h.Handle(t.Context(), fixture(t, "aws-msk.json"))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if res.DeadLettered != 1 || res.Indexed != res.Received-1 || res.Received < 2 || res.Failed != 0 {
		t.Fatalf("result %+v", res)
	}
	l := readLetters(t, addr, 1)[0]
	if l.Record.Offset != 15231 || l.Error.Type != "document_parsing_exception" || l.Error.Status != 400 || !strings.Contains(l.Error.Reason, "orderId") {
		t.Errorf("dead letter %+v", l)
	}
	if len(res.Failures) != 1 || res.Failures[0].Outcome != OutcomeDeadLettered {
		t.Errorf("failures %+v", res.Failures)
	}
}

func TestHandleBadBase64KeepsRawJSON(t *testing.T) {
	addr := startDLQ(t)
	cfg := sinkConfig(t, map[string]string{EnvDLQTarget: "kafka://" + addr + "/" + dlqTopic})
	h := newHandler(t, cfg, answers{}, false, nil)
	res, err := h.Handle(t.Context(), fixture(t, "aws-msk-bad-base64.json"))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if res.Received != 3 || res.Indexed != 1 || res.DeadLettered != 2 {
		t.Fatalf("result %+v", res)
	}
	letters := readLetters(t, addr, 2)
	var sawBase64 bool
	for _, l := range letters {
		if !json.Valid(l.Raw) {
			t.Errorf("letter raw is not the JSON element: %q", l.Raw)
		}
		if l.Error.Type == string(kafkaevent.ErrBadBase64) {
			sawBase64 = true
			if !bytes.Contains(l.Raw, []byte(`"not*base64!"`)) || l.Record.Offset != 15232 {
				t.Errorf("bad-base64 letter %+v raw %s", l, l.Raw)
			}
		}
	}
	if !sawBase64 {
		t.Errorf("no bad_base64 letter among %+v", letters)
	}
}

func TestHandleKeyVersionConflictIsNoop(t *testing.T) {
	cfg := sinkConfig(t, map[string]string{})
	conflict := permanentErr(409, "version_conflict_engine_exception", "[orders-0-15230]: version conflict, current version [15240] is higher or equal to the one provided [15230]")
	h := newHandler(t, cfg, answers{15230: conflict}, true, nil)
	res, err := h.Handle(t.Context(), fixture(t, "aws-msk.json"))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if res.Noop != 1 || res.Indexed != res.Received || len(res.Failures) != 0 {
		t.Errorf("result %+v", res)
	}

	// The same answer to an action without external versioning is a real
	// failure: with ON_FAILURE=fail the handler must error.
	h = newHandler(t, cfg, answers{15230: conflict}, false, nil)
	if _, err := h.Handle(t.Context(), fixture(t, "aws-msk.json")); !errors.Is(err, ErrRecordsFailed) {
		t.Errorf("internal-version conflict: err = %v, want ErrRecordsFailed", err)
	}
}

func TestHandleUnconfirmed(t *testing.T) {
	addr := startDLQ(t)
	tests := []struct {
		name    string
		env     map[string]string
		payload string
		wantErr error
		wantBIF []BatchItemFailure
	}{
		{"error without partial batch response", map[string]string{}, "aws-msk.json", ErrUnconfirmed, nil},
		{"partial batch response on AWS", map[string]string{EnvReportBatchItemFailures: "true"}, "aws-msk.json", nil,
			[]BatchItemFailure{{ItemIdentifier{Partition: "orders-0", Offset: 15231}}, {ItemIdentifier{Partition: "orders-1", Offset: 9804}}}},
		{"partial batch response not for other platforms", map[string]string{EnvReportBatchItemFailures: "true"}, "alibaba-connector.json", ErrUnconfirmed, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.env[EnvDLQTarget] = "kafka://" + addr + "/" + dlqTopic
			cfg := sinkConfig(t, tc.env)
			b, err := kafkaevent.Decode(fixture(t, tc.payload), kafkaevent.FormatAuto)
			if err != nil || len(b.Records) < 3 {
				t.Fatalf("fixture: %v, %d records", err, len(b.Records))
			}
			ans := answers{b.Records[1].Offset: retriableErr(), b.Records[2].Offset: retriableErr()}
			res, err := newHandler(t, cfg, ans, false, nil).Handle(t.Context(), fixture(t, tc.payload))
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("Handle err = %v, want %v", err, tc.wantErr)
			}
			if !reflect.DeepEqual(res.BatchItemFailures, tc.wantBIF) {
				t.Errorf("batchItemFailures = %+v, want %+v", res.BatchItemFailures, tc.wantBIF)
			}
			if tc.wantErr == nil && res.Indexed+res.Failed != res.Received {
				t.Errorf("records unaccounted for: %+v", res)
			}
		})
	}
}

func TestBatchItemFailuresShape(t *testing.T) {
	b, err := json.Marshal(Result{BatchItemFailures: batchItemFailures([]Failure{
		{Topic: "orders", Partition: 3, Offset: 9}, {Topic: "orders", Partition: 3, Offset: 7}, {Topic: "a.b", Partition: 0, Offset: 1},
	})})
	if err != nil {
		t.Fatal(err)
	}
	want := `"batchItemFailures":[{"itemIdentifier":{"partition":"a.b-0","offset":1}},{"itemIdentifier":{"partition":"orders-3","offset":7}}]`
	if !strings.Contains(string(b), want) {
		t.Errorf("JSON %s lacks %s", b, want)
	}
}

func TestHandleOnFailureModes(t *testing.T) {
	mapping := answers{15231: permanentErr(400, "document_parsing_exception", "failed to parse field [orderId]")}
	tests := []struct {
		name        string
		env         map[string]string
		wantErr     error
		wantSkipped int
	}{
		{"fail names the records", map[string]string{EnvOnFailure: "fail"}, ErrRecordsFailed, 0},
		{"log skips and continues", map[string]string{EnvOnFailure: "log"}, nil, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			res, err := newHandler(t, sinkConfig(t, tc.env), mapping, false, &logs).Handle(t.Context(), fixture(t, "aws-msk.json"))
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "orders-0@15231") {
				t.Errorf("error does not name the record: %v", err)
			}
			if res.Skipped != tc.wantSkipped {
				t.Errorf("skipped = %d, want %d", res.Skipped, tc.wantSkipped)
			}
			if !strings.Contains(logs.String(), "failed to parse field [orderId]") {
				t.Errorf("log lacks the reason: %s", logs.String())
			}
		})
	}
}

func TestHandleDeadLetterTargetUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cfg := sinkConfig(t, map[string]string{EnvDLQTarget: "kafka://" + addr + "/" + dlqTopic})
	h := newHandler(t, cfg, answers{15231: permanentErr(400, "document_parsing_exception", "x")}, false, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	res, err := h.Handle(ctx, fixture(t, "aws-msk.json"))
	if !errors.Is(err, ErrDeadLetter) {
		t.Fatalf("err = %v, want ErrDeadLetter", err)
	}
	if res.DeadLettered != 0 {
		t.Errorf("dead_lettered = %d although the target never acknowledged", res.DeadLettered)
	}
}

func TestHandleNeverLeaksCredentials(t *testing.T) {
	addr := startDLQ(t)
	cfg := sinkConfig(t, map[string]string{
		config.EnvESUsername: "elastic", config.EnvESPassword: "es-pw-s3cret",
		EnvDLQTarget: "kafka://" + addr + "/" + dlqTopic + "?password=dlq-pw-s3cret&sasl_mechanism=plain&username=u",
	})
	var logs bytes.Buffer
	deps := Deps{Build: buildByOffset(false), Write: answers{15231: permanentErr(400, "x", "y")}.write, Log: jsonLogger(&logs)}
	// The broker has no SASL, so the publish fails: the error path is the
	// one most likely to echo a target.
	p, err := deadletter.Open(t.Context(), cfg.DLQTarget, deadletter.WithKafkaAttempts(1, time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	deps.DeadLetters = p
	h, err := New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	res, herr := h.Handle(ctx, fixture(t, "aws-msk.json"))
	out, _ := json.Marshal(res)
	for _, s := range []string{string(out), logs.String(), errString(herr)} {
		for _, secret := range []string{"es-pw-s3cret", "dlq-pw-s3cret"} {
			if strings.Contains(s, secret) {
				t.Errorf("%s leaked in %s", secret, s)
			}
		}
	}
	if logs.Len() == 0 {
		t.Error("nothing was logged")
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// errRetryBudget stands for the bulk writer's "retriable failures remain".
var errRetryBudget = errors.New("retry budget exhausted")

func TestResultFailuresBounded(t *testing.T) {
	r := Result{Failures: make([]Failure, maxResultFailures+7)}
	r.trimFailures()
	if len(r.Failures) != maxResultFailures || r.FailuresOmitted != 7 {
		t.Errorf("failures %d, omitted %d", len(r.Failures), r.FailuresOmitted)
	}
}
