package errtype

import (
	"errors"
	"fmt"
	"testing"
)

func TestSentinels(t *testing.T) {
	a := New(RecordsFailed, "records failed")
	b := New(RecordsFailed, "records failed")
	if errors.Is(a, b) || !errors.Is(fmt.Errorf("x: %w", a), a) {
		t.Fatal("sentinels must compare by identity, like errors.New")
	}
	if a.Error() != "records failed" {
		t.Fatalf("message %q", a.Error())
	}
	var te interface{ ErrorType() string }
	if !errors.As(fmt.Errorf("x: %w", a), &te) || te.ErrorType() != RecordsFailed {
		t.Fatalf("type not found through wrapping")
	}
	w := Wrap(Config, fmt.Errorf("settings: %w", a))
	if w.Error() != "settings: records failed" || !errors.Is(w, a) {
		t.Fatalf("Wrap changed the message or lost the chain: %v", w)
	}
	if !errors.As(w, &te) || te.ErrorType() != Config {
		t.Fatalf("Wrap's type is not the first in the chain")
	}
	if Wrap(Config, nil) != nil {
		t.Fatal("Wrap(nil) must be nil")
	}
	f := Fallback(SyncFailed, "sync failed")
	var fb interface{ FallbackErrorType() string }
	if errors.As(f, &te) || !errors.As(f, &fb) || fb.FallbackErrorType() != SyncFailed {
		t.Fatal("a Fallback must not answer ErrorType, only FallbackErrorType")
	}
}
