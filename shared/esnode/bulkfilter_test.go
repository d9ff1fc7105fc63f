package esnode

import (
	"reflect"
	"testing"
)

func TestParseItemFields(t *testing.T) {
	tests := []struct {
		filter string
		want   itemFields
	}{
		{"", nil},
		{"took,items.*._id,items.*.status,items.*.error.type", itemFields{"took": true, "items": true, "_id": true, "status": true, "error": true}},
		{"errors", itemFields{"errors": true}},
		{"items", nil},
		{"items.*.*", nil},
		{"*.took", nil},
	}
	for _, tt := range tests {
		if got := parseItemFields(tt.filter); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseItemFields(%q) = %v, want %v", tt.filter, got, tt.want)
		}
	}
	if f := parseItemFields("took,items.*.status"); f.has("_index") || !f.has("status") {
		t.Errorf("has: %v", f)
	}
}
