package kafkaevent

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"
)

// The encoders produce trigger payloads from records, for replaying dead
// letters or captured records into a function. They favour clarity over
// speed and use encoding/json.

// ErrNotText is returned when a record cannot be expressed in a text-only
// format (the Alibaba connector and FC text values carry UTF-8 strings).
var ErrNotText = errors.New("value is not valid UTF-8 text")

type awsRecord struct {
	Topic         string              `json:"topic"`
	Partition     int32               `json:"partition"`
	Offset        int64               `json:"offset"`
	Timestamp     int64               `json:"timestamp"`
	TimestampType string              `json:"timestampType"`
	Key           *string             `json:"key,omitempty"`
	Value         *string             `json:"value,omitempty"`
	Headers       []map[string][]int8 `json:"headers"`
}

// EncodeAWS encodes records as an AWS Lambda Kafka event with the given
// eventSource (EventSourceMSK or EventSourceSelfManaged). Records are grouped
// under "topic-partition" keys in order of first appearance; a nil key or
// value is left out, as Lambda does for Kafka nulls.
func EncodeAWS(records []Record, eventSource, bootstrapServers string) ([]byte, error) {
	groups := map[string][]awsRecord{}
	var order []string
	for i := range records {
		r := &records[i]
		k := r.Topic + "-" + strconv.FormatInt(int64(r.Partition), 10)
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		ts := r.TimestampType
		if ts == "" {
			ts = "CREATE_TIME"
		}
		ar := awsRecord{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Timestamp: r.Timestamp,
			TimestampType: ts, Key: b64ptr(r.Key), Value: b64ptr(r.Value), Headers: []map[string][]int8{}}
		for _, h := range r.Headers {
			signed := make([]int8, len(h.Value))
			for j, c := range h.Value {
				signed[j] = int8(c)
			}
			ar.Headers = append(ar.Headers, map[string][]int8{h.Key: signed})
		}
		groups[k] = append(groups[k], ar)
	}
	// encoding/json sorts map keys; an ordered object keeps the groups in the
	// order the records came, which is easier to read in a replay file.
	buf := []byte(`{"eventSource":`)
	buf = appendJSON(buf, eventSource)
	if bootstrapServers != "" {
		buf = append(buf, `,"bootstrapServers":`...)
		buf = appendJSON(buf, bootstrapServers)
	}
	buf = append(buf, `,"records":{`...)
	for i, k := range order {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendJSON(buf, k)
		buf = append(buf, ':')
		buf = appendJSON(buf, groups[k])
	}
	return append(buf, "}}"...), nil
}

func b64ptr(b []byte) *string {
	if b == nil {
		return nil
	}
	s := base64.StdEncoding.EncodeToString(b)
	return &s
}

func appendJSON(buf []byte, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		// Only strings, numbers and the fixed structs above reach here.
		return append(buf, "null"...)
	}
	return append(buf, b...)
}

type connectorRecord struct {
	Key          *string `json:"key,omitempty"`
	Offset       int64   `json:"offset"`
	OverflowFlag bool    `json:"overflowFlag"`
	Partition    int32   `json:"partition"`
	Timestamp    int64   `json:"timestamp"`
	Topic        string  `json:"topic"`
	Value        *string `json:"value,omitempty"`
	ValueSize    int     `json:"valueSize"`
}

// EncodeAlibabaConnector encodes records as the Alibaba Kafka sink
// connector's array. Keys and values must be UTF-8 text (ErrNotText
// otherwise); an Overflow record gets an empty placeholder value.
func EncodeAlibabaConnector(records []Record) ([]byte, error) {
	out := make([]connectorRecord, 0, len(records))
	for i := range records {
		r := &records[i]
		key, err := textPtr(r.Key)
		if err != nil {
			return nil, fmt.Errorf("record %d (%s-%d@%d) key: %w", i, r.Topic, r.Partition, r.Offset, err)
		}
		value, err := textPtr(r.Value)
		if err != nil {
			return nil, fmt.Errorf("record %d (%s-%d@%d) value: %w", i, r.Topic, r.Partition, r.Offset, err)
		}
		size := r.ValueSize
		if !r.Overflow {
			size = len(r.Value)
		} else {
			empty := ""
			value = &empty
		}
		out = append(out, connectorRecord{Key: key, Offset: r.Offset, OverflowFlag: r.Overflow,
			Partition: r.Partition, Timestamp: r.Timestamp, Topic: r.Topic, Value: value, ValueSize: size})
	}
	return json.Marshal(out)
}

