package jsonstr

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestAppend(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", `""`},
		{"plain, longer than a word", "hello, plain ascii text", `"hello, plain ascii text"`},
		{"quote and backslash", `a"b\c`, `"a\"b\\c"`},
		{"short escapes", "\n\r\t", `"\n\r\t"`},
		{"other control bytes", "\x00\x1f", `"\u0000\u001f"`},
		{"escape inside a word", `0123"567890`, `"0123\"567890"`},
		{"valid UTF-8 kept", "Grüße, 世界 😀", `"Grüße, 世界 😀"`},
		{"invalid byte replaced", "a\xffb", `"a\ufffdb"`},
		{"each invalid byte replaced", "\xc3\x28\xff", `"\ufffd(\ufffd"`},
		{"truncated rune at the end", "abc\xe4\xb8", `"abc\ufffd\ufffd"`},
		{"high byte inside a word", "0123456\xff89", `"0123456\ufffd89"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(Append(nil, tt.in)); got != tt.want {
				t.Errorf("Append(string %q) = %s, want %s", tt.in, got, tt.want)
			}
			if got := string(Append([]byte("x"), []byte(tt.in))); got != "x"+tt.want {
				t.Errorf("Append([]byte %q) = %s, want x%s", tt.in, got, tt.want)
			}
		})
	}
}

func TestPlainWord(t *testing.T) {
	for c := 0; c < 256; c++ {
		for pos := range 8 {
			b := []byte(strings.Repeat("a", 8))
			b[pos] = byte(c)
			var w uint64
			for i := range 8 {
				w |= uint64(b[i]) << (8 * i)
			}
			want := c >= 0x20 && c < 0x80 && c != '"' && c != '\\'
			if got := plainWord(w); got != want {
				t.Fatalf("plainWord with %#x at %d = %v, want %v", c, pos, got, want)
			}
		}
	}
}

func TestAppendAllocations(t *testing.T) {
	in := []byte(strings.Repeat(`{"k":"väl\xff"} `, 64))
	dst := make([]byte, 0, 4096)
	if n := testing.AllocsPerRun(100, func() { Append(dst[:0], in) }); n != 0 {
		t.Fatalf("Append allocates %v times per call into a large enough buffer", n)
	}
}

// assertMatchesEncodingJSON checks Append against encoding/json: the output
// is valid JSON and decodes to what encoding/json makes of the same input,
// in the string and the []byte form alike.
func assertMatchesEncodingJSON(t *testing.T, s string) {
	t.Helper()
	enc := Append(nil, s)
	var got string
	if err := json.Unmarshal(enc, &got); err != nil {
		t.Fatalf("Append(%q) = %s: not JSON: %v", s, enc, err)
	}
	ref, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var want string
	if err := json.Unmarshal(ref, &want); err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("Append(%q) decodes to %q, encoding/json gives %q", s, got, want)
	}
	if b := Append(nil, []byte(s)); string(b) != string(enc) {
		t.Errorf("Append([]byte %q) = %s, string form %s", s, b, enc)
	}
	if n, nb := Len(s), Len([]byte(s)); n != len(enc) || nb != len(enc) {
		t.Errorf("Len(%q) = %d (bytes: %d), Append wrote %d bytes", s, n, nb, len(enc))
	}
	// AppendValid writes the same for valid UTF-8 and nothing otherwise.
	prefix := []byte("prefix:")
	got2, ok := AppendValid(prefix, s)
	switch {
	case ok != utf8.ValidString(s):
		t.Errorf("AppendValid(%q) ok = %v, utf8.ValidString says %v", s, ok, !ok)
	case ok && string(got2) != "prefix:"+string(enc):
		t.Errorf("AppendValid(%q) = %s, want prefix:%s", s, got2, enc)
	case !ok && string(got2) != "prefix:":
		t.Errorf("AppendValid(%q) of invalid UTF-8 left %q, want the destination unchanged", s, got2)
	}
}

func TestAppendMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{
		"", "plain", "quote\"back\\slash", "\x00\x1f\x7f", "tab\tcr\rnl\n", "héllo wörld ✓ 😀",
		"bad\xffutf8\xc3", "<html>&amp;", "\u2028\u2029",
	} {
		assertMatchesEncodingJSON(t, s)
	}
}

func FuzzAppend(f *testing.F) {
	for _, s := range []string{"", "a\"b", "\xff", "😀\n", "0123456\xff89", "\xe4\xb8", strings.Repeat("ab\\", 9)} {
		f.Add(s)
	}
	f.Fuzz(assertMatchesEncodingJSON)
}

func BenchmarkAppend(b *testing.B) {
	in := []byte(strings.Repeat(`{"order_id":10042,"status":"PAID","amount":129.90} `, 20))
	dst := make([]byte, 0, 2*len(in))
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		dst = Append(dst[:0], in)
	}
}

func BenchmarkAppendPlain(b *testing.B) {
	in := []byte(strings.Repeat("abcdefghijklmnopqrstuvwxyz0123456789", 30))
	dst := make([]byte, 0, 2*len(in))
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		dst = Append(dst[:0], in)
	}
}
