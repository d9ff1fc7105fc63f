package deadletter

import (
	"errors"
	"testing"
)

// TestParseTargetRefusesHiddenIndex: an es:// dead-letter index starting
// with '.' would put record contents into Elasticsearch's hidden/system
// index namespace (.security, .kibana, ...), which no setting should reach
// by a typo.
func TestParseTargetRefusesHiddenIndex(t *testing.T) {
	for _, s := range []string{"es://.dead-letters", "es://.security", "ES://.x/"} {
		if _, err := ParseTarget(s); !errors.Is(err, ErrTarget) {
			t.Errorf("ParseTarget(%q) err = %v, want ErrTarget", s, err)
		}
	}
	if _, err := ParseTarget("es://dead.letters"); err != nil {
		t.Errorf("a dot inside the name is allowed: %v", err)
	}
}
