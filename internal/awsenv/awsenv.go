package awsenv

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go/middleware"

	"github.com/sgwarden/sgwarden/internal/version"
)

// ReadFile reads the CA bundle; os.ReadFile satisfies it.
type ReadFile func(name string) ([]byte, error)

// Config returns the SDK configuration described by getenv (os.Getenv in
// production). Every problem is joined into one error naming its variable.
func Config(getenv func(string) string, readFile ReadFile, ro RetryOptions) (aws.Config, error) {
	if readFile == nil {
		readFile = os.ReadFile
	}
	env := func(names ...string) string {
		for _, n := range names {
			if v := strings.TrimSpace(getenv(n)); v != "" {
				return v
			}
		}
		return ""
	}
	var errs []error
	region := env("AWS_REGION", "AWS_DEFAULT_REGION")
	if region == "" {
		errs = append(errs, errors.New("AWS_REGION: not set (Lambda sets it; elsewhere set it)"))
	}
	key, secret := env("AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY"), env("AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY")
	if key == "" || secret == "" {
		errs = append(errs, errors.New("AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: not set (Lambda sets them from the execution role)"))
	}
	src := source{getenv: getenv}
	for _, name := range []string{"AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT"} {
		if _, _, err := src.flag(name); err != nil {
			errs = append(errs, err)
		}
	}

	client := awshttp.NewBuildableClient()
	if path := env("AWS_CA_BUNDLE"); path != "" {
		pem, err := readFile(path)
		pool := x509.NewCertPool()
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("AWS_CA_BUNDLE: %w", err))
		case !pool.AppendCertsFromPEM(pem):
			errs = append(errs, fmt.Errorf("AWS_CA_BUNDLE: %s holds no PEM certificate", path))
		default:
			client = client.WithTransportOptions(func(tr *http.Transport) {
				if tr.TLSClientConfig == nil {
					tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
				}
				tr.TLSClientConfig.RootCAs = pool
			})
		}
	}
	if err := errors.Join(errs...); err != nil {
		return aws.Config{}, fmt.Errorf("AWS configuration from the environment: %w", err)
	}

	cfg := aws.Config{
		Region:        region,
		Credentials:   aws.NewCredentialsCache(staticCredentials{aws.Credentials{AccessKeyID: key, SecretAccessKey: secret, SessionToken: env("AWS_SESSION_TOKEN"), Source: "environment"}}),
		HTTPClient:    privateBodyClient{client}, // see PrivateBodies
		Retryer:       NewRetryer(ro),
		ConfigSources: []any{src},
		APIOptions:    []func(*middleware.Stack) error{UserAgent()},
	}
	if !src.ignoreEndpoints() {
		if u := env("AWS_ENDPOINT_URL"); u != "" {
			cfg.BaseEndpoint = aws.String(u)
		}
	}
	return cfg, nil
}

// UserAgent adds "sgwarden/VERSION" to the user agent of every AWS call, so
// CloudTrail records name the build that made them.
func UserAgent() func(*middleware.Stack) error {
	return awsmiddleware.AddUserAgentKeyValue(version.UserAgent())
}

type staticCredentials struct{ c aws.Credentials }

func (s staticCredentials) Retrieve(context.Context) (aws.Credentials, error) { return s.c, nil }

// source answers the SDK clients' questions about the environment (the
// provider interfaces of the SDK's internal/configsources, which the
// service clients look for in aws.Config.ConfigSources).
type source struct{ getenv func(string) string }

func (s source) flag(name string) (value, found bool, err error) {
	switch v := strings.ToLower(strings.TrimSpace(s.getenv(name))); v {
	case "":
		return false, false, nil
	case "true":
		return true, true, nil
	case "false":
		return false, true, nil
	default:
		return false, false, fmt.Errorf("%s: %q is not true or false", name, v)
	}
}

func (s source) ignoreEndpoints() bool {
	v, _, _ := s.flag("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
	return v
}

// GetServiceBaseEndpoint returns AWS_ENDPOINT_URL_<SERVICE>, the service's
// SDK ID upper-cased with spaces as underscores (EC2, SNS, S3).
func (s source) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	if s.ignoreEndpoints() {
		return "", false, nil
	}
	v := strings.TrimSpace(s.getenv("AWS_ENDPOINT_URL_" + strings.ToUpper(strings.ReplaceAll(sdkID, " ", "_"))))
	return v, v != "", nil
}

// GetUseFIPSEndpoint returns AWS_USE_FIPS_ENDPOINT.
func (s source) GetUseFIPSEndpoint(context.Context) (aws.FIPSEndpointState, bool, error) {
	v, found, err := s.flag("AWS_USE_FIPS_ENDPOINT")
	if !found || err != nil {
		return aws.FIPSEndpointStateUnset, false, err
	}
	if v {
		return aws.FIPSEndpointStateEnabled, true, nil
	}
	return aws.FIPSEndpointStateDisabled, true, nil
}

// GetUseDualStackEndpoint returns AWS_USE_DUALSTACK_ENDPOINT.
func (s source) GetUseDualStackEndpoint(context.Context) (aws.DualStackEndpointState, bool, error) {
	v, found, err := s.flag("AWS_USE_DUALSTACK_ENDPOINT")
	if !found || err != nil {
		return aws.DualStackEndpointStateUnset, false, err
	}
	if v {
		return aws.DualStackEndpointStateEnabled, true, nil
	}
	return aws.DualStackEndpointStateDisabled, true, nil
}
