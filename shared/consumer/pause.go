package consumer

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/esconnect/esconnect/shared/kafkaops"
)

// Pause asks the consumer to stop consuming without leaving the group. It
// returns at once; the pause takes effect when the batches in flight have
// finished and the member has rejoined announcing the paused state, which
// Progress().State reports. Pause before Run makes the consumer join paused.
func (c *Consumer) Pause() { c.setPaused(true) }

// Resume undoes Pause: the member rejoins announcing the active state and
// every partition continues from its committed offset.
func (c *Consumer) Resume() { c.setPaused(false) }

func (c *Consumer) setPaused(paused bool) {
	c.mu.Lock()
	if c.wantPaused == paused {
		c.mu.Unlock()
		return
	}
	c.wantPaused = paused
	// Closing wake tells the generation's state watcher, whichever
	// generation it is, that the wanted state changed.
	close(c.wake)
	c.wake = make(chan struct{})
	c.mu.Unlock()
	if paused {
		c.log.Info("pause requested; finishing batches in flight", "group", c.cfg.Group)
	} else {
		c.log.Info("resume requested", "group", c.cfg.Group)
	}
}

// wanted returns the state asked for and a channel closed when it changes.
func (c *Consumer) wanted() (state string, wake <-chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return stateName(c.wantPaused), c.wake
}

func stateName(paused bool) string {
	if paused {
		return kafkaops.MemberPaused
	}
	return kafkaops.MemberActive
}

// Progress is a snapshot of what the consumer has done, for tests, demos and
// monitoring.
type Progress struct {
	// State is what the member announces to the group in the current
	// generation: kafkaops.MemberActive or kafkaops.MemberPaused; empty
	// before the first generation.
	State string
	// Generation is the current generation id.
	Generation int32
	// Batches and Records count handler calls that succeeded and the
	// records in them; Commits counts offset commits the coordinator took.
	Batches, Records, Commits int64
	// PausedPolls counts the wake-ups of paused sessions: one per MaxWait
	// per session, where an active partition worker would have fetched.
	PausedPolls int64
}

// Progress returns a snapshot of the consumer's counters and state.
func (c *Consumer) Progress() Progress {
	c.mu.Lock()
	p := Progress{State: c.announced, Generation: c.generation}
	c.mu.Unlock()
	p.Batches, p.Records = c.batches.Load(), c.records.Load()
	p.Commits, p.PausedPolls = c.commits.Load(), c.pausedPolls.Load()
	return p
}

// stateBalancer puts the member's state into the user data of its group
// membership metadata, which DescribeGroups shows to `esconnect status`.
//
// The client asks every balancer for its metadata when it builds a JoinGroup
// request, in order, so the state is read then; first takes the snapshot and
// the other balancers repeat it, so that every protocol of one join carries
// the same state and the consumer knows which state the join announced.
//
// The metadata is version 0 of the consumer protocol's: the subscribed
// topics and the user data. Range and round robin need nothing newer, and
// kafka-go's DescribeGroups, behind `esconnect status`, cannot read the
// fields of later versions. It also leaves out the generation (version 2+),
// so a member's metadata depends only on its topics and its state: a static
// member that restarts in the same state joins with exactly the metadata of
// the process it replaces.
type stateBalancer struct {
	kgo.GroupBalancer
	c     *Consumer
	first bool
}

func (b stateBalancer) JoinGroupMetadata(topics []string, _ map[string][]int32, _ int32) []byte {
	b.c.mu.Lock()
	if b.first {
		b.c.joining = stateName(b.c.wantPaused)
	}
	state := b.c.joining
	b.c.mu.Unlock()
	meta := kmsg.NewConsumerMemberMetadata()
	meta.Version = 0
	meta.Topics = topics
	meta.UserData = kafkaops.MemberUserData(state)
	return meta.AppendTo(nil)
}

// balancers are range and round robin, in that order of preference,
// carrying the member state. Both are eager (see Consumer.options).
func (c *Consumer) balancers() []kgo.GroupBalancer {
	return []kgo.GroupBalancer{
		stateBalancer{GroupBalancer: kgo.RangeBalancer(), c: c, first: true},
		stateBalancer{GroupBalancer: kgo.RoundRobinBalancer(), c: c},
	}
}

// joined records the generation just joined and returns the state its join
// announced.
func (c *Consumer) joined(gen int32, assigned []string) (state, previous string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	previous = c.announced
	c.announced, c.generation, c.assigned = c.joining, gen, assigned
	return c.announced, previous
}

// watchState runs in every group session, beside the partition workers. As
// soon as the state asked for differs from the one this session announced,
// it makes the member rejoin.
//
// Why a rejoin is how the state changes, and why it loses nothing:
//
//  1. Pause (or Resume) closes wake; watchState cancels the session's
//     context, so each partition worker abandons the batch it is collecting
//     (records never handed to the handler, so not committed) or lets its
//     handler call finish and commits it, and starts no other. Then it
//     calls ForceRebalance, which ends the member's heartbeat loop as a
//     rebalance would.
//  2. The client revokes the assignment: endSession waits for the workers.
//     The client waits for that before rejoining, so a commit carries a
//     generation the coordinator knows and is accepted.
//  3. The client rejoins with the same member id; the JoinGroup carries the
//     new user data (stateBalancer). Metadata that changed makes the
//     coordinator rebalance; with the same members and partitions the range
//     assignment is the same, so the partitions stay with this member and
//     the member never leaves the group — its heartbeats go on while paused.
//  4. A paused session pauses fetching and starts no partition workers, so
//     nothing is fetched or committed; a resumed one resumes fetching from
//     the committed offsets.
func (c *Consumer) watchState(sessCtx context.Context, endSession context.CancelFunc, cl *kgo.Client, announced string) {
	var poll <-chan time.Time
	if announced == kafkaops.MemberPaused {
		t := time.NewTicker(c.cfg.MaxWait)
		defer t.Stop()
		poll = t.C
	}
	for {
		want, wake := c.wanted()
		if want != announced {
			c.log.Info("rejoining the group to announce the new state", "group", c.cfg.Group, "state", want)
			// The session ends here, not when the client gets round to
			// revoking: no worker may start another batch meanwhile.
			endSession()
			cl.ForceRebalance()
			<-sessCtx.Done()
			return
		}
		select {
		case <-sessCtx.Done():
			return
		case <-wake:
		case <-poll:
			c.pausedPolls.Add(1)
		}
	}
}
