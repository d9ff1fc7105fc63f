package connector

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/esconnect/esconnect/shared/quartz"
)

// schedule creates a scheduled full sync job when scheduling.full is
// enabled and its interval fired since the service last looked at the
// connector: since last_sync_scheduled_at, or, before the first schedule,
// since the connector's previous check-in (prevSeen). A connector no
// service has looked at yet starts its schedule now.
//
// The connector's last_sync_scheduled_at is moved first, conditionally on
// the document's sequence number, and the job is created only when that
// write won: of two services that see the schedule come due, one creates
// the job.
func (s *Service) schedule(ctx context.Context, prevSeen string) (string, error) {
	id := s.cfg.ConnectorID
	doc, seq, err := s.api.getDoc(ctx, connectorsIndex, id)
	if err != nil {
		return "", err
	}
	full := mapOf(mapOf(doc["scheduling"])["full"])
	if full["enabled"] != true {
		return "", nil
	}
	interval := str(full["interval"])
	sched, err := quartz.Parse(interval)
	if err != nil {
		return "", fmt.Errorf("%w: scheduling.full.interval: %w", ErrConfiguration, err)
	}
	base := str(doc["last_sync_scheduled_at"])
	if base == "" {
		base = prevSeen
	}
	if base == "" {
		return "", nil
	}
	since, err := time.Parse(time.RFC3339Nano, base)
	if err != nil {
		return "", fmt.Errorf("reading the connector's schedule base %q: %w", base, err)
	}
	now := s.cfg.Now()
	next, ok := sched.Next(since)
	if !ok || next.After(now) {
		return "", nil
	}
	if err := s.api.updateConnectorDoc(ctx, id, map[string]any{"last_sync_scheduled_at": s.stamp()}, &seq); err != nil {
		if errors.Is(err, errConflict) {
			s.log.Info("another service scheduled this sync")
			return "", nil
		}
		return "", err
	}
	jobID, err := s.api.postJob(ctx, id, "full", "scheduled")
	if err != nil {
		return "", err
	}
	s.log.Info("scheduled a full sync", "job", jobID, "interval", interval, "due", next)
	return jobID, nil
}
