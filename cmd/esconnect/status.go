package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/kafkaops"
)

func init() {
	register("status", "show a consumer group's committed offsets, lag and done time", runStatus)
}

// Environment variables the Kafka operating commands read as defaults. The
// SASL password is only read from the environment, so that it never appears
// in a process list or shell history.
const (
	envKafkaBrokers      = "KAFKA_BROKERS"
	envKafkaSASLUsername = "KAFKA_SASL_USERNAME"
	envKafkaSASLPassword = "KAFKA_SASL_PASSWORD"
)

// kafkaFlags are the connection flags of status and offsets.
type kafkaFlags struct {
	brokers opsList
	// envBrokers applies when -brokers is not given; a flag replaces it
	// rather than adding to it.
	envBrokers []string
	sec        kafkaops.Security
	timeout    time.Duration
	password   string
}

func addKafkaFlags(fs *flag.FlagSet, env *config.Env) *kafkaFlags {
	k := &kafkaFlags{envBrokers: env.List(envKafkaBrokers, nil), password: env.Secret(envKafkaSASLPassword, "")}
	fs.Var(&k.brokers, "brokers", "bootstrap brokers host:port, comma-separated (default $"+envKafkaBrokers+")")
	fs.BoolVar(&k.sec.TLS, "tls", false, "connect with TLS")
	fs.StringVar(&k.sec.CACert, "ca-cert", "", "PEM `file` verifying the brokers (implies -tls)")
	fs.StringVar(&k.sec.SASLMechanism, "sasl", "", "SASL `mechanism`: plain, scram-sha-256 or scram-sha-512 (password from $"+envKafkaSASLPassword+")")
	fs.StringVar(&k.sec.Username, "sasl-username", env.String(envKafkaSASLUsername, ""), "SASL username (default $"+envKafkaSASLUsername+")")
	fs.DurationVar(&k.timeout, "timeout", 30*time.Second, "time limit of each request to the cluster")
	return k
}

func (k *kafkaFlags) open() (*kafkaops.Admin, error) {
	brokers := []string(k.brokers)
	if len(brokers) == 0 {
		brokers = k.envBrokers
	}
	if len(brokers) == 0 {
		return nil, &exitCodeError{code: 2, err: fmt.Errorf("-brokers is required (or set %s)", envKafkaBrokers)}
	}
	sec := k.sec
	sec.Password = k.password
	opts, err := kafkaops.ClientOptions(sec, 10*time.Second)
	if err != nil {
		return nil, &exitCodeError{code: 2, err: err}
	}
	return kafkaops.New(kafkaops.Options{Brokers: brokers, ClientOptions: opts, RequestTimeout: k.timeout})
}

// opsList is a repeatable flag whose values may also be comma lists.
type opsList []string

func (l *opsList) String() string { return strings.Join(*l, ",") }

func (l *opsList) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

func runStatus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	conn := addKafkaFlags(fs, config.FromOS())
	group := fs.String("group", "", "consumer group id (required)")
	var topics opsList
	fs.Var(&topics, "topic", "topic to report, repeatable or comma-separated (default: every topic the group has offsets for)")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: esconnect status -brokers B -group G [-topic T] [-json]")
		fmt.Fprintln(stderr, "\nShows, per partition, the group's committed offset, the end offset, the lag, the time of the")
		fmt.Fprintln(stderr, "last committed record and the time up to which the partition is done, then the group's done")
		fmt.Fprintln(stderr, "time: every record produced before it is processed (see docs/operations.md).")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 || *group == "" {
		fs.Usage()
		return &exitCodeError{code: 2, err: errors.New("-group is required and no arguments are taken")}
	}
	admin, err := conn.open()
	if err != nil {
		return err
	}
	defer admin.Close()
	st, err := admin.Status(ctx, *group, topics)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	return writeGroupStatus(stdout, st)
}

// writeGroupStatus prints st as a header, a table of partitions and a summary.
func writeGroupStatus(w io.Writer, st kafkaops.Status) error {
	state := st.State
	if st.Paused {
		state += " (paused)"
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "GROUP %s\tSTATE %s\tMEMBERS %d\tAT %s\n", st.ID, state, len(st.Members), opsTime(st.At))
	if len(st.Members) > 0 {
		fmt.Fprintln(tw, "\nMEMBER\tCLIENT\tHOST\tSTATE\tASSIGNED")
		for _, m := range st.Members {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", m.ID, m.ClientID, m.Host, m.State, opsAssigned(m.Assigned))
		}
	}
	fmt.Fprintln(tw, "\nTOPIC\tPARTITION\tCOMMITTED\tEND\tLAG\tLAST COMMITTED RECORD\tDONE UNTIL")
	for _, p := range st.Partitions {
		last := "-"
		if p.LastCommitted != nil {
			last = opsTime(p.LastCommitted.Time)
		}
		done := "now"
		if p.Lag > 0 {
			done = opsTime(p.DoneUntil)
		}
		lag := strconv.FormatInt(p.Lag, 10)
		if p.Expired {
			lag += " (commit below retention)"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\t%s\t%s\n", p.Topic, p.Partition, opsOffset(p.Committed), p.End, lag, last, done)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nTOTAL LAG %d\n", st.TotalLag)
	if st.CaughtUp {
		_, err := fmt.Fprintf(w, "DONE TIME %s (caught up)\n", opsTime(st.DoneTime))
		return err
	}
	oldest := opsOldestPending(st.Partitions)
	_, err := fmt.Fprintf(w, "DONE TIME %s (%s behind; oldest pending record %s/%d@%d)\n",
		opsTime(st.DoneTime), st.At.Sub(st.DoneTime).Round(time.Second), oldest.Topic, oldest.Partition, oldest.FirstPending.Offset)
	return err
}

// opsOldestPending is the lagging partition that sets the done time.
func opsOldestPending(parts []kafkaops.PartitionStatus) kafkaops.PartitionStatus {
	var out kafkaops.PartitionStatus
	for _, p := range parts {
		if p.FirstPending != nil && (out.FirstPending == nil || p.DoneUntil.Before(out.DoneUntil)) {
			out = p
		}
	}
	if out.FirstPending == nil {
		out.FirstPending = &kafkaops.Record{Offset: -1}
	}
	return out
}

// opsTime shows a time in UTC to the millisecond, the precision of Kafka
// record timestamps.
func opsTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.999Z07:00") }

func opsOffset(o int64) string {
	if o < 0 {
		return "-"
	}
	return strconv.FormatInt(o, 10)
}

func opsAssigned(a map[string][]int) string {
	var parts []string
	for topic, ps := range a {
		ids := make([]string, len(ps))
		for i, p := range ps {
			ids[i] = strconv.Itoa(p)
		}
		parts = append(parts, topic+":"+strings.Join(ids, ","))
	}
	slices.Sort(parts)
	return strings.Join(parts, " ")
}
