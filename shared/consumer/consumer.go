package consumer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/esconnect/esconnect/shared/kafkaevent"
)

// Handler processes one batch of records from one partition. A nil error
// means every record is accounted for (written, dead-lettered or skipped by
// policy), so the batch's offsets may be committed. result is logged with the
// batch; it is typically the sink's Result.
type Handler func(ctx context.Context, records []kafkaevent.Record) (result any, err error)

var (
	// ErrPartitionStopped is logged, wrapped, for a partition that stopped
	// because its batch failed under OnFailureFail.
	ErrPartitionStopped = errors.New("partition stopped after a failed batch")
	// ErrFenced is returned, wrapped, by Run when another process joined
	// the group with the same InstanceID: the coordinator gave it this
	// member's place, and two members under one id cannot both consume.
	ErrFenced = errors.New("another consumer joined the group with the same instance id")
	// ErrSessionTimeout is returned, wrapped, by Run when the coordinator
	// refuses the session timeout: it is outside the broker's
	// group.min.session.timeout.ms and group.max.session.timeout.ms.
	ErrSessionTimeout = errors.New("the broker refuses the session timeout")
)

// Consumer runs a consumer group. Create it with New and start it with Run.
type Consumer struct {
	cfg    Config
	handle Handler
	log    *slog.Logger
	// sem bounds the handler calls in flight across partitions.
	sem chan struct{}

	mu sync.Mutex
	// stopped remembers partitions stopped under OnFailureFail, so that a
	// rebalance that hands one back to this process does not silently resume
	// it past the failure.
	stopped map[partitionKey]error
	// sess is the current group session; nil between sessions.
	sess *session
	// assigned is the current generation's assignment.
	assigned []string
	// wantPaused is the state asked for by Pause and Resume; wake is
	// closed and replaced whenever it changes.
	wantPaused bool
	wake       chan struct{}
	// joining is the state the latest JoinGroup announced, announced the
	// one of the current generation (see stateBalancer).
	joining, announced string
	generation         int32

	batches, records, commits, pausedPolls atomic.Int64
}

type partitionKey struct {
	topic     string
	partition int32
}

// New validates cfg and returns a Consumer that feeds handle.
func New(cfg Config, handle Handler, log *slog.Logger) (*Consumer, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if handle == nil {
		return nil, fmt.Errorf("%w: nil handler", ErrInvalidConfig)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Consumer{
		cfg: cfg, handle: handle, log: log,
		sem:     make(chan struct{}, cfg.Concurrency),
		stopped: map[partitionKey]error{},
		wake:    make(chan struct{}),
	}, nil
}

// Stopped returns the partitions stopped under OnFailureFail, with the error
// that stopped each, as "topic/partition".
func (c *Consumer) Stopped() map[string]error {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]error, len(c.stopped))
	for k, err := range c.stopped {
		out[fmt.Sprintf("%s/%d", k.topic, k.partition)] = err
	}
	return out
}

// Assigned returns the partitions assigned in the latest generation as
// "topic/partition".
func (c *Consumer) Assigned() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.assigned...)
}

// Run joins the group and consumes until ctx is cancelled, then leaves the
// group and returns nil. It returns an error when the group cannot be set up
// at all, when the coordinator refuses the session timeout
// (ErrSessionTimeout), and when another process took this member's
// instance id (ErrFenced).
func (c *Consumer) Run(ctx context.Context) error {
	cl, err := kgo.NewClient(c.options(ctx)...)
	if err != nil {
		return fmt.Errorf("consumer group %s: %w", c.cfg.Group, err)
	}
	defer cl.Close()
	c.log.InfoContext(ctx, "consumer started", "group", c.cfg.Group, "topics", c.cfg.Topics, "brokers", c.cfg.Brokers,
		"instance_id", c.cfg.InstanceID, "session_timeout", c.cfg.SessionTimeout.String())
	runErr := c.poll(ctx, cl)
	if errors.Is(runErr, ErrFenced) {
		// The group's member under this instance id is the other process
		// now: leaving would remove it. Close (deferred) only drops the
		// connections, as a static member's close does.
		return runErr
	}
	c.leave(ctx, cl)
	c.log.Info("consumer stopped", "group", c.cfg.Group)
	return runErr
}

// options are the kgo client's settings.
//
// Rebalances are blocked while a poll's records are handed to the partition
// queues (BlockRebalanceOnPoll, released at once by poll), so records a
// poll returned always belong to the session that owns the queues they go
// to: a revoked partition's records can never reach the next session's
// worker for the same partition.
//
// The balancers are eager (range, then round robin, as kafka-go's consumer
// group offered them): every rebalance ends the session of every member,
// which is what lets a session's end wait for its batches in flight and
// commit them while the member still owns the generation (see session.go).
func (c *Consumer) options(ctx context.Context) []kgo.Opt {
	start := kgo.NewOffset().AtEnd()
	if c.cfg.FromEarliest {
		start = kgo.NewOffset().AtStart()
	}
	opts := []kgo.Opt{
		kgo.SeedBrokers(c.cfg.Brokers...),
		kgo.ClientID(clientID),
		kgo.WithLogger(kgoLogger{c.log}),
		kgo.ConsumerGroup(c.cfg.Group),
		kgo.ConsumeTopics(c.cfg.Topics...),
		kgo.ConsumeResetOffset(start),
		kgo.Balancers(c.balancers()...),
		kgo.SessionTimeout(c.cfg.SessionTimeout),
		kgo.HeartbeatInterval(c.cfg.HeartbeatInterval),
		kgo.RebalanceTimeout(c.cfg.RebalanceTimeout),
		kgo.FetchMaxWait(c.cfg.MaxWait),
		// Offsets are committed per partition, after the handler, by
		// consumePartition only.
		kgo.DisableAutoCommit(),
		kgo.BlockRebalanceOnPoll(),
		kgo.OnPartitionsAssigned(func(_ context.Context, cl *kgo.Client, assigned map[string][]int32) {
			c.startSession(ctx, cl, assigned)
		}),
		kgo.OnPartitionsRevoked(func(context.Context, *kgo.Client, map[string][]int32) {
			c.endSession("revoked")
		}),
		kgo.OnPartitionsLost(func(context.Context, *kgo.Client, map[string][]int32) {
			c.endSession("lost")
		}),
	}
	if c.cfg.InstanceID != "" {
		opts = append(opts, kgo.InstanceID(c.cfg.InstanceID))
	}
	return opts
}

