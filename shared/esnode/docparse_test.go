package esnode_test

import (
	"strings"
	"testing"

	"github.com/esconnect/esconnect/shared/esnode"
)

// causes lists the error type and the caused_by chain below it.
func causes(e any) string {
	var out []string
	for m, ok := e.(map[string]any); ok; m, ok = m["caused_by"].(map[string]any) {
		out = append(out, m["type"].(string))
		if _, has := m["index"]; has {
			out = append(out, "(names an index)")
		}
	}
	return strings.Join(out, " < ")
}

// The chains are Elasticsearch 8.19's for the same documents (the
// differential test holds them to the real server).
func TestDocumentParsingErrors(t *testing.T) {
	_, c := newNode(t, esnode.Options{})
	status, _ := call(t, c, "PUT", "/p/_doc/0", `{"f":1.5,"b":true,"d":"2024-01-01","l":1,"k":"x","o":{"a":1}}`)
	wantStatus(t, "first document", status, 201, nil)
	// The ends of a long's range fit.
	status, _ = call(t, c, "PUT", "/p/_doc/edge", `{"l":9223372036854775807}`)
	wantStatus(t, "largest long", status, 201, nil)
	status, _ = call(t, c, "PUT", "/p/_doc/edge", `{"l":"-9223372036854775808"}`)
	wantStatus(t, "smallest long", status, 200, nil)
	const parsing = "document_parsing_exception"
	for _, tc := range []struct{ doc, want string }{
		{`{"l":"x"}`, parsing + " < illegal_argument_exception"},
		{`{"l":"99999999999999999999"}`, parsing + " < illegal_argument_exception"},
		{`{"l":9223372036854775808}`, parsing + " < x_content_parse_exception < input_coercion_exception"},
		{`{"l":true}`, parsing + " < x_content_parse_exception < json_parse_exception"},
		{`{"f":"x"}`, parsing + " < number_format_exception"},
		{`{"f":{"x":1}}`, parsing + " < illegal_argument_exception"},
		{`{"b":"x"}`, parsing + " < illegal_argument_exception"},
		{`{"b":1}`, parsing + " < x_content_parse_exception < json_parse_exception"},
		{`{"b":{"x":1}}`, parsing + " < x_content_parse_exception < json_parse_exception"},
		{`{"d":"x"}`, parsing + " < illegal_argument_exception < date_time_parse_exception"},
		{`{"d":true}`, parsing + " < illegal_argument_exception < date_time_parse_exception"},
		{`{"k":{"x":1}}`, parsing + " < illegal_argument_exception"},
		{`{"o":1}`, parsing},
		{`not json`, parsing + " < x_content_parse_exception < json_parse_exception"},
		{`[1,2]`, parsing},
	} {
		t.Run(tc.doc, func(t *testing.T) {
			status, res := call(t, c, "PUT", "/p/_doc/1", tc.doc)
			wantStatus(t, "PUT", status, 400, res)
			if got := causes(res["error"]); got != tc.want {
				t.Errorf("error %s, want %s", got, tc.want)
			}
		})
	}
}
