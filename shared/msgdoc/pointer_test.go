package msgdoc

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

func mustPointer(t testing.TB, s string) pointer {
	t.Helper()
	p, err := parsePointer(s)
	if err != nil {
		t.Fatalf("parsePointer(%q): %v", s, err)
	}
	return p
}

func TestParsePointer(t *testing.T) {
	good := []struct {
		in     string
		tokens []string
	}{
		{"/a", []string{"a"}},
		{"/a/b/0", []string{"a", "b", "0"}},
		{"/", []string{""}},
		{"/a~1b", []string{"a/b"}},
		{"/m~0n", []string{"m~n"}},
		{"/~01", []string{"~1"}}, // RFC 6901: ~1 is replaced before ~0
		{"/é/ü", []string{"é", "ü"}},
	}
	for _, tc := range good {
		p, err := parsePointer(tc.in)
		if err != nil || !reflect.DeepEqual(p.tokens, tc.tokens) || p.text != tc.in {
			t.Errorf("parsePointer(%q) = %q, %v; want %q", tc.in, p.tokens, err, tc.tokens)
		}
	}
	for _, bad := range []string{"", "a", "a/b", "/a~", "/a~2", "/~x", "/\xff"} {
		if _, err := parsePointer(bad); !errors.Is(err, ErrPointer) {
			t.Errorf("parsePointer(%q) = %v, want ErrPointer", bad, err)
		}
	}
}

func TestLookup(t *testing.T) {
	doc := []byte(` {"id": 7, "name" : "a\"b", "n": {"x": [10, {"y": "deep"}, [1,2]], "s": "}]"},
		"a/b": 1, "m~n": 2, "dup": 1, "dup": 2, "esc\u0061ped": "yes", "": "empty", "nul": null,
		"f": 1.50, "t": true, "arr": [ ] } `)
	tests := []struct {
		ptr   string
		want  string
		found bool
	}{
		{"/id", `7`, true},
		{"/name", `"a\"b"`, true},
		{"/n/x/0", `10`, true},
		{"/n/x/1/y", `"deep"`, true},
		{"/n/x/2", `[1,2]`, true},
		{"/n/x/2/1", `2`, true},
		{"/n/s", `"}]"`, true},
		{"/n", `{"x": [10, {"y": "deep"}, [1,2]], "s": "}]"}`, true},
		{"/a~1b", `1`, true},
		{"/m~0n", `2`, true},
		{"/dup", `2`, true}, // the last duplicate, as encoding/json
		{"/escaped", `"yes"`, true},
		{"/", `"empty"`, true},
		{"/nul", `null`, true},
		{"/f", `1.50`, true},
		{"/t", `true`, true},
		{"/arr", `[ ]`, true},
		{"/missing", ``, false},
		{"/id/x", ``, false},
		{"/n/x/3", ``, false},
		{"/n/x/-", ``, false},
		{"/n/x/01", ``, false},
		{"/n/x/a", ``, false},
		{"/arr/0", ``, false},
		{"/name/0", ``, false},
	}
	if !json.Valid(doc) {
		t.Fatal("test document is not JSON")
	}
	for _, tc := range tests {
		got, ok := lookup(doc, mustPointer(t, tc.ptr))
		if ok != tc.found || string(got) != tc.want {
			t.Errorf("lookup(%s) = %s, %v; want %s, %v", tc.ptr, got, ok, tc.want, tc.found)
		}
	}
	// A scalar document has no fields.
	if _, ok := lookup([]byte(`"text"`), mustPointer(t, "/a")); ok {
		t.Error("found a field in a string")
	}
}

func TestMembers(t *testing.T) {
	var keys, values []string
	for k, v := range members([]byte(`{ "a" : 1 , "b":{"c":[1, "x"]},"d\n":"e" }`)) {
		keys, values = append(keys, string(k)), append(values, string(v))
	}
	if want := []string{`"a"`, `"b"`, `"d\n"`}; !reflect.DeepEqual(keys, want) {
		t.Errorf("keys = %q, want %q", keys, want)
	}
	if want := []string{`1`, `{"c":[1, "x"]}`, `"e"`}; !reflect.DeepEqual(values, want) {
		t.Errorf("values = %q, want %q", values, want)
	}
	n := 0
	for range members([]byte(`{}`)) {
		n++
	}
	for range members([]byte(`{"a":1,"b":2}`)) {
		n++
		break
	}
	if n != 1 {
		t.Errorf("members yielded %d times, want 1 (empty object, then a stop after the first)", n)
	}
}

func TestScalarText(t *testing.T) {
	tests := []struct {
		raw  string
		text string
		kind scalarKind
	}{
		{`"plain"`, "plain", scalarOK},
		{`"a\u002bb\n"`, "a+b\n", scalarOK},
		{`12`, "12", scalarOK},
		{`1.0e3`, "1.0e3", scalarOK},
		{`-0`, "-0", scalarOK},
		{`false`, "false", scalarOK},
		{`null`, "", scalarNull},
		{`{"a":1}`, "", scalarComposite},
		{`[1]`, "", scalarComposite},
	}
	for _, tc := range tests {
		text, kind := scalarText([]byte(tc.raw))
		if text != tc.text || kind != tc.kind {
			t.Errorf("scalarText(%s) = %q, %d; want %q, %d", tc.raw, text, kind, tc.text, tc.kind)
		}
	}
}
