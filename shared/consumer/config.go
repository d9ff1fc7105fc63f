// Package consumer is the self-hosted Kafka consumer behind `esconnect run`:
// a consumer group, on franz-go's kgo client, that feeds batches of records,
// one partition at a time, to the same handler the serverless functions run,
// and commits a batch's offsets only after the handler succeeded for it.
//
// # Static membership
//
// With Config.InstanceID set the consumer is a static member of its group
// (KIP-345, Kafka's group.instance.id): the coordinator knows it by that id
// across restarts. A member that dies without leaving (SIGKILL, OOM, a lost
// host) keeps its partitions reserved; when a process with the same instance
// id joins before the session timeout, the coordinator hands it the dead
// member's assignment at once, without a rebalance and without waiting for
// the dead session to expire. A member that stops cleanly (Run's context
// ends: SIGINT, SIGTERM) leaves the group explicitly, so that its partitions
// move to the other members at once. Without an instance id the member is
// dynamic: it leaves on stop as well, but a restart after a crash waits
// until the coordinator has expired the dead member's session.
//
// # Pause and resume
//
// Pause stops consumption without giving up the partitions; Resume continues
// from the committed offsets. `esconnect run` wires them to SIGUSR1/SIGUSR2
// (HandleSignals) and to a polled control file (WatchControlFile).
//
// A paused member stays in the group: it keeps heartbeating, so the
// coordinator neither removes it nor hands its partitions to another member,
// and it tells the group it is paused through the user data of its group
// membership metadata, kafkaops.MemberUserData(kafkaops.MemberPaused), which
// `esconnect status` reads with DescribeGroups. That metadata is sent only
// in JoinGroup, so a change of state is a rejoin under the same member id:
// the group session ends, batches in flight finish and commit (records
// fetched but not yet handed to the handler are dropped), and the member
// joins again announcing the new state. With the same members the
// assignment is the same. watchState in pause.go walks through the sequence.
package consumer

import (
	"errors"
	"fmt"
	"time"
)

// Failure policies, the values of ON_FAILURE.
const (
	// OnFailureFail stops consuming a partition whose batch the handler
	// failed, so that nothing after it is processed out of order.
	OnFailureFail = "fail"
	// OnFailureLog logs a failed batch and retries it until it succeeds or
	// the consumer stops; it never commits past it.
	OnFailureLog = "log"
)

// Config configures a Consumer. Zero fields take the defaults in
// withDefaults.
type Config struct {
	Brokers []string
	Topics  []string
	// Group is the consumer group id.
	Group string
	// FromEarliest starts partitions without a committed offset at the
	// earliest offset; otherwise at the end (only new records).
	FromEarliest bool
	// Concurrency bounds handler calls running at once across partitions.
	Concurrency int
	// Batch is the most records handed to the handler at once.
	Batch int
	// Window is how long a batch waits for more records after its first.
	Window time.Duration
	// OnFailure is OnFailureFail or OnFailureLog.
	OnFailure string
	// Retries is how many times a failed batch is retried, with Backoff
	// doubling up to MaxBackoff, before OnFailure applies; 0 means 3 and a
	// negative value means no retries.
	Retries    int
	Backoff    time.Duration
	MaxBackoff time.Duration
	// InstanceID makes the consumer a static group member under that id
	// (Kafka's group.instance.id); empty means a dynamic member. Every
	// member of a group needs its own: a second process joining with the
	// same id fences the first (see ErrFenced). At most 249 characters of
	// ASCII letters, digits, '.', '_' and '-'.
	InstanceID string
	// SessionTimeout is how long the coordinator keeps a member that has
	// stopped heartbeating (a crashed process) before it hands the member's
	// partitions to the others. It must lie within the broker's
	// group.min.session.timeout.ms and group.max.session.timeout.ms.
	SessionTimeout time.Duration
	// HeartbeatInterval is how often the member heartbeats; a heartbeat is
	// also how it learns that the group is rebalancing. Shorter than
	// SessionTimeout.
	HeartbeatInterval time.Duration
	// RebalanceTimeout is how long the coordinator waits for members to
	// finish their in-flight batch and rejoin during a rebalance.
	RebalanceTimeout time.Duration
	// MaxWait bounds how long one fetch waits for records on the broker.
	MaxWait time.Duration
}

