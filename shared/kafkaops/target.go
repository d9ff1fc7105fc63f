package kafkaops

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// TargetKind says how a Target names the new offset.
type TargetKind int

// Target kinds.
const (
	// ToEarliest is each partition's log start offset.
	ToEarliest TargetKind = iota + 1
	// ToLatest is each partition's end offset: skip everything produced
	// so far.
	ToLatest
	// ToOffset is Target.Offset on every partition, clamped to the
	// retained records.
	ToOffset
	// ToTime is, on each partition, the first record with a timestamp at
	// or after Target.Time, or the end offset when there is none.
	ToTime
)

// Target is where MoveOffsets moves a group.
type Target struct {
	Kind   TargetKind
	Offset int64
	Time   time.Time
}

// String gives the target in the syntax ParseTarget reads.
func (t Target) String() string {
	switch t.Kind {
	case ToEarliest:
		return "earliest"
	case ToLatest:
		return "latest"
	case ToOffset:
		return strconv.FormatInt(t.Offset, 10)
	case ToTime:
		return t.Time.Format(time.RFC3339Nano)
	}
	return "unset"
}

// ErrBadTarget is wrapped by ParseTarget.
var ErrBadTarget = errors.New("bad offset target")

// ParseTarget reads "earliest", "latest", a non-negative offset, or an
// RFC 3339 time such as 2024-05-01T12:00:00Z.
func ParseTarget(s string) (Target, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "earliest":
		return Target{Kind: ToEarliest}, nil
	case "latest":
		return Target{Kind: ToLatest}, nil
	case "":
		return Target{}, fmt.Errorf("%w: empty; want earliest, latest, an offset or an RFC 3339 time", ErrBadTarget)
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 {
			return Target{}, fmt.Errorf("%w %q: an offset is not negative", ErrBadTarget, s)
		}
		return Target{Kind: ToOffset, Offset: n}, nil
	}
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return Target{}, fmt.Errorf("%w %q: want earliest, latest, an offset or an RFC 3339 time (2024-05-01T12:00:00Z)", ErrBadTarget, s)
	}
	return Target{Kind: ToTime, Time: tm}, nil
}
