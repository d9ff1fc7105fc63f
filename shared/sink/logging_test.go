package sink

import (
	"bytes"
	"io"
	"log/slog"
)

func jsonLogger(buf *bytes.Buffer) *slog.Logger {
	var w io.Writer = io.Discard
	if buf != nil {
		w = buf
	}
	return slog.New(slog.NewJSONHandler(w, nil))
}