// clientID names the consumer's connections on the brokers; a dynamic
// member's id starts with it.
const clientID = "esconnect-run"

// poll hands fetched records to the current session's partition queues
// until ctx ends. It never blocks between a poll and AllowRebalance: a full
// queue pauses its partition instead of holding up the others (see
// partitionQueue).
func (c *Consumer) poll(ctx context.Context, cl *kgo.Client) error {
	for {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil || fs.IsClientClosed() {
			// Records of this last poll were never handed to a handler,
			// so they are not committed and are read again by whoever
			// owns their partitions next.
			cl.AllowRebalance()
			return nil
		}
		var fatal error
		fs.EachError(func(topic string, partition int32, err error) {
			switch {
			case errors.Is(err, kerr.FencedInstanceID):
				fatal = fmt.Errorf("group %s, instance id %s: %w; give every consumer of the group its own --instance-id", c.cfg.Group, c.cfg.InstanceID, ErrFenced)
			case errors.Is(err, kerr.InvalidSessionTimeout):
				fatal = fmt.Errorf("group %s: %w of %v: %w", c.cfg.Group, ErrSessionTimeout, c.cfg.SessionTimeout, err)
			case errors.Is(err, context.Canceled):
			default:
				// Join, sync and fetch failures are retried by the
				// client with a backoff; they are worth a line but not
				// the end of the run.
				c.log.WarnContext(ctx, "kafka error", "group", c.cfg.Group, "topic", topic, "partition", partition, "error", err.Error())
			}
		})
		if fatal != nil {
			cl.AllowRebalance()
			return fatal
		}
		fs.EachPartition(func(p kgo.FetchTopicPartition) {
			if len(p.Records) > 0 {
				c.deliver(cl, p.Topic, p.Partition, p.Records)
			}
		})
		cl.AllowRebalance()
	}
}

// leave takes the member out of the group, so that its partitions move to
// the other members at once instead of after the session timeout.
//
// LeaveGroupContext ends the session first (the revoke waits for the
// batches in flight, which shutdown has cancelled) and stops the client's
// group management, so nothing rejoins afterwards. For a dynamic member it
// also sends the LeaveGroup request. A static member's client deliberately
// does not — a static member that goes away is expected to come back and
// take its partitions again — so for one the request is sent here, naming
// the instance id (LeaveGroup v3+, Kafka 2.4+) and the member id, which
// keeps it from removing a newer process that already took the id over.
//
// Both steps are bounded by the rebalance timeout: a coordinator that cannot
// be reached in that time expires the member after its session anyway.
func (c *Consumer) leave(ctx context.Context, cl *kgo.Client) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.cfg.RebalanceTimeout)
	defer cancel()
	if err := cl.LeaveGroupContext(ctx); err != nil {
		c.log.Warn("leaving the group", "group", c.cfg.Group, "error", err.Error())
	}
	memberID, _ := cl.GroupMetadata()
	if c.cfg.InstanceID == "" || memberID == "" {
		return
	}
	req := kmsg.NewPtrLeaveGroupRequest()
	req.Group = c.cfg.Group
	req.MemberID = memberID
	m := kmsg.NewLeaveGroupRequestMember()
	m.MemberID = memberID
	m.InstanceID = &c.cfg.InstanceID
	m.Reason = kmsg.StringPtr("esconnect run stopped")
	req.Members = append(req.Members, m)
	resp, err := req.RequestWith(ctx, cl)
	if err == nil {
		err = kerr.ErrorForCode(resp.ErrorCode)
	}
	if err == nil {
		for _, rm := range resp.Members {
			if err = kerr.ErrorForCode(rm.ErrorCode); err != nil {
				break
			}
		}
	}
	if err != nil {
		c.log.Warn("static member could not leave the group; its partitions wait for the session timeout",
			"group", c.cfg.Group, "instance_id", c.cfg.InstanceID, "session_timeout", c.cfg.SessionTimeout.String(), "error", err.Error())
		return
	}
	c.log.Info("left the group", "group", c.cfg.Group, "instance_id", c.cfg.InstanceID, "member_id", memberID)
}

// kgoLogger passes the client's warnings and errors to the consumer's log;
// its info and debug lines trace every request and are left out.
type kgoLogger struct{ log *slog.Logger }

func (l kgoLogger) Level() kgo.LogLevel { return kgo.LogLevelWarn }

func (l kgoLogger) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	if level == kgo.LogLevelError {
		l.log.Error("kafka client: "+msg, keyvals...)
		return
	}
	l.log.Warn("kafka client: "+msg, keyvals...)
}
