package esclient

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/esconnect/esconnect/shared/errtype"
)

// Info is what Ping learns about the cluster.
type Info struct {
	ClusterName string
	Version     string
}

// ErrUnavailable is wrapped by Ping when the cluster answered with an error
// status; transport failures (refused connection, certificate) are wrapped
// as they come so that errors.As finds, for example,
// *tls.CertificateVerificationError.
var ErrUnavailable = errtype.New(errtype.ElasticsearchUnavailable, "elasticsearch unavailable")

// maxInfoBody bounds the answer Ping reads.
const maxInfoBody = 1 << 20

// Ping asks the cluster for its name and version: a start-up check that the
// address, credentials and certificates work.
func Ping(ctx context.Context, tr esapi.Transport) (Info, error) {
	res, err := esapi.InfoRequest{}.Do(ctx, tr)
	if err != nil {
		return Info{}, fmt.Errorf("elasticsearch info: %w", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxInfoBody))
	if err != nil {
		return Info{}, fmt.Errorf("elasticsearch info: reading the answer: %w", err)
	}
	if res.IsError() {
		return Info{}, fmt.Errorf("%w: info answered %d: %s", ErrUnavailable, res.StatusCode, ErrorSummary(body))
	}
	return parseInfo(body)
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
