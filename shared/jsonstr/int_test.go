package jsonstr

import (
	"math"
	"strconv"
	"testing"
)

func TestAppendIntMatchesStrconv(t *testing.T) {
	vals := []int64{0, 1, 9, 10, 99, 100, 101, 999, 1000, 9999, 10000, 12345, 1709633700123, math.MaxInt64, -1, -10, -99, -100, -1709633700123, math.MinInt64}
	for p := int64(1); p > 0 && p < math.MaxInt64/10; p *= 10 {
		vals = append(vals, p-1, p, p+1, -p)
	}
	for _, v := range vals {
		for _, prefix := range [][]byte{nil, []byte(`"x":`), make([]byte, 3, 64)} {
			want := strconv.AppendInt(append([]byte(nil), prefix...), v, 10)
			if got := AppendInt(append([]byte(nil), prefix...), v); string(got) != string(want) {
				t.Errorf("AppendInt(%q, %d) = %q, want %q", prefix, v, got, want)
			}
			if n := IntLen(v); n != len(want)-len(prefix) {
				t.Errorf("IntLen(%d) = %d, want %d", v, n, len(want)-len(prefix))
			}
			if got := AppendInt(prefix[:len(prefix):len(prefix)], v); string(got) != string(want) {
				t.Errorf("AppendInt(%q, %d) without spare capacity = %q, want %q", prefix, v, got, want)
			}
		}
	}
}

func FuzzAppendInt(f *testing.F) {
	f.Add(int64(0))
	f.Add(int64(math.MinInt64))
	f.Fuzz(func(t *testing.T, v int64) {
		if got, want := string(AppendInt(nil, v)), strconv.FormatInt(v, 10); got != want {
			t.Fatalf("AppendInt(%d) = %q, want %q", v, got, want)
		}
	})
}
