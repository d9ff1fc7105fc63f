package pgsync

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// maxTypeDepth bounds the walk through domains and array elements; real
// schemas nest a few levels, a cycle would otherwise never end.
const maxTypeDepth = 16

// typeResolver finds the encoder of each column type, asking the catalog
// about the types builtinEncoders does not know. It caches per session.
type typeResolver struct {
	conn  *pgx.Conn
	cache map[uint32]resolvedType
}

type resolvedType struct {
	enc   encoder
	key   keyFormat
	delim byte
}

func newTypeResolver(conn *pgx.Conn) *typeResolver {
	return &typeResolver{conn: conn, cache: map[uint32]resolvedType{}}
}

// column returns how a column of the type is written into documents, and
// how a value of it is written into a document id.
func (r *typeResolver) column(ctx context.Context, oid uint32) (encoder, keyFormat, error) {
	rt, err := r.resolve(ctx, oid, 0)
	return rt.enc, rt.key, err
}

// resolve returns the type's encoder, key format and array delimiter (the
// element separator PostgreSQL uses when this type is an array element).
func (r *typeResolver) resolve(ctx context.Context, oid uint32, depth int) (resolvedType, error) {
	if depth > maxTypeDepth {
		return resolvedType{}, fmt.Errorf("type %d: domains or arrays nested deeper than %d levels", oid, maxTypeDepth)
	}
	if rt, ok := r.cache[oid]; ok {
		return rt, nil
	}
	var (
		typtype, category, delim string
		elem, base               uint32
	)
	err := r.conn.QueryRow(ctx,
		`SELECT typtype::text, typcategory::text, typdelim::text, typelem, typbasetype
		   FROM pg_catalog.pg_type WHERE oid = $1`, oid).Scan(&typtype, &category, &delim, &elem, &base)
	if err != nil {
		return resolvedType{}, fmt.Errorf("looking up type %d: %w", oid, err)
	}
	d := byte(',')
	if len(delim) == 1 {
		d = delim[0]
	}
	enc, known := builtinEncoders[oid]
	key, knownKey := builtinKeys[oid]
	if !knownKey {
		key = keyVerbatim
	}
	switch {
	case known:
	case typtype == "d" && base != 0:
		// A domain reads as its base type, in documents and in ids (asyncpg
		// decodes a domain with its base type's codec).
		bt, err := r.resolve(ctx, base, depth+1)
		if err != nil {
			return resolvedType{}, err
		}
		enc, key = bt.enc, bt.key
	case category == "A" && elem != 0:
		et, err := r.resolve(ctx, elem, depth+1)
		if err != nil {
			return resolvedType{}, err
		}
		enc = arrayEncoder(et.enc, et.delim)
	default:
		// Text, uuid, time, interval, network and enum types, and anything
		// without a JSON counterpart (ranges, geometry, composites), keep
		// their text form.
		enc = appendStringValue
	}
	rt := resolvedType{enc: enc, key: key, delim: d}
	r.cache[oid] = rt
	return rt, nil
}
