package sink

import (
	"fmt"
	"github.com/esconnect/esconnect/shared/config"
	"log/slog"
	"strings"
	"testing"

	"github.com/esconnect/esconnect/shared/deadletter"
	"github.com/esconnect/esconnect/shared/kafkaevent"
)

func TestLoadSinkDefaults(t *testing.T) {
	s, err := LoadConfig(config.FromMap(map[string]string{EnvSinkIndex: "logs-{topic}", EnvAWSFunctionName: "sink-fn"}))
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	if s.Index != "logs-{topic}" || s.DocID != DefaultDocID || s.OnFailure != OnFailureFail || s.EventFormat != kafkaevent.FormatAuto ||
		s.MaxValueBytes != DefaultMaxValueBytes || s.FunctionName != "sink-fn" || s.Bulk.RetryMax != config.DefaultRetryMax {
		t.Errorf("defaults wrong: %+v", s)
	}
}

func TestLoadSinkValues(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		check func(t *testing.T, s Config)
	}{
		{"dlq is the default with a target", map[string]string{EnvDLQTarget: "es://dead"}, func(t *testing.T, s Config) {
			if s.OnFailure != OnFailureDLQ || s.DLQTarget != "es://dead" {
				t.Errorf("OnFailure = %q, DLQTarget = %q", s.OnFailure, s.DLQTarget)
			}
		}},
		{"log mode", map[string]string{EnvOnFailure: "LOG"}, func(t *testing.T, s Config) {
			if s.OnFailure != OnFailureLog {
				t.Errorf("OnFailure = %q", s.OnFailure)
			}
		}},
		{"kafka target with security", map[string]string{
			EnvDLQTarget: "kafka://127.0.0.1:9092/dlq", EnvDLQTLS: "true", EnvDLQSASLMechanism: "SCRAM-SHA-512",
			EnvDLQUsername: "u", EnvDLQPassword: "p",
		}, func(t *testing.T, s Config) {
			want := deadletter.KafkaSecurity{TLS: true, SASLMechanism: "scram-sha-512", Username: "u", Password: "p"}
			if s.DLQSecurity != want {
				t.Errorf("DLQSecurity = %+v", s.DLQSecurity)
			}
		}},
		{"credentials in the target query", map[string]string{
			EnvDLQTarget: "kafka://127.0.0.1:9092/dlq?sasl_mechanism=plain&username=u&password=p",
		}, func(t *testing.T, s Config) {}},
		{"fetch overflow and the rest", map[string]string{
			EnvFetchOverflow: "true", EnvKafkaBrokers: "127.0.0.1:9092, 127.0.0.1:9093", EnvEventFormat: "alibaba-connector",
			EnvMaxValueBytes: "1MiB", EnvReportBatchItemFailures: "true", EnvFunctionName: "explicit", EnvFCFunctionName: "fc",
			EnvDocID: "key", EnvIncludeHeaders: "yes",
		}, func(t *testing.T, s Config) {
			if !s.FetchOverflow || len(s.KafkaBrokers) != 2 || s.EventFormat != kafkaevent.FormatAlibabaConnector ||
				s.MaxValueBytes != 1<<20 || !s.ReportBatchItemFailures || s.FunctionName != "explicit" || s.DocID != "key" || !s.IncludeHeaders {
				t.Errorf("values wrong: %+v", s)
			}
		}},
		{"FC function name", map[string]string{EnvFCFunctionName: "fc-fn"}, func(t *testing.T, s Config) {
			if s.FunctionName != "fc-fn" {
				t.Errorf("FunctionName = %q", s.FunctionName)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.env[EnvSinkIndex] = "idx"
			s, err := LoadConfig(config.FromMap(tc.env))
			if err != nil {
				t.Fatalf("LoadConfig: %v", err)
			}
			tc.check(t, s)
		})
	}
}

func TestLoadSinkReportsEveryProblem(t *testing.T) {
	_, err := LoadConfig(config.FromMap(map[string]string{
		EnvDocID:           "uuid",
		EnvEventFormat:     "xml",
		EnvOnFailure:       "dlq",
		EnvFetchOverflow:   "true",
		EnvMaxValueBytes:   "lots",
		config.EnvRetryMax: "-1",
	}))
	if err == nil {
		t.Fatal("LoadConfig accepted bad settings")
	}
	for _, want := range []string{EnvSinkIndex, EnvDocID, EnvEventFormat, EnvDLQTarget, EnvKafkaBrokers, EnvMaxValueBytes, config.EnvRetryMax} {
		if !strings.Contains(err.Error(), want+":") {
			t.Errorf("error does not mention %s: %v", want, err)
		}
	}
}

func TestLoadSinkDLQProblems(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"target without dlq mode", map[string]string{EnvOnFailure: "fail", EnvDLQTarget: "es://x"}, EnvDLQTarget},
		{"malformed target", map[string]string{EnvDLQTarget: "kafka://user:s3cret@h:1/t"}, EnvDLQTarget},
		{"security on es target", map[string]string{EnvDLQTarget: "es://x", EnvDLQTLS: "true"}, EnvDLQTarget},
		{"sasl without password", map[string]string{EnvDLQTarget: "kafka://h:1/t", EnvDLQSASLMechanism: "plain", EnvDLQUsername: "u"}, EnvDLQSASLMechanism},
		{"unknown mechanism", map[string]string{EnvDLQTarget: "kafka://h:1/t", EnvDLQSASLMechanism: "gssapi"}, EnvDLQSASLMechanism},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.env[EnvSinkIndex] = "idx"
			_, err := LoadConfig(config.FromMap(tc.env))
			if err == nil || !strings.Contains(err.Error(), tc.want+":") {
				t.Fatalf("LoadConfig = %v, want a problem with %s", err, tc.want)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error leaks the password: %v", err)
			}
		})
	}
}

func TestSinkRedactsCredentials(t *testing.T) {
	s, err := LoadConfig(config.FromMap(map[string]string{
		EnvSinkIndex: "idx", config.EnvESUsername: "elastic", config.EnvESPassword: "es-s3cret",
		EnvDLQTarget: "kafka://127.0.0.1:9092/dlq?password=q-s3cret", EnvDLQSASLMechanism: "plain",
		EnvDLQUsername: "u", EnvDLQPassword: "env-s3cret",
	}))
	if err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("settings", "sink", s)
	for _, out := range []string{s.String(), fmt.Sprint(s), logged.String()} {
		for _, secret := range []string{"es-s3cret", "q-s3cret", "env-s3cret"} {
			if strings.Contains(out, secret) {
				t.Errorf("output leaks %s: %s", secret, out)
			}
		}
	}
	if !strings.Contains(logged.String(), "127.0.0.1:9092/dlq") {
		t.Errorf("log lacks the target: %s", logged.String())
	}
}
