package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/esnode/esnodetest"
	"github.com/esconnect/esconnect/shared/sigv4"
)

// credentialsHelperOnPath builds cmd/esconnect-aws-credentials, the
// program that runs the SDK's chain for the CLI, and puts only its
// directory on PATH: the CLI must find it there.
func credentialsHelperOnPath(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	// The tests run in the package's directory; go build resolves the
	// module from there.
	cmd := exec.CommandContext(t.Context(), "go", "build", "-o", filepath.Join(dir, credentialsHelper), "../"+credentialsHelper)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", credentialsHelper, err, out)
	}
	t.Setenv("PATH", dir)
}

// profileKeyID is the key the esnode of profileNode accepts.
const profileKeyID = "AKIDPROFILE"

// profileNode starts an esnode that checks SigV4 signatures like Amazon
// OpenSearch Service and points the environment at it with no credentials
// but a shared credentials file whose profile ops holds the node's key.
func profileNode(t *testing.T, env map[string]string) (secret string) {
	t.Helper()
	const keyID = profileKeyID
	secret = "profile-secret"
	node := esnodetest.Start(t, esnode.Options{SigV4: &sigv4.Verifier{Region: "eu-north-1", Service: sigv4.ServiceES,
		Keys: map[string]aws.Credentials{keyID: {AccessKeyID: keyID, SecretAccessKey: secret}}}})
	dir := t.TempDir()
	creds := filepath.Join(dir, "credentials")
	if err := os.WriteFile(creds, []byte("[ops]\naws_access_key_id = "+keyID+"\naws_secret_access_key = "+secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"ES_URL": node.URL, "ES_AUTH": "aws-sigv4", "AWS_REGION": "eu-north-1",
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "",
		"AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": creds,
		// No instance or container role may answer from this machine.
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_CONTAINER_CREDENTIALS_FULL_URI": "", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "",
	} {
		t.Setenv(k, v)
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	return secret
}

// TestInvokeSigV4Profile: with ES_AUTH=aws-sigv4 and no credentials in the
// environment, the CLI signs with the AWS SDK's default chain, here the
// shared credentials file of a named profile, against an esnode that checks
// signatures like Amazon OpenSearch Service. Without any credentials the
// invocation fails, naming the problem.
func TestInvokeSigV4Profile(t *testing.T) {
	secret := profileNode(t, map[string]string{"ES_INDEX": "sigv4-invoke"})
	credentialsHelperOnPath(t)
	invoke := func(profile string) (int, string, string) {
		t.Setenv("AWS_PROFILE", profile)
		var stdout, stderr bytes.Buffer
		code := runMain([]string{"invoke", "kafka-es-sink", "--event", "../../events/aws-msk.json"}, &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	code, stdout, stderr := invoke("ops")
	var res struct{ Received, Indexed int }
	if code != 0 || json.Unmarshal([]byte(stdout), &res) != nil || res.Indexed != 3 {
		t.Fatalf("profile ops: exit %d, stdout %s, stderr %s; want 3 indexed", code, stdout, stderr)
	}
	if code, _, stderr = invoke("nobody"); code == 0 || !strings.Contains(stderr, "nobody") {
		t.Fatalf("unknown profile: exit %d, stderr %s; want a failure naming the profile", code, stderr)
	}
	if strings.Contains(stderr, secret) {
		t.Fatal("stderr shows the secret key")
	}
}

// TestConnectorSigV4Profile: the connector service signs with the default
// chain too. The connector does not exist, so a signed check-in is answered
// 404 by the node; an unsigned one would be refused before that.
func TestConnectorSigV4Profile(t *testing.T) {
	secret := profileNode(t, map[string]string{"AWS_PROFILE": "ops"})
	credentialsHelperOnPath(t)
	var stdout, stderr bytes.Buffer
	code := runMain([]string{"connector", "run", "--id", "no-such-connector", "--once"}, &stdout, &stderr)
	if code == 0 || !strings.Contains(stderr.String(), "resource_not_found_exception") {
		t.Fatalf("exit %d, stderr %s; want the node's 404 for a signed request", code, stderr.String())
	}
	if strings.Contains(stderr.String()+stdout.String(), secret) {
		t.Fatal("output shows the secret key")
	}
}

// TestSigV4WithoutHelper: credentials in the environment, the chain's first
// step, need no helper; without them and without the helper, the CLI stops
// before any work and says what to build.
func TestSigV4WithoutHelper(t *testing.T) {
	secret := profileNode(t, map[string]string{"ES_INDEX": "sigv4-nohelper", "AWS_PROFILE": "ops"})
	t.Setenv("PATH", t.TempDir())
	invoke := func() (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := runMain([]string{"invoke", "kafka-es-sink", "--event", "../../events/aws-msk.json"}, &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	code, stdout, stderr := invoke()
	if code == 0 || !strings.Contains(stderr, credentialsHelper) || !strings.Contains(stderr, "go build") {
		t.Fatalf("no helper: exit %d, stdout %s, stderr %s; want a failure naming %s and how to build it", code, stdout, stderr, credentialsHelper)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", profileKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
	code, stdout, stderr = invoke()
	var res struct{ Indexed int }
	if code != 0 || json.Unmarshal([]byte(stdout), &res) != nil || res.Indexed != 3 {
		t.Fatalf("environment credentials: exit %d, stdout %s, stderr %s; want 3 indexed", code, stdout, stderr)
	}
}

// TestFindHelper: the helper beside the executable (through a symlink to
// it) comes before one on PATH; a file there that cannot be run does not.
func TestFindHelper(t *testing.T) {
	install, onPath, links := t.TempDir(), t.TempDir(), t.TempDir()
	exe := filepath.Join(install, "esconnect")
	for _, f := range []string{exe, filepath.Join(install, credentialsHelper), filepath.Join(onPath, credentialsHelper)} {
		if err := os.WriteFile(f, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	link := filepath.Join(links, "esconnect")
	if err := os.Symlink(exe, link); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", onPath)
	if got, err := findHelper(link); err != nil || got != filepath.Join(install, credentialsHelper) {
		t.Fatalf("beside the executable: %q, %v; want %s", got, err, filepath.Join(install, credentialsHelper))
	}
	if err := os.Chmod(filepath.Join(install, credentialsHelper), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := findHelper(link); err != nil || got != filepath.Join(onPath, credentialsHelper) {
		t.Fatalf("not executable beside it: %q, %v; want the one on PATH", got, err)
	}
	t.Setenv("PATH", t.TempDir())
	if _, err := findHelper(link); err == nil || !strings.Contains(err.Error(), credentialsHelper) {
		t.Fatalf("nowhere: %v; want an error naming %s", err, credentialsHelper)
	}
}

// TestHelperOutputNotInErrors: when the helper prints output the SDK's
// provider cannot parse, the provider's error quotes that output, which is
// where credentials are; the CLI's error names the helper and the problem
// and shows none of it.
func TestHelperOutputNotInErrors(t *testing.T) {
	const secret = "helper-secret-value"
	for name, out := range map[string]string{
		"truncated":  `{"Version":1,"AccessKeyId":"AKIDHELPER","SecretAccessKey":"` + secret + `"`,
		"wrong type": `{"Version":"one","AccessKeyId":"AKIDHELPER","SecretAccessKey":"` + secret + `"}`,
	} {
		t.Run(name, func(t *testing.T) {
			helper := filepath.Join(t.TempDir(), credentialsHelper)
			if err := os.WriteFile(helper, []byte("#!/bin/sh\nprintf '%s' '"+out+"'\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			_, err := (&helperProvider{path: helper}).Retrieve(t.Context())
			if err == nil || strings.Contains(err.Error(), secret) || !strings.Contains(err.Error(), helper) {
				t.Fatalf("error %v: want one that names %s and does not show its output", err, helper)
			}
		})
	}
}
