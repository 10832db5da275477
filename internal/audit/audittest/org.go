package audittest

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sgwarden/sgwarden/internal/awsclients/assume"
	"github.com/sgwarden/sgwarden/internal/awslocal"
	"github.com/sgwarden/sgwarden/internal/orgaudit"
	"github.com/sgwarden/sgwarden/internal/policy"
)

// OrgScale is a synthetic organization: Accounts member accounts, each
// with the same layout in every region of Regions. The organization audit's
// tests and benchmarks share it.
type OrgScale struct {
	Accounts int
	Regions  []string
	// Groups per account and region (beside the VPC's empty default group),
	// of which BadGroups (the first ones) also open tcp/22 to 0.0.0.0/0, one
	// rule each: the only violations.
	Groups, BadGroups int
	// RulesPerGroup is the ingress rules of each group beyond the bad one:
	// 443 from the world (compliant), then private /32s (at least 1).
	RulesPerGroup int
	// NetworkInterfaces per account and region, each in one group; those
	// of bad groups have a public IP.
	NetworkInterfaces int
}

// IssueOrg is the organization of the end-to-end test and the benchmarks:
// 50 accounts x 2 regions x 200 groups, 4 of them opening tcp/22 to the
// world, 20 interfaces per account and region.
var IssueOrg = OrgScale{Accounts: 50, Regions: []string{"us-east-1", "eu-west-1"},
	Groups: 200, BadGroups: 4, RulesPerGroup: 3, NetworkInterfaces: 20}

// OrgAccountID is the ID of the i-th member account (from 0).
func OrgAccountID(i int) string { return fmt.Sprintf("%012d", 200000000000+i) }

// Seed adds the member accounts under the root and seeds every account and
// region.
func (o OrgScale) Seed(srv *awslocal.Server) error {
	for i := range o.Accounts {
		id := OrgAccountID(i)
		if err := srv.AddAccount(id, fmt.Sprintf("member-%03d", i), ""); err != nil {
			return err
		}
		for _, r := range o.Regions {
			if err := srv.Seed(o.Fixture(id, r)); err != nil {
				return fmt.Errorf("seed %s/%s: %w", id, r, err)
			}
		}
	}
	return nil
}

// Fixture lays out one account and region.
func (o OrgScale) Fixture(account, region string) *awslocal.Fixture {
	const vpc = "vpc-0org0000000000001"
	f := &awslocal.Fixture{Account: account, Region: region, VPCs: []awslocal.VPCSpec{{ID: vpc, CIDR: "10.0.0.0/8"}},
		// The VPC's default group carries no rule (CIS 5.4), so that the
		// bad rules are the only violations.
		Groups: []awslocal.GroupSpec{{ID: "sg-0000000000000def0", Name: "default", VPC: vpc, Egress: []awslocal.RuleSpec{}}}}
	for i := range o.Groups {
		in := []awslocal.RuleSpec{awslocal.TCP(443, "0.0.0.0/0")}
		for k := 1; k < max(o.RulesPerGroup, 2); k++ {
			in = append(in, awslocal.TCP(int32(1000+k), fmt.Sprintf("10.%d.%d.%d/32", i/256%256, i%256, k%256)))
		}
		if i < o.BadGroups {
			in = append(in, awslocal.TCP(22, "0.0.0.0/0"))
		}
		f.Groups = append(f.Groups, awslocal.GroupSpec{ID: fmt.Sprintf("sg-%017x", i+1), Name: fmt.Sprintf("org-%04d", i),
			VPC: vpc, Ingress: in, Egress: []awslocal.RuleSpec{awslocal.AllTraffic("0.0.0.0/0")}})
	}
	for k := range o.NetworkInterfaces {
		g := k % max(o.Groups, 1)
		e := awslocal.ENISpec{ID: fmt.Sprintf("eni-%017x", k+1), VPC: vpc, Subnet: "subnet-0org000000001",
			Groups: []string{fmt.Sprintf("sg-%017x", g+1)}, InstanceID: fmt.Sprintf("i-%017x", k+1),
			PrivateIP: fmt.Sprintf("10.%d.%d.%d", 100+k/65536, k/256%256, k%256)}
		if g < o.BadGroups {
			e.PublicIP = fmt.Sprintf("198.51.%d.%d", k/256%256, k%256)
		}
		f.NetworkInterfaces = append(f.NetworkInterfaces, e)
	}
	return f
}

// Items is the number of account-regions.
func (o OrgScale) Items() int { return o.Accounts * len(o.Regions) }

// OrgMeasurement is one measured organization audit.
type OrgMeasurement struct {
	Wall time.Duration
	// Calls are the requests the emulated organization received, by
	// operation (retries included), and TotalCalls their sum.
	Calls      map[string]int
	TotalCalls int
	Report     *orgaudit.Report
}

// MeasureOrg runs the organization audit's three steps in this process, as
// `sgwarden audit --org` does (concurrency items at once, dry run, the run
// stored in a bucket of srv), against srv seeded with o and reached through
// cfg (the management account's credentials), and measures it.
func MeasureOrg(ctx context.Context, srv *awslocal.Server, cfg aws.Config, o OrgScale, concurrency int) (*OrgMeasurement, error) {
	const bucket = "sgwarden-org-bench"
	if err := srv.CreateBucket(bucket, ""); err != nil {
		return nil, err
	}
	store := orgaudit.S3Store{Client: s3.NewFromConfig(cfg), Bucket: bucket}
	steps := &orgaudit.Steps{
		Org: organizations.NewFromConfig(cfg), Regions: o.Regions,
		Worker:   &orgaudit.Worker{Engine: policy.Default().WithMode(policy.ModeDryRun), Read: assume.Role(cfg, "sgwarden-audit-read"), Store: store},
		Reporter: &orgaudit.Reporter{Store: store},
	}
	srv.ResetCalls()
	start := time.Now()
	rep, err := steps.Run(ctx, concurrency, nil)
	wall := time.Since(start)
	if err != nil {
		return nil, fmt.Errorf("organization audit: %w", err)
	}
	m := &OrgMeasurement{Wall: wall, Calls: map[string]int{}, Report: rep}
	for _, c := range srv.Calls() {
		m.Calls[c.Operation]++
		m.TotalCalls++
	}
	return m, nil
}
