package sink

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/deadletter"
	"github.com/esconnect/esconnect/shared/kafkaevent"
	"github.com/esconnect/esconnect/shared/msgdoc"
)

func TestLoadSinkDefaults(t *testing.T) {
	s, err := LoadConfig(config.FromMap(map[string]string{EnvSinkIndex: "logs-{topic}", EnvAWSFunctionName: "sink-fn"}))
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	d := s.Document
	if d.Index != "logs-{topic}" || d.DocID != msgdoc.IDOffset || d.ValueFormat != msgdoc.ValueText || d.Location != nil ||
		d.Routing != msgdoc.RoutingNone || s.OnFailure != OnFailureFail || s.EventFormat != kafkaevent.FormatAuto ||
		d.MaxValueBytes != DefaultMaxValueBytes || s.FunctionName != "sink-fn" || s.Bulk.RetryMax != config.DefaultRetryMax {
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
			d := s.Document
			if !s.FetchOverflow || len(s.KafkaBrokers) != 2 || s.EventFormat != kafkaevent.FormatAlibabaConnector ||
				d.MaxValueBytes != 1<<20 || !s.ReportBatchItemFailures || s.FunctionName != "explicit" || d.DocID != msgdoc.IDKey || !d.IncludeHeaders {
				t.Errorf("values wrong: %+v", s)
			}
		}},
		{"document options", map[string]string{
			EnvDocID: "KEY", EnvValueFormat: "json", EnvTimezone: "Asia/Shanghai", EnvNullValue: "ignore",
			EnvRouting: "key", EnvPipeline: "p1", EnvIndexAllowDot: "true",
		}, func(t *testing.T, s Config) {
			d := s.Document
			if d.DocID != msgdoc.IDKey || d.ValueFormat != msgdoc.ValueJSON || d.Location == nil || d.Location.String() != "Asia/Shanghai" ||
				d.NullValue != msgdoc.NullIgnore || d.Routing != msgdoc.RoutingKey || d.Pipeline != "p1" || !d.AllowDotIndex {
				t.Errorf("document options wrong: %+v", d)
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
		EnvValueFormat:     "yaml",
		EnvTimezone:        "Mars/Olympus",
		EnvRouting:         "{key}",
		EnvEventFormat:     "xml",
		EnvOnFailure:       "dlq",
		EnvFetchOverflow:   "true",
		EnvMaxValueBytes:   "lots",
		config.EnvRetryMax: "-1",
	}))
	if err == nil {
		t.Fatal("LoadConfig accepted bad settings")
	}
	for _, want := range []string{EnvSinkIndex, EnvDocID, EnvValueFormat, EnvTimezone, EnvRouting, EnvEventFormat, EnvDLQTarget, EnvKafkaBrokers, EnvMaxValueBytes, config.EnvRetryMax} {
		if !strings.Contains(err.Error(), want+":") {
			t.Errorf("error does not mention %s: %v", want, err)
		}
	}
}

func TestLoadSinkDocumentProblems(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"index template and null value at once", map[string]string{
			EnvSinkIndex: "logs-{topic}-{yyyy.QQ}", EnvNullValue: "drop", EnvDocID: "key",
		}, []string{EnvSinkIndex, EnvNullValue}},
		{"uppercase literal in the template", map[string]string{EnvSinkIndex: "Logs-{topic}"}, []string{EnvSinkIndex}},
		{"unmatched brace", map[string]string{EnvSinkIndex: "logs-{topic"}, []string{EnvSinkIndex}},
		{"leading underscore", map[string]string{EnvSinkIndex: "_logs"}, []string{EnvSinkIndex}},
		{"dot index without permission", map[string]string{EnvSinkIndex: ".logs"}, []string{EnvSinkIndex}},
		{"null value without key ids", map[string]string{EnvSinkIndex: "logs", EnvNullValue: "delete"}, []string{EnvNullValue}},
		{"host-dependent time zone", map[string]string{EnvSinkIndex: "logs-{yyyy.MM.dd}", EnvTimezone: "Local"}, []string{EnvTimezone}},
		{"offset out of range", map[string]string{EnvSinkIndex: "logs", EnvTimezone: "+15:00"}, []string{EnvTimezone}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadConfig(config.FromMap(tc.env))
			if err == nil {
				t.Fatal("LoadConfig accepted bad document settings")
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want+":") {
					t.Errorf("error does not mention %s: %v", want, err)
				}
			}
		})
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

