package platform

import (
	"errors"
	"testing"
)

func mapLookup(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestDetect(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    Kind
		wantErr error // nil: success; ErrNoPlatform: that sentinel; errAny: any error
	}{
		{"lambda", map[string]string{EnvLambdaAPI: "127.0.0.1:9001"}, AWS, nil},
		{"fc function name", map[string]string{EnvFCFunction: "sink"}, FC, nil},
		{"fc port only", map[string]string{EnvFCListenPort: "9000"}, FC, nil},
		{"fc runtime only", map[string]string{EnvFCRuntime: "custom.debian10"}, FC, nil},
		{"lambda wins over fc vars", map[string]string{EnvLambdaAPI: "x:1", EnvFCRuntime: "custom"}, AWS, nil},
		{"override fc on lambda", map[string]string{EnvLambdaAPI: "x:1", EnvPlatform: "fc"}, FC, nil},
		{"override aws with api", map[string]string{EnvFCFunction: "f", EnvLambdaAPI: "x:1", EnvPlatform: "AWS"}, AWS, nil},
		{"override fc alone", map[string]string{EnvPlatform: " fc "}, FC, nil},
		{"override aws without api", map[string]string{EnvPlatform: "aws"}, "", errAny},
		{"unknown override", map[string]string{EnvPlatform: "gcp"}, "", errAny},
		{"blank values are unset", map[string]string{EnvLambdaAPI: " ", EnvFCFunction: ""}, "", ErrNoPlatform},
		{"nothing", map[string]string{}, "", ErrNoPlatform},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Detect(mapLookup(tt.env))
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("Detect: %v", err)
			case tt.wantErr == errAny && err == nil:
				t.Fatalf("Detect = %q, want an error", got)
			case tt.wantErr == ErrNoPlatform && !errors.Is(err, ErrNoPlatform):
				t.Fatalf("Detect error = %v, want ErrNoPlatform", err)
			}
			if tt.wantErr == errAny && errors.Is(err, ErrNoPlatform) {
				t.Fatalf("a wrong PLATFORM must not look like a missing platform: %v", err)
			}
			if got != tt.want {
				t.Fatalf("Detect = %q, want %q", got, tt.want)
			}
		})
	}
}

var errAny = errors.New("any error")

func TestParseKind(t *testing.T) {
	for in, want := range map[string]Kind{"aws": AWS, "Lambda": AWS, "fc": FC, "ALIYUN": FC, "alibaba": FC} {
		if got, err := ParseKind(in); err != nil || got != want {
			t.Errorf("ParseKind(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseKind("azure"); err == nil {
		t.Error("ParseKind(azure) succeeded")
	}
}
