package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/kafkaops"
)

func init() {
	register("offsets", "move a stopped consumer group's committed offsets (earliest, latest, an offset or a time)", runOffsets)
}

// exitGroupActive is the exit status when offsets refuses a group that still
// has members, so that scripts can tell it from other failures.
const exitGroupActive = 3

func runOffsets(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("offsets", flag.ContinueOnError)
	fs.SetOutput(stderr)
	conn := addKafkaFlags(fs, config.FromOS())
	group := fs.String("group", "", "consumer group id (required)")
	topic := fs.String("topic", "", "topic (required)")
	to := fs.String("to", "", "target: earliest, latest, an offset, or an RFC 3339 time such as 2024-05-01T12:00:00Z (required)")
	var partitions opsList
	fs.Var(&partitions, "partition", "partition to move, repeatable or comma-separated (default: all)")
	dryRun := fs.Bool("dry-run", false, "show the move without committing it")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: esconnect offsets -brokers B -group G -topic T -to earliest|latest|OFFSET|RFC3339 [-partition P] [-dry-run] [-json]")
		fmt.Fprintln(stderr, "\nMoves the committed offsets of a group whose consumers are stopped and prints them before and")
		fmt.Fprintln(stderr, "after. A time moves each partition to its first record at or after that time, or to its end.")
		fmt.Fprintf(stderr, "Exits %d, naming the members, while the group has members.\n", exitGroupActive)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 || *group == "" || *topic == "" || *to == "" {
		fs.Usage()
		return &exitCodeError{code: 2, err: errors.New("-group, -topic and -to are required and no arguments are taken")}
	}
	target, err := kafkaops.ParseTarget(*to)
	if err != nil {
		return &exitCodeError{code: 2, err: err}
	}
	req := kafkaops.MoveRequest{Group: *group, Topic: *topic, To: target, DryRun: *dryRun}
	for _, p := range partitions {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return &exitCodeError{code: 2, err: fmt.Errorf("-partition %q is not a partition number", p)}
		}
		req.Partitions = append(req.Partitions, n)
	}
	admin, err := conn.open()
	if err != nil {
		return err
	}
	defer admin.Close()

	res, err := admin.MoveOffsets(ctx, req)
	if errors.Is(err, kafkaops.ErrGroupActive) {
		return &exitCodeError{code: exitGroupActive, err: err}
	}
	if err != nil {
		return err
	}
	if res.DryRun && len(res.Members) > 0 {
		fmt.Fprintf(stderr, "warning: group %q has %d member(s); the move would be refused until they stop\n", res.Group, len(res.Members))
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	return writeMove(stdout, res)
}

// writeMove prints a move as a header and a before/after table.
func writeMove(w io.Writer, res kafkaops.MoveResult) error {
	outcome := "committed"
	if res.DryRun {
		outcome = "dry run, nothing committed"
	}
	fmt.Fprintf(w, "GROUP %s  TOPIC %s  TO %s  (%s)\n\n", res.Group, res.Topic, res.To, outcome)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PARTITION\tBEFORE\tAFTER\tSTART\tEND\tNOTE")
	for _, m := range res.Partitions {
		note := ""
		if m.Clamped {
			note = "target outside the retained records; moved to the nearer end"
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%d\t%s\n", m.Partition, opsOffset(m.Before), m.After, m.Start, m.End, note)
	}
	return tw.Flush()
}
