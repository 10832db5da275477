package remediate

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/sgwarden/sgwarden/internal/awsclients"
)

// Clients gives the EC2 client that acts in one account and region. A key
// it does not serve returns an error wrapping awsclients.ErrNotServed; the
// event is then failed, never handled with another account's client.
type Clients interface {
	EC2(ctx context.Context, k awsclients.Key) (EC2API, error)
}

// ClientsFrom builds one *ec2.Client per key from p's configuration and
// keeps it for the life of the process (one cold start).
func ClientsFrom(p awsclients.Provider, optFns ...func(*ec2.Options)) Clients {
	return providerClients{cache: awsclients.NewCache(p, func(cfg aws.Config) EC2API {
		return ec2.NewFromConfig(cfg, optFns...)
	})}
}

type providerClients struct{ cache *awsclients.Cache[EC2API] }

func (c providerClients) EC2(ctx context.Context, k awsclients.Key) (EC2API, error) {
	return c.cache.Get(ctx, k)
}

// Only serves api for the single key k, for tests and tools that hold one
// client (a fake, or the CLI's own).
func Only(k awsclients.Key, api EC2API) Clients { return only{key: k, api: api} }

type only struct {
	key awsclients.Key
	api EC2API
}

func (o only) EC2(_ context.Context, k awsclients.Key) (EC2API, error) {
	if o.key.Account == "" || o.key.Region == "" || k != o.key {
		return nil, &awsclients.NotServedError{Key: k, Serves: "only " + o.key.String()}
	}
	return o.api, nil
}
