package kafkaops

import (
	"bytes"
	"context"
	"fmt"
	"sort"

	"github.com/segmentio/kafka-go"
)

// Member states, as reported in Member.State.
const (
	// MemberActive is every member that does not say otherwise.
	MemberActive = "active"
	// MemberPaused is a member that holds its partitions but does not
	// consume, such as a paused `esconnect run`.
	MemberPaused = "paused"
)

// memberStatePrefix starts the member metadata user data through which a
// member reports its state.
const memberStatePrefix = "esconnect:state="

// MemberUserData is the user data a consumer puts in its group membership
// metadata (kafka-go: a GroupBalancer whose UserData returns it) to report
// state to `esconnect status`. The metadata is sent when the member joins,
// so a consumer changes its reported state by rejoining.
//
// The member metadata is the one place every group member publishes that
// DescribeGroups shows to other clients without them joining the group; the
// client id would also do, but it is fixed per connection and is often set by
// platforms (Lambda, FC) to identify themselves.
func MemberUserData(state string) []byte {
	return []byte(memberStatePrefix + state)
}

// memberState reads the state a member reported in its user data; members
// that report nothing (any other consumer) are active.
func memberState(userData []byte) string {
	state, ok := bytes.CutPrefix(userData, []byte(memberStatePrefix))
	if !ok || len(state) == 0 {
		return MemberActive
	}
	return string(state)
}

// Member is one member of a consumer group.
type Member struct {
	ID       string `json:"member_id"`
	ClientID string `json:"client_id"`
	Host     string `json:"host"`
	// State is MemberActive unless the member reported another state with
	// MemberUserData.
	State string `json:"state"`
	// Assigned lists the partitions assigned to the member, by topic.
	Assigned map[string][]int `json:"assigned,omitempty"`
}

// Group is a consumer group's state on its coordinator.
type Group struct {
	ID string `json:"group"`
	// State is the coordinator's group state: Empty, Stable,
	// PreparingRebalance, CompletingRebalance or Dead (a group with neither
	// members nor offsets).
	State   string   `json:"state"`
	Members []Member `json:"members"`
}

// Paused reports whether the group has members and every one of them
// reported MemberPaused.
func (g Group) Paused() bool {
	if len(g.Members) == 0 {
		return false
	}
	for _, m := range g.Members {
		if m.State != MemberPaused {
			return false
		}
	}
	return true
}

// DescribeGroup returns the group's state and members.
func (a *Admin) DescribeGroup(ctx context.Context, group string) (Group, error) {
	var resp *kafka.DescribeGroupsResponse
	err := coordinatorRetry(ctx, func() (err error) {
		if resp, err = a.client.DescribeGroups(ctx, &kafka.DescribeGroupsRequest{GroupIDs: []string{group}}); err == nil {
			for _, g := range resp.Groups {
				if g.GroupID == group && coordinatorTransient(g.Error) {
					return g.Error
				}
			}
		}
		return err
	})
	if err != nil {
		return Group{}, fmt.Errorf("describe group %q: %w", group, err)
	}
	for _, g := range resp.Groups {
		if g.GroupID != group {
			continue
		}
		if g.Error != nil {
			return Group{}, fmt.Errorf("describe group %q: %w", group, g.Error)
		}
		out := Group{ID: group, State: g.GroupState, Members: make([]Member, 0, len(g.Members))}
		for _, m := range g.Members {
			mem := Member{
				ID: m.MemberID, ClientID: m.ClientID, Host: m.ClientHost,
				State: memberState(m.MemberMetadata.UserData),
			}
			for _, t := range m.MemberAssignments.Topics {
				if mem.Assigned == nil {
					mem.Assigned = make(map[string][]int)
				}
				parts := append([]int(nil), t.Partitions...)
				sort.Ints(parts)
				mem.Assigned[t.Topic] = parts
			}
			out.Members = append(out.Members, mem)
		}
		sort.Slice(out.Members, func(i, j int) bool { return out.Members[i].ID < out.Members[j].ID })
		return out, nil
	}
	return Group{}, fmt.Errorf("describe group %q: the coordinator did not answer for it", group)
}
