package kafkaevent

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// TestEncodeRoundTrip decodes every fixture, encodes the records in each
// format that can carry them and decodes the result again.
func TestEncodeRoundTrip(t *testing.T) {
	type encoder struct {
		name   string
		format Format
		enc    func([]Record) ([]byte, error)
	}
	aws := func(src string) encoder {
		return encoder{"aws-" + src, FormatAWS, func(r []Record) ([]byte, error) { return EncodeAWS(r, src, "b-1:9092") }}
	}
	encoders := []encoder{
		aws(EventSourceMSK), aws(EventSourceSelfManaged),
		{"connector", FormatAlibabaConnector, EncodeAlibabaConnector},
		{"cloudevents", FormatFCCloudEvents, EncodeCloudEvents},
		{"rawdata", FormatFCRawData, EncodeRawData},
	}
	fixtures := []string{"aws-msk.json", "aws-selfmanaged.json", "alibaba-connector.json", "fc-cloudevents-object.json", "fc-cloudevents-json-value.json", "fc-rawdata.json"}
	for _, fx := range fixtures {
		src, err := Decode(readFixture(t, fx), FormatAuto)
		if err != nil {
			t.Fatalf("%s: %v", fx, err)
		}
		for _, e := range encoders {
			t.Run(fx+"/"+e.name, func(t *testing.T) {
				payload, err := e.enc(src.Records)
				if errors.Is(err, ErrNotText) {
					return // binary values cannot go into text formats; checked below
				}
				if err != nil {
					t.Fatalf("encode: %v", err)
				}
				got, err := Decode(payload, FormatAuto)
				if err != nil {
					t.Fatalf("decode: %v\n%s", err, payload)
				}
				if got.Format != e.format || len(got.Failures) != 0 {
					t.Fatalf("decoded as %v with failures %+v", got.Format, got.Failures)
				}
				want := carried(src.Records, e.format)
				if !reflect.DeepEqual(carried(got.Records, e.format), want) {
					t.Errorf("round trip:\n got %+v\nwant %+v", carried(got.Records, e.format), want)
				}
				if e.format == FormatAWS {
					var ev events.KafkaEvent
					if err := json.Unmarshal(payload, &ev); err != nil {
						t.Errorf("encoded event does not unmarshal into events.KafkaEvent: %v", err)
					}
				}
			})
		}
	}
	binary := []Record{{Topic: "t", Value: []byte{0xff}}}
	if _, err := EncodeAlibabaConnector(binary); !errors.Is(err, ErrNotText) {
		t.Errorf("connector encoding of a binary value: %v, want ErrNotText", err)
	}
	if _, err := EncodeCloudEvents(binary); !errors.Is(err, ErrNotText) {
		t.Errorf("CloudEvents encoding of a binary value: %v, want ErrNotText", err)
	}
}

// carried reduces records to what a format can carry: the connector has
// no headers, timestamp types or JSON values; AWS and FC carry no overflow,
// and FC carries no timestamp type; AWS carries no JSON marker.
func carried(recs []Record, f Format) []Record {
	out := make([]Record, len(recs))
	for i, r := range recs {
		r.ValueSize = len(r.Value)
		if r.Overflow && f != FormatAlibabaConnector {
			r.Overflow = false
		}
		if r.Overflow {
			r.ValueSize = recs[i].ValueSize
		}
		switch {
		case f != FormatAWS:
			r.TimestampType = ""
		case r.TimestampType == "":
			r.TimestampType = "CREATE_TIME" // EncodeAWS's default
		}
		if f == FormatAWS || f == FormatAlibabaConnector {
			r.ValueIsJSON = false
		}
		if f == FormatAlibabaConnector || len(r.Headers) == 0 {
			r.Headers = nil
		}
		out[i] = r
	}
	return out
}
