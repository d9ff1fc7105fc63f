package sink

import (
	"fmt"
	"log/slog"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/deadletter"
	"github.com/esconnect/esconnect/shared/esbulk"
	"github.com/esconnect/esconnect/shared/esclient"
	"github.com/esconnect/esconnect/shared/kafkaevent"
	"github.com/esconnect/esconnect/shared/kafkawire"
	"github.com/esconnect/esconnect/shared/msgdoc"
	"github.com/esconnect/esconnect/shared/targettest"
)

func TestLoadSinkDefaults(t *testing.T) {
	s, err := LoadConfig(config.FromMap(map[string]string{EnvSinkIndex: "logs-{topic}", EnvAWSFunctionName: "sink-fn"}))
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	d := s.Document
	if d.Index != "logs-{topic}" || d.DocID != msgdoc.IDOffset || d.ValueFormat != msgdoc.ValueText || d.Location != nil ||
		d.Routing != msgdoc.RoutingNone || s.OnFailure != OnFailureFail || s.EventFormat != kafkaevent.FormatAuto ||
		d.MaxValueBytes != DefaultMaxValueBytes || s.FunctionName != "sink-fn" || s.Bulk.RetryMax != esbulk.DefaultRetryMax {
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
			EnvKafkaTLS: "true", EnvKafkaSASLMechanism: "SCRAM-SHA-256", EnvKafkaSASLUsername: "u", EnvKafkaSASLPassword: "p",
		}, func(t *testing.T, s Config) {
			d := s.Document
			if want := (kafkawire.Security{TLS: true, SASLMechanism: "scram-sha-256", Username: "u", Password: "p"}); s.KafkaSecurity != want {
				t.Errorf("KafkaSecurity = %+v, want %+v", s.KafkaSecurity, want)
			}
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
		esbulk.EnvRetryMax: "-1",
	}))
	if err == nil {
		t.Fatal("LoadConfig accepted bad settings")
	}
	for _, want := range []string{EnvSinkIndex, EnvDocID, EnvValueFormat, EnvTimezone, EnvRouting, EnvEventFormat, EnvDLQTarget, EnvKafkaBrokers, EnvMaxValueBytes, esbulk.EnvRetryMax} {
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
		{"overflow sasl without username", map[string]string{EnvFetchOverflow: "true", EnvKafkaBrokers: "h:1",
			EnvKafkaSASLMechanism: "plain", EnvKafkaSASLPassword: "s3cret"}, EnvKafkaSASLMechanism},
		{"overflow unknown mechanism", map[string]string{EnvFetchOverflow: "true", EnvKafkaBrokers: "h:1",
			EnvKafkaSASLMechanism: "oauthbearer"}, EnvKafkaSASLMechanism},
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
		EnvSinkIndex: "idx", esclient.EnvUsername: "elastic", esclient.EnvPassword: "es-s3cret",
		EnvDLQTarget: "kafka://127.0.0.1:9092/dlq?password=q-s3cret", EnvDLQSASLMechanism: "plain",
		EnvDLQUsername: "u", EnvDLQPassword: "env-s3cret",
		EnvFetchOverflow: "true", EnvKafkaBrokers: "127.0.0.1:9093", EnvKafkaSASLMechanism: "plain",
		EnvKafkaSASLUsername: "u", EnvKafkaSASLPassword: "overflow-s3cret",
	}))
	if err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("settings", "sink", s)
	for _, out := range []string{s.String(), fmt.Sprint(s), logged.String()} {
		for _, secret := range []string{"es-s3cret", "q-s3cret", "env-s3cret", "overflow-s3cret"} {
			if strings.Contains(out, secret) {
				t.Errorf("output leaks %s: %s", secret, out)
			}
		}
	}
	if !strings.Contains(logged.String(), "127.0.0.1:9092/dlq") || !strings.Contains(logged.String(), "127.0.0.1:9093") {
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

// TestOpenFieldOptions runs the document options end to end: settings as
// environment variables, Open, Handle on an MSK payload, each engine over
// HTTP and dead letters on a Kafka topic. Each batch is delivered twice; the
// second delivery must change nothing (field ids are upserts).
func TestOpenFieldOptions(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		values  []string
		ids     map[int]string         // record -> document id
		routing map[int]string         // record -> _routing
		value   map[int]map[string]any // record -> msg_body.value
		noKey   bool
		letters map[int64]string // offset -> failure type
	}{
		{
			name: "json fields",
			env: map[string]string{EnvDocID: "field:/order,/line", EnvRouting: "field:/tenant", EnvValueFormat: "json",
				EnvValueFields: "order,line,qty"},
			values: []string{
				`{"order":"A+1","line":1,"qty":2,"tenant":"t1","note":"dropped"}`,
				`{"tenant":"t2","line":2,"order":"A+1"}`,
				`{"line":3,"tenant":"t1"}`,
				`not json`,
				`{"order":"B","line":1}`,
				`{"order":"B","line":{"n":1},"tenant":"t1"}`,
			},
			ids:     map[int]string{0: `A\+1+1`, 1: `A\+1+2`},
			routing: map[int]string{0: "t1", 1: "t2"},
			value:   map[int]map[string]any{0: {"order": "A+1", "line": 1.0, "qty": 2.0}, 1: {"line": 2.0, "order": "A+1"}},
			letters: map[int64]string{2: "id_field_missing", 3: "value_not_json", 4: "routing_field_missing", 5: "id_field_not_scalar"},
		},
		{
			name:   "csv rows, value only",
			env:    map[string]string{EnvDocID: "field:/id", EnvValueFormat: "csv", EnvCSVColumns: "id,name,qty", EnvMsgMode: "value"},
			values: []string{`1,"Smith, J",3`, `2,x`, "3,\"say \"\"hi\"\"\",4\n", `4,"open,5`},
			ids:    map[int]string{0: "1", 2: "3"},
			value: map[int]map[string]any{
				0: {"id": "1", "name": "Smith, J", "qty": "3"},
				2: {"id": "3", "name": `say "hi"`, "qty": "4"},
			},
			noKey:   true,
			letters: map[int64]string{1: "csv_column_count", 3: "value_not_csv"},
		},
	}
	targettest.Stacks(t, func(t *testing.T, s *targettest.Stack) {
		e, k := s.ES, s.Kafka
		for i, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				index := e.Index("orders-" + strconv.Itoa(i))
				dl := lettersAt(t, k, dlqTopic+"-"+strconv.Itoa(i))
				env := map[string]string{EnvSinkIndex: index, EnvDLQTarget: dl.target()}
				for name, v := range tc.env {
					env[name] = v
				}
				h := openSinkOn(t, e, env, nil)
				recs := records("orders", 0, len(tc.values), func(i int) string { return tc.values[i] })
				payload := awsEvent(t, recs)

				first := tally{Received: len(recs), Indexed: len(tc.ids), Created: len(tc.ids), DeadLettered: len(tc.letters), BulkRequests: 1}
				res, err := h.Handle(t.Context(), payload)
				if err != nil || counts(res) != first {
					t.Fatalf("first delivery: %+v, %v; want %+v", counts(res), err, first)
				}
				for i, id := range tc.ids {
					want := wantSource(recs[i])
					body := want["msg_body"].(map[string]any)
					body["value"] = tc.value[i]
					if tc.noKey {
						delete(body, "key")
					}
					if got := e.Source(t, index, id); !reflect.DeepEqual(got, want) {
						t.Errorf("record %d (id %q): _source\n got %v\nwant %v", i, id, got, want)
					}
					if r := storedRouting(t, e, index, id); r != tc.routing[i] {
						t.Errorf("record %d: _routing %q, want %q", i, r, tc.routing[i])
					}
				}
				for _, l := range dl.read(t, len(tc.letters)) {
					if want := tc.letters[l.Record.Offset]; l.Error.Type != want || want == "" {
						t.Errorf("letter for offset %d has type %q, want %q", l.Record.Offset, l.Error.Type, want)
					}
				}

				// Re-delivery: the same documents again, found unchanged.
				res, err = h.Handle(t.Context(), payload)
				again := first
				again.Created, again.Noop = 0, len(tc.ids)
				if err != nil || counts(res) != again {
					t.Fatalf("second delivery: %+v, %v; want %+v", counts(res), err, again)
				}
				if n := e.Count(t, index); n != len(tc.ids) {
					t.Errorf("%d documents, want %d", n, len(tc.ids))
				}
			})
		}
	})
}

// storedRouting is the _routing the engine stored for a document.
func storedRouting(t *testing.T, e *targettest.Engine, index, id string) string {
	t.Helper()
	h := e.Get(t, index, id)
	if h == nil {
		t.Fatalf("no document %s/%s", index, id)
	}
	return h.Routing
}