func textPtr(b []byte) (*string, error) {
	if b == nil {
		return nil, nil
	}
	if !utf8.Valid(b) {
		return nil, ErrNotText
	}
	s := string(b)
	return &s, nil
}

type cloudEvent struct {
	SpecVersion     string `json:"specversion"`
	ID              string `json:"id"`
	Source          string `json:"source"`
	Type            string `json:"type"`
	Subject         string `json:"subject"`
	DataContentType string `json:"datacontenttype"`
	Time            string `json:"time"`
	Data            fcData `json:"data"`
}

type fcData struct {
	Topic     string          `json:"topic"`
	Partition int32           `json:"partition"`
	Offset    int64           `json:"offset"`
	Timestamp int64           `json:"timestamp"`
	Headers   fcHeaders       `json:"headers"`
	Key       *string         `json:"key"`
	Value     json.RawMessage `json:"value"`
}

type fcHeaders struct {
	Headers    []fcHeader `json:"headers"`
	IsReadOnly bool       `json:"isReadOnly"`
}

type fcHeader struct {
	Key   string `json:"key"`
	Value []byte `json:"value"` // encoding/json writes []byte as base64
}

// EncodeCloudEvents encodes records as an FC 3.0 Kafka trigger payload with
// the CloudEvents schema (text data format; a ValueIsJSON value is written
// as the JSON value itself, as the Json data format does). Keys and text
// values must be UTF-8 (ErrNotText otherwise).
func EncodeCloudEvents(records []Record) ([]byte, error) {
	out := make([]cloudEvent, 0, len(records))
	for i := range records {
		r := &records[i]
		d, err := toFCData(r)
		if err != nil {
			return nil, fmt.Errorf("record %d (%s-%d@%d): %w", i, r.Topic, r.Partition, r.Offset, err)
		}
		out = append(out, cloudEvent{
			SpecVersion:     "1.0",
			ID:              r.Topic + "-" + strconv.FormatInt(int64(r.Partition), 10) + "-" + strconv.FormatInt(r.Offset, 10),
			Source:          "acs:alikafka",
			Type:            "alikafka:Topic:Message",
			Subject:         "acs:alikafka:topic:" + r.Topic,
			DataContentType: "application/json; charset=utf-8",
			Time:            time.UnixMilli(r.Timestamp).UTC().Format("2006-01-02T15:04:05.000Z07:00"),
			Data:            d,
		})
	}
	return json.Marshal(out)
}

// EncodeRawData encodes records as an FC 3.0 Kafka trigger payload with the
// RawData schema: the CloudEvents data objects alone.
func EncodeRawData(records []Record) ([]byte, error) {
	out := make([]fcData, 0, len(records))
	for i := range records {
		d, err := toFCData(&records[i])
		if err != nil {
			return nil, fmt.Errorf("record %d: %w", i, err)
		}
		out = append(out, d)
	}
	return json.Marshal(out)
}

func toFCData(r *Record) (fcData, error) {
	key, err := textPtr(r.Key)
	if err != nil {
		return fcData{}, fmt.Errorf("key: %w", err)
	}
	var value json.RawMessage
	switch {
	case r.Value == nil:
		value = json.RawMessage("null")
	case r.ValueIsJSON:
		if !json.Valid(r.Value) {
			return fcData{}, fmt.Errorf("value marked as JSON is not valid JSON")
		}
		value = r.Value
	default:
		s, err := textPtr(r.Value)
		if err != nil {
			return fcData{}, fmt.Errorf("value: %w", err)
		}
		value, _ = json.Marshal(*s)
	}
	hs := fcHeaders{Headers: []fcHeader{}}
	for _, h := range r.Headers {
		hs.Headers = append(hs.Headers, fcHeader(h))
	}
	return fcData{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Timestamp: r.Timestamp,
		Headers: hs, Key: key, Value: value}, nil
}
