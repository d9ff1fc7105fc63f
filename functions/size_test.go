package functions

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/esconnect/esconnect/shared/platform/platformtest"
)

// maxBinaryBytes is the budget of a stripped linux/arm64 bootstrap: small
// binaries start faster (Lambda and FC read the whole zip at cold start).
const maxBinaryBytes = 15_000_000

// esRoot is go-elasticsearch's root package. Its NewClient builds a closure
// for every API of esapi and it imports the typed API: linking it costs the
// functions several megabytes they never call (see esclient).
const esRoot = "github.com/elastic/go-elasticsearch/v8"

var functionPackages = []string{
	"github.com/esconnect/esconnect/functions/kafka-es-sink",
	"github.com/esconnect/esconnect/functions/pg-es-sync",
}

// deps lists the packages pkg links for linux/arm64 with the build tags of
// the Makefile.
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-tags", "lambda.norpc", pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

func TestFunctionsDoNotLinkTheFullClient(t *testing.T) {
	for _, pkg := range functionPackages {
		t.Run(pkg[strings.LastIndexByte(pkg, '/')+1:], func(t *testing.T) {
			for _, d := range deps(t, pkg) {
				if d == esRoot || strings.Contains(d, "/typedapi") {
					t.Errorf("%s links %s", pkg, d)
				}
				// The AWS SDK's configuration loader is the CLI's: the
				// functions take SigV4 credentials from the environment.
				if strings.HasPrefix(d, "github.com/aws/aws-sdk-go-v2/config") {
					t.Errorf("%s links %s", pkg, d)
				}
			}
		})
	}
}

// pgxModule is the PostgreSQL driver: pg-es-sync's alone (pgsync.LoadConfig
// parses connection strings with it). None of the packages kafka-es-sink
// reads its settings through (shared/config, esclient, esbulk, sink) may
// import it: linked, the driver adds to the binary and its packages'
// initialisation to every cold start.
const pgxModule = "github.com/jackc/"

func TestSinkDoesNotLinkThePostgresDriver(t *testing.T) {
	for _, d := range deps(t, functionPackages[0]) {
		if strings.HasPrefix(d, pgxModule) {
			t.Errorf("kafka-es-sink links %s", d)
		}
	}
}

// kafkaGoModule is segmentio/kafka-go: its protocol packages build
// reflection codecs for every API version in their init, about 3 ms of every
// cold start (measured with GODEBUG=inittrace=1). The sink's dead letters
// and overflow fetches use shared/kafkawire instead; kafka-go stays for the
// CLI and the tests.
const kafkaGoModule = "github.com/segmentio/kafka-go"

func TestSinkDoesNotLinkKafkaGo(t *testing.T) {
	for _, d := range deps(t, functionPackages[0]) {
		if d == kafkaGoModule || strings.HasPrefix(d, kafkaGoModule+"/") {
			t.Errorf("kafka-es-sink links %s", d)
		}
	}
}

func TestBinarySize(t *testing.T) {
	for _, pkg := range functionPackages {
		t.Run(pkg[strings.LastIndexByte(pkg, '/')+1:], func(t *testing.T) {
			bin := platformtest.BuildFor(t, pkg, "arm64")
			fi, err := os.Stat(bin)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("linux/arm64 bootstrap: %d bytes", fi.Size())
			if fi.Size() > maxBinaryBytes {
				t.Fatalf("bootstrap is %d bytes, budget %d", fi.Size(), maxBinaryBytes)
			}
		})
	}
}
