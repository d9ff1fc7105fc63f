package esnode

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// doc is one stored document version. A doc is never modified after it is
// stored: a write stores a new one, so the searchable view and scroll
// contexts can keep pointers without copying.
type doc struct {
	id          string
	source      json.RawMessage
	routing     string
	version     int64
	seqNo       int64
	deleted     bool // a tombstone: keeps the version after a delete, like ES
	createdTime time.Time
}

// index is one single-shard index. live holds the latest version of every
// id (realtime GET reads it); searchable is what search sees as of the last
// refresh; pending is what changed in between, so a refresh costs the number
// of changed ids, not the size of the index.
type index struct {
	name    string
	uuid    string
	created time.Time

	mu              sync.RWMutex
	mapping         *field
	settings        map[string]string // flattened "index.*" settings as GET _settings shows them
	refreshInterval time.Duration     // negative: no periodic refresh
	replicas        int
	writeBlock      bool
	live            map[string]*doc
	searchable      map[string]*doc
	searchBytes     int64
	pending         map[string]*doc
	nextSeqNo       int64
	lastRefresh     time.Time
	deletedDocs     int64
}

func newIndex(name, uuid string, now time.Time, defaultRefresh time.Duration) *index {
	return &index{
		name:            name,
		uuid:            uuid,
		created:         now,
		mapping:         newObject(),
		settings:        map[string]string{},
		refreshInterval: defaultRefresh,
		replicas:        1,
		live:            map[string]*doc{},
		searchable:      map[string]*doc{},
		pending:         map[string]*doc{},
		lastRefresh:     now,
	}
}

// applySettings takes the settings of a create-index or update-settings
// request, flattened to "index.*" keys.
func (ix *index) applySettings(flat map[string]string) *esError {
	for k, v := range flat {
		switch k {
		case "index.refresh_interval":
			d, err := parseTimeValue(v)
			if err != nil {
				return errIllegalArgument("failed to parse setting [index.refresh_interval] with value [%s] as a time value: unit is missing or unrecognized", v)
			}
			ix.refreshInterval = d
		case "index.number_of_replicas":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return errIllegalArgument("Failed to parse value [%s] for setting [index.number_of_replicas] must be >= 0", v)
			}
			ix.replicas = n
		case "index.number_of_shards":
			// Accepted and echoed; the node always has a single shard.
			if n, err := strconv.Atoi(v); err != nil || n < 1 {
				return errIllegalArgument("Failed to parse value [%s] for setting [index.number_of_shards] must be >= 1", v)
			}
		case "index.blocks.write":
			ix.writeBlock = v == "true"
		}
		ix.settings[k] = v
	}
	return nil
}

// flattenSettings turns {"index": {"refresh_interval": "1s"}, "number_of_shards": 1}
// into {"index.refresh_interval": "1s", "index.number_of_shards": "1"}.
func flattenSettings(m map[string]any) map[string]string {
	out := map[string]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch val := v.(type) {
		case map[string]any:
			for k, e := range val {
				walk(join(prefix, k), e)
			}
		case nil:
			out[prefix] = ""
		default:
			out[prefix] = fmt.Sprint(val)
		}
	}
	walk("", m)
	norm := make(map[string]string, len(out))
	for k, v := range out {
		if !strings.HasPrefix(k, "index.") {
			k = "index." + k
		}
		norm[k] = v
	}
	return norm
}

// parseTimeValue parses an ES time value ("1s", "500ms", "2m", "1d", "-1").
func parseTimeValue(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "-1" {
		return -1, nil
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.ParseFloat(n, 64)
		return time.Duration(days * float64(24*time.Hour)), err
	}
	if s == "0" {
		return 0, nil
	}
	if n, ok := strings.CutSuffix(s, "micros"); ok {
		s = n + "us"
	} else if n, ok := strings.CutSuffix(s, "nanos"); ok {
		s = n + "ns"
	}
	return time.ParseDuration(s)
}

// refresh makes every write so far visible to search. Caller holds mu.
func (ix *index) refresh(now time.Time) {
	for id, d := range ix.pending {
		if old := ix.searchable[id]; old != nil {
			ix.searchBytes -= int64(len(old.source))
		}
		if d.deleted {
			delete(ix.searchable, id)
			continue
		}
		ix.searchable[id] = d
		ix.searchBytes += int64(len(d.source))
	}
	if len(ix.pending) > 0 {
		ix.pending = map[string]*doc{}
	}
	ix.lastRefresh = now
}

// refreshIfDue applies the periodic refresh lazily: a reader that arrives
// after the interval elapsed sees what a scheduled refresh would have shown.
// ES itself skips scheduled refreshes of search-idle shards in the same way.
func (ix *index) refreshIfDue(now time.Time) {
	ix.mu.RLock()
	due := ix.refreshInterval > 0 && len(ix.pending) > 0 && now.Sub(ix.lastRefresh) >= ix.refreshInterval
	ix.mu.RUnlock()
	if due {
		ix.mu.Lock()
		ix.refresh(now)
		ix.mu.Unlock()
	}
}

// nextRefresh is when the periodic refresh after now happens; ok is false
// when the index does not refresh periodically.
func (ix *index) nextRefresh(now time.Time) (time.Time, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.refreshInterval <= 0 {
		return time.Time{}, false
	}
	elapsed := now.Sub(ix.lastRefresh)
	ticks := elapsed/ix.refreshInterval + 1
	return ix.lastRefresh.Add(ticks * ix.refreshInterval), true
}

// visibleDocs lists the searchable documents in the order they were
// written (seq_no), which is what a constant-score search returns.
func (ix *index) visibleDocs() []*doc {
	docs := make([]*doc, 0, len(ix.searchable))
	for _, d := range ix.searchable {
		docs = append(docs, d)
	}
	sort.Slice(docs, func(i, j int) bool { return docs[i].seqNo < docs[j].seqNo })
	return docs
}

func (ix *index) health() string {
	if ix.replicas > 0 {
		return "yellow"
	}
	return "green"
}

func (ix *index) shards() map[string]any {
	return map[string]any{"total": 1 + ix.replicas, "successful": 1, "failed": 0}
}

// errWriteBlocked is the cluster block ES answers for index.blocks.write.
func errWriteBlocked(index string) *esError {
	return newError(http.StatusForbidden, "cluster_block_exception",
		"index ["+index+"] blocked by: [FORBIDDEN/8/index write (api)];")
}

// renderSettings nests the flattened settings the way GET /{index}/_settings does.
func (ix *index) renderSettings() map[string]any {
	root := map[string]any{}
	for k, v := range ix.settings {
		cur := root
		parts := strings.Split(k, ".")
		for _, p := range parts[:len(parts)-1] {
			next, ok := cur[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				cur[p] = next
			}
			cur = next
		}
		cur[parts[len(parts)-1]] = v
	}
	return root
}
