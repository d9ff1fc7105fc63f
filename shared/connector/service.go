// Package connector runs pg-es-sync as a self-managed Elastic connector:
// the connector service for one connector of service type postgresql,
// driven through Elasticsearch's Connector API as Elastic's connectors
// service is. Each run checks in, publishes the configuration schema when
// the connector has none, validates the configuration and the sync rules
// (status error with the reason when they are wrong, and then no job is
// claimed), creates a scheduled job when scheduling.full comes due, claims
// pending full sync jobs with a conditional update (so of two services
// racing for a job exactly one runs it), runs the pg-es-sync engine with
// the job's configuration and rules, honours cancelation, and leaves the
// job and connector documents as Elastic's service leaves them.
package connector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/esclient"
	"github.com/esconnect/esconnect/shared/pgsync"
)

// Environment variables of connector mode.
const (
	EnvConnectorID          = "CONNECTOR_ID"
	EnvConnectorServiceType = "CONNECTOR_SERVICE_TYPE"
)

// ServiceTypePostgreSQL is the only service type this service runs.
const ServiceTypePostgreSQL = "postgresql"

// Defaults, in one place.
const (
	// DefaultPollInterval is how often a running job is read to notice a
	// cancelation request, Elastic's service's job check interval.
	DefaultPollInterval = time.Second
	// DefaultReportInterval is how often a running job and its connector
	// check in, Elastic's service's job reporting interval.
	DefaultReportInterval = 10 * time.Second
	// DefaultRunInterval is how often a long-running service looks at its
	// connector.
	DefaultRunInterval = 30 * time.Second
	// pingTimeout bounds the connection check before a run.
	pingTimeout = 10 * time.Second
)

// Errors a run returns.
var (
	// ErrJobFailed is returned when a job the run claimed ended in error.
	ErrJobFailed = errors.New("sync job failed")
	// ErrCanceled is the cause of a sync stopped for a cancelation request.
	ErrCanceled = errors.New("sync job canceled")
	// ErrConnection reports a PostgreSQL server the configuration does not reach.
	ErrConnection = errors.New("cannot connect to postgresql")
)

// Config configures a service.
type Config struct {
	ConnectorID string
	// ServiceType is what the service runs; empty means postgresql.
	ServiceType   string
	Elasticsearch esclient.Config
	// Environ supplies the settings the connector does not own (bulk,
	// retries, deadline margin...); nil means the process environment.
	Environ []string
	// Hostname is written to claimed jobs; empty means the host name.
	Hostname       string
	Now            func() time.Time
	PollInterval   time.Duration
	ReportInterval time.Duration
	Log            *slog.Logger
}

// LoadConfig reads connector mode's settings from env; id, when not
// empty, is the connector id instead of CONNECTOR_ID.
func LoadConfig(env *config.Env, id string) (Config, error) {
	if id == "" {
		id = env.Required(EnvConnectorID)
	}
	c := Config{
		ConnectorID:   id,
		ServiceType:   env.String(EnvConnectorServiceType, ServiceTypePostgreSQL),
		Elasticsearch: esclient.LoadConfig(env),
	}
	if c.ServiceType != ServiceTypePostgreSQL {
		env.Fail(EnvConnectorServiceType, "%q is not supported: this service runs %s connectors", c.ServiceType, ServiceTypePostgreSQL)
	}
	return c, env.Err()
}

// Service is the connector service of one connector.
type Service struct {
	cfg Config
	api *client
	log *slog.Logger
}

