package kafkaops

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
)

// MoveRequest asks MoveOffsets to move one group's offsets on one topic.
type MoveRequest struct {
	Group string
	Topic string
	// Partitions limits the move; empty means every partition.
	Partitions []int
	To         Target
	// DryRun computes and returns the move without committing it, even
	// while the group has members.
	DryRun bool
}

// PartitionMove is one partition's committed offset before and after.
type PartitionMove struct {
	Partition int `json:"partition"`
	// Before is the committed offset before the move, -1 without one.
	Before int64 `json:"before"`
	After  int64 `json:"after"`
	Start  int64 `json:"start_offset"`
	End    int64 `json:"end_offset"`
	// Clamped reports an offset target outside [Start, End], moved to the
	// nearer bound.
	Clamped bool `json:"clamped,omitempty"`
}

// MoveResult is what MoveOffsets did, or would do with DryRun.
type MoveResult struct {
	Group      string          `json:"group"`
	Topic      string          `json:"topic"`
	To         string          `json:"to"`
	DryRun     bool            `json:"dry_run"`
	Committed  bool            `json:"committed"`
	Partitions []PartitionMove `json:"partitions"`
	// Members is the group's members when the move was planned; a dry run
	// returns them so that the caller can warn that the real move would be
	// refused.
	Members []Member `json:"members,omitempty"`
}

// ErrGroupActive is matched (errors.Is) by an *ActiveGroupError.
var ErrGroupActive = errors.New("consumer group has active members")

// ActiveGroupError refuses to move the offsets of a group with members: a
// running consumer keeps its position in memory and would overwrite the new
// offsets with its next commit.
type ActiveGroupError struct {
	Group   string
	State   string
	Members []Member
}

func (e *ActiveGroupError) Error() string {
	names := make([]string, len(e.Members))
	for i, m := range e.Members {
		names[i] = fmt.Sprintf("%s (client %s from %s)", m.ID, m.ClientID, m.Host)
	}
	return fmt.Sprintf("group %q is %s with %d member(s): %s; stop its consumers first",
		e.Group, e.State, len(e.Members), strings.Join(names, ", "))
}

// Is makes errors.Is(err, ErrGroupActive) true.
func (e *ActiveGroupError) Is(target error) bool { return target == ErrGroupActive }

// ErrUnknownPartition is wrapped when a requested partition does not exist.
var ErrUnknownPartition = errors.New("unknown partition")

// MoveOffsets moves req.Group's committed offsets on req.Topic to req.To. It
// refuses with an *ActiveGroupError while the group has members, unless
// req.DryRun.
func (a *Admin) MoveOffsets(ctx context.Context, req MoveRequest) (MoveResult, error) {
	if req.To.Kind == 0 {
		return MoveResult{}, fmt.Errorf("%w: no target", ErrBadTarget)
	}
	g, err := a.DescribeGroup(ctx, req.Group)
	if err != nil {
		return MoveResult{}, err
	}
	if len(g.Members) > 0 && !req.DryRun {
		return MoveResult{}, &ActiveGroupError{Group: req.Group, State: g.State, Members: g.Members}
	}
	all, err := a.partitions(ctx, []string{req.Topic})
	if err != nil {
		return MoveResult{}, err
	}
	parts := all[req.Topic]
	if len(req.Partitions) > 0 {
		for _, p := range req.Partitions {
			if !slices.Contains(parts, p) {
				return MoveResult{}, fmt.Errorf("%w %d of topic %q (it has %d)", ErrUnknownPartition, p, req.Topic, len(parts))
			}
		}
		parts = slices.Sorted(slices.Values(req.Partitions))
		parts = slices.Compact(parts)
	}
	committed, err := a.committed(ctx, req.Group, map[string][]int{req.Topic: parts})
	if err != nil {
		return MoveResult{}, err
	}
	b, err := a.bounds(ctx, req.Topic, parts)
	if err != nil {
		return MoveResult{}, err
	}
	var byTime map[int]int64
	if req.To.Kind == ToTime {
		if byTime, err = a.listOffsets(ctx, req.Topic, parts, a.afterTime(req.To.Time)); err != nil {
			return MoveResult{}, err
		}
	}
	res := MoveResult{Group: req.Group, Topic: req.Topic, To: req.To.String(), DryRun: req.DryRun, Members: g.Members}
	for _, p := range parts {
		before, ok := committed[req.Topic][p]
		if !ok {
			before = noCommit
		}
		m := PartitionMove{Partition: p, Before: before, Start: b[p].start, End: b[p].end}
		m.After, m.Clamped = resolve(req.To, b[p], byTime[p])
		res.Partitions = append(res.Partitions, m)
	}
	if req.DryRun {
		return res, nil
	}
	if err := a.commit(ctx, req.Group, req.Topic, res.Partitions); err != nil {
		return res, err
	}
	res.Committed = true
	return res, nil
}

// resolve turns a target into one partition's offset. found is the
// offset-for-time answer for ToTime: the end offset when no record is at or
// after the time, -1 when the broker found none.
func resolve(to Target, b bounds, found int64) (offset int64, clamped bool) {
	switch to.Kind {
	case ToEarliest:
		return b.start, false
	case ToLatest:
		return b.end, false
	case ToTime:
		if found < 0 {
			// Every record is older than the time: nothing to re-read.
			return b.end, false
		}
		return found, false
	}
	switch {
	case to.Offset < b.start:
		return b.start, true
	case to.Offset > b.end:
		return b.end, true
	}
	return to.Offset, false
}

// commit writes the new offsets as a "simple" commit: generation -1 and no
// member id, which a coordinator accepts only while the group has no
// members. So if a consumer joined after MoveOffsets checked, the broker
// refuses the commit instead of letting the consumer overwrite it.
func (a *Admin) commit(ctx context.Context, group, topic string, moves []PartitionMove) error {
	offs := make(kadm.Offsets)
	for _, m := range moves {
		offs.Add(kadm.Offset{Topic: topic, Partition: int32(m.Partition), At: m.After, LeaderEpoch: -1})
	}
	ctx, cancel := a.request(ctx)
	defer cancel()
	// kadm commits with generation -1 and no member id; kgo retries while
	// the coordinator moves or loads.
	resp, err := a.adm.CommitOffsets(ctx, group, offs)
	if err != nil {
		return fmt.Errorf("commit offsets of group %q: %w", group, err)
	}
	var errs []error
	for _, m := range moves {
		if r, ok := resp.Lookup(topic, int32(m.Partition)); ok && r.Err != nil {
			errs = append(errs, fmt.Errorf("commit offset of group %q on %s/%d: %w", group, topic, m.Partition, r.Err))
		}
	}
	return errors.Join(errs...)
}
