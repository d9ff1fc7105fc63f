package esclient

import (
	"encoding/json"
	"fmt"
)

// maxSummary bounds how much of an unparsable answer goes into an error
// message: a proxy's HTML error page should not flood the logs.
const maxSummary = 200

// ErrorSummary returns "type: reason" from an Elasticsearch error body
// ({"error": {"type", "reason"}, "status"}), or the start of the body when it
// is not one (a proxy's answer, a plain-text error).
func ErrorSummary(body []byte) string {
	var env struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &env) == nil && len(env.Error) > 0 {
		var e struct {
			Type   string `json:"type"`
			Reason string `json:"reason"`
		}
		if json.Unmarshal(env.Error, &e) == nil && e.Type != "" {
			return e.Type + ": " + e.Reason
		}
		// Some endpoints answer {"error": "message"}.
		var s string
		if json.Unmarshal(env.Error, &s) == nil {
			return s
		}
	}
	if len(body) > maxSummary {
		return string(body[:maxSummary]) + "..."
	}
	return string(body)
}

func parseInfo(body []byte) (Info, error) {
	var v struct {
		ClusterName string `json:"cluster_name"`
		Version     struct {
			Number string `json:"number"`
		} `json:"version"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return Info{}, fmt.Errorf("elasticsearch info: decoding the answer: %w", err)
	}
	if v.Version.Number == "" {
		return Info{}, fmt.Errorf("%w: info answer has no version number", ErrUnavailable)
	}
	return Info{ClusterName: v.ClusterName, Version: v.Version.Number}, nil
}
