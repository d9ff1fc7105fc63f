package query

// checker is a clause whose validity depends on the mapping: a term that is
// not a number on a long field, an unparseable date on a date field.
type checker interface {
	check(m Mapping) *Error
}

// Check reports the first error Elasticsearch would raise when it runs q
// against an index with mapping m (a 400 query_shard_exception or
// parse_exception), or nil. Matches never fails: on its own it treats such a
// clause as matching nothing, so a node that wants Elasticsearch's errors
// calls Check once per searched index before matching.
func Check(q Query, m Mapping) error {
	if err := check(q, m); err != nil {
		return err
	}
	return nil
}

func check(q Query, m Mapping) *Error {
	switch c := q.(type) {
	case *boolQuery:
		for _, child := range c.children() {
			if err := check(child, m); err != nil {
				return err
			}
		}
	case *constantScore:
		return check(c.filter, m)
	case checker:
		return c.check(m)
	}
	return nil
}
