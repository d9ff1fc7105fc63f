package query

import (
	"encoding/json"
	"testing"
)

func TestMembersKeepOrderAndDuplicates(t *testing.T) {
	ms, err := members(json.RawMessage(` {"b": 1, "a": {"x": [1]}, "b": "again"} `))
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, m := range ms {
		keys = append(keys, m.Key)
	}
	if len(keys) != 3 || keys[0] != "b" || keys[1] != "a" || keys[2] != "b" || string(ms[1].Raw) != `{"x": [1]}` {
		t.Errorf("members = %q (%s)", keys, ms[1].Raw)
	}
}

func TestMembersErrors(t *testing.T) {
	for _, s := range []string{`[]`, `"x"`, `{"a":}`, `{"a":1} {}`, `{"a":1`, ``} {
		if _, err := members(json.RawMessage(s)); err == nil {
			t.Errorf("members(%q) succeeded", s)
		}
	}
}

func TestTokenKind(t *testing.T) {
	for raw, want := range map[string]string{
		`{}`: "START_OBJECT", ` [1]`: "START_ARRAY", `"s"`: "VALUE_STRING", `true`: "VALUE_BOOLEAN",
		`false`: "VALUE_BOOLEAN", `null`: "VALUE_NULL", `-1.5`: "VALUE_NUMBER", ``: "END_OBJECT",
	} {
		if got := tokenKind(json.RawMessage(raw)); got != want {
			t.Errorf("tokenKind(%q) = %s, want %s", raw, got, want)
		}
	}
}

func TestScalarHelpers(t *testing.T) {
	if v, err := scalar(json.RawMessage(`12345678901234567890`)); err != nil || v != json.Number("12345678901234567890") {
		t.Errorf("scalar kept %v, %v; want the exact json.Number", v, err)
	}
	if b, ok := boolValue(json.RawMessage(`"true"`)); !ok || !b {
		t.Error(`boolValue("true") failed`)
	}
	if _, ok := boolValue(json.RawMessage(`1`)); ok {
		t.Error("boolValue(1) succeeded")
	}
	if f, ok := floatValue(json.RawMessage(`"2.5"`)); !ok || f != 2.5 {
		t.Error(`floatValue("2.5") failed`)
	}
	if _, ok := floatValue(json.RawMessage(`"high"`)); ok {
		t.Error(`floatValue("high") succeeded`)
	}
}
