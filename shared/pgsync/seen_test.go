package pgsync

import (
	"strconv"
	"testing"
)

func TestSeenSet(t *testing.T) {
	s := newSeenSet(4)
	for i := range 1000 {
		s.add([]byte("db_public_t_" + strconv.Itoa(i)))
	}
	s.add([]byte("db_public_t_7")) // a repeated id counts once
	s.freeze()
	if s.len() != 1000 {
		t.Fatalf("len %d, want 1000", s.len())
	}
	for i := range 1000 {
		if !s.contains("db_public_t_" + strconv.Itoa(i)) {
			t.Fatalf("id %d missing", i)
		}
	}
	for _, id := range []string{"db_public_t_1000", "db_public_t_", "", "db_public_u_1"} {
		if s.contains(id) {
			t.Errorf("%q reported seen", id)
		}
	}
}