// Group membership defaults.
//
// The session timeout is what a member that died costs the group: until it
// expires, the dead member's partitions are consumed by nobody, unless a
// process with the same InstanceID takes them back. Kafka's own consumer
// defaults to 45 s (10 s before Kafka 3.0); 10 s keeps that cost low and
// is still far above what can delay a heartbeat of this process: heartbeats
// are sent by the client's own goroutine, independently of how long a batch
// takes, so only a stalled host or network, or a coordinator failing over,
// can hold them up. Brokers refuse less than group.min.session.timeout.ms
// (6 s by default).
//
// Heartbeats every second, a tenth of the session: a member then survives
// several lost heartbeats, and learns of a rebalance within a second, so
// the rebalance is not held up waiting for it. A heartbeat is one small
// request to the coordinator.
//
// The rebalance timeout bounds how long a rebalance waits for this member's
// batches in flight to finish and commit (a bulk request, with its retries);
// a member slower than that is removed from the group. A minute, as before.
const (
	DefaultSessionTimeout    = 10 * time.Second
	DefaultHeartbeatInterval = time.Second
	DefaultRebalanceTimeout  = time.Minute
)

// DefaultGroup is the consumer group the Alibaba Cloud Kafka Elasticsearch
// sink connector uses for a connector named kafka-es-sink, so the
// self-hosted consumer can take over from it at the committed offsets.
const DefaultGroup = "connect-kafka-es-sink"

func (c Config) withDefaults() Config {
	if c.Group == "" {
		c.Group = DefaultGroup
	}
	if c.Concurrency < 1 {
		// One handler per core is what a bulk-bound handler can use.
		c.Concurrency = 4
	}
	if c.Batch < 1 {
		// The size of a Lambda MSK batch by default.
		c.Batch = 100
	}
	if c.Window <= 0 {
		// Trades latency for larger bulk requests, like a trigger's batching window.
		c.Window = 500 * time.Millisecond
	}
	if c.OnFailure == "" {
		c.OnFailure = OnFailureFail
	}
	if c.Retries == 0 {
		c.Retries = 3
	}
	if c.Backoff <= 0 {
		c.Backoff = 500 * time.Millisecond
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 30 * time.Second
	}
	if c.SessionTimeout <= 0 {
		c.SessionTimeout = DefaultSessionTimeout
	}
	if c.HeartbeatInterval <= 0 {
		c.HeartbeatInterval = DefaultHeartbeatInterval
	}
	if c.RebalanceTimeout <= 0 {
		c.RebalanceTimeout = DefaultRebalanceTimeout
	}
	if c.MaxWait <= 0 {
		c.MaxWait = 500 * time.Millisecond
	}
	return c
}

// ErrInvalidConfig is wrapped by New for missing or contradictory settings.
var ErrInvalidConfig = errors.New("invalid consumer config")

// Validate reports what New would refuse in c, with the defaults applied:
// for callers that check their settings before they build the handler.
func (c Config) Validate() error { return c.withDefaults().validate() }

func (c Config) validate() error {
	var errs []error
	if len(c.Brokers) == 0 {
		errs = append(errs, errors.New("no brokers"))
	}
	if len(c.Topics) == 0 {
		errs = append(errs, errors.New("no topics"))
	}
	if c.OnFailure != OnFailureFail && c.OnFailure != OnFailureLog {
		errs = append(errs, fmt.Errorf("on failure %q is not %s or %s", c.OnFailure, OnFailureFail, OnFailureLog))
	}
	if c.HeartbeatInterval >= c.SessionTimeout {
		errs = append(errs, fmt.Errorf("heartbeat interval %v must be shorter than the session timeout %v", c.HeartbeatInterval, c.SessionTimeout))
	}
	if c.InstanceID != "" {
		if err := ValidateInstanceID(c.InstanceID); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, errors.Join(errs...))
	}
	return nil
}

// maxInstanceIDLen is Kafka's limit on a group.instance.id, the same as on
// topic names.
const maxInstanceIDLen = 249

// ValidateInstanceID checks id against the rules Kafka's clients apply to a
// group.instance.id: not empty, at most 249 characters, only ASCII letters,
// digits, '.', '_' and '-'.
func ValidateInstanceID(id string) error {
	if id == "" {
		return errors.New("instance id is empty")
	}
	if len(id) > maxInstanceIDLen {
		return fmt.Errorf("instance id %.32q... is longer than %d characters", id, maxInstanceIDLen)
	}
	for i, r := range id {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
		if !ok {
			return fmt.Errorf("instance id %q: character %q at %d is not an ASCII letter, digit, '.', '_' or '-'", id, r, i)
		}
	}
	return nil
}
