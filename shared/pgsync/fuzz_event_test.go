package pgsync

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// FuzzParseTrigger checks that any payload either names its schedule
// source or is refused with ErrUnknownEvent and a message that says what
// was expected; a refused payload must never start a sync.
func FuzzParseTrigger(f *testing.F) {
	for _, name := range []string{"aws-eventbridge-schedule.json", "fc-timer.json"} {
		b, err := os.ReadFile("../../events/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{"", "null", "{}", " {} ", `{"Records":[]}`, `{"detail-type":`, `[1]`, `"x"`,
		`{"source":"aws.events","resources":[]}`, `{"detail-type":"Scheduled Event","time":1}`,
		`{"triggerName":"t","triggerTime":null}`, `{"eventSource":"aws:kafka"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		trig, err := ParseTrigger(payload)
		if err != nil {
			if !errors.Is(err, ErrUnknownEvent) {
				t.Fatalf("error %v does not wrap ErrUnknownEvent", err)
			}
			if !strings.HasPrefix(err.Error(), "trigger payload: ") || trig != (Trigger{}) {
				t.Fatalf("refusal %q with trigger %+v", err, trig)
			}
			return
		}
		switch trig.Source {
		case "aws.events", "fc.timer":
		case "":
			if trig != (Trigger{}) {
				t.Fatalf("empty source with details %+v", trig)
			}
		default:
			t.Fatalf("unknown source %q", trig.Source)
		}
	})
}
