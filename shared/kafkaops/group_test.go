package kafkaops

import (
	"testing"

	"github.com/esconnect/esconnect/shared/targettest"
)

func TestMemberState(t *testing.T) {
	tests := []struct {
		name     string
		userData []byte
		want     string
	}{
		{"no user data", nil, MemberActive},
		{"another client's user data", []byte{0, 1, 2}, MemberActive},
		{"prefix without a state", []byte("esconnect:state="), MemberActive},
		{"paused", MemberUserData(MemberPaused), MemberPaused},
		{"a future state passes through", MemberUserData("draining"), "draining"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := memberState(tt.userData); got != tt.want {
				t.Fatalf("memberState(%q) = %q, want %q", tt.userData, got, tt.want)
			}
		})
	}
}

func TestGroupPaused(t *testing.T) {
	paused, active := Member{State: MemberPaused}, Member{State: MemberActive}
	tests := []struct {
		name    string
		members []Member
		want    bool
	}{
		{"no members", nil, false},
		{"all paused", []Member{paused, paused}, true},
		{"one still active", []Member{paused, active}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (Group{Members: tt.members}).Paused(); got != tt.want {
				t.Fatalf("Paused() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDescribeGroupWithoutMembers(t *testing.T) {
	targettest.Kafkas(t, func(t *testing.T, k *targettest.Kafka) {
		c, orders := startOrders(t, k)
		idle := c.Group("idle")
		c.Commit(t, idle, orders, map[int]int64{0: 1})
		a := newAdmin(t, c)
		for _, group := range []string{idle, c.Group("never-seen")} {
			g, err := a.DescribeGroup(t.Context(), group)
			if err != nil {
				t.Fatalf("%s: %v", group, err)
			}
			if g.ID != group || len(g.Members) != 0 || g.Paused() {
				t.Fatalf("%s: %+v", group, g)
			}
			if g.State != "Empty" && g.State != "Dead" {
				t.Fatalf("%s: state %q, want Empty or Dead", group, g.State)
			}
		}
	})
}
