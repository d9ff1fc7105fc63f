package esclient_test

import (
	"encoding/base64"
	"errors"
	"testing"

	"github.com/esconnect/esconnect/shared/esclient"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestCloudURL(t *testing.T) {
	tests := []struct {
		name, id, want string
	}{
		{"host, es and kibana uuids", "prod:" + b64("us-east-1.aws.found.io$abc123$def456"), "https://abc123.us-east-1.aws.found.io"},
		{"host with port", "prod:" + b64("eu-west-1.aws.found.io:9243$abc123$def456"), "https://abc123.eu-west-1.aws.found.io:9243"},
		{"no kibana uuid", "prod:" + b64("example.com$es1"), "https://es1.example.com"},
		{"colon in the name", "team:prod:" + b64("example.com$es1$kb1"), "https://es1.example.com"},
		{"padding dropped", "x:" + "ZXhhbXBsZS5jb20kZXMx", "https://es1.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := esclient.CloudURL(tt.id)
			if err != nil {
				t.Fatal(err)
			}
			if u.String() != tt.want {
				t.Errorf("CloudURL = %s, want %s", u, tt.want)
			}
		})
	}
}

func TestCloudURLInvalid(t *testing.T) {
	for _, id := range []string{
		"no-colon",
		"name:!!not-base64!!",
		"name:" + b64("only-a-host"),
		"name:" + b64("$uuid"),
		"name:" + b64("host$"),
		"name:" + b64("evil.com/path$uuid"),
	} {
		if u, err := esclient.CloudURL(id); !errors.Is(err, esclient.ErrInvalidSettings) {
			t.Errorf("CloudURL(%q) = %v, %v; want ErrInvalidSettings", id, u, err)
		}
	}
}
