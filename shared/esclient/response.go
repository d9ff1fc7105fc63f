package esclient

import "github.com/esconnect/esconnect/shared/esclient/estransport"

// ErrorSummary returns "type: reason" from an Elasticsearch error body, or
// the start of the body when it is not one; see estransport.ErrorSummary.
func ErrorSummary(body []byte) string { return estransport.ErrorSummary(body) }
