package main

import (
	"os/exec"
	"strings"
	"testing"
)

// esRoot is go-elasticsearch's root package. It imports the typed API
// (hundreds of packages) and its NewClient links every esapi endpoint:
// compiling them dominated a first `make demo`, several minutes on a fresh
// build cache. The CLI talks to Elasticsearch through esclient and esapi
// request structs instead.
const esRoot = "github.com/elastic/go-elasticsearch/v8"

// linked lists the packages the CLI links.
func linked(t *testing.T) []string {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), "go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) == 0 {
		t.Fatal("go list -deps listed no packages")
	}
	return deps
}

func TestCLIDoesNotLinkTheFullClient(t *testing.T) {
	for _, d := range linked(t) {
		if d == esRoot || strings.Contains(d, "/typedapi") {
			t.Errorf("esconnect links %s", d)
		}
	}
}

// startCostly are modules whose package initialisation runs at every start
// of the CLI, whatever the command, and costs more than the rest of
// `esconnect invoke` on a small event (docs/performance.md): kafka-go's
// protocol packages build codecs for every Kafka API by reflection (about
// 3.5 ms), the AWS SDK's Lambda client builds its schemas (about 1.5 ms),
// the SDK's configuration loader links the STS, SSO, SSO OIDC and sign-in
// clients (about 0.8 ms and 4.5 MB). The CLI's Kafka tools (kafkaops,
// replay, demo, soak) use franz-go, replay signs Lambda's Invoke itself, and
// the credential chain runs in cmd/esconnect-aws-credentials; the tests keep
// kafka-go as the independent client.
var startCostly = []string{
	"github.com/segmentio/kafka-go",
	"github.com/aws/aws-sdk-go-v2/service/lambda",
	"github.com/aws/aws-sdk-go-v2/config",
	"github.com/aws/aws-sdk-go-v2/service/sts",
	"github.com/aws/aws-sdk-go-v2/service/sso",
	"github.com/aws/aws-sdk-go-v2/service/ssooidc",
	"github.com/aws/aws-sdk-go-v2/service/signin",
}

func TestCLIDoesNotLinkCostlyInit(t *testing.T) {
	for _, d := range linked(t) {
		for _, m := range startCostly {
			if d == m || strings.HasPrefix(d, m+"/") {
				t.Errorf("esconnect links %s", d)
			}
		}
	}
}
