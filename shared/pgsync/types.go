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
	delim byte
}

func newTypeResolver(conn *pgx.Conn) *typeResolver {
	return &typeResolver{conn: conn, cache: map[uint32]resolvedType{}}
}

func (r *typeResolver) encoder(ctx context.Context, oid uint32) (encoder, error) {
	enc, _, err := r.resolve(ctx, oid, 0)
	return enc, err
}

// resolve returns the type's encoder and its array delimiter (the element
// separator PostgreSQL uses when this type is an array element).
func (r *typeResolver) resolve(ctx context.Context, oid uint32, depth int) (encoder, byte, error) {
	if depth > maxTypeDepth {
		return nil, 0, fmt.Errorf("type %d: domains or arrays nested deeper than %d levels", oid, maxTypeDepth)
	}
	if rt, ok := r.cache[oid]; ok {
		return rt.enc, rt.delim, nil
	}
	var (
		typtype, category, delim string
		elem, base               uint32
	)
	err := r.conn.QueryRow(ctx,
		`SELECT typtype::text, typcategory::text, typdelim::text, typelem, typbasetype
		   FROM pg_catalog.pg_type WHERE oid = $1`, oid).Scan(&typtype, &category, &delim, &elem, &base)
	if err != nil {
		return nil, 0, fmt.Errorf("looking up type %d: %w", oid, err)
	}
	d := byte(',')
	if len(delim) == 1 {
		d = delim[0]
	}
	enc, known := builtinEncoders[oid]
	switch {
	case known:
	case typtype == "d" && base != 0:
		// A domain reads as its base type.
		if enc, _, err = r.resolve(ctx, base, depth+1); err != nil {
			return nil, 0, err
		}
	case category == "A" && elem != 0:
		elemEnc, elemDelim, err := r.resolve(ctx, elem, depth+1)
		if err != nil {
			return nil, 0, err
		}
		enc = arrayEncoder(elemEnc, elemDelim)
	default:
		// Text, uuid, time, interval, network and enum types, and anything
		// without a JSON counterpart (ranges, geometry, composites), keep
		// their text form.
		enc = appendStringValue
	}
	r.cache[oid] = resolvedType{enc: enc, delim: d}
	return enc, d, nil
}
