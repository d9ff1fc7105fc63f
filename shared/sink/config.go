package sink

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/deadletter"
	"github.com/esconnect/esconnect/shared/esbulk"
	"github.com/esconnect/esconnect/shared/esclient"
	"github.com/esconnect/esconnect/shared/kafkaevent"
	"github.com/esconnect/esconnect/shared/kafkawire"
	"github.com/esconnect/esconnect/shared/msgdoc"
)

// Environment variables of the kafka-es-sink function (besides the
// connection's of package esclient and the bulk writer's of package esbulk).
const (
	EnvSinkIndex               = "ES_INDEX"
	EnvIndexAllowDot           = "ES_INDEX_ALLOW_DOT"
	EnvDocID                   = "DOC_ID"
	EnvValueFormat             = "VALUE_FORMAT"
	EnvTimezone                = "TIMEZONE"
	EnvRouting                 = "ES_ROUTING"
	EnvPipeline                = "ES_PIPELINE"
	EnvMaxValueBytes           = "MAX_VALUE_BYTES"
	EnvIncludeHeaders          = "INCLUDE_HEADERS"
	EnvNullValue               = "NULL_VALUE"
	EnvValueFields             = "VALUE_FIELDS"
	EnvCSVColumns              = "CSV_COLUMNS"
	EnvMsgMode                 = "MSG_MODE"
	EnvEventFormat             = "EVENT_FORMAT"
	EnvEventBinaryValues       = "EVENT_BINARY_VALUES"
	EnvOnFailure               = "ON_FAILURE"
	EnvDLQTarget               = "DLQ_TARGET"
	EnvDLQTLS                  = "DLQ_TLS"
	EnvDLQCACert               = "DLQ_CA_CERT"
	EnvDLQSASLMechanism        = "DLQ_SASL_MECHANISM"
	EnvDLQUsername             = "DLQ_USERNAME"
	EnvDLQPassword             = "DLQ_PASSWORD"
	EnvFetchOverflow           = "FETCH_OVERFLOW"
	EnvKafkaBrokers            = "KAFKA_BROKERS"
	EnvKafkaTLS                = "KAFKA_TLS"
	EnvKafkaCACert             = "KAFKA_CA_CERT"
	EnvKafkaSASLMechanism      = "KAFKA_SASL_MECHANISM"
	EnvKafkaSASLUsername       = "KAFKA_SASL_USERNAME"
	EnvKafkaSASLPassword       = "KAFKA_SASL_PASSWORD"
	EnvReportBatchItemFailures = "REPORT_BATCH_ITEM_FAILURES"
	EnvFunctionName            = "FUNCTION_NAME"
	// Platform variables FUNCTION_NAME defaults from.
	EnvAWSFunctionName = "AWS_LAMBDA_FUNCTION_NAME"
	EnvFCFunctionName  = "FC_FUNCTION_NAME"
)

// ON_FAILURE values: what the sink does with a record Elasticsearch rejected
// for good or that could not be decoded or built.
const (
	// OnFailureDLQ writes it to DLQ_TARGET and counts it as dead_lettered.
	OnFailureDLQ = "dlq"
	// OnFailureFail fails the invocation, naming the records, so the
	// platform re-delivers the batch.
	OnFailureFail = "fail"
	// OnFailureLog logs it with its reason and counts it as skipped.
	OnFailureLog = "log"
)

// Sink defaults, in one place.
const (
	// DefaultDocID makes topic-partition-offset the document id, so a
	// re-delivered batch overwrites instead of duplicating.
	DefaultDocID = "offset"
	// DefaultEventFormat detects the trigger payload from its shape.
	DefaultEventFormat = "auto"
	// DefaultMaxValueBytes of 0 truncates nothing: Kafka's and the
	// platform's payload limits already bound a value.
	DefaultMaxValueBytes = 0
	// maxMaxValueBytes catches a unit mistake; no trigger delivers more.
	maxMaxValueBytes = math.MaxInt32
)

// Config holds the kafka-es-sink settings. String and LogValue redact the
// credentials, so it can be logged as is.
type Config struct {
	Elasticsearch esclient.Config
	Bulk          esbulk.Config

	// Document holds the validated document settings (ES_INDEX, DOC_ID,
	// VALUE_FORMAT, TIMEZONE, NULL_VALUE, ES_ROUTING, ES_PIPELINE,
	// MAX_VALUE_BYTES, INCLUDE_HEADERS, ES_INDEX_ALLOW_DOT, VALUE_FIELDS,
	// CSV_COLUMNS, MSG_MODE) as the document builder takes them.
	Document msgdoc.Options

	EventFormat kafkaevent.Format
	// EventBinaryValues says FC trigger keys and values are base64.
	EventBinaryValues bool

	// OnFailure is dlq, fail or log.
	OnFailure string
	// DLQTarget is kafka://... or es://...; empty when OnFailure is not dlq.
	DLQTarget string
	// DLQSecurity is the TLS and SASL setup of a kafka:// DLQTarget.
	DLQSecurity deadletter.KafkaSecurity

	// FetchOverflow reads overflow records' real values from KafkaBrokers,
	// connecting with KafkaSecurity.
	FetchOverflow bool
	KafkaBrokers  []string
	KafkaSecurity kafkawire.Security

	// ReportBatchItemFailures returns records that could neither be indexed
	// nor dead-lettered as a Lambda partial batch response.
	ReportBatchItemFailures bool

	// FunctionName names the function in dead letters and logs.
	FunctionName string
}

