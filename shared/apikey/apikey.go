// Package apikey builds least-privilege Elasticsearch API-key requests for
// esconnect's functions: the body of POST /_security/api_key with one role
// descriptor per function, granting exactly the index privileges the
// function's Elasticsearch calls need and no cluster privileges (neither
// function makes a cluster-level call), except manage_connector for
// pg-es-sync's connector mode. docs/security.md lists the calls behind
// each privilege.
package apikey

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/esconnect/esconnect/shared/pgsync"
)

// Function names accepted by Options.Function.
const (
	FunctionSink = "kafka-es-sink"
	FunctionSync = "pg-es-sync"
	FunctionAll  = "all"
)

// Document id strategies of kafka-es-sink (its DOC_ID setting); they decide
// which write privilege the sink needs.
const (
	DocIDOffset = "offset"
	DocIDKey    = "key"
	DocIDNone   = "none"
)

// Null-value policies of kafka-es-sink (NULL_VALUE, used with DOC_ID=key).
const (
	NullDelete = "delete"
	NullIgnore = "ignore"
	NullIndex  = "index"
)

// Cluster privilege names, as Elasticsearch defines them.
const (
	PrivManageConnector = "manage_connector"
)

// The indices of the connector protocol, which the connector service reads
// and updates directly where the Connector API has no endpoint.
const (
	ConnectorsIndex        = ".elastic-connectors"
	ConnectorSyncJobsIndex = ".elastic-connectors-sync-jobs"
)

// Index privilege names, as Elasticsearch defines them.
const (
	PrivCreateDoc         = "create_doc"
	PrivIndex             = "index"
	PrivDelete            = "delete"
	PrivAutoConfigure     = "auto_configure"
	PrivCreateIndex       = "create_index"
	PrivRead              = "read"
	PrivViewIndexMetadata = "view_index_metadata"
	PrivMaintenance       = "maintenance"
)

// Options says which function the key is for and where it writes. Zero
// fields take the functions' own defaults.
type Options struct {
	// Function is kafka-es-sink, pg-es-sync or all (one key, both roles).
	Function string
	// Index is the target index or a pattern covering it (ES_INDEX; for a
	// sink index template such as kafka-{topic}, a pattern like kafka-*).
	Index string
	// SyncJobsIndex is pg-es-sync's SYNC_JOBS_INDEX; "" means its default.
	SyncJobsIndex string
	// Incremental is pg-es-sync's SYNC_MODE=incremental, which reads the
	// stored cursor back from the sync-jobs index.
	Incremental bool
	// Connector makes pg-es-sync's role the one of connector mode
	// (CONNECTOR_ID, `esconnect connector run`): Index is then the
	// connector's index_name, and the connector's sync jobs replace the
	// sync-jobs index.
	Connector bool
	// DLQIndex is the index of an es:// dead-letter target; "" when
	// dead letters go elsewhere.
	DLQIndex string
	// DocID is the sink's DOC_ID; "" means offset, the sink's default.
	DocID string
	// NullValue is the sink's NULL_VALUE; "" means delete, its default.
	NullValue string
	// Name names the key; "" means esconnect-<function>.
	Name string
	// Expiration is an ES time value such as 30d; "" means no expiry.
	Expiration string
}

// Request is the body of POST /_security/api_key.
type Request struct {
	Name            string                    `json:"name"`
	Expiration      string                    `json:"expiration,omitempty"`
	RoleDescriptors map[string]RoleDescriptor `json:"role_descriptors"`
	Metadata        map[string]any            `json:"metadata,omitempty"`
}

// RoleDescriptor is one role of the key.
type RoleDescriptor struct {
	Cluster []string          `json:"cluster"`
	Indices []IndexPrivileges `json:"indices"`
}

// IndexPrivileges grants privileges on the indices matching Names.
type IndexPrivileges struct {
	Names      []string `json:"names"`
	Privileges []string `json:"privileges"`
}

// ErrInvalid is wrapped by Build for options it cannot turn into a key.
var ErrInvalid = errors.New("invalid api key options")

