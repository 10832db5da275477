package audit

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/sgwarden/sgwarden/internal/remediate"
)

// Clients holds one EC2 client per region, built from one SDK
// configuration. Its methods are the ClientFactory of New and the
// RevokerFactory of RemediateReverter, so the scheduled function, the CLI
// and the tests wire an audit the same way.
type Clients struct {
	byRegion map[string]*ec2.Client
}

// NewClients builds a client for each region from cfg; optFns apply to
// every client after the region is set.
func NewClients(cfg aws.Config, regions []string, optFns ...func(*ec2.Options)) *Clients {
	c := &Clients{byRegion: make(map[string]*ec2.Client, len(regions))}
	for _, r := range regions {
		opts := append([]func(*ec2.Options){func(o *ec2.Options) { o.Region = r }}, optFns...)
		c.byRegion[r] = ec2.NewFromConfig(cfg, opts...)
	}
	return c
}

// EC2 returns the client of region, for reading.
func (c *Clients) EC2(region string) (EC2API, error) {
	cl, ok := c.byRegion[region]
	if !ok {
		return nil, fmt.Errorf("no EC2 client for region %s: it is not configured", region)
	}
	return cl, nil
}

// Revoker returns the client of region, for reverting.
func (c *Clients) Revoker(region string) (remediate.Revoker, error) {
	cl, ok := c.byRegion[region]
	if !ok {
		return nil, fmt.Errorf("no EC2 client for region %s: it is not configured", region)
	}
	return cl, nil
}
