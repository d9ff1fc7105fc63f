package query

import (
	"encoding/json"
	"testing"
)

func TestFieldNumber(t *testing.T) {
	tests := []struct {
		name string
		v    any
		k    kind
		want number
		ok   bool
	}{
		{"long", json.Number("42"), kindLong, intNum(42), true},
		{"long string", "42", kindLong, intNum(42), true},
		{"long truncates", json.Number("-7.9"), kindLong, intNum(-7), true},
		{"long exponent", json.Number("1e3"), kindLong, intNum(1000), true},
		{"long exact beyond 2^53", json.Number("9007199254740993"), kindLong, intNum(9007199254740993), true},
		{"long overflow", json.Number("1e30"), kindLong, number{}, false},
		{"double", json.Number("1.25"), kindDouble, floatNum(1.25), true},
		{"float precision", json.Number("0.1"), kindFloat, floatNum(float64(float32(0.1))), true},
		{"not a number", "abc", kindLong, number{}, false},
		{"bool", true, kindLong, number{}, false},
		{"empty", " ", kindLong, number{}, false},
		{"NaN", "NaN", kindDouble, number{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := fieldNumber(tt.v, tt.k)
			if ok != tt.ok || ok && got.cmp(tt.want) != 0 {
				t.Errorf("fieldNumber(%v) = %+v, %v; want %+v, %v", tt.v, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestNumberCmp(t *testing.T) {
	tests := []struct {
		a, b number
		want int
	}{
		{intNum(9007199254740993), intNum(9007199254740992), 1},
		{intNum(5), floatNum(5.5), -1},
		{floatNum(5.5), intNum(5), 1},
		{intNum(-1), intNum(-1), 0},
		{floatNum(2), intNum(2), 0},
	}
	for _, tt := range tests {
		if got := tt.a.cmp(tt.b); got != tt.want {
			t.Errorf("%+v cmp %+v = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestKeywordAndBoolOf(t *testing.T) {
	for v, want := range map[any]string{"x": "x", json.Number("1.0"): "1.0", true: "true", 2.5: "2.5", 3: "3", int64(4): "4"} {
		if got, ok := keywordOf(v); !ok || got != want {
			t.Errorf("keywordOf(%#v) = %q, %v; want %q", v, got, ok, want)
		}
	}
	if _, ok := keywordOf(map[string]any{}); ok {
		t.Error("keywordOf(object) succeeded")
	}
	for v, want := range map[any]bool{true: true, "false": false, "": false, "true": true} {
		if got, ok := boolOf(v); !ok || got != want {
			t.Errorf("boolOf(%#v) = %v, %v; want %v", v, got, ok, want)
		}
	}
	for _, v := range []any{"yes", json.Number("1"), nil} {
		if _, ok := boolOf(v); ok {
			t.Errorf("boolOf(%#v) succeeded", v)
		}
	}
}