// LoadConfig reads the kafka-es-sink settings, reporting every problem at once.
func LoadConfig(e *config.Env) (Config, error) {
	s := Config{
		Elasticsearch:     esclient.LoadConfig(e),
		Bulk:              esbulk.LoadConfig(e),
		Document:          loadDocument(e),
		EventBinaryValues: e.Bool(EnvEventBinaryValues, false),
		DLQTarget:         e.String(EnvDLQTarget, ""),
		DLQSecurity: deadletter.KafkaSecurity{
			TLS:           e.Bool(EnvDLQTLS, false),
			CACert:        e.String(EnvDLQCACert, ""),
			SASLMechanism: e.Enum(EnvDLQSASLMechanism, "", deadletter.MechanismPlain, deadletter.MechanismSCRAMSHA256, deadletter.MechanismSCRAMSHA512),
			Username:      e.String(EnvDLQUsername, ""),
			Password:      e.Secret(EnvDLQPassword, ""),
		},
		FetchOverflow: e.Bool(EnvFetchOverflow, false),
		KafkaBrokers:  e.List(EnvKafkaBrokers, nil),
		KafkaSecurity: kafkawire.Security{
			TLS:           e.Bool(EnvKafkaTLS, false),
			CACert:        e.String(EnvKafkaCACert, ""),
			SASLMechanism: e.Enum(EnvKafkaSASLMechanism, "", kafkawire.MechanismPlain, kafkawire.MechanismSCRAMSHA256, kafkawire.MechanismSCRAMSHA512),
			Username:      e.String(EnvKafkaSASLUsername, ""),
			Password:      e.Secret(EnvKafkaSASLPassword, ""),
		},
		ReportBatchItemFailures: e.Bool(EnvReportBatchItemFailures, false),
		FunctionName:            e.String(EnvFunctionName, e.String(EnvAWSFunctionName, e.String(EnvFCFunctionName, ""))),
	}
	f, err := kafkaevent.ParseFormat(e.String(EnvEventFormat, DefaultEventFormat))
	if err != nil {
		e.Fail(EnvEventFormat, "%v", err)
	}
	s.EventFormat = f
	loadFieldOptions(e, &s.Document)

	// ON_FAILURE defaults to dlq exactly when there is somewhere to put dead
	// letters; failing the batch is the only safe default otherwise.
	defOnFailure := OnFailureFail
	if s.DLQTarget != "" {
		defOnFailure = OnFailureDLQ
	}
	s.OnFailure = e.Enum(EnvOnFailure, defOnFailure, OnFailureDLQ, OnFailureFail, OnFailureLog)
	s.checkDLQ(e)
	s.checkOverflow(e)
	return s, e.Err()
}

// fieldOptionEnv names the setting behind each of msgdoc.New's field
// option problems.
var fieldOptionEnv = []struct {
	err  error
	name string
}{
	{msgdoc.ErrIDFields, EnvDocID},
	{msgdoc.ErrRoutingField, EnvRouting},
	{msgdoc.ErrValueFields, EnvValueFields},
	{msgdoc.ErrCSVColumns, EnvCSVColumns},
	{msgdoc.ErrMsgMode, EnvMsgMode},
}

// loadFieldOptions reads the settings that take fields from the value
// (the pointers of DOC_ID=field: and ES_ROUTING=field:, VALUE_FIELDS,
// CSV_COLUMNS) and MSG_MODE into o, which already holds the other document
// settings, and records every problem under the setting that caused it.
func loadFieldOptions(e *config.Env, o *msgdoc.Options) {
	var err error
	if o.IDFields, err = msgdoc.ParseIDFields(e.String(EnvDocID, DefaultDocID)); err != nil {
		e.Fail(EnvDocID, "%v", err)
	}
	if o.RoutingField, err = msgdoc.ParseRoutingField(e.String(EnvRouting, "")); err != nil {
		e.Fail(EnvRouting, "%v", err)
	}
	if o.MsgMode, err = msgdoc.ParseMsgMode(e.String(EnvMsgMode, "")); err != nil {
		e.Fail(EnvMsgMode, "%v", err)
	}
	o.ValueFields = e.List(EnvValueFields, nil)
	o.CSVColumns = e.List(EnvCSVColumns, nil)
	// The builder accepts csv without columns (every row then fails);
	// here the missing setting can be named instead.
	if o.ValueFormat == msgdoc.ValueCSV && len(o.CSVColumns) == 0 {
		e.Fail(EnvCSVColumns, "required when %s=csv", EnvValueFormat)
	}
	if _, err := msgdoc.New(*o); err != nil {
		for _, one := range joined(err) {
			for _, m := range fieldOptionEnv {
				// Index template problems were reported by loadDocument.
				if errors.Is(one, m.err) {
					e.Fail(m.name, "%v", one)
				}
			}
		}
	}
}

