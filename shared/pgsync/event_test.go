package pgsync

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../events/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseTrigger(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
		want    Trigger
	}{
		{"eventbridge schedule", readFixture(t, "aws-eventbridge-schedule.json"), Trigger{
			Source: "aws.events", Name: "arn:aws:events:us-east-1:123456789012:rule/pg-es-sync-every-15-minutes",
			Time: "2025-10-08T16:53:06Z"}},
		{"fc timer", readFixture(t, "fc-timer.json"), Trigger{Source: "fc.timer", Name: "pg-es-sync-timer", Time: "2025-10-08T16:53:00Z"}},
		{"empty", nil, Trigger{}},
		{"blank", []byte(" \n"), Trigger{}},
		{"empty object", []byte("{}"), Trigger{}},
		{"null", []byte("null"), Trigger{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTrigger(tt.payload)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseTriggerRejects(t *testing.T) {
	for _, p := range []string{`{"Records": []}`, `{"detail-type":`, `[1]`, `"x"`} {
		if _, err := ParseTrigger([]byte(p)); !errors.Is(err, ErrUnknownEvent) {
			t.Errorf("%s: error %v, want ErrUnknownEvent", p, err)
		}
	}
}

// TestEventBridgeFixtureRoundTrip checks the fixture against aws-lambda-go's
// own type: nothing is lost or misnamed when it is decoded and encoded again.
func TestEventBridgeFixtureRoundTrip(t *testing.T) {
	raw := readFixture(t, "aws-eventbridge-schedule.json")
	var ev events.EventBridgeEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	var a, b map[string]any
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("round trip changed the event:\n%s\n%s", raw, out)
	}
	if ev.DetailType != "Scheduled Event" || ev.Source != "aws.events" {
		t.Fatalf("decoded %+v", ev)
	}
}