// New builds a service; close releases the Elasticsearch client's idle
// connections.
func New(cfg Config) (*Service, func() error, error) {
	if cfg.ConnectorID == "" {
		return nil, nil, errors.New("connector: no connector id")
	}
	if cfg.ServiceType == "" {
		cfg.ServiceType = ServiceTypePostgreSQL
	}
	if cfg.Environ == nil {
		cfg.Environ = os.Environ()
	}
	if cfg.Hostname == "" {
		cfg.Hostname, _ = os.Hostname()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.ReportInterval <= 0 {
		cfg.ReportInterval = DefaultReportInterval
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	es, err := esclient.New(cfg.Elasticsearch)
	if err != nil {
		return nil, nil, fmt.Errorf("elasticsearch client: %w", err)
	}
	s := &Service{cfg: cfg, api: &client{es: es}, log: cfg.Log.With("connector", cfg.ConnectorID)}
	return s, func() error { es.CloseIdleConnections(); return nil }, nil
}

// Result is what one run did.
type Result struct {
	ConnectorID string `json:"connector_id"`
	// Status is the connector's status at the end of the run.
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
	// ScheduledJob is the job the run created because the schedule came due.
	ScheduledJob string       `json:"scheduled_job,omitempty"`
	Jobs         []JobOutcome `json:"jobs"`
}

// JobOutcome is how a job the run claimed ended.
type JobOutcome struct {
	ID      string `json:"id"`
	Status  string `json:"status"`
	Indexed int64  `json:"indexed_document_count"`
	Deleted int64  `json:"deleted_document_count"`
	Error   string `json:"error,omitempty"`
}

func (s *Service) stamp() string { return s.cfg.Now().UTC().Format(time.RFC3339Nano) }

// RunOnce looks at the connector once: check in, configuration, schedule,
// then every pending job. It returns an error wrapping ErrConfiguration,
// ErrConnection or ErrJobFailed when the connector or a job ended in error.
func (s *Service) RunOnce(ctx context.Context) (Result, error) {
	id := s.cfg.ConnectorID
	res := Result{ConnectorID: id, Jobs: []JobOutcome{}}
	doc, err := s.api.getConnector(ctx, id)
	if err != nil {
		return res, err
	}
	prevSeen, _ := doc["last_seen"].(string)
	if err := s.api.checkIn(ctx, id); err != nil {
		return res, err
	}
	if st, _ := doc["service_type"].(string); st == "" {
		if err := s.api.setServiceType(ctx, id, s.cfg.ServiceType); err != nil {
			return res, err
		}
	} else if st != s.cfg.ServiceType {
		return res, s.fail(ctx, &res, fmt.Errorf("%w: the connector's service type is %q; this service runs %q",
			ErrConfiguration, st, s.cfg.ServiceType))
	}
	if cfg, _ := doc["configuration"].(map[string]any); len(cfg) == 0 {
		// A new connector: publish the fields it needs, then wait for them.
		if err := s.api.setConfiguration(ctx, id, PostgreSQLSchema()); err != nil {
			return res, err
		}
		if err := s.api.setStatus(ctx, id, "needs_configuration"); err != nil {
			return res, err
		}
		s.log.Info("published the configuration schema; waiting for the connector to be configured")
		res.Status = "needs_configuration"
		return res, nil
	}
	status, _ := doc["status"].(string)
	res.Status = status
	if status == "created" || status == "needs_configuration" {
		s.log.Info("the connector is not configured yet", "status", status)
		return res, nil
	}
	if err := s.validateDraftRules(ctx, doc); err != nil {
		return res, err
	}
	if doc, err = s.api.getConnector(ctx, id); err != nil {
		return res, err
	}
	settings, err := envFromConnector(s.cfg.Environ, str(doc["index_name"]), mapOf(doc["configuration"]), activeFiltering(doc))
	if err == nil {
		err = s.ping(ctx, settings)
	}
	if err != nil {
		return res, s.fail(ctx, &res, err)
	}
	if status != "connected" || doc["error"] != nil {
		if err := s.api.setError(ctx, id, nil); err != nil {
			return res, err
		}
	}
	res.Status = "connected"
	if res.ScheduledJob, err = s.schedule(ctx, prevSeen); err != nil {
		return res, err
	}
	return s.runPending(ctx, res)
}

// fail records err as the connector's error.
func (s *Service) fail(ctx context.Context, res *Result, err error) error {
	msg := err.Error()
	s.log.Error("connector error", "error", msg)
	if werr := s.api.setError(context.WithoutCancel(ctx), s.cfg.ConnectorID, &msg); werr != nil {
		return errors.Join(err, werr)
	}
	res.Status, res.Error = "error", msg
	return err
}

// ping connects to PostgreSQL with the connector's settings, as Elastic's
// service does before it syncs.
func (s *Service) ping(ctx context.Context, fc fromConnector) error {
	cfg, cleanup, err := fc.pgsyncSettings(s.cfg.Elasticsearch)
	if err != nil {
		return err
	}
	defer cleanup()
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, cfg.Postgres.ConnString())
	if err != nil {
		return fmt.Errorf("%w on %s: %s", ErrConnection, fc.env[pgsync.EnvPGHost], redact(err.Error(), fc.env[pgsync.EnvPGPassword]))
	}
	return conn.Close(ctx)
}

// redact removes a secret from a message.
func redact(msg, secret string) string {
	if secret == "" {
		return msg
	}
	return strings.ReplaceAll(msg, secret, "xxxxx")
}

// validateDraftRules validates sync rules an operator edited, and
// activates them when they are valid, as Elastic's service does.
func (s *Service) validateDraftRules(ctx context.Context, doc map[string]any) error {
	entry := firstFiltering(doc)
	draft := mapOf(entry["draft"])
	if str(mapOf(draft["validation"])["state"]) != "edited" {
		return nil
	}
	validation := map[string]any{"state": "valid", "errors": []any{}}
	fc, err := envFromConnector(s.cfg.Environ, str(doc["index_name"]), mapOf(doc["configuration"]), draft)
	if err == nil {
		_, cleanup, lerr := fc.pgsyncSettings(s.cfg.Elasticsearch)
		cleanup()
		err = lerr
	}
	var cfgErr error
	if err != nil && errors.Is(err, ErrConfiguration) && strings.Contains(err.Error(), "sync rules") {
		cfgErr = err
	}
	if cfgErr != nil {
		validation = map[string]any{"state": "invalid", "errors": []any{map[string]any{
			"ids": []any{"advanced_snippet"}, "messages": []any{cfgErr.Error()}}}}
	}
	if err := s.api.setDraftValidation(ctx, s.cfg.ConnectorID, validation); err != nil {
		return err
	}
	s.log.Info("validated the draft sync rules", "state", validation["state"])
	if cfgErr != nil {
		return nil
	}
	return s.api.activateDraft(ctx, s.cfg.ConnectorID)
}

// Run looks at the connector every interval until ctx ends. Errors of one
// run are logged and recorded on the connector; the service goes on.
func (s *Service) Run(ctx context.Context, interval time.Duration) error {
	if interval <= 0 {
		interval = DefaultRunInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		res, err := s.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Error("run failed", "error", err)
		} else if err == nil {
			s.log.Info("run done", "status", res.Status, "jobs", len(res.Jobs))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func mapOf(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func firstFiltering(doc map[string]any) map[string]any {
	list, _ := doc["filtering"].([]any)
	if len(list) == 0 {
		return nil
	}
	return mapOf(list[0])
}

func activeFiltering(doc map[string]any) map[string]any { return mapOf(firstFiltering(doc)["active"]) }
