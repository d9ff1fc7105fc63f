package kafkaops

import (
	"os/exec"
	"strings"
	"testing"
)

// kafkaGoModule is segmentio/kafka-go: its protocol packages build reflection
// codecs for every Kafka API version in their init, about 3 ms of every start
// of the CLI, which links this package. Tests may use it as the independent
// client; the package itself talks through franz-go.
const kafkaGoModule = "github.com/segmentio/kafka-go"

func TestDoesNotLinkKafkaGo(t *testing.T) {
	out, err := exec.CommandContext(t.Context(), "go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) == 0 {
		t.Fatal("go list -deps listed no packages")
	}
	for _, d := range deps {
		if d == kafkaGoModule || strings.HasPrefix(d, kafkaGoModule+"/") {
			t.Errorf("kafkaops links %s", d)
		}
	}
}
