package kafkaevent

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// TestPlainWord checks the SWAR test against a byte-by-byte definition on
// words built around every special byte class.
func TestPlainWord(t *testing.T) {
	plain := func(b []byte) bool {
		for _, c := range b {
			if c == '"' || c == '\\' || c < 0x20 || c >= 0x80 {
				return false
			}
		}
		return true
	}
	rng := rand.New(rand.NewPCG(1, 2))
	interesting := []byte{0, 0x1f, 0x20, '"', '\\', 'A', 0x7f, 0x80, 0xff, '!', '#', '[', ']'}
	for range 200000 {
		var b [8]byte
		for i := range b {
			if rng.IntN(3) == 0 {
				b[i] = interesting[rng.IntN(len(interesting))]
			} else {
				b[i] = byte(rng.IntN(256))
			}
		}
		if got, want := plainWord(binary.LittleEndian.Uint64(b[:])), plain(b[:]); got != want {
			t.Fatalf("plainWord(%q) = %v, want %v", b, got, want)
		}
	}
}

func TestParseInt(t *testing.T) {
	tests := []struct {
		lit  string
		bits uint
		want int64
		ok   bool
	}{
		{"0", 64, 0, true},
		{"-0", 64, 0, true},
		{"9223372036854775807", 64, 9223372036854775807, true},
		{"9223372036854775808", 64, 0, false},
		{"-9223372036854775808", 64, -9223372036854775808, true},
		{"-9223372036854775809", 64, 0, false},
		{"2147483647", 32, 2147483647, true},
		{"2147483648", 32, 0, false},
		{"-128", 8, -128, true},
		{"128", 8, 0, false},
		{"1.5", 64, 0, false},
		{"1e3", 64, 0, false},
		{"", 64, 0, false},
		{"99999999999999999999999", 64, 0, false},
	}
	for _, tc := range tests {
		got, ok := parseInt([]byte(tc.lit), tc.bits)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseInt(%q, %d) = %d, %v; want %d, %v", tc.lit, tc.bits, got, ok, tc.want, tc.ok)
		}
	}
}

// smallInt is a shortcut: whenever it reads a literal, the general path
// (number, then parseInt) must read the same bytes as the same integer.
func TestSmallIntAgreesWithNumber(t *testing.T) {
	for _, lit := range []string{"0", "-0", "7", "-12", "00", "01", "-01", "123456789012345678", "1234567890123456789",
		"-9223372036854775808", "9223372036854775807", "2147483647", "2147483648", "-2147483648", "-2147483649",
		"1.5", "1e3", "1E3", "-", "12,", "12}", "12 "} {
		for _, bits := range []uint{32, 64} {
			fast := scanner{b: []byte(lit)}
			n, ok := fast.smallInt(bits)
			slow := scanner{b: []byte(lit)}
			num, err := slow.number()
			want, wantOK := parseInt(num, bits)
			if !ok {
				if fast.i != 0 {
					t.Errorf("%q: smallInt refused it but consumed %d bytes", lit, fast.i)
				}
				continue
			}
			if err != nil || !wantOK || n != want || fast.i != slow.i {
				t.Errorf("%q (%d bits): smallInt %d to byte %d; number+parseInt %d, %v, %v to byte %d", lit, bits, n, fast.i, want, wantOK, err, slow.i)
			}
		}
	}
}
