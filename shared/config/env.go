// Package config is the environment reader the settings of every package
// are loaded through. Each package owns its settings, their variable names
// and defaults (esclient.LoadConfig for the Elasticsearch connection,
// esbulk.LoadConfig for the bulk writer, sink.LoadConfig and
// pgsync.LoadConfig for the functions); an Env collects every problem they
// meet, so that start-up reports them all at once instead of one per
// deploy.
package config

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/esconnect/esconnect/shared/errtype"
)

// Env reads settings from a lookup function and remembers every problem it
// meets. Read all settings, then call Err once.
type Env struct {
	lookup func(string) (string, bool)
	errs   []error
}

// FromOS reads the process environment.
func FromOS() *Env { return &Env{lookup: os.LookupEnv} }

// FromMap reads a fixed map, for tests and for local tools that pass settings
// explicitly.
func FromMap(m map[string]string) *Env {
	return &Env{lookup: func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}}
}

// Lookup returns the trimmed value of name and whether it was set to a
// non-blank value. A variable set to blanks counts as unset, which is what
// templates that always emit every variable need.
func (e *Env) Lookup(name string) (string, bool) {
	v, ok := e.lookup(name)
	v = strings.TrimSpace(v)
	return v, ok && v != ""
}

// Fail records a problem with the setting name.
func (e *Env) Fail(name, format string, args ...any) {
	e.errs = append(e.errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
}

// Err returns every recorded problem joined, or nil. Its errorType is
// ConfigError.
func (e *Env) Err() error { return errtype.Wrap(errtype.Config, errors.Join(e.errs...)) }

// String returns the value of name or def.
func (e *Env) String(name, def string) string {
	if v, ok := e.Lookup(name); ok {
		return v
	}
	return def
}

// Secret returns the value of name, or def, without ever echoing it in an
// error message.
func (e *Env) Secret(name, def string) string {
	v, ok := e.lookup(name)
	if !ok || v == "" {
		return def
	}
	return v
}

// Required returns the value of name and records a problem when it is unset.
func (e *Env) Required(name string) string {
	v, ok := e.Lookup(name)
	if !ok {
		e.Fail(name, "required but not set")
	}
	return v
}

// Int returns the integer value of name, or def, and records a problem when
// the value is not an integer in [min, max].
func (e *Env) Int(name string, def, min, max int) int {
	v, ok := e.Lookup(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		e.Fail(name, "%q is not an integer", v)
		return def
	}
	if n < min || n > max {
		e.Fail(name, "%d is outside [%d, %d]", n, min, max)
		return def
	}
	return n
}

// Bool returns the boolean value of name (true/false/1/0/yes/no), or def.
func (e *Env) Bool(name string, def bool) bool {
	v, ok := e.Lookup(name)
	if !ok {
		return def
	}
	switch strings.ToLower(v) {
	case "1", "true", "yes", "on":
		return true
	case "0", "false", "no", "off":
		return false
	}
	e.Fail(name, "%q is not a boolean (true or false)", v)
	return def
}

// Duration returns the duration value of name (Go syntax such as 500ms or
// 2m), or def, and records a problem for a negative or malformed value.
func (e *Env) Duration(name string, def time.Duration) time.Duration {
	v, ok := e.Lookup(name)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		e.Fail(name, "%q is not a non-negative duration such as 500ms or 2m", v)
		return def
	}
	return d
}

// Bytes returns a size in bytes: a plain integer or one with a unit suffix
// (KB, MB, GB in powers of 1000; KiB, MiB, GiB in powers of 1024).
func (e *Env) Bytes(name string, def, min, max int64) int64 {
	v, ok := e.Lookup(name)
	if !ok {
		return def
	}
	n, err := ParseBytes(v)
	if err != nil {
		e.Fail(name, "%v", err)
		return def
	}
	if n < min || n > max {
		e.Fail(name, "%d bytes is outside [%d, %d]", n, min, max)
		return def
	}
	return n
}

// Enum returns the value of name, lowercased, or def, and records a problem
// when it is not one of allowed.
func (e *Env) Enum(name, def string, allowed ...string) string {
	v, ok := e.Lookup(name)
	if !ok {
		return def
	}
	lv := strings.ToLower(v)
	for _, a := range allowed {
		if lv == a {
			return lv
		}
	}
	e.Fail(name, "%q is not one of %s", v, strings.Join(allowed, ", "))
	return def
}

// List returns the comma-separated values of name with blanks dropped, or def.
func (e *Env) List(name string, def []string) []string {
	v, ok := e.Lookup(name)
	if !ok {
		return def
	}
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// ParseBytes parses a size such as 5242880, 5MiB or 5MB.
func ParseBytes(s string) (int64, error) {
	s = strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   int64
	}{
		{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
		{"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000},
		{"B", 1},
	}
	mult := int64(1)
	num := s
	// Longer suffixes come first so that "KiB" is not read as "B".
	for _, u := range units {
		if len(s) > len(u.suffix) && strings.EqualFold(s[len(s)-len(u.suffix):], u.suffix) {
			mult = u.mult
			num = strings.TrimSpace(s[:len(s)-len(u.suffix)])
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a size such as 5242880, 5MiB or 5MB", s)
	}
	return n * mult, nil
}
