package kafkaevent

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"testing"
)

// checkLikeStd asserts decodeBase64 gives exactly what encoding/base64 gives
// for src: the same bytes, or the same error with the same offset.
func checkLikeStd(t *testing.T, src []byte) {
	t.Helper()
	want := make([]byte, base64.StdEncoding.DecodedLen(len(src)))
	wn, werr := base64.StdEncoding.Decode(want, src)
	got := make([]byte, len(want))
	gn, gerr := decodeBase64(got, src)
	if fmt.Sprint(gerr) != fmt.Sprint(werr) {
		t.Fatalf("error %v, encoding/base64 says %v\nsrc %q", gerr, werr, src)
	}
	if werr == nil && (gn != wn || !bytes.Equal(got[:gn], want[:wn])) {
		t.Fatalf("decoded %d bytes %x, encoding/base64 %d bytes %x\nsrc %q", gn, got[:gn], wn, want[:wn], src)
	}
}

// TestDecodeBase64LikeStd puts every byte value at every position of
// strings long enough for the vectorised blocks, and cuts them at every
// length, so that each block boundary sees invalid input, padding and
// line breaks.
func TestDecodeBase64LikeStd(t *testing.T) {
	plain := make([]byte, 200)
	for i := range plain {
		plain[i] = byte(i * 7)
	}
	enc := []byte(base64.StdEncoding.EncodeToString(plain))
	for n := 0; n <= len(enc); n++ {
		checkLikeStd(t, enc[:n])
	}
	for pos := 0; pos < 120; pos++ {
		for c := 0; c < 256; c++ {
			src := bytes.Clone(enc[:120])
			src[pos] = byte(c)
			checkLikeStd(t, src)
		}
	}
	// Padded ends, both forms, short strings and long ones (decodePlain
	// splits those): every byte value in each of the last eight places.
	for _, size := range []int{1, 2, 4, 5, 31, 32, 37, 38, 100, 101} {
		enc := []byte(base64.StdEncoding.EncodeToString(plain[:size]))
		for back := 1; back <= min(8, len(enc)); back++ {
			for c := 0; c < 256; c++ {
				src := bytes.Clone(enc)
				src[len(src)-back] = byte(c)
				checkLikeStd(t, src)
			}
		}
	}
}

// TestDecodeBase64Random compares random strings, mostly base64 with the
// odd invalid byte, padding or line break, so that architectures where the
// fuzzer cannot run (arm64 under emulation) still see varied input.
func TestDecodeBase64Random(t *testing.T) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	rng := rand.New(rand.NewPCG(7, 11))
	odd := []byte("=\n\r -_.\x00\x80\xff")
	for range 20000 {
		src := make([]byte, 40+rng.IntN(260))
		for i := range src {
			src[i] = alphabet[rng.IntN(len(alphabet))]
		}
		for range rng.IntN(3) {
			src[rng.IntN(len(src))] = odd[rng.IntN(len(odd))]
		}
		if rng.IntN(2) == 0 {
			src = src[:len(src)/4*4]
		}
		checkLikeStd(t, src)
	}
}

func FuzzDecodeBase64(f *testing.F) {
	long := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("esconnect\x00\xff"), 20))
	f.Add([]byte(long))
	f.Add([]byte(long[:100] + "\n" + long[100:]))
	f.Add([]byte(long[:60] + "=" + long[61:]))
	f.Add([]byte(long[:64] + "-_" + long[66:]))
	f.Fuzz(checkLikeStd)
}