func TestLoadSinkFieldOptions(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want msgdoc.Options
	}{
		{"field ids and routing", map[string]string{EnvDocID: "field:/order/id, /line", EnvRouting: "FIELD:/tenant", EnvValueFormat: "json", EnvValueFields: "order, line"},
			msgdoc.Options{DocID: msgdoc.IDField, IDFields: []string{"/order/id", "/line"}, Routing: msgdoc.RoutingField, RoutingField: "/tenant",
				ValueFormat: msgdoc.ValueJSON, ValueFields: []string{"order", "line"}}},
		{"csv", map[string]string{EnvValueFormat: "csv", EnvCSVColumns: "id,name,note", EnvValueFields: "id,note", EnvMsgMode: "value"},
			msgdoc.Options{ValueFormat: msgdoc.ValueCSV, CSVColumns: []string{"id", "name", "note"}, ValueFields: []string{"id", "note"}, MsgMode: msgdoc.MsgValue}},
		{"key mode", map[string]string{EnvMsgMode: "key"}, msgdoc.Options{MsgMode: msgdoc.MsgKey}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.env[EnvSinkIndex] = "idx"
			s, err := LoadConfig(config.FromMap(tc.env))
			if err != nil {
				t.Fatalf("LoadConfig: %v", err)
			}
			tc.want.Index = "idx"
			if got := fmt.Sprintf("%+v", s.Document); got != fmt.Sprintf("%+v", tc.want) {
				t.Errorf("document options\n got %s\nwant %+v", got, tc.want)
			}
		})
	}
}

// TestLoadSinkFieldOptionProblems checks that each bad combination is
// refused under the setting that causes it, and that several are reported
// at once.
func TestLoadSinkFieldOptionProblems(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"csv without columns", map[string]string{EnvValueFormat: "csv"}, []string{EnvCSVColumns}},
		{"columns without csv", map[string]string{EnvCSVColumns: "a,b"}, []string{EnvCSVColumns}},
		{"value fields of text", map[string]string{EnvValueFields: "a"}, []string{EnvValueFields}},
		{"value field that is no column", map[string]string{EnvValueFormat: "csv", EnvCSVColumns: "a,b", EnvValueFields: "c"}, []string{EnvValueFields}},
		{"malformed id pointers", map[string]string{EnvDocID: "field:a,/b~2"}, []string{EnvDocID}},
		{"empty id field list", map[string]string{EnvDocID: "field:"}, []string{EnvDocID}},
		{"malformed routing pointer", map[string]string{EnvRouting: "field:tenant"}, []string{EnvRouting}},
		{"id pointer that is no column", map[string]string{EnvValueFormat: "csv", EnvCSVColumns: "a", EnvDocID: "field:/b"}, []string{EnvDocID}},
		{"unknown message mode", map[string]string{EnvMsgMode: "both"}, []string{EnvMsgMode}},
		{"key mode with a value setting", map[string]string{EnvMsgMode: "key", EnvValueFormat: "json", EnvMaxValueBytes: "1KiB"}, []string{EnvMsgMode}},
		{"null value with field ids", map[string]string{EnvDocID: "field:/id", EnvNullValue: "ignore"}, []string{EnvNullValue}},
		{"all at once", map[string]string{
			EnvDocID: "field:x", EnvRouting: "field:", EnvValueFormat: "csv", EnvValueFields: "a", EnvMsgMode: "none", EnvSinkIndex: "Bad",
		}, []string{EnvDocID, EnvRouting, EnvCSVColumns, EnvMsgMode, EnvSinkIndex}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, ok := tc.env[EnvSinkIndex]; !ok {
				tc.env[EnvSinkIndex] = "idx"
			}
			_, err := LoadConfig(config.FromMap(tc.env))
			if err == nil {
				t.Fatal("LoadConfig accepted bad settings")
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want+":") {
					t.Errorf("error does not mention %s: %v", want, err)
				}
			}
			// The index template is checked by the document loader; the
			// field options must not report it a second time.
			if n := strings.Count(err.Error(), EnvSinkIndex+":"); n > 1 {
				t.Errorf("%s reported %d times: %v", EnvSinkIndex, n, err)
			}
		})
	}
}
