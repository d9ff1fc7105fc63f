package kafkaevent

import (
	"fmt"
	"strings"
)

// Format names a trigger payload format.
type Format uint8

// The accepted payload formats. FormatAuto detects the format from the
// payload itself; the others force one, which turns a payload of another shape
// into an error instead of a guess.
const (
	FormatAuto Format = iota
	// FormatAWS is the AWS Lambda MSK / self-managed Kafka event.
	FormatAWS
	// FormatAlibabaConnector is the JSON array that the Alibaba Cloud Kafka
	// sink connector delivers to Function Compute.
	FormatAlibabaConnector
	// FormatFCCloudEvents is the FC 3.0 Kafka trigger with the CloudEvents
	// schema: an array of events (objects or JSON-encoded strings).
	FormatFCCloudEvents
	// FormatFCRawData is the FC 3.0 Kafka trigger with the RawData schema: an
	// array of the bare data objects.
	FormatFCRawData
)

var formatNames = [...]string{
	FormatAuto:             "auto",
	FormatAWS:              "aws",
	FormatAlibabaConnector: "alibaba-connector",
	FormatFCCloudEvents:    "fc-cloudevents",
	FormatFCRawData:        "fc-rawdata",
}

// String returns the name used by EVENT_FORMAT.
func (f Format) String() string {
	if int(f) < len(formatNames) {
		return formatNames[f]
	}
	return fmt.Sprintf("format(%d)", uint8(f))
}

// FormatNames lists the accepted EVENT_FORMAT values, auto first.
func FormatNames() []string { return append([]string(nil), formatNames[:]...) }

// ParseFormat parses an EVENT_FORMAT value (case-insensitive); an empty value
// means auto.
func ParseFormat(s string) (Format, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return FormatAuto, nil
	}
	for i, n := range formatNames {
		if n == s {
			return Format(i), nil
		}
	}
	return FormatAuto, fmt.Errorf("unknown event format %q: expected one of %s", s, strings.Join(formatNames[:], ", "))
}
