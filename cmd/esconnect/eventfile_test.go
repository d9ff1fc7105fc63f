package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/esconnect/esconnect/shared/platform"
)

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + i%26)
	}
	return b
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// A regular file is read into one buffer of its size: io.ReadAll would
// allocate about twice the file growing its buffer.
func TestReadEventFileAllocatesItsSizeOnce(t *testing.T) {
	want := pattern(6 << 20)
	name := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(name, want, 0o600); err != nil {
		t.Fatal(err)
	}
	var got []byte
	var err error
	n := allocated(func() { got, err = readEvent(name) })
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("read %d bytes that differ from the file's %d", len(got), len(want))
	}
	if limit := uint64(len(want)) + 64<<10; n > limit {
		t.Fatalf("reading a %d-byte file allocated %d bytes, want at most %d", len(want), n, limit)
	}
}

// A pipe has no size: it is read in chunks and copied once.
func TestReadLimitedPipe(t *testing.T) {
	want := pattern(5<<20 + 123)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		_, _ = w.Write(want)
		w.Close()
	}()
	defer r.Close()
	var got []byte
	n := allocated(func() { got, err = readLimited(r, -1, maxEventBytes) })
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("read %d bytes that differ from the %d written", len(got), len(want))
	}
	// The chunks and the one copy; doubling would allocate about 4x as it
	// grows past the size.
	if limit := 2*uint64(len(want)) + maxChunk; n > limit {
		t.Fatalf("reading %d bytes from a pipe allocated %d, want at most %d", len(want), n, limit)
	}
}

func TestReadLimited(t *testing.T) {
	data := pattern(300 << 10)
	tests := []struct {
		name    string
		in      []byte
		size    int64 // as measured before reading; -1 unknown
		limit   int
		want    []byte
		wantErr error
	}{
		{"exact size", data, int64(len(data)), len(data), data, nil},
		{"unknown size", data, -1, len(data), data, nil},
		{"grew since measured", data, 1000, len(data), data, nil},
		{"shrank since measured", data, int64(len(data)) + 10, len(data) + 10, data, nil},
		{"empty", []byte{}, 0, 10, []byte{}, nil},
		{"measured over the limit", data, int64(len(data)), len(data) - 1, nil, platform.ErrPayloadTooLarge},
		{"read over the limit", data, -1, len(data) - 1, nil, platform.ErrPayloadTooLarge},
		{"grew over the limit", data, 1000, len(data) - 1, nil, platform.ErrPayloadTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readLimited(bytes.NewReader(tt.in), tt.size, tt.limit)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == nil && !bytes.Equal(got, tt.want) {
				t.Fatalf("got %d bytes, want %d", len(got), len(tt.want))
			}
		})
	}
}

func TestReadEventTooLarge(t *testing.T) {
	name := filepath.Join(t.TempDir(), "big.json")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	// A sparse file: the size check refuses it before reading anything.
	if err := f.Truncate(maxEventBytes + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = readEvent(name)
	if !errors.Is(err, platform.ErrPayloadTooLarge) || !strings.Contains(err.Error(), "32 MiB") {
		t.Fatalf("err = %v, want ErrPayloadTooLarge naming 32 MiB", err)
	}
}

// errReader fails after its data.
type errReader struct{ r io.Reader }

var errBroken = errors.New("broken pipe")

func (e errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		return n, errBroken
	}
	return n, err
}

func TestReadLimitedReadError(t *testing.T) {
	for _, size := range []int64{-1, 10, 100} {
		_, err := readLimited(errReader{bytes.NewReader(pattern(50))}, size, 1000)
		if !errors.Is(err, errBroken) {
			t.Errorf("size %d: err = %v, want the read error", size, err)
		}
	}
}
