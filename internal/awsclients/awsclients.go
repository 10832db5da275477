package awsclients

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Key names one account and region.
type Key struct{ Account, Region string }

// String returns "ACCOUNT/REGION", the form alerts and logs use.
func (k Key) String() string { return k.Account + "/" + k.Region }

// Provider returns an SDK configuration whose region is k.Region and whose
// credentials act in k.Account. A key it does not serve returns an error
// wrapping ErrNotServed.
type Provider interface {
	Config(ctx context.Context, k Key) (aws.Config, error)
}

// ErrNotServed says a Provider has no credentials for the key asked.
var ErrNotServed = errors.New("account/region not served")

// NotServedError is the error a Provider returns for a key it does not
// serve; it wraps ErrNotServed.
type NotServedError struct {
	Key Key
	// Serves describes what the provider does serve, for the message.
	Serves string
}

func (e *NotServedError) Error() string {
	msg := fmt.Sprintf("clients for %s: %v", e.Key, ErrNotServed)
	if e.Serves != "" {
		msg += " (serves " + e.Serves + ")"
	}
	return msg
}

func (e *NotServedError) Unwrap() error { return ErrNotServed }

// Local serves only (account, cfg.Region) with cfg as it is: the function's
// own credentials in its own account and region. An empty account or region
// serves nothing, so a misconfiguration fails closed.
func Local(cfg aws.Config, account string) Provider {
	return local{cfg: cfg, key: Key{Account: account, Region: cfg.Region}}
}

type local struct {
	cfg aws.Config
	key Key
}

func (l local) Config(_ context.Context, k Key) (aws.Config, error) {
	if l.key.Account == "" || l.key.Region == "" || k != l.key {
		return aws.Config{}, &NotServedError{Key: k, Serves: "only " + l.key.String()}
	}
	return l.cfg, nil
}

// Cache builds one client per key from a Provider's configuration and keeps
// it for later calls. A failed build is not kept, so the next call tries
// again. It is safe for concurrent use.
type Cache[T any] struct {
	provider Provider
	build    func(aws.Config) T

	mu      sync.Mutex
	clients map[Key]T
}

// NewCache returns a Cache that builds clients with build (for example
// ec2.NewFromConfig wrapped to the caller's interface).
func NewCache[T any](p Provider, build func(aws.Config) T) *Cache[T] {
	return &Cache[T]{provider: p, build: build, clients: map[Key]T{}}
}

// Get returns the client for k, building it on first use.
func (c *Cache[T]) Get(ctx context.Context, k Key) (T, error) {
	c.mu.Lock()
	if cl, ok := c.clients[k]; ok {
		c.mu.Unlock()
		return cl, nil
	}
	c.mu.Unlock()
	// The provider may call AWS (assume-role), so it runs unlocked; two
	// concurrent first uses build twice and keep one, which is harmless.
	cfg, err := c.provider.Config(ctx, k)
	if err != nil {
		var zero T
		return zero, err
	}
	cl := c.build(cfg)
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.clients[k]; ok {
		return prev, nil
	}
	c.clients[k] = cl
	return cl, nil
}
