package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"time"

	"github.com/esconnect/esconnect/shared/retry"
)

// Options tunes Run.
type Options struct {
	// Batch is the most records per Send; 0 means 500.
	Batch int
	// Rate limits records per second; 0 means unlimited.
	Rate float64
	// DryRun reads the source and counts without sending.
	DryRun bool
	// Progress, when not nil, gets a one-line progress display rewritten in
	// place; pass a terminal only.
	Progress io.Writer
	// Log gets one line per batch; nil discards.
	Log *slog.Logger
}

// PartitionDone is how far one source partition got: every record from
// First to Last (source offsets) was sent. A rerun continues at Next.
type PartitionDone struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	First     int64  `json:"first_offset"`
	Last      int64  `json:"last_offset"`
	Next      int64  `json:"resume_from"`
	Records   int64  `json:"records"`
}

// Summary is the outcome of a replay, printed as JSON.
type Summary struct {
	Read       int64           `json:"read"`
	Sent       int64           `json:"sent"`
	Failed     int64           `json:"failed"`
	Batches    int             `json:"batches"`
	DryRun     bool            `json:"dry_run,omitempty"`
	ElapsedMS  int64           `json:"elapsed_ms"`
	Partitions []PartitionDone `json:"partitions"`
	// Undecodable counts the source records that could not be decoded and
	// so were not sent; Rejected lists them.
	Undecodable int        `json:"undecodable,omitempty"`
	Rejected    []Rejected `json:"rejected,omitempty"`
	Error       string     `json:"error,omitempty"`
}

// ErrFailed is returned by Run when a batch could not be delivered; the
// summary says where to resume.
var ErrFailed = errors.New("replay failed")

// ErrUndecodable is returned by Run, with ErrFailed, when the source held
// records that could not be decoded. Everything else was sent; the summary
// lists the rejected records.
var ErrUndecodable = errors.New("undecodable records not sent")

// Run copies src to dst in batches. It stops at the first batch dst rejects,
// so that the summary's resume offsets never skip an undelivered record.
func Run(ctx context.Context, src Source, dst Destination, o Options) (Summary, error) {
	if o.Batch < 1 {
		// Bulk requests of a few hundred documents are where Elasticsearch
		// throughput flattens out.
		o.Batch = 500
	}
	if o.Rate > 0 && float64(o.Batch) > o.Rate {
		// Keep batches within one second's allowance so the rate is smooth.
		o.Batch = max(1, int(o.Rate))
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	start := time.Now()
	sum := Summary{DryRun: o.DryRun}
	done := map[Position]*PartitionDone{}
	total := src.Total()
	var err error
	for {
		var its []Item
		its, err = src.Next(ctx, o.Batch)
		if errors.Is(err, io.EOF) {
			err = nil
			break
		}
		if err != nil {
			err = fmt.Errorf("read source: %w", err)
			break
		}
		sum.Read += int64(len(its))
		if err = pace(ctx, start, sum.Sent, len(its), o.Rate); err != nil {
			break
		}
		if !o.DryRun {
			var res any
			res, err = dst.Send(ctx, records(its))
			if err != nil {
				sum.Failed += int64(len(its))
				log.Error("batch failed", "first", its[0].From, "records", len(its), "error", err.Error())
				err = fmt.Errorf("%w: batch starting at %s/%d offset %d: %w", ErrFailed, its[0].From.Topic, its[0].From.Partition, its[0].From.Offset, err)
				break
			}
			log.Info("batch sent", "first", its[0].From, "records", len(its), "result", res)
		}
		sum.Batches++
		sum.Sent += int64(len(its))
		for _, it := range its {
			k := Position{Topic: it.From.Topic, Partition: it.From.Partition}
			p := done[k]
			if p == nil {
				p = &PartitionDone{Topic: k.Topic, Partition: k.Partition, First: it.From.Offset}
				done[k] = p
			}
			p.Last, p.Next = it.From.Offset, it.From.Offset+1
			p.Records++
		}
		if o.Progress != nil {
			progress(o.Progress, sum.Sent, total, time.Since(start))
		}
	}
	if o.Progress != nil {
		fmt.Fprintln(o.Progress)
	}
	sum.ElapsedMS = time.Since(start).Milliseconds()
	for _, p := range done {
		sum.Partitions = append(sum.Partitions, *p)
	}
	sort.Slice(sum.Partitions, func(i, j int) bool {
		a, b := sum.Partitions[i], sum.Partitions[j]
		if a.Topic != b.Topic {
			return a.Topic < b.Topic
		}
		return a.Partition < b.Partition
	})
	if rj, ok := src.(rejecter); ok {
		sum.Rejected = rj.Rejected()
		sum.Undecodable = len(sum.Rejected)
		if n := sum.Undecodable; n > 0 {
			log.Error("undecodable records not sent", "records", n)
			undecodable := fmt.Errorf("%w: %d (first: %s record %d: %s)", ErrUndecodable, n, sum.Rejected[0].File, sum.Rejected[0].Index, sum.Rejected[0].Error)
			if err == nil {
				err = fmt.Errorf("%w: %w", ErrFailed, undecodable)
			} else {
				err = errors.Join(err, undecodable)
			}
		}
	}
	if err != nil {
		sum.Error = err.Error()
		if !errors.Is(err, ErrFailed) {
			err = fmt.Errorf("%w: %w", ErrFailed, err)
		}
	}
	return sum, err
}

// pace waits until sending n more records keeps the average at or below
// rate since start.
func pace(ctx context.Context, start time.Time, sent int64, n int, rate float64) error {
	if rate <= 0 {
		return nil
	}
	due := start.Add(time.Duration(float64(sent) / rate * float64(time.Second)))
	wait := time.Until(due)
	if wait <= 0 {
		return ctx.Err()
	}
	return retry.Sleep(ctx, wait)
}

func progress(w io.Writer, sent, total int64, elapsed time.Duration) {
	rate := float64(sent) / max(elapsed.Seconds(), 1e-3)
	if total < 0 {
		fmt.Fprintf(w, "\r%d records  %.0f/s  %s   ", sent, rate, elapsed.Truncate(time.Second))
		return
	}
	eta := time.Duration(0)
	if rate > 0 && total > sent {
		eta = time.Duration(float64(total-sent) / rate * float64(time.Second))
	}
	fmt.Fprintf(w, "\r%d/%d records  %.0f/s  ETA %s   ", sent, total, rate, eta.Truncate(time.Second))
}
