package pgsync

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/esconnect/esconnect/shared/esbulk"
)

// deletePageSize is the scroll page size, and so the size of one delete batch.
const deletePageSize = 1000

// deletionQuery matches the documents this sync owns: those of the synced
// tables of this database and schema. Documents of other tables, schemas or
// databases sharing the index are never candidates.
func deletionQuery(f filterFields, database, schema string, tables []string) map[string]any {
	return map[string]any{"bool": map[string]any{"filter": []any{
		map[string]any{"term": map[string]any{f.database: database}},
		map[string]any{"term": map[string]any{f.schema: schema}},
		map[string]any{"terms": map[string]any{f.table: tables}},
	}}}
}

// deleteResult counts what deleting unseen documents did.
type deleteResult struct {
	deleted  int64
	rejected int64
	firstErr string
}

// deleteUnseen scrolls through the synced tables' documents and bulk-deletes
// those whose id no row produced. It runs only after every source was read
// in full: an id missing from seen then really means the row is gone.
// progress counts the deletions as each page is confirmed.
func deleteUnseen(ctx context.Context, idx esIndex, w *esbulk.Writer, q map[string]any, seen *seenSet, progress *atomic.Int64) (deleteResult, error) {
	var res deleteResult
	var actions []esbulk.Action
	err := idx.scrollIDs(ctx, q, deletePageSize, func(ids []string) error {
		actions = actions[:0]
		for _, id := range ids {
			if !seen.contains(id) {
				actions = append(actions, esbulk.Action{Op: esbulk.OpDelete, Index: idx.name, ID: id})
			}
		}
		if len(actions) == 0 {
			return nil
		}
		rep, err := w.Write(ctx, actions)
		for _, o := range rep.Outcomes {
			switch {
			case o.Err == nil && o.Result == "deleted":
				res.deleted++
			case o.Err == nil, o.Status == 404:
				// Gone already (another writer deleted it): the goal holds.
			default:
				res.rejected++
				if res.firstErr == "" {
					res.firstErr = o.Err.Error()
				}
			}
		}
		progress.Store(res.deleted)
		if err != nil {
			return fmt.Errorf("deleting documents of vanished rows: %w", err)
		}
		return nil
	})
	return res, err
}
