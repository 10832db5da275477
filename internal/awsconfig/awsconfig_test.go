package awsconfig

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
)

func TestNewRetryer(t *testing.T) {
	tests := []struct {
		name        string
		opts        RetryOptions
		wantAttempt int
	}{
		{"defaults", RetryOptions{}, DefaultMaxAttempts},
		{"custom", RetryOptions{MaxAttempts: 9, MaxBackoff: time.Millisecond}, 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRetryer(tt.opts)()
			if _, ok := r.(*retry.AdaptiveMode); !ok {
				t.Fatalf("NewRetryer() = %T, want *retry.AdaptiveMode", r)
			}
			if got := r.MaxAttempts(); got != tt.wantAttempt {
				t.Errorf("MaxAttempts() = %d, want %d", got, tt.wantAttempt)
			}
			throttle := &smithy.GenericAPIError{Code: "RequestLimitExceeded"}
			if !r.IsErrorRetryable(throttle) {
				t.Errorf("IsErrorRetryable(RequestLimitExceeded) = false, want true")
			}
			denied := &smithy.GenericAPIError{Code: "UnauthorizedOperation"}
			if r.IsErrorRetryable(denied) {
				t.Errorf("IsErrorRetryable(UnauthorizedOperation) = true, want false")
			}
		})
	}
}

func TestNoClientRateLimitNeverWaits(t *testing.T) {
	r := NewRetryer(RetryOptions{NoClientRateLimit: true})().(aws.RetryerV2)
	throttle := &smithy.GenericAPIError{Code: "Throttling"}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	for i := 0; i < 5; i++ {
		release, err := r.GetAttemptToken(ctx)
		if err != nil {
			t.Fatalf("GetAttemptToken(%d) after throttles: %v", i, err)
		}
		_ = release(throttle)
	}
}

func TestLoadWithCABundle(t *testing.T) {
	// A bare *http.Client would make LoadDefaultConfig fail with a CA bundle.
	dir := t.TempDir()
	bundle := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(bundle, testCA(t), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CA_BUNDLE", bundle)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "none"))
	cfg, err := Load(context.Background(), RetryOptions{})
	if err != nil {
		t.Fatalf("Load() with AWS_CA_BUNDLE: %v", err)
	}
	if cfg.Region != "us-east-1" {
		t.Errorf("Region = %q, want us-east-1", cfg.Region)
	}
	if cfg.Retryer == nil || cfg.Retryer().MaxAttempts() != DefaultMaxAttempts {
		t.Errorf("Retryer not installed")
	}
}

func TestLoadBadCABundle(t *testing.T) {
	t.Setenv("AWS_CA_BUNDLE", filepath.Join(t.TempDir(), "missing.pem"))
	_, err := Load(context.Background(), RetryOptions{})
	if err == nil {
		t.Fatal("Load() with a missing CA bundle: nil error")
	}
}

func testCA(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "sgwarden test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestLoadForRegionFlagWins(t *testing.T) {
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	cfg, err := LoadFor(context.Background(), "ap-south-1", "")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "ap-south-1" {
		t.Errorf("LoadFor(--region ap-south-1).Region = %q, want the flag over AWS_REGION", cfg.Region)
	}
	if cfg, err = LoadFor(context.Background(), "", ""); err != nil || cfg.Region != "eu-west-1" {
		t.Errorf("LoadFor(no flags) = %q, %v; want AWS_REGION", cfg.Region, err)
	}
	if _, err := LoadFor(context.Background(), "", "no-such-profile"); err == nil {
		t.Error("LoadFor(--profile no-such-profile) succeeded, want an error naming the profile")
	}
}
