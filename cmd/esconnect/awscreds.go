package main

import (
	"context"
	"fmt"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/esconnect/esconnect/shared/esclient"
)

// useAWSChain gives a command the AWS SDK's default credential chain when
// its settings ask for SigV4 (ES_AUTH=aws-sigv4): the environment first,
// then the shared config and credentials files (AWS_PROFILE, SSO), then a
// container or instance role, so a self-hosted consumer on ECS or EC2 signs
// with its role. The deployed functions read only the environment, which is
// where Lambda puts the role's credentials, and stay free of the SDK's
// configuration loader. Nothing is fetched here; the chain is asked on the
// first signed request.
func useAWSChain(ctx context.Context, es *esclient.Config) error {
	if es.Auth != esclient.AuthAWSSigV4 || es.AWSCredentials != nil {
		return nil
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(es.AWSRegion))
	if err != nil {
		return fmt.Errorf("%s=%s: loading the AWS configuration: %w", esclient.EnvAuth, esclient.AuthAWSSigV4, err)
	}
	es.AWSCredentials = cfg.Credentials
	return nil
}
