package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/esconnect/esconnect/shared/indexname"
	"github.com/esconnect/esconnect/shared/kafkaevent"
)

// DestinationOptions carries what the destinations other than files need.
type DestinationOptions struct {
	// Stdout is where `stdout` writes.
	Stdout io.Writer
	// Local builds the in-process handler for `local`; the command passes
	// one that loads the sink's settings from the environment, as the
	// function does.
	Local func(ctx context.Context) (Destination, error)
	// Lambda and FC configure the remote destinations.
	Lambda LambdaOptions
	FC     FCOptions
}

// OpenDestination parses --to: local, stdout, jsonl:FILE, lambda:NAME or
// fc:NAME.
func OpenDestination(ctx context.Context, spec string, o DestinationOptions) (Destination, error) {
	kind, arg, _ := strings.Cut(spec, ":")
	switch kind {
	case "stdout":
		return NewJSONLWriter(o.Stdout), nil
	case "jsonl":
		if arg == "" {
			return nil, fmt.Errorf("%w: jsonl:FILE needs a file", ErrBadDestination)
		}
		return createJSONL(arg)
	case "local":
		if o.Local == nil {
			return nil, fmt.Errorf("%w: local handler not available", ErrBadDestination)
		}
		return o.Local(ctx)
	case "lambda":
		if arg == "" {
			return nil, fmt.Errorf("%w: lambda:NAME needs a function name or ARN", ErrBadDestination)
		}
		return NewLambda(arg, o.Lambda)
	case "fc":
		if arg == "" {
			return nil, fmt.Errorf("%w: fc:NAME needs a function name", ErrBadDestination)
		}
		return NewFC(arg, o.FC)
	}
	return nil, fmt.Errorf("%w: %q is not local, stdout, jsonl:FILE, lambda:NAME or fc:NAME", ErrBadDestination, spec)
}

// OpenSource parses --from: kafka://..., es://INDEX (dead letters; needs
// esSource), a .jsonl archive, or trigger event files and directories.
func OpenSource(ctx context.Context, spec string, format kafkaevent.Format, esSource func(ctx context.Context, index string) (Source, error)) (Source, error) {
	switch {
	case strings.HasPrefix(spec, "kafka://"):
		r, err := ParseKafkaRange(spec)
		if err != nil {
			return nil, err
		}
		return openKafka(ctx, r)
	case strings.HasPrefix(spec, "es://"):
		if esSource == nil {
			return nil, fmt.Errorf("%w: es:// sources need Elasticsearch settings", ErrBadSource)
		}
		index := strings.TrimSuffix(strings.TrimPrefix(spec, "es://"), "/")
		if err := indexname.Check(index, false); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrBadSource, spec, err)
		}
		return esSource(ctx, index)
	case strings.HasPrefix(spec, "jsonl:"):
		return openJSONL(strings.TrimPrefix(spec, "jsonl:"))
	case strings.HasSuffix(spec, ".jsonl"):
		return openJSONL(spec)
	}
	return openEvents(spec, format)
}

// splitPayloads encodes records with enc and halves any batch whose payload
// exceeds limit, so every invocation stays within the platform's payload
// limit. A single record that does not fit is an error.
func splitPayloads(recs []kafkaevent.Record, limit int, enc func([]kafkaevent.Record) ([]byte, error)) ([][]byte, error) {
	b, err := enc(recs)
	if err != nil {
		return nil, err
	}
	if len(b) <= limit {
		return [][]byte{b}, nil
	}
	if len(recs) == 1 {
		r := recs[0]
		return nil, fmt.Errorf("record %s/%d/%d encodes to %d bytes, over the %d-byte payload limit: %w", r.Topic, r.Partition, r.Offset, len(b), limit, ErrTooLarge)
	}
	half := len(recs) / 2
	a, err := splitPayloads(recs[:half], limit, enc)
	if err != nil {
		return nil, err
	}
	c, err := splitPayloads(recs[half:], limit, enc)
	if err != nil {
		return nil, err
	}
	return append(a, c...), nil
}

// ErrTooLarge is wrapped when one record alone exceeds a payload limit.
var ErrTooLarge = errors.New("record too large for the destination")
