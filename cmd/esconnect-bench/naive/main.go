// Command naive is the baseline esconnect's benchmarks compare against: a
// kafka-es-sink written the way the standard tools suggest, with
// encoding/json into aws-lambda-go's events.KafkaEvent, base64 decoding of
// key and value, each document as a map through json.Marshal, and
// go-elasticsearch's esutil.BulkIndexer writing update + doc_as_upsert
// actions under the same ids esconnect uses. It writes the same msg_body
// documents as esconnect's default settings.
//
// It runs either once on an event file (naive FILE, for whole-process
// timings) or, when AWS_LAMBDA_RUNTIME_API is set, as a Lambda function
// (for warm invocations). ES_URL and ES_INDEX name the target.
package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esutil"
)

// result is what one invocation reports.
type result struct {
	Received int `json:"received"`
	Indexed  int `json:"indexed"`
}

func main() {
	es, err := elasticsearch.NewClient(elasticsearch.Config{Addresses: []string{os.Getenv("ES_URL")}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "naive:", err)
		os.Exit(1)
	}
	index := os.Getenv("ES_INDEX")
	if os.Getenv("AWS_LAMBDA_RUNTIME_API") != "" {
		lambda.Start(func(ctx context.Context, ev events.KafkaEvent) (result, error) {
			return handle(ctx, es, index, ev)
		})
		return
	}
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: naive EVENT_FILE (or as a Lambda function with AWS_LAMBDA_RUNTIME_API set)")
		os.Exit(2)
	}
	payload, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "naive:", err)
		os.Exit(1)
	}
	var ev events.KafkaEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		fmt.Fprintln(os.Stderr, "naive: decoding the event:", err)
		os.Exit(1)
	}
	res, err := handle(context.Background(), es, index, ev)
	if err != nil {
		fmt.Fprintln(os.Stderr, "naive:", err)
		os.Exit(1)
	}
	out, _ := json.Marshal(res)
	fmt.Printf("%s\n", out)
}

// handle writes every record of ev and fails unless all were indexed.
func handle(ctx context.Context, es *elasticsearch.Client, index string, ev events.KafkaEvent) (result, error) {
	bi, err := esutil.NewBulkIndexer(esutil.BulkIndexerConfig{Client: es, Index: index})
	if err != nil {
		return result{}, err
	}
	var res result
	for _, recs := range ev.Records {
		for _, r := range recs {
			res.Received++
			key, err := base64.StdEncoding.DecodeString(r.Key)
			if err != nil {
				return res, fmt.Errorf("key of %s-%d@%d: %w", r.Topic, r.Partition, r.Offset, err)
			}
			value, err := base64.StdEncoding.DecodeString(r.Value)
			if err != nil {
				return res, fmt.Errorf("value of %s-%d@%d: %w", r.Topic, r.Partition, r.Offset, err)
			}
			doc := map[string]any{"msg_body": map[string]any{
				"key": string(key), "offset": r.Offset, "overflowFlag": false, "partition": r.Partition,
				"timestamp": r.Timestamp.UnixMilli(), "topic": r.Topic, "value": string(value), "valueSize": len(value),
			}}
			body, err := json.Marshal(map[string]any{"doc": doc, "doc_as_upsert": true})
			if err != nil {
				return res, err
			}
			err = bi.Add(ctx, esutil.BulkIndexerItem{
				Action:     "update",
				DocumentID: r.Topic + "+" + strconv.Itoa(int(r.Partition)) + "+" + strconv.FormatInt(r.Offset, 10),
				Body:       bytes.NewReader(body),
			})
			if err != nil {
				return res, err
			}
		}
	}
	if err := bi.Close(ctx); err != nil {
		return res, err
	}
	st := bi.Stats()
	res.Indexed = int(st.NumIndexed + st.NumUpdated + st.NumCreated)
	if st.NumFailed != 0 {
		return res, errors.New(strconv.FormatUint(st.NumFailed, 10) + " documents failed")
	}
	return res, nil
}
