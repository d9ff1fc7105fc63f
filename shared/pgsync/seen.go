package pgsync

import (
	"hash/maphash"
	"slices"
)

// seenSet remembers the ids of the rows read, to find the documents whose
// rows are gone. It keeps a 64-bit hash per id, 8 bytes a row (8 MB for a
// million rows) instead of the ids themselves. Two ids sharing a hash (odds
// about n²/2⁶⁵, 3·10⁻⁸ at a million rows) can only keep a stale document one
// more sync; a live document is never deleted, because every id read is in
// the set.
type seenSet struct {
	seed   maphash.Seed
	hashes []uint64
	frozen bool
}

// newSeenSet returns a set with room for expected ids. Sizing it up front
// matters at a million rows: growing by doubling would briefly hold the old
// and the new array, half again as much memory as the set itself.
func newSeenSet(expected int) *seenSet {
	return &seenSet{seed: maphash.MakeSeed(), hashes: make([]uint64, 0, expected)}
}

func (s *seenSet) add(id []byte) {
	s.hashes = append(s.hashes, maphash.Bytes(s.seed, id))
}

// freeze sorts the set for lookups; no adds may follow.
func (s *seenSet) freeze() {
	slices.Sort(s.hashes)
	s.hashes = slices.Compact(s.hashes)
	s.frozen = true
}

// contains reports whether id was added; the set must be frozen.
func (s *seenSet) contains(id string) bool {
	_, found := slices.BinarySearch(s.hashes, maphash.String(s.seed, id))
	return found
}

func (s *seenSet) len() int { return len(s.hashes) }
