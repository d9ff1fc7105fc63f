package kafkawire

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// Compression codecs of a record batch's attributes.
const (
	codecNone   = 0
	codecGzip   = 1
	codecSnappy = 2
	codecLZ4    = 3
	codecZstd   = 4
)

// ErrTooLarge reports records that decompress to more than the fetch limit:
// more than a producer could have sent, or a decompression bomb.
var ErrTooLarge = errors.New("decompressed record batch exceeds the fetch limit")

// xerialMagic starts snappy data framed the way the Java producer's
// snappy-java stream writes it: the magic, a version and a compatible
// version (4 bytes each), then blocks, each a 4-byte big-endian length and a
// raw snappy block. Other producers (librdkafka, franz-go) may write one raw
// block; both are read.
var xerialMagic = []byte{0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0}

const xerialHeaderBytes = 16

// decompress returns a batch's records uncompressed, at most limit bytes.
func decompress(codec int16, b []byte, limit int) ([]byte, error) {
	var r io.Reader
	switch codec {
	case codecNone:
		return b, nil
	case codecGzip:
		// The standard library's gzip, which net/http links anyway:
		// klauspost's is faster but adds its flate tables' initialisation
		// to every cold start, for batches that are rare here.
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		defer zr.Close()
		r = zr
	case codecSnappy:
		// s2 decodes snappy blocks; zstd links it already.
		return unsnappy(b, limit)
	case codecLZ4:
		r = lz4.NewReader(bytes.NewReader(b))
	case codecZstd:
		// One goroutine-free decoder per batch: overflow fetches are
		// rare, and a pooled decoder would hold its window's memory for
		// the life of the function.
		zr, err := zstd.NewReader(bytes.NewReader(b), zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(uint64(limit)))
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		defer zr.Close()
		r = zr
	default:
		return nil, fmt.Errorf("%w: unknown compression codec %d", ErrProtocol, codec)
	}
	out, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if errors.Is(err, zstd.ErrDecoderSizeExceeded) {
		return nil, fmt.Errorf("%w (%d bytes): %w", ErrTooLarge, limit, err)
	}
	if err != nil {
		return nil, fmt.Errorf("decompress codec %d: %w", codec, err)
	}
	if len(out) > limit {
		return nil, fmt.Errorf("%w (%d bytes)", ErrTooLarge, limit)
	}
	return out, nil
}

// unsnappy decodes a raw snappy block or xerial-framed blocks, checking
// each block's decoded length against what is left of limit first.
func unsnappy(b []byte, limit int) ([]byte, error) {
	if !bytes.HasPrefix(b, xerialMagic) {
		return snappyBlock(nil, b, limit)
	}
	if len(b) < xerialHeaderBytes {
		return nil, fmt.Errorf("%w: xerial snappy header cut off", ErrProtocol)
	}
	b = b[xerialHeaderBytes:]
	var out []byte
	// Each turn consumes at least the 4-byte block length.
	for len(b) > 0 {
		if len(b) < 4 {
			return nil, fmt.Errorf("%w: xerial snappy block length cut off", ErrProtocol)
		}
		n := binary.BigEndian.Uint32(b)
		b = b[4:]
		if uint64(n) > uint64(len(b)) {
			return nil, fmt.Errorf("%w: xerial snappy block cut off", ErrProtocol)
		}
		var err error
		if out, err = snappyBlock(out, b[:n], limit); err != nil {
			return nil, err
		}
		b = b[n:]
	}
	return out, nil
}

// snappyBlock appends the decoded block src to dst.
func snappyBlock(dst, src []byte, limit int) ([]byte, error) {
	n, err := s2.DecodedLen(src)
	if err != nil {
		return nil, fmt.Errorf("snappy: %w", err)
	}
	if n > limit-len(dst) {
		return nil, fmt.Errorf("%w (%d bytes)", ErrTooLarge, limit)
	}
	block, err := s2.Decode(nil, src)
	if err != nil {
		return nil, fmt.Errorf("snappy: %w", err)
	}
	return append(dst, block...), nil
}
