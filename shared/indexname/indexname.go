// Package indexname holds Elasticsearch's rules for index names, so that a
// name from configuration or the command line is refused at start-up with
// the reason, rather than sent, and the escaping of names that go into URL
// paths. A name is checked before it is used anywhere: escaping alone would
// keep ES_INDEX=victim/_doc/2 from writing into the index "victim", but the
// sync would still fail later, after other requests.
package indexname

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// MaxBytes is the longest index name Elasticsearch accepts.
const MaxBytes = 255

// ErrInvalid is wrapped by Check's errors.
var ErrInvalid = errors.New("invalid index name")

// Check applies Elasticsearch's rules to a whole index name: not empty, "."
// or "..", at most 255 bytes, lowercase, none of \ / * ? " < > | , # : or
// space or control characters, not starting with -, _ or +. A leading "."
// (hidden and system indices) is refused unless allowDot.
func Check(name string, allowDot bool) error {
	switch {
	case name == "" || name == "." || name == "..":
		return fmt.Errorf("%w: %q is not allowed", ErrInvalid, name)
	case len(name) > MaxBytes:
		return fmt.Errorf("%w: %d bytes, over the %d-byte limit", ErrInvalid, len(name), MaxBytes)
	case name[0] == '-' || name[0] == '_' || name[0] == '+':
		return fmt.Errorf("%w: %q must not start with '-', '_' or '+'", ErrInvalid, name)
	case name[0] == '.' && !allowDot:
		return fmt.Errorf("%w: %q starts with '.', which is reserved for hidden and system indices", ErrInvalid, name)
	}
	return CheckChars(name)
}

// CheckChars rejects what Elasticsearch refuses anywhere in a name; index
// templates apply it to their literal parts.
func CheckChars(s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: %q is not valid UTF-8", ErrInvalid, s)
	}
	if strings.ToLower(s) != s {
		return fmt.Errorf("%w: index names must be lowercase (%q)", ErrInvalid, s)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c < 0x20 || c == 0x7f:
			return fmt.Errorf("%w: control character in %q", ErrInvalid, s)
		}
		switch c {
		case '\\', '/', '*', '?', '"', '<', '>', '|', ' ', ',', '#', ':':
			return fmt.Errorf("%w: character %q is not allowed (%q)", ErrInvalid, c, s)
		}
	}
	return nil
}

// Path escapes a name, or an id, for one segment of a URL path: a checked
// name needs no escaping but '%', and anything else must not change the
// path's structure. "." and ".." are dot segments, which HTTP servers and
// proxies resolve away, so their dots are escaped too.
func Path(name string) string {
	switch name {
	case ".":
		return "%2E"
	case "..":
		return "%2E%2E"
	}
	return url.PathEscape(name)
}
