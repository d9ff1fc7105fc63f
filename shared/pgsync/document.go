package pgsync

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/esconnect/esconnect/shared/jsonstr"
)

// Fields every document carries besides its columns, named as Elastic's
// PostgreSQL connector names them. A column of the same name is left out of
// the document (see docs/pg-es-sync.md): these fields drive deletion and must
// be trustworthy.
var metadataFields = []string{"id", "table", "schema", "database", "_timestamp"}

// maxIDBytes is Elasticsearch's limit on _id.
const maxIDBytes = 512

// column is how one result column lands in the document.
type column struct {
	// key is the JSON key and colon, with the leading comma when the column
	// is not the first written.
	key []byte
	enc encoder
	// skip drops the column: a duplicate name or a metadata field name.
	skip bool
}

// docLayout turns rows of one source into documents. It is computed once
// per source so the per-row work is appends into a buffer.
type docLayout struct {
	cols []column
	// idCols are the result column positions making the id, in id order,
	// and idKeys how each one's value is written into the id.
	idCols []int
	idKeys []keyFormat
	// idPrefix is "{database}_{schema}_{tables}_".
	idPrefix []byte
	// suffix closes the document with the constant metadata fields.
	suffix []byte
	// dropped names the columns left out, for one log line per source.
	dropped []string
}

// newDocLayout plans the documents of src given its result columns (names,
// encoders and key formats in result order) and the sync's timestamp.
func newDocLayout(cfg Config, src source, names []string, encs []encoder, keys []keyFormat, timestamp string) (*docLayout, error) {
	l := &docLayout{cols: make([]column, len(names))}
	tables := slices.Clone(src.tables)
	slices.Sort(tables)
	prefix := ""
	if cfg.FieldNames == FieldNamesElastic {
		prefix = cfg.Schema + "_" + strings.Join(tables, "_") + "_"
	}
	seen := map[string]bool{}
	for _, f := range metadataFields {
		seen[f] = true
	}
	first := true
	for i, name := range names {
		field := name
		if prefix != "" {
			field = strings.ToLower(prefix + name)
		}
		if seen[field] {
			l.cols[i].skip = true
			l.dropped = append(l.dropped, name)
			continue
		}
		seen[field] = true
		var key []byte
		if !first {
			key = append(key, ',')
		}
		first = false
		key = jsonstr.Append(key, []byte(field))
		l.cols[i] = column{key: append(key, ':'), enc: encs[i]}
	}
	var missing []string
	for _, id := range src.idColumns {
		pos := slices.Index(names, id)
		if pos < 0 {
			missing = append(missing, id)
			continue
		}
		l.idCols = append(l.idCols, pos)
		l.idKeys = append(l.idKeys, keys[pos])
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: id column(s) %s not among the columns read (%s)",
			src.label, strings.Join(missing, ", "), strings.Join(names, ", "))
	}
	l.idPrefix = []byte(cfg.Database + "_" + cfg.Schema + "_" + strings.Join(tables, "_") + "_")

	s := []byte(`,"table":`)
	if len(src.tables) == 1 {
		s = jsonstr.Append(s, []byte(src.tables[0]))
	} else {
		s = append(s, '[')
		for i, t := range src.tables {
			if i > 0 {
				s = append(s, ',')
			}
			s = jsonstr.Append(s, []byte(t))
		}
		s = append(s, ']')
	}
	s = append(s, `,"schema":`...)
	s = jsonstr.Append(s, []byte(cfg.Schema))
	s = append(s, `,"database":`...)
	s = jsonstr.Append(s, []byte(cfg.Database))
	s = append(s, `,"_timestamp":`...)
	s = jsonstr.Append(s, []byte(timestamp))
	l.suffix = append(s, '}')
	return l, nil
}

// appendID appends the document id of a row: the prefix, then the id
// columns' values as Python prints them (see keyFormat) joined by "_", NULLs
// left out, as Elastic's connector builds it.
func (l *docLayout) appendID(dst []byte, values [][]byte) []byte {
	start := len(dst)
	dst = append(dst, l.idPrefix...)
	n := 0
	for i, pos := range l.idCols {
		v := values[pos]
		if v == nil {
			continue
		}
		if n > 0 {
			dst = append(dst, '_')
		}
		dst = l.idKeys[i](dst, v)
		n++
	}
	if len(dst)-start > maxIDBytes {
		dst = shortenID(dst, start)
	}
	return dst
}

// shortenID replaces an over-long id (dst[start:]) by the hex MD5 of the
// whole id, as Elastic's connector framework does for ids over
// Elasticsearch's 512-byte limit, so such rows keep the ids Elastic gave
// them.
func shortenID(dst []byte, start int) []byte {
	sum := md5.Sum(dst[start:])
	return hex.AppendEncode(dst[:start], sum[:])
}

// appendBody appends the document of a row whose id is id.
func (l *docLayout) appendBody(dst []byte, values [][]byte, id []byte) []byte {
	dst = append(dst, '{')
	wrote := false
	for i, c := range l.cols {
		if c.skip {
			continue
		}
		wrote = true
		dst = append(dst, c.key...)
		if v := values[i]; v == nil {
			dst = append(dst, nullJSON...)
		} else {
			dst = c.enc(dst, v)
		}
	}
	if wrote {
		dst = append(dst, ',')
	}
	dst = append(dst, `"id":`...)
	dst = jsonstr.Append(dst, id)
	return append(dst, l.suffix...)
}
