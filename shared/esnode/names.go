package esnode

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// invalidIndexChars are the characters ES refuses in index names
// (Strings.INVALID_FILENAME_CHARS), in the order its message lists them.
const invalidIndexChars = `\/*?"<>| ,`

// validateIndexName applies MetadataCreateIndexService.validateIndexOrAliasName.
func validateIndexName(name string) *esError {
	bad := func(why string) *esError {
		return &esError{
			Status: http.StatusBadRequest,
			Type:   "invalid_index_name_exception",
			Reason: "Invalid index name [" + name + "], " + why,
			Extra:  map[string]any{"index_uuid": "_na_", "index": name},
		}
	}
	switch {
	case name == "":
		return bad("must not be empty")
	case strings.ContainsAny(name, invalidIndexChars):
		return bad(`must not contain the following characters [' ','"','*',',','/','<','>','?','\','|']`)
	case strings.Contains(name, "#"):
		return bad("must not contain '#'")
	case strings.Contains(name, ":"):
		return bad("must not contain ':'")
	case name[0] == '_' || name[0] == '-' || name[0] == '+':
		return bad("must not start with '_', '-', or '+'")
	case name != strings.ToLower(name):
		return bad("must be lowercase")
	case name == "." || name == "..":
		return bad("must not be '.' or '..'")
	case len(name) > maxIndexNameBytes:
		return bad("index name is too long, (" + itoa(len(name)) + " > " + itoa(maxIndexNameBytes) + ")")
	}
	return nil
}

// validateID applies the bulk/index request checks on an explicit _id.
func validateID(id string) *esError {
	if id == "" {
		return errIllegalArgument("if _id is specified it must not be empty")
	}
	if len(id) > maxIDBytes {
		// Part of the request's validation (a bulk request checks it for
		// every action before running any).
		return validationFailed([]string{fmt.Sprintf("id [%s] is too long, must be no longer than %d bytes but was: %d", id, maxIDBytes, len(id))})
	}
	return nil
}

// idGenerator makes ids shaped like ES's time-based UUIDs: 15 bytes (6 of
// timestamp, 3 of sequence, 6 of node identity) in URL-safe base64 without
// padding, 20 characters. Sequence first keeps them unique under load.
type idGenerator struct {
	seq  atomic.Uint64
	node [6]byte
}

func newIDGenerator() *idGenerator {
	g := &idGenerator{}
	_, _ = rand.Read(g.node[:])
	var s [8]byte
	_, _ = rand.Read(s[:])
	g.seq.Store(binary.BigEndian.Uint64(s[:]) & 0xffffff)
	return g
}

func (g *idGenerator) next() string {
	var b [15]byte
	seq := g.seq.Add(1)
	ms := uint64(time.Now().UnixMilli())
	b[0], b[1], b[2] = byte(seq), byte(seq>>16), byte(ms>>40)
	b[3], b[4], b[5] = byte(ms>>32), byte(ms>>24), byte(ms>>16)
	b[6], b[7] = byte(ms>>8), byte(seq>>8)
	b[8] = byte(ms)
	copy(b[9:], g.node[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func itoa(n int) string { return strconv.Itoa(n) }
