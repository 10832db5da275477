package awsclients_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/sgwarden/sgwarden/internal/awsclients"
)

const (
	home   = "111122223333"
	region = "eu-west-1"
)

func TestLocalServesOnlyItsOwnKey(t *testing.T) {
	p := awsclients.Local(aws.Config{Region: region}, home)
	tests := []struct {
		name string
		key  awsclients.Key
		ok   bool
	}{
		{"own account and region", awsclients.Key{Account: home, Region: region}, true},
		{"other region", awsclients.Key{Account: home, Region: "us-east-1"}, false},
		{"other account", awsclients.Key{Account: "444455556666", Region: region}, false},
		{"empty account", awsclients.Key{Region: region}, false},
		{"empty region", awsclients.Key{Account: home}, false},
		{"empty key", awsclients.Key{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := p.Config(context.Background(), tt.key)
			if tt.ok {
				if err != nil || cfg.Region != region {
					t.Fatalf("Config(%v) = region %q, %v; want %q, nil", tt.key, cfg.Region, err, region)
				}
				return
			}
			if !errors.Is(err, awsclients.ErrNotServed) {
				t.Fatalf("Config(%v) error = %v, want ErrNotServed", tt.key, err)
			}
			var ns *awsclients.NotServedError
			if !errors.As(err, &ns) || ns.Key != tt.key {
				t.Fatalf("Config(%v) error = %#v, want a NotServedError naming the key", tt.key, err)
			}
			if cfg.Region != "" {
				t.Errorf("Config(%v) returned a configuration with an error", tt.key)
			}
		})
	}
}

func TestLocalWithoutAccountServesNothing(t *testing.T) {
	for _, p := range []awsclients.Provider{
		awsclients.Local(aws.Config{Region: region}, ""),
		awsclients.Local(aws.Config{}, home),
	} {
		for _, k := range []awsclients.Key{{}, {Account: home, Region: region}, {Region: region}, {Account: home}} {
			if _, err := p.Config(context.Background(), k); !errors.Is(err, awsclients.ErrNotServed) {
				t.Errorf("Config(%v) on a provider without a key: error = %v, want ErrNotServed", k, err)
			}
		}
	}
}

// countingProvider serves every key with a configuration naming its region,
// counting the calls, and fails for the account "fail".
type countingProvider struct{ calls atomic.Int32 }

func (c *countingProvider) Config(_ context.Context, k awsclients.Key) (aws.Config, error) {
	c.calls.Add(1)
	if k.Account == "fail" {
		return aws.Config{}, errors.New("assume role: access denied")
	}
	return aws.Config{Region: k.Region, AppID: k.Account}, nil
}

func TestCacheBuildsOncePerKey(t *testing.T) {
	p := &countingProvider{}
	var builds atomic.Int32
	c := awsclients.NewCache(p, func(cfg aws.Config) string {
		builds.Add(1)
		return cfg.AppID + "@" + cfg.Region
	})
	ctx := context.Background()
	a := awsclients.Key{Account: home, Region: region}
	b := awsclients.Key{Account: home, Region: "us-east-1"}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for _, k := range []awsclients.Key{a, b, a} {
				got, err := c.Get(ctx, k)
				if want := k.Account + "@" + k.Region; err != nil || got != want {
					t.Errorf("Get(%v) = %q, %v; want %q", k, got, err, want)
				}
			}
		})
	}
	wg.Wait()
	before := p.calls.Load()
	for range 3 {
		if _, err := c.Get(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if p.calls.Load() != before {
		t.Errorf("Get on a cached key asked the provider again (%d -> %d calls)", before, p.calls.Load())
	}
}

func TestCacheKeepsNoFailure(t *testing.T) {
	p := &countingProvider{}
	c := awsclients.NewCache(p, func(cfg aws.Config) *aws.Config { return &cfg })
	k := awsclients.Key{Account: "fail", Region: region}
	for i := range 2 {
		got, err := c.Get(context.Background(), k)
		if err == nil || got != nil {
			t.Fatalf("Get(%v) = %v, %v; want nil and the provider's error", k, got, err)
		}
		if n := p.calls.Load(); n != int32(i+1) {
			t.Fatalf("after %d failed Get, provider called %d times; a failure must not be cached", i+1, n)
		}
	}
}

func TestCachePassesNotServedThrough(t *testing.T) {
	c := awsclients.NewCache(awsclients.Local(aws.Config{Region: region}, home), func(cfg aws.Config) string { return cfg.Region })
	if _, err := c.Get(context.Background(), awsclients.Key{Account: home, Region: "ap-south-1"}); !errors.Is(err, awsclients.ErrNotServed) {
		t.Fatalf("Get for a key Local does not serve: error = %v, want ErrNotServed", err)
	}
}

func ExampleLocal() {
	p := awsclients.Local(aws.Config{Region: "eu-west-1"}, "111122223333")
	_, err := p.Config(context.Background(), awsclients.Key{Account: "111122223333", Region: "us-east-1"})
	fmt.Println(errors.Is(err, awsclients.ErrNotServed))
	fmt.Println(err)
	// Output:
	// true
	// clients for 111122223333/us-east-1: account/region not served (serves only 111122223333/eu-west-1)
}
