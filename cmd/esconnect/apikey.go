package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/esconnect/esconnect/shared/apikey"
	"github.com/esconnect/esconnect/shared/pgsync"
)

func init() {
	register("apikey", "print the POST /_security/api_key body of a least-privilege key for a function", runAPIKey)
}

func runAPIKey(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("apikey", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o apikey.Options
	fs.StringVar(&o.Index, "index", "", "target index or a pattern covering it, e.g. kafka-* for ES_INDEX=kafka-{topic} (required)")
	fs.StringVar(&o.Function, "function", apikey.FunctionSink, "kafka-es-sink, pg-es-sync or all")
	fs.StringVar(&o.SyncJobsIndex, "sync-jobs-index", pgsync.DefaultSyncJobsIndex, "pg-es-sync's SYNC_JOBS_INDEX")
	fs.BoolVar(&o.Incremental, "incremental", false, "pg-es-sync with SYNC_MODE=incremental (reads its cursor back from the sync-jobs index)")
	fs.BoolVar(&o.Connector, "connector", false, "pg-es-sync in connector mode (CONNECTOR_ID, connector run): -index is the connector's index_name")
	fs.StringVar(&o.DLQIndex, "dlq-index", "", "index of an es:// DLQ_TARGET (kafka-es-sink)")
	fs.StringVar(&o.DocID, "doc-id", apikey.DocIDOffset, "kafka-es-sink's DOC_ID: offset, key or none")
	fs.StringVar(&o.NullValue, "null-value", apikey.NullDelete, "kafka-es-sink's NULL_VALUE with -doc-id key: delete, ignore or index")
	fs.StringVar(&o.Name, "name", "", "key name (default esconnect-<function>)")
	fs.StringVar(&o.Expiration, "expiration", "", "key lifetime as an Elasticsearch time value, e.g. 30d (default: never expires)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: esconnect apikey -index PATTERN [-function kafka-es-sink|pg-es-sync|all] [-sync-jobs-index NAME] [-incremental] [-connector]")
		fmt.Fprintln(stderr, "                       [-dlq-index NAME] [-doc-id offset|key|none] [-null-value delete|ignore|index]")
		fmt.Fprintln(stderr, "                       [-name N] [-expiration 30d]")
		fmt.Fprintln(stderr, "\nPrints the body of POST /_security/api_key for a key with exactly the privileges the function")
		fmt.Fprintln(stderr, "needs (see docs/security.md). Create the key with a user allowed to, then set ES_API_KEY to the")
		fmt.Fprintln(stderr, "\"encoded\" value of the answer:")
		fmt.Fprintln(stderr, "  esconnect apikey -index 'kafka-*' | curl -u elastic -H 'Content-Type: application/json' \\")
		fmt.Fprintln(stderr, "    -XPOST https://HOST:9200/_security/api_key -d @-")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return &exitCodeError{code: 2, err: errors.New("no arguments are taken")}
	}
	req, err := apikey.Build(o)
	if err != nil {
		return &exitCodeError{code: 2, err: err}
	}
	b, err := json.MarshalIndent(req, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the request: %w", err)
	}
	_, err = fmt.Fprintf(stdout, "%s\n", b)
	return err
}
