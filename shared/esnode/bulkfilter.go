package esnode

import "strings"

// itemFields selects the fields of a bulk answer, from the filter_path
// parameter: nil keeps everything. The blackhole answers from it so that
// clients measuring their own memory read what a real cluster sends them
// (esbulk asks for ids, statuses, results and errors only, about a third of
// a full item). Patterns are the ones bulk clients use: "took", "errors",
// "items.*.<field>" and "items.*.error.<sub-field>"; an error is kept whole
// when any part of it is asked for, and any other wildcard keeps everything.
type itemFields map[string]bool

func parseItemFields(filterPath string) itemFields {
	if filterPath == "" {
		return nil
	}
	f := itemFields{}
	for _, p := range strings.Split(filterPath, ",") {
		parts := strings.Split(strings.TrimSpace(p), ".")
		switch {
		case len(parts) == 1 && (parts[0] == "took" || parts[0] == "errors" || parts[0] == "items"):
			f[parts[0]] = true
		case len(parts) >= 3 && parts[0] == "items" && parts[1] == "*" && !strings.Contains(parts[2], "*"):
			f["items"] = true
			f[parts[2]] = true
		default:
			return nil
		}
	}
	if f["items"] && len(f) == 1 {
		return nil
	}
	return f
}

// has reports whether field is kept.
func (f itemFields) has(field string) bool { return f == nil || f[field] }
