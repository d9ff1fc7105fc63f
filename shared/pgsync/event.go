package pgsync

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/esconnect/esconnect/shared/errtype"
)

// ErrUnknownEvent reports a payload that is none of the schedule triggers.
var ErrUnknownEvent = errtype.New(errtype.InvalidPayload, "not a schedule trigger event")

// Trigger is what started the sync, taken from the trigger payload.
type Trigger struct {
	// Source is "aws.events", "fc.timer" or "" for an empty payload.
	Source string
	// Name is the EventBridge rule ARN or the FC trigger name.
	Name string
	// Time is the scheduled time the platform reports.
	Time string
}

// scheduleEvent has the fields of both schedule payloads:
// the EventBridge scheduled event ({"detail-type": "Scheduled Event",
// "source": "aws.events", "time", "resources": [rule ARN], ...}) and the FC
// timer event ({"triggerTime", "triggerName", "payload"}).
type scheduleEvent struct {
	DetailType  string   `json:"detail-type"`
	Source      string   `json:"source"`
	Time        string   `json:"time"`
	Resources   []string `json:"resources"`
	TriggerTime string   `json:"triggerTime"`
	TriggerName string   `json:"triggerName"`
}

// ParseTrigger reads a trigger payload: an EventBridge scheduled event, an
// FC timer event, or an empty body (also "{}" and "null", what EventBridge
// Scheduler and manual invokes send by default).
func ParseTrigger(payload []byte) (Trigger, error) {
	p := bytes.TrimSpace(payload)
	if len(p) == 0 || string(p) == "null" || string(p) == "{}" {
		return Trigger{}, nil
	}
	var ev scheduleEvent
	if err := json.Unmarshal(p, &ev); err != nil {
		return Trigger{}, fmt.Errorf("trigger payload: %w: %w", ErrUnknownEvent, err)
	}
	switch {
	case ev.Source == "aws.events" || ev.DetailType == "Scheduled Event":
		t := Trigger{Source: "aws.events", Time: ev.Time}
		if len(ev.Resources) > 0 {
			t.Name = ev.Resources[0]
		}
		return t, nil
	case ev.TriggerTime != "" || ev.TriggerName != "":
		return Trigger{Source: "fc.timer", Name: ev.TriggerName, Time: ev.TriggerTime}, nil
	}
	return Trigger{}, fmt.Errorf("trigger payload: %w (want an EventBridge scheduled event, an FC timer event or an empty body)", ErrUnknownEvent)
}
