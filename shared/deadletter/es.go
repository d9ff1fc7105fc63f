package deadletter

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"

	"github.com/esconnect/esconnect/shared/esbulk"
)

// BulkFunc writes actions with the bulk API and returns one outcome per
// action, index-aligned. It is a function rather than the bulk writer's type
// so that this package does not depend on how the writer is configured; the
// sink adapts its *esbulk.Writer in one line.
type BulkFunc func(ctx context.Context, actions []esbulk.Action) ([]esbulk.Outcome, error)

// versionConflict is the error type of a create whose id already exists.
const versionConflict = "version_conflict_engine_exception"

type esPublisher struct {
	index string
	bulk  BulkFunc
}

// Publish creates one document per letter with a deterministic id, so a
// re-delivered batch or a redrive that fails again finds the letter already
// stored (409 on create) instead of storing it twice.
func (p *esPublisher) Publish(ctx context.Context, letters []Letter) error {
	if len(letters) == 0 {
		return nil
	}
	actions := make([]esbulk.Action, 0, len(letters))
	for _, l := range letters {
		body, err := Encode(l)
		if err != nil {
			return err
		}
		actions = append(actions, esbulk.Action{Op: esbulk.OpCreate, Index: p.index, ID: DocumentID(l), Body: body})
	}
	outcomes, err := p.bulk(ctx, actions)
	failed := 0
	var first *esbulk.ItemError
	for i := range actions {
		if i >= len(outcomes) {
			failed++
			continue
		}
		o := outcomes[i]
		if o.Err == nil || (o.Err.Status == http.StatusConflict && o.Err.Type == versionConflict) {
			continue
		}
		failed++
		if first == nil {
			first = o.Err
		}
	}
	switch {
	case failed > 0 && first != nil:
		return fmt.Errorf("%w: %d of %d to es://%s, first: %w", ErrPublish, failed, len(actions), p.index, first)
	case failed > 0 || err != nil:
		return fmt.Errorf("%w: %d of %d to es://%s: %w", ErrPublish, failed, len(actions), p.index, err)
	}
	return nil
}

// Close has nothing to release: the bulk writer belongs to the caller.
func (p *esPublisher) Close() error { return nil }

// DocumentID is the id of a letter's document in an es:// target:
// topic-partition-offset for a decoded record; for an undecodable one, whose
// coordinates may be unknown, a hash of what is known and the raw element.
func DocumentID(l Letter) string {
	r := l.Record
	if l.Raw == nil {
		return r.Topic + "-" + strconv.FormatInt(int64(r.Partition), 10) + "-" + strconv.FormatInt(r.Offset, 10)
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%d\x00%d\x00", r.Topic, r.Partition, r.Offset)
	h.Write(l.Raw)
	return "raw-" + hex.EncodeToString(h.Sum(nil))
}
