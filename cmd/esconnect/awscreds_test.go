package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/esnode/esnodetest"
	"github.com/esconnect/esconnect/shared/sigv4"
)

// profileNode starts an esnode that checks SigV4 signatures like Amazon
// OpenSearch Service and points the environment at it with no credentials
// but a shared credentials file whose profile ops holds the node's key.
func profileNode(t *testing.T, env map[string]string) (secret string) {
	t.Helper()
	const keyID = "AKIDPROFILE"
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
	var stdout, stderr bytes.Buffer
	code := runMain([]string{"connector", "run", "--id", "no-such-connector", "--once"}, &stdout, &stderr)
	if code == 0 || !strings.Contains(stderr.String(), "resource_not_found_exception") {
		t.Fatalf("exit %d, stderr %s; want the node's 404 for a signed request", code, stderr.String())
	}
	if strings.Contains(stderr.String()+stdout.String(), secret) {
		t.Fatal("output shows the secret key")
	}
}
