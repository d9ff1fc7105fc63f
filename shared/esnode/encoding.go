package esnode

import (
	"compress/gzip"
	"compress/zlib"
	"io"
	"net/http"
	"strings"
)

// decodedBody is a decompressing reader that closes the request body too.
type decodedBody struct {
	io.Reader
	decoder io.Closer
	raw     io.Closer
}

func (d *decodedBody) Close() error {
	_ = d.decoder.Close()
	return d.raw.Close()
}

// decodeContentEncoding replaces a compressed request body by its
// decompressed content, as Elasticsearch's HTTP layer does for
// Content-Encoding gzip and deflate (clients send gzip with
// CompressRequestBody, esconnect with ES_COMPRESS=true). The size limit is
// applied afterwards, to the decompressed content, so a small compressed
// body cannot expand past max_content_length.
func decodeContentEncoding(r *http.Request) *esError {
	enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding")))
	var (
		rd  io.ReadCloser
		err error
	)
	switch enc {
	case "", "identity":
		return nil
	case "gzip", "x-gzip":
		rd, err = gzip.NewReader(r.Body)
	case "deflate":
		rd, err = zlib.NewReader(r.Body)
	default:
		return errorf(http.StatusUnsupportedMediaType, "illegal_argument_exception", "unsupported Content-Encoding [%s]", enc)
	}
	if err != nil {
		return errorf(http.StatusBadRequest, "parse_exception", "request body is not valid %s: %v", enc, err)
	}
	r.Body = &decodedBody{Reader: rd, decoder: rd, raw: r.Body}
	r.Header.Del("Content-Encoding")
	// The declared length is the compressed one; the decompressed length is
	// known only once read.
	r.ContentLength = -1
	return nil
}
