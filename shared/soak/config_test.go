package soak

import (
	"errors"
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/esnode"
)

func TestConfigDefaults(t *testing.T) {
	c := Config{Binary: "esconnect", N: 800}.withDefaults()
	if err := c.validate(); err != nil {
		t.Fatal(err)
	}
	if c.DocID != DocIDOffset || c.Keys != 100 || c.Partitions != 4 || c.Concurrency != 4 || c.Kills != 2 ||
		c.Batch != 100 || c.Faults != DefaultFaults() || c.Seed == 0 || c.Timeout != DefaultTimeout(800) || c.Progress == nil {
		t.Errorf("defaults = %+v", c)
	}
	// Faults with only a seed are an explicit "no faults", kept as given.
	c = Config{Binary: "esconnect", N: 1, Faults: esnode.Faults{Seed: 3}}.withDefaults()
	if c.Faults != (esnode.Faults{Seed: 3}) || c.Keys != 1 {
		t.Errorf("faults = %+v, keys = %d", c.Faults, c.Keys)
	}
	// A target takes no faults, so none is the default there.
	c = Config{Binary: "esconnect", N: 1, Target: &Target{}}.withDefaults()
	if c.Faults != (esnode.Faults{}) {
		t.Errorf("faults on a target = %+v, want none", c.Faults)
	}
	if got := DefaultTimeout(200000); got != 2*time.Minute+400*time.Second {
		t.Errorf("DefaultTimeout(200000) = %v", got)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"valid", Config{Binary: "b", N: 10}, true},
		{"key mode", Config{Binary: "b", N: 10, DocID: DocIDKey}, true},
		{"no kills", Config{Binary: "b", N: 10, Kills: -1}, true},
		{"no binary", Config{N: 10}, false},
		{"no records", Config{Binary: "b", N: 0}, false},
		{"unknown id mode", Config{Binary: "b", N: 10, DocID: "none"}, false},
		{"negative poison interval", Config{Binary: "b", N: 10, ConflictEvery: -1}, false},
		{"negative padding", Config{Binary: "b", N: 10, ValueBytes: -1}, false},
		{"target", Config{Binary: "b", N: 10, Target: fullTarget()}, true},
		{"target with a seed", Config{Binary: "b", N: 10, Target: fullTarget(), Faults: esnode.Faults{Seed: 4}}, true},
		{"faults on a target", Config{Binary: "b", N: 10, Target: fullTarget(), Faults: DefaultFaults()}, false},
		{"target without an index", Config{Binary: "b", N: 10, Target: func() *Target { t := fullTarget(); t.Index = ""; return t }()}, false},
		{"target without ES_URL", Config{Binary: "b", N: 10, Target: &Target{Brokers: []string{"k:9092"}, Topic: "t", DeadLetterTopic: "d", Group: "g", Index: "i"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.withDefaults().validate()
			if tt.ok && err != nil {
				t.Fatalf("validate = %v", err)
			}
			if !tt.ok && !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("validate = %v, want ErrInvalidConfig", err)
			}
		})
	}
}

func fullTarget() *Target {
	return &Target{ES: map[string]string{"ES_URL": "http://es:9200"}, Brokers: []string{"k:9092"},
		Topic: "t", DeadLetterTopic: "d", Group: "g", Index: "i"}
}
