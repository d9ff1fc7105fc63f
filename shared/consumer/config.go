// Package consumer is the self-hosted Kafka consumer behind `esconnect run`:
// a kafka-go consumer group that feeds batches of records, one partition at a
// time, to the same handler the serverless functions run, and commits a
// batch's offsets only after the handler succeeded for it.
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
// `esconnect status` reads with DescribeGroups. kafka-go sends that user data
// (GroupBalancer.UserData) only in JoinGroup, so a change of state is a
// rejoin under the same member id: the generation ends, batches in flight
// finish and commit (fetches not yet handed to the handler are dropped),
// and the member joins again announcing the new state. With the same members
// the assignment is the same. watchState in pause.go walks through the
// sequence.
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
	// HeartbeatInterval and SessionTimeout tune group membership.
	HeartbeatInterval time.Duration
	SessionTimeout    time.Duration
	// RebalanceTimeout is how long the coordinator waits for members to
	// finish their in-flight batch and rejoin during a rebalance.
	RebalanceTimeout time.Duration
	// MaxWait bounds how long one fetch waits for records on the broker.
	MaxWait time.Duration
}

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
	if c.HeartbeatInterval <= 0 {
		c.HeartbeatInterval = 3 * time.Second
	}
	if c.SessionTimeout <= 0 {
		c.SessionTimeout = 30 * time.Second
	}
	if c.RebalanceTimeout <= 0 {
		c.RebalanceTimeout = 60 * time.Second
	}
	if c.MaxWait <= 0 {
		c.MaxWait = 500 * time.Millisecond
	}
	return c
}

// ErrInvalidConfig is wrapped by New for missing or contradictory settings.
var ErrInvalidConfig = errors.New("invalid consumer config")

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
		errs = append(errs, errors.New("heartbeat interval must be shorter than the session timeout"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, errors.Join(errs...))
	}
	return nil
}
