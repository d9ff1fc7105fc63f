package kafkaops

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
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
// metadata (kgo: a GroupBalancer whose JoinGroupMetadata carries it;
// kafka-go: a GroupBalancer whose UserData returns it) to report
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

// groupDead is the state a coordinator reports for a group with neither
// members nor offsets.
const groupDead = "Dead"

// DescribeGroup returns the group's state and members.
//
// It sends DescribeGroups itself rather than through kadm, which decodes the
// members' metadata and drops what does not decode: kafka-go's consumer
// group labels its metadata version 1 but writes version 0 (see
// consumerMetadata), and the state such a member reports is in it.
func (a *Admin) DescribeGroup(ctx context.Context, group string) (Group, error) {
	ctx, cancel := a.request(ctx)
	defer cancel()
	req := kmsg.NewPtrDescribeGroupsRequest()
	req.Groups = []string{group}
	// kgo sends it to the group's coordinator, and retries while the
	// coordinator moves or loads.
	resp, err := req.RequestWith(ctx, a.cl)
	if err != nil {
		return Group{}, fmt.Errorf("describe group %q: %w", group, err)
	}
	var g *kmsg.DescribeGroupsResponseGroup
	for i := range resp.Groups {
		if resp.Groups[i].Group == group {
			g = &resp.Groups[i]
		}
	}
	if g == nil {
		return Group{}, fmt.Errorf("describe group %q: the coordinator did not answer for it", group)
	}
	if err := kerr.ErrorForCode(g.ErrorCode); err != nil {
		if errors.Is(err, kerr.GroupIDNotFound) {
			// Kafka 4 answers so for a group it does not know, where
			// older versions answer Dead without members.
			return Group{ID: group, State: groupDead, Members: []Member{}}, nil
		}
		return Group{}, fmt.Errorf("describe group %q: %w", group, err)
	}
	out := Group{ID: group, State: g.State, Members: make([]Member, 0, len(g.Members))}
	for _, m := range g.Members {
		mem := Member{ID: m.MemberID, ClientID: m.ClientID, Host: m.ClientHost, State: MemberActive}
		// Only consumer groups carry the consumer protocol's metadata;
		// a member whose bytes do not read as it is shown without state
		// or assignment rather than failing the whole description.
		if g.ProtocolType == "consumer" || g.ProtocolType == "" {
			if md, ok := consumerMetadata(m.ProtocolMetadata); ok {
				mem.State = memberState(md.UserData)
			}
			var as kmsg.ConsumerMemberAssignment
			if len(m.MemberAssignment) > 0 && as.ReadFrom(m.MemberAssignment) == nil {
				for _, t := range as.Topics {
					if mem.Assigned == nil {
						mem.Assigned = make(map[string][]int)
					}
					parts := make([]int, len(t.Partitions))
					for i, p := range t.Partitions {
						parts[i] = int(p)
					}
					sort.Ints(parts)
					mem.Assigned[t.Topic] = parts
				}
			}
		}
		out.Members = append(out.Members, mem)
	}
	sort.Slice(out.Members, func(i, j int) bool { return out.Members[i].ID < out.Members[j].ID })
	return out, nil
}

// consumerMetadata reads a member's consumer protocol metadata. kafka-go's
// consumer group announces version 1 but writes only version 0's fields
// (no owned partitions), so what fails to read as its version is read again
// as version 0.
func consumerMetadata(b []byte) (kmsg.ConsumerMemberMetadata, bool) {
	var md kmsg.ConsumerMemberMetadata
	if len(b) < 2 {
		return md, false
	}
	if md.ReadFrom(b) == nil {
		return md, true
	}
	v0 := append([]byte{0, 0}, b[2:]...)
	return md, md.ReadFrom(v0) == nil
}
