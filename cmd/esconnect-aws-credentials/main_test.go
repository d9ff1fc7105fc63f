package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/processcreds"

	"github.com/esconnect/esconnect/shared/sigv4"
)

const (
	sourceKeyID  = "AKIDSOURCE"
	sourceSecret = "source-secret"
	roleARN      = "arn:aws:iam::123456789012:role/indexer"
)

// awsFiles writes a credentials file whose profile ops holds static keys
// and a config file whose profile indexer assumes roleARN from ops, and
// points the environment at them, with nothing else to find.
func awsFiles(t *testing.T, stsURL string) {
	t.Helper()
	dir := t.TempDir()
	creds, cfg := filepath.Join(dir, "credentials"), filepath.Join(dir, "config")
	if err := os.WriteFile(creds, []byte("[ops]\naws_access_key_id = "+sourceKeyID+"\naws_secret_access_key = "+sourceSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte("[profile indexer]\nrole_arn = "+roleARN+"\nsource_profile = ops\nregion = eu-north-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"AWS_SHARED_CREDENTIALS_FILE": creds, "AWS_CONFIG_FILE": cfg, "AWS_PROFILE": "",
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_REGION": "",
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_CONTAINER_CREDENTIALS_FULL_URI": "", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "",
		"AWS_ENDPOINT_URL_STS": stsURL,
	} {
		t.Setenv(k, v)
	}
}

// decode reads out as the SDK's credential_process provider does.
func decode(t *testing.T, out []byte) processcreds.CredentialProcessResponse {
	t.Helper()
	var r processcreds.CredentialProcessResponse
	if err := json.Unmarshal(out, &r); err != nil || r.Version != 1 {
		t.Fatalf("output %q: %v; want credential_process JSON, Version 1", out, err)
	}
	return r
}

func TestStaticProfile(t *testing.T) {
	awsFiles(t, "http://127.0.0.1:1")
	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), []string{"--profile", "ops"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	r := decode(t, stdout.Bytes())
	if r.AccessKeyID != sourceKeyID || r.SecretAccessKey != sourceSecret || r.Expiration != nil {
		t.Fatalf("got %+v; want the ops profile's keys, no expiry", r)
	}
	if strings.Contains(stdout.String(), "SessionToken") {
		t.Fatalf("output %s carries an empty SessionToken", stdout.String())
	}
}

// TestAssumedRole: a profile that assumes a role goes through STS, signed
// with the source profile's keys, and the temporary credentials come out
// with their session token and expiry, which the CLI's cache refreshes on.
func TestAssumedRole(t *testing.T) {
	expires := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	var calls atomic.Int32
	verifier := &sigv4.Verifier{Region: "eu-north-1", Service: "sts",
		Keys: map[string]aws.Credentials{sourceKeyID: {AccessKeyID: sourceKeyID, SecretAccessKey: sourceSecret}}}
	sts := httptest.NewServer(verifier.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if err := r.ParseForm(); err != nil || r.PostForm.Get("Action") != "AssumeRole" || r.PostForm.Get("RoleArn") != roleARN {
			http.Error(w, "unexpected request", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
<Credentials><AccessKeyId>ASIATEMP</AccessKeyId><SecretAccessKey>temp-secret</SecretAccessKey>
<SessionToken>temp-token</SessionToken><Expiration>%s</Expiration></Credentials>
<AssumedRoleUser><Arn>%s/s</Arn><AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser>
</AssumeRoleResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></AssumeRoleResponse>`,
			expires.Format(time.RFC3339), roleARN)
	})))
	t.Cleanup(sts.Close)
	awsFiles(t, sts.URL)
	t.Setenv("AWS_PROFILE", "indexer")
	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	r := decode(t, stdout.Bytes())
	if r.AccessKeyID != "ASIATEMP" || r.SecretAccessKey != "temp-secret" || r.SessionToken != "temp-token" ||
		r.Expiration == nil || !r.Expiration.Equal(expires) {
		t.Fatalf("got %+v; want the assumed role's credentials expiring at %s", r, expires)
	}
	if calls.Load() != 1 {
		t.Fatalf("STS answered %d requests; want 1", calls.Load())
	}
}

// TestFailures: what cannot be resolved exits 1 with a message naming it,
// and writes nothing on standard output; a bad command line exits 2.
func TestFailures(t *testing.T) {
	awsFiles(t, "http://127.0.0.1:1")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--profile", "nobody"}, 1, "nobody"},
		{nil, 1, "IMDS"}, // no profile, no keys: the chain ends at the (disabled) instance role
		{[]string{"extra"}, 2, `unexpected argument "extra"`},
		{[]string{"--no-such-flag"}, 2, "no-such-flag"},
	} {
		var stdout, stderr bytes.Buffer
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		code := run(ctx, tc.args, &stdout, &stderr)
		cancel()
		if code != tc.code || stdout.Len() != 0 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit %d naming %q", tc.args, code, stdout.String(), stderr.String(), tc.code, tc.want)
		}
		if strings.Contains(stderr.String(), sourceSecret) {
			t.Errorf("%q: stderr shows the secret key", tc.args)
		}
	}
}
