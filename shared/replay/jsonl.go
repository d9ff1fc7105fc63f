package replay

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/esconnect/esconnect/shared/kafkaevent"
)

// Line is one record of a JSONL archive: one JSON object per line. Key,
// value and header values are base64 (the encoding/json form of bytes), and
// null for a Kafka null, so any bytes survive a round trip.
//
//	{"topic":"orders","partition":0,"offset":42,"timestamp":1700000000000,
//	 "timestampType":"CREATE_TIME","key":"azE=","value":"eyJuIjoxfQ==",
//	 "headers":[{"key":"trace","value":"YWJj"}],"valueSize":7}
type Line struct {
	Topic         string       `json:"topic"`
	Partition     int32        `json:"partition"`
	Offset        int64        `json:"offset"`
	Timestamp     int64        `json:"timestamp"`
	TimestampType string       `json:"timestampType,omitempty"`
	Key           []byte       `json:"key"`
	Value         []byte       `json:"value"`
	Headers       []LineHeader `json:"headers,omitempty"`
	ValueSize     int          `json:"valueSize"`
	ValueIsJSON   bool         `json:"valueIsJson,omitempty"`
	Overflow      bool         `json:"overflow,omitempty"`
}

// LineHeader is one record header of a Line.
type LineHeader struct {
	Key   string `json:"key"`
	Value []byte `json:"value"`
}

// ToLine converts a record to its archive line.
func ToLine(r kafkaevent.Record) Line {
	l := Line{
		Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Timestamp: r.Timestamp,
		TimestampType: r.TimestampType, Key: r.Key, Value: r.Value, ValueSize: r.ValueSize,
		ValueIsJSON: r.ValueIsJSON, Overflow: r.Overflow,
	}
	for _, h := range r.Headers {
		l.Headers = append(l.Headers, LineHeader{Key: h.Key, Value: h.Value})
	}
	return l
}

// Record converts an archive line back to a record.
func (l Line) Record() kafkaevent.Record {
	r := kafkaevent.Record{
		Topic: l.Topic, Partition: l.Partition, Offset: l.Offset, Timestamp: l.Timestamp,
		TimestampType: l.TimestampType, Key: l.Key, Value: l.Value, ValueSize: l.ValueSize,
		ValueIsJSON: l.ValueIsJSON, Overflow: l.Overflow,
	}
	for _, h := range l.Headers {
		r.Headers = append(r.Headers, kafkaevent.Header{Key: h.Key, Value: h.Value})
	}
	return r
}

// maxLine bounds one archive line: a Kafka record is at most a few MB even
// base64-encoded.
const maxLine = 64 << 20

// jsonlSource reads an archive.
type jsonlSource struct {
	f    *os.File
	sc   *bufio.Scanner
	name string
	line int
}

func openJSONL(path string) (*jsonlSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open archive: %w", err)
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	return &jsonlSource{f: f, sc: sc, name: path}, nil
}

func (s *jsonlSource) Next(ctx context.Context, max int) ([]Item, error) {
	var out []kafkaevent.Record
	for len(out) < max && s.sc.Scan() {
		s.line++
		b := s.sc.Bytes()
		if len(b) == 0 {
			continue
		}
		var l Line
		if err := json.Unmarshal(b, &l); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", s.name, s.line, err)
		}
		out = append(out, l.Record())
	}
	if err := s.sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", s.name, err)
	}
	if len(out) == 0 {
		return nil, io.EOF
	}
	return items(out), ctx.Err()
}

func (s *jsonlSource) Total() int64 { return -1 }
func (s *jsonlSource) Close() error { return s.f.Close() }

// jsonlDest writes archive lines; it is both `jsonl:FILE` and `stdout`.
type jsonlDest struct {
	w     *bufio.Writer
	close func() error
}

// NewJSONLWriter returns a destination that writes archive lines to w.
func NewJSONLWriter(w io.Writer) Destination {
	return &jsonlDest{w: bufio.NewWriter(w), close: func() error { return nil }}
}

func createJSONL(path string) (*jsonlDest, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create archive: %w", err)
	}
	return &jsonlDest{w: bufio.NewWriter(f), close: f.Close}, nil
}

func (d *jsonlDest) Send(_ context.Context, recs []kafkaevent.Record) (any, error) {
	enc := json.NewEncoder(d.w)
	for _, r := range recs {
		if err := enc.Encode(ToLine(r)); err != nil {
			return nil, fmt.Errorf("write archive line: %w", err)
		}
	}
	// Flushing per batch keeps the archive consistent with the summary's
	// resume offsets if the run is interrupted.
	if err := d.w.Flush(); err != nil {
		return nil, fmt.Errorf("write archive: %w", err)
	}
	return nil, nil
}

func (d *jsonlDest) Close() error {
	return errors.Join(d.w.Flush(), d.close())
}
