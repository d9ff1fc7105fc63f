package esbulk

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/esconnect/esconnect/shared/jsonstr"
)

func TestAppendAction(t *testing.T) {
	tests := []struct {
		name   string
		action Action
		want   string
	}{
		{"index with id", Action{Op: OpIndex, Index: "logs", ID: "1", Body: []byte(`{"a":1}`)},
			`{"index":{"_index":"logs","_id":"1"}}` + "\n" + `{"a":1}` + "\n"},
		{"index without id", Action{Op: OpIndex, Index: "logs", Body: []byte(`{}`)},
			`{"index":{"_index":"logs"}}` + "\n{}\n"},
		{"create with routing and pipeline", Action{Op: OpCreate, Index: "i", ID: "x", Routing: "r1", Pipeline: "p", Body: []byte(`{}`)},
			`{"create":{"_index":"i","_id":"x","routing":"r1","pipeline":"p"}}` + "\n{}\n"},
		{"update with retry on conflict", Action{Op: OpUpdate, Index: "i", ID: "x", RetryOnConflict: 3, Body: []byte(`{"doc":{},"doc_as_upsert":true}`)},
			`{"update":{"_index":"i","_id":"x","retry_on_conflict":3}}` + "\n" + `{"doc":{},"doc_as_upsert":true}` + "\n"},
		{"external version", Action{Op: OpIndex, Index: "i", ID: "x", Version: 42, VersionType: "external", Body: []byte(`{}`)},
			`{"index":{"_index":"i","_id":"x","version":42,"version_type":"external"}}` + "\n{}\n"},
		{"version ignored without type", Action{Op: OpIndex, Index: "i", ID: "x", Version: 42, Body: []byte(`{}`)},
			`{"index":{"_index":"i","_id":"x"}}` + "\n{}\n"},
		{"retry on conflict only for update", Action{Op: OpIndex, Index: "i", ID: "x", RetryOnConflict: 3, Body: []byte(`{}`)},
			`{"index":{"_index":"i","_id":"x"}}` + "\n{}\n"},
		{"delete has no source line", Action{Op: OpDelete, Index: "i", ID: "x", Body: []byte(`{"ignored":1}`)},
			`{"delete":{"_index":"i","_id":"x"}}` + "\n"},
		{"escaped id", Action{Op: OpIndex, Index: "i", ID: "a\"b\\c\n\x01", Body: []byte(`{}`)},
			`{"index":{"_index":"i","_id":"a\"b\\c\n\u0001"}}` + "\n{}\n"},
		{"negative version, odd strings", Action{Op: OpUpdate, Index: "i\xff", ID: "é✓😀\t", Routing: "\x7f", Pipeline: "p\"", Version: -1234567, VersionType: "external", RetryOnConflict: 10, Body: []byte(`{}`)},
			`{"update":{"_index":"i\ufffd","_id":"é✓😀\t","routing":"` + "\x7f" + `","pipeline":"p\"","version":-1234567,"version_type":"external","retry_on_conflict":10}}` + "\n{}\n"},
		{"pretty body flattened", Action{Op: OpIndex, Index: "i", ID: "x", Body: []byte("{\r\n  \"a\": 1\n}")},
			`{"index":{"_index":"i","_id":"x"}}` + "\n{    \"a\": 1 }\n"},
		{"flat body copied as it is", Action{Op: OpIndex, Index: "i", ID: "x", Body: []byte(`{"a":"\n"}`), Flat: true},
			`{"index":{"_index":"i","_id":"x"}}` + "\n" + `{"a":"\n"}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := []byte("kept")
			got := AppendAction(prefix, &tt.action)
			if !bytes.HasPrefix(got, []byte("kept")) {
				t.Fatalf("dst prefix overwritten: %q", got)
			}
			if string(got[4:]) != tt.want {
				t.Errorf("AppendAction =\n%s\nwant\n%s", got[4:], tt.want)
			}
			// The batch sizes its buffer with metaLen: it must be exact when
			// the strings after the index are plain, and never more than the
			// line when they are not.
			n, line := metaLen(&tt.action), len(appendMeta(nil, &tt.action))
			if plain := plainRest(&tt.action); n > line || plain && n != line {
				t.Errorf("metaLen = %d, action line is %d bytes (strings after the index plain: %v)", n, line, plain)
			}
			// Each line must be JSON on its own: that is what the node parses.
			for _, line := range strings.Split(strings.TrimSuffix(string(got[4:]), "\n"), "\n") {
				if !json.Valid([]byte(line)) {
					t.Errorf("line is not valid JSON: %q", line)
				}
			}
		})
	}
}

func TestAppendActionDecodes(t *testing.T) {
	a := Action{Op: OpUpdate, Index: "idx", ID: "id-1", Routing: "7", Version: 3, VersionType: "external_gte",
		RetryOnConflict: 2, Body: []byte(`{"doc":{"k":"v"}}`)}
	lines := strings.Split(strings.TrimSuffix(string(AppendAction(nil, &a)), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines", len(lines))
	}
	var meta map[string]map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &meta); err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]any{"update": {
		"_index": "idx", "_id": "id-1", "routing": "7", "version": 3.0, "version_type": "external_gte", "retry_on_conflict": 2.0,
	}}
	if !reflect.DeepEqual(meta, want) {
		t.Errorf("action line = %v, want %v", meta, want)
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name   string
		action Action
		reason string // "" means valid
	}{
		{"valid index", Action{Op: OpIndex, Index: "i", Body: []byte(`{}`)}, ""},
		{"valid delete", Action{Op: OpDelete, Index: "i", ID: "x"}, ""},
		{"unknown op", Action{Op: Op(9), Index: "i", Body: []byte(`{}`)}, "unknown operation"},
		{"no index", Action{Op: OpIndex, Body: []byte(`{}`)}, "no index"},
		{"update without id", Action{Op: OpUpdate, Index: "i", Body: []byte(`{}`)}, "needs a document id"},
		{"delete without id", Action{Op: OpDelete, Index: "i"}, "needs a document id"},
		{"create without body", Action{Op: OpCreate, Index: "i", ID: "x", Body: []byte("  ")}, "needs a body"},
		{"bad version type", Action{Op: OpIndex, Index: "i", ID: "x", VersionType: "internal", Body: []byte(`{}`)}, "version type"},
		{"512-byte id", Action{Op: OpIndex, Index: "i", ID: strings.Repeat("i", 512), Body: []byte(`{}`)}, ""},
		{"513-byte id", Action{Op: OpIndex, Index: "i", ID: strings.Repeat("i", 513), Body: []byte(`{}`)}, "513 bytes"},
		{"versioned update", Action{Op: OpUpdate, Index: "i", ID: "x", Version: 3, VersionType: "external", Body: []byte(`{}`)}, "version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := check(&tt.action)
			switch {
			case tt.reason == "" && err != nil:
				t.Errorf("check = %v, want valid", err)
			case tt.reason != "" && (err == nil || !strings.Contains(err.Reason, tt.reason) || err.Type != invalidType || err.Retriable):
				t.Errorf("check = %+v, want a permanent %s mentioning %q", err, invalidType, tt.reason)
			}
		})
	}
}

// plainRest reports whether appendMetaRest writes a's strings as they are.
func plainRest(a *Action) bool {
	for _, s := range []string{a.ID, a.Routing, a.Pipeline, a.VersionType} {
		if len(jsonstr.Append(nil, s)) != len(s)+2 {
			return false
		}
	}
	return true
}