// joined returns the errors an errors.Join result holds, or err itself.
func joined(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func (s *Config) checkDLQ(e *config.Env) {
	switch {
	case s.OnFailure == OnFailureDLQ && s.DLQTarget == "":
		e.Fail(EnvDLQTarget, "required when %s=%s", EnvOnFailure, OnFailureDLQ)
		return
	case s.OnFailure != OnFailureDLQ && s.DLQTarget != "":
		e.Fail(EnvDLQTarget, "set but %s=%s never writes dead letters", EnvOnFailure, s.OnFailure)
		return
	case s.DLQTarget == "":
		return
	}
	t, err := deadletter.ParseTarget(s.DLQTarget)
	if err != nil {
		// ParseTarget's errors never repeat the target, which may hold a
		// password.
		e.Fail(EnvDLQTarget, "%v", err)
		return
	}
	if t.Scheme != deadletter.SchemeKafka {
		if s.DLQSecurity != (deadletter.KafkaSecurity{}) {
			e.Fail(EnvDLQTarget, "DLQ_TLS, DLQ_CA_CERT and DLQ_SASL_* apply to kafka:// targets only")
		}
		return
	}
	if err := deadletter.CheckSecurity(t.Merge(s.DLQSecurity)); err != nil {
		e.Fail(EnvDLQSASLMechanism, "%v", err)
	}
}

// checkOverflow reports the Kafka settings FETCH_OVERFLOW needs. Without
// it they are not read: the self-hosted consumer and esconnect status take
// KAFKA_BROKERS from the same environment.
func (s *Config) checkOverflow(e *config.Env) {
	if !s.FetchOverflow {
		return
	}
	if len(s.KafkaBrokers) == 0 {
		e.Fail(EnvKafkaBrokers, "required when %s=true", EnvFetchOverflow)
	}
	if err := s.KafkaSecurity.Check(); err != nil {
		e.Fail(EnvKafkaSASLMechanism, "%v", err)
	}
}

// String describes the settings without credentials.
func (s Config) String() string {
	return fmt.Sprintf("elasticsearch={%s} index=%q doc_id=%s event_format=%s on_failure=%s dlq_target=%q dlq_security={%s} fetch_overflow=%t kafka_brokers=%q kafka_security={%s} function=%q",
		s.Elasticsearch, s.Document.Index, docIDName(s.Document.DocID), s.EventFormat, s.OnFailure, s.dlqTargetString(), securityString(s.DLQSecurity), s.FetchOverflow, s.KafkaBrokers, securityString(s.KafkaSecurity), s.FunctionName)
}

// LogValue makes slog print the settings without credentials.
func (s Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Any("elasticsearch", s.Elasticsearch),
		slog.String("index", s.Document.Index),
		slog.String("doc_id", docIDName(s.Document.DocID)),
		slog.String("event_format", s.EventFormat.String()),
		slog.String("on_failure", s.OnFailure),
		slog.String("dlq_target", s.dlqTargetString()),
		slog.String("dlq_security", securityString(s.DLQSecurity)),
		slog.Bool("fetch_overflow", s.FetchOverflow),
		slog.Any("kafka_brokers", s.KafkaBrokers),
		slog.String("kafka_security", securityString(s.KafkaSecurity)),
		slog.Bool("report_batch_item_failures", s.ReportBatchItemFailures),
		slog.String("function", s.FunctionName),
	)
}

func (s Config) dlqTargetString() string {
	if s.DLQTarget == "" {
		return ""
	}
	t, err := deadletter.ParseTarget(s.DLQTarget)
	if err != nil {
		return "[invalid]"
	}
	return t.String()
}

// securityString describes Kafka security settings with the password
// redacted.
func securityString(d kafkawire.Security) string {
	var b strings.Builder
	fmt.Fprintf(&b, "tls=%t ca_cert=%t sasl_mechanism=%q username=%q password=%q", d.TLS, d.CACert != "", d.SASLMechanism, d.Username, config.Redact(d.Password))
	return b.String()
}