// timeValue is ES's time-value syntax, as the expiration field takes it.
var timeValue = regexp.MustCompile(`^[1-9][0-9]*(nanos|micros|ms|s|m|h|d)$`)

// Build validates o and returns the key request, reporting every problem at
// once.
func Build(o Options) (Request, error) {
	var errs []error
	if o.Function == "" {
		o.Function = FunctionSink
	}
	if o.SyncJobsIndex == "" {
		o.SyncJobsIndex = pgsync.DefaultSyncJobsIndex
	}
	if o.DocID == "" {
		o.DocID = DocIDOffset
	}
	if o.NullValue == "" {
		o.NullValue = NullDelete
	}
	switch o.Function {
	case FunctionSink, FunctionSync, FunctionAll:
	default:
		errs = append(errs, fmt.Errorf("function %q: want %s, %s or %s", o.Function, FunctionSink, FunctionSync, FunctionAll))
	}
	errs = append(errs, checkPattern("index", o.Index, true), checkPattern("sync jobs index", o.SyncJobsIndex, false),
		checkPattern("dlq index", o.DLQIndex, false))
	if o.DocID != DocIDOffset && o.DocID != DocIDKey && o.DocID != DocIDNone {
		errs = append(errs, fmt.Errorf("doc id %q: want %s, %s or %s", o.DocID, DocIDOffset, DocIDKey, DocIDNone))
	}
	if o.NullValue != NullDelete && o.NullValue != NullIgnore && o.NullValue != NullIndex {
		errs = append(errs, fmt.Errorf("null value %q: want %s, %s or %s", o.NullValue, NullDelete, NullIgnore, NullIndex))
	}
	if o.Connector && o.Function == FunctionSink {
		errs = append(errs, fmt.Errorf("connector mode is %s's: want function %s or %s with it", FunctionSync, FunctionSync, FunctionAll))
	}
	if o.Incremental && (o.Function == FunctionSink || o.Connector) {
		errs = append(errs, fmt.Errorf("incremental sync is %s's outside connector mode", FunctionSync))
	}
	if o.Expiration != "" && !timeValue.MatchString(o.Expiration) {
		errs = append(errs, fmt.Errorf("expiration %q: want a time value such as 30d, 12h or 90m", o.Expiration))
	}
	if err := errors.Join(errs...); err != nil {
		return Request{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	req := Request{
		Name: o.Name, Expiration: o.Expiration, RoleDescriptors: map[string]RoleDescriptor{},
		Metadata: map[string]any{"application": "esconnect", "function": o.Function},
	}
	if o.Connector {
		req.Metadata["mode"] = "connector"
	}
	if req.Name == "" {
		req.Name = "esconnect-" + o.Function
		if o.Connector {
			req.Name += "-connector"
		}
	}
	if o.Function != FunctionSync {
		req.RoleDescriptors[FunctionSink] = SinkRole(o.Index, o.DLQIndex, o.DocID, o.NullValue)
	}
	switch {
	case o.Function == FunctionSink:
	case o.Connector:
		req.RoleDescriptors[FunctionSync] = ConnectorRole(o.Index)
	default:
		req.RoleDescriptors[FunctionSync] = SyncRole(o.Index, o.SyncJobsIndex, o.Incremental)
	}
	return req, nil
}

// checkPattern rejects names no index can have: ES index names are
// lowercase and never contain these characters, so such a grant would
// match nothing and the function would fail at its first write.
func checkPattern(what, p string, required bool) error {
	switch {
	case p == "":
		if required {
			return fmt.Errorf("%s is required", what)
		}
		return nil
	case p != strings.ToLower(p):
		return fmt.Errorf("%s %q: index names are lowercase", what, p)
	case strings.ContainsAny(p, ` "\/,|<>#:`):
		return fmt.Errorf("%s %q: contains a character index names cannot have", what, p)
	}
	return nil
}

// SinkRole is what kafka-es-sink needs. Its writes are bulk requests only,
// and it never creates indices explicitly, so:
//   - DOC_ID=offset writes update + doc_as_upsert: index (create_doc does
//     not allow updates);
//   - DOC_ID=key writes index with external versions, overwriting: index;
//     with NULL_VALUE=delete, tombstones become bulk deletes: delete;
//   - DOC_ID=none writes index without an id, which ES authorizes as a
//     create: create_doc;
//   - the index is created on first write: auto_configure (auto-creation
//     without the create-index API);
//   - an es:// dead-letter index gets bulk create with deterministic ids
//     (a 409 means already stored): create_doc and auto_configure.
func SinkRole(index, dlqIndex, docID, nullValue string) RoleDescriptor {
	var privs []string
	switch docID {
	case DocIDNone:
		privs = []string{PrivCreateDoc}
	case DocIDKey:
		privs = []string{PrivIndex}
		if nullValue == NullDelete {
			privs = append(privs, PrivDelete)
		}
	default:
		privs = []string{PrivIndex}
	}
	r := RoleDescriptor{Cluster: []string{}, Indices: []IndexPrivileges{
		{Names: []string{index}, Privileges: append(privs, PrivAutoConfigure)},
	}}
	if dlqIndex != "" {
		r.Indices = append(r.Indices, IndexPrivileges{Names: []string{dlqIndex}, Privileges: []string{PrivCreateDoc, PrivAutoConfigure}})
	}
	return r
}

// SyncRole is what pg-es-sync needs:
//   - on the target index: create_index (it creates the index with its
//     keyword mapping, and ES checks the privilege even when the index
//     exists), view_index_metadata (it reads the mapping to pick the term
//     fields), index (bulk index of every row, overwriting), delete (bulk
//     delete of vanished rows), maintenance (refresh before the scroll and
//     before counting), read (search with scroll over the synced tables,
//     count);
//   - on the sync-jobs index: index (the job record is written at the start
//     and overwritten at the end, with the cursors) and auto_configure
//     (created on first write); with incremental, also read (the next run
//     reads the stored cursor back).
func SyncRole(index, jobsIndex string, incremental bool) RoleDescriptor {
	jobs := []string{PrivIndex, PrivAutoConfigure}
	if incremental {
		jobs = append(jobs, PrivRead)
	}
	return RoleDescriptor{Cluster: []string{}, Indices: []IndexPrivileges{
		syncIndex(index),
		{Names: []string{jobsIndex}, Privileges: jobs},
	}}
}

// syncIndex is what the pg-es-sync engine needs on the index it syncs.
func syncIndex(index string) IndexPrivileges {
	return IndexPrivileges{Names: []string{index},
		Privileges: []string{PrivCreateIndex, PrivViewIndexMetadata, PrivIndex, PrivDelete, PrivMaintenance, PrivRead}}
}

// ConnectorRole is what pg-es-sync needs as the connector service of a
// connector whose index_name is index:
//   - cluster manage_connector: its Connector API calls (reading the
//     connector, check-ins, publishing the configuration schema, status
//     and error, validating and activating sync rules, listing and reading
//     sync jobs, creating scheduled ones, reporting a running job's counts);
//     monitor_connector would cover the reads only;
//   - read and index on .elastic-connectors and
//     .elastic-connectors-sync-jobs: the conditional claim of a job, the
//     conditional move of last_sync_scheduled_at and a job's terminal state
//     are document reads and updates there, for which the Connector API has
//     no endpoint (the indices exist: the Connector API created them);
//   - on the connector's index, what the engine needs (SyncRole); no
//     sync-jobs index, since the connector's sync jobs hold the record.
func ConnectorRole(index string) RoleDescriptor {
	return RoleDescriptor{Cluster: []string{PrivManageConnector}, Indices: []IndexPrivileges{
		syncIndex(index),
		{Names: []string{ConnectorsIndex, ConnectorSyncJobsIndex}, Privileges: []string{PrivRead, PrivIndex}},
	}}
}
