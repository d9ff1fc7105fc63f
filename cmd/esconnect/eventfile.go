package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/esconnect/esconnect/shared/platform"
)

// maxEventBytes caps an event file at Function Compute's 32 MiB limit for
// a synchronous invocation body, the largest event either platform can
// deliver (Lambda's is 6 MB), so a local run accepts every event a deployed
// function can get and refuses what none could.
const maxEventBytes = platform.MaxPayloadBytes

// Chunk sizes for reading an event of unknown size (a pipe).
const (
	firstChunk = 64 << 10
	maxChunk   = 4 << 20
)

// readEvent reads the event file, or stdin for "-", refusing more than
// maxEventBytes. A regular file is read straight into one buffer of its
// size; a pipe is read in chunks that are copied once into the event's
// buffer at the end. Neither grows and copies a buffer while reading, which
// for a 30 MB event cost two copies of it and several collections while the
// heap grew.
func readEvent(name string) ([]byte, error) {
	f := os.Stdin
	if name != "-" {
		var err error
		if f, err = os.Open(name); err != nil {
			return nil, fmt.Errorf("reading the event: %w", err)
		}
		defer f.Close()
	}
	size := int64(-1)
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		size = fi.Size()
	}
	b, err := readLimited(f, size, maxEventBytes)
	if errors.Is(err, platform.ErrPayloadTooLarge) {
		return nil, fmt.Errorf("event %s exceeds %d MiB: %w", name, maxEventBytes>>20, err)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the event %s: %w", name, err)
	}
	return b, nil
}

// readLimited reads r to its end, at most limit bytes, into one buffer.
// size is r's length when known (else -1): the buffer is then allocated
// once, one byte larger so that a file that grew since it was measured is
// noticed, and read in one pass.
func readLimited(r io.Reader, size int64, limit int) ([]byte, error) {
	if size > int64(limit) {
		return nil, platform.ErrPayloadTooLarge
	}
	if size < 0 {
		return readChunks(r, nil, limit)
	}
	b := make([]byte, size+1)
	n, err := io.ReadFull(r, b)
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return b[:n], nil
	case err != nil:
		return nil, err
	}
	// Longer than measured: the rest is read like a pipe.
	return readChunks(r, [][]byte{b}, limit)
}

// readChunks reads r in chunks of doubling size after those already read,
// then copies them into one buffer of the exact total.
func readChunks(r io.Reader, chunks [][]byte, limit int) ([]byte, error) {
	total := 0
	for _, c := range chunks {
		total += len(c)
	}
	next := firstChunk
	for {
		if total > limit {
			return nil, platform.ErrPayloadTooLarge
		}
		c := make([]byte, min(next, limit+1-total))
		n, err := io.ReadFull(r, c)
		if n > 0 {
			chunks = append(chunks, c[:n])
			total += n
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		next = min(2*next, maxChunk)
	}
	if total > limit {
		return nil, platform.ErrPayloadTooLarge
	}
	if len(chunks) == 1 {
		return chunks[0], nil
	}
	out := make([]byte, 0, total)
	for _, c := range chunks {
		out = append(out, c...)
	}
	return out, nil
}
