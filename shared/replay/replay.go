// Package replay reads Kafka records from a source (trigger event files, a
// JSONL archive, a bounded range of a Kafka topic, or dead letters) and sends
// them in batches to a destination (the sink handler in-process, a deployed
// Lambda or Function Compute function, a JSONL file or stdout), with rate
// limiting, progress and a summary that says where to resume.
package replay

import (
	"context"
	"errors"

	"github.com/esconnect/esconnect/shared/kafkaevent"
)

// Position is where a record was read from. For a dead-letter source it is
// the dead-letter topic's coordinates, not the restored record's, because
// that is the range a rerun resumes.
type Position struct {
	Topic     string
	Partition int32
	Offset    int64
}

// Item is one record to send and where it was read.
type Item struct {
	Record kafkaevent.Record
	From   Position
}

// Source yields items in order.
type Source interface {
	// Next returns up to max items; it returns io.EOF, and no items, once
	// the source is exhausted.
	Next(ctx context.Context, max int) ([]Item, error)
	// Total is the number of items the source will yield, or -1 when it
	// cannot tell in advance.
	Total() int64
	Close() error
}

// Destination receives batches of records.
type Destination interface {
	// Send delivers records and returns nil only when the destination
	// accepted all of them. result, when not nil, goes into the log of the
	// batch (the sink's Result, a function's response).
	Send(ctx context.Context, records []kafkaevent.Record) (result any, err error)
	Close() error
}

// ErrBadSource and ErrBadDestination are wrapped by the parsers for a
// malformed --from or --to.
var (
	ErrBadSource      = errors.New("bad replay source")
	ErrBadDestination = errors.New("bad replay destination")
)

func items(recs []kafkaevent.Record) []Item {
	out := make([]Item, len(recs))
	for i, r := range recs {
		out[i] = Item{Record: r, From: Position{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset}}
	}
	return out
}

func records(its []Item) []kafkaevent.Record {
	out := make([]kafkaevent.Record, len(its))
	for i, it := range its {
		out[i] = it.Record
	}
	return out
}
