package esbulk

import (
	"errors"
	"testing"
)

func TestClassifyItem(t *testing.T) {
	errOf := func(typ string) *errorBody { return &errorBody{Type: typ, Reason: "r"} }
	update := Action{Op: OpUpdate}
	tests := []struct {
		name   string
		action Action
		item   itemResult
		want   verdict
	}{
		{"created", Action{Op: OpIndex}, itemResult{Status: 201, Result: "created"}, done},
		{"updated", Action{Op: OpIndex}, itemResult{Status: 200, Result: "updated"}, done},
		{"noop", update, itemResult{Status: 200, Result: "noop"}, done},
		{"deleted", Action{Op: OpDelete}, itemResult{Status: 200, Result: "deleted"}, done},
		{"delete not found", Action{Op: OpDelete}, itemResult{Status: 404, Result: "not_found"}, done},
		{"update document missing", update, itemResult{Status: 404, Error: errOf("document_missing_exception")}, permanent},
		{"index missing", Action{Op: OpIndex}, itemResult{Status: 404, Error: errOf("index_not_found_exception")}, permanent},
		{"parsing", Action{Op: OpIndex}, itemResult{Status: 400, Error: errOf("document_parsing_exception")}, permanent},
		{"illegal argument", Action{Op: OpIndex}, itemResult{Status: 400, Error: errOf("illegal_argument_exception")}, permanent},
		{"create conflict", Action{Op: OpCreate}, itemResult{Status: 409, Error: errOf("version_conflict_engine_exception")}, permanent},
		{"external version conflict", Action{Op: OpIndex, VersionType: "external"}, itemResult{Status: 409, Error: errOf("version_conflict_engine_exception")}, permanent},
		{"external update conflict", Action{Op: OpUpdate, VersionType: "external"}, itemResult{Status: 409, Error: errOf("version_conflict_engine_exception")}, permanent},
		{"update conflict", update, itemResult{Status: 409, Error: errOf("version_conflict_engine_exception")}, retriable},
		{"rejected", Action{Op: OpIndex}, itemResult{Status: 429, Error: errOf(typeRejected)}, retriable},
		{"circuit breaker as 503", Action{Op: OpIndex}, itemResult{Status: 503, Error: errOf(typeCircuitBreaker)}, retriable},
		{"rejected with odd status", Action{Op: OpIndex}, itemResult{Status: 500, Error: errOf(typeRejected)}, retriable},
		{"unavailable shards", Action{Op: OpIndex}, itemResult{Status: 503, Error: errOf("unavailable_shards_exception")}, retriable},
		{"502", Action{Op: OpIndex}, itemResult{Status: 502}, retriable},
		{"504", Action{Op: OpIndex}, itemResult{Status: 504}, retriable},
		{"500 script failure", update, itemResult{Status: 500, Error: errOf("script_exception")}, permanent},
		{"413 single document", Action{Op: OpIndex}, itemResult{Status: 413}, permanent},
		{"403 write block", Action{Op: OpIndex}, itemResult{Status: 403, Error: errOf("cluster_block_exception")}, retriable},
		{"403 missing privilege", Action{Op: OpIndex}, itemResult{Status: 403, Error: errOf("security_exception")}, permanent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classifyItem(&tt.action, &tt.item); got != tt.want {
				t.Errorf("classifyItem = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestRetriableRequest(t *testing.T) {
	tests := []struct {
		status int
		typ    string
		want   bool
	}{
		{400, "illegal_argument_exception", false},
		{401, "security_exception", false},
		{403, "security_exception", false},
		{403, "http_403", false},
		{403, typeClusterBlock, true},
		{404, "index_not_found_exception", false},
		{413, "http_413", false},
		{429, typeRejected, true},
		{500, "http_500", true},
		{502, "http_502", true},
		{503, "unavailable_shards_exception", true},
		{504, "http_504", true},
	}
	for _, tt := range tests {
		if got := retriableRequest(tt.status, tt.typ); got != tt.want {
			t.Errorf("retriableRequest(%d, %s) = %t, want %t", tt.status, tt.typ, got, tt.want)
		}
	}
}

func TestForbidden(t *testing.T) {
	tests := []struct {
		err  ItemError
		want bool
	}{
		{ItemError{Status: 403, Type: "security_exception"}, true},
		{ItemError{Status: 401, Type: "security_exception"}, true},
		{ItemError{Status: 403, Type: "http_403"}, true},
		{ItemError{Status: 403, Type: typeClusterBlock, Retriable: true}, false},
		{ItemError{Status: 400, Type: "document_parsing_exception"}, false},
		{ItemError{Status: 429, Type: typeRejected, Retriable: true}, false},
	}
	for _, tt := range tests {
		if got := tt.err.Forbidden(); got != tt.want {
			t.Errorf("%d %s: Forbidden = %t, want %t", tt.err.Status, tt.err.Type, got, tt.want)
		}
		if got := errors.Is(&tt.err, ErrForbidden); got != tt.want {
			t.Errorf("%d %s: errors.Is(ErrForbidden) = %t, want %t", tt.err.Status, tt.err.Type, got, tt.want)
		}
	}
}
