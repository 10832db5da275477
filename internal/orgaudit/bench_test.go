package orgaudit_test

import (
	"context"
	"testing"

	"github.com/sgwarden/sgwarden/internal/audit/audittest"
	"github.com/sgwarden/sgwarden/internal/awslocal"
)

// benchOrg is the issue's organization: 50 accounts x 2 regions x 200 groups.
var benchOrg = audittest.IssueOrg

// BenchmarkOrgAudit measures the organization audit of benchOrg in this
// process (8 account-regions at once, as the CLI's default), and reports
// the calls the emulated organization received per run.
func BenchmarkOrgAudit(b *testing.B) {
	srv := awslocal.StartLocal(b, "organization", awslocal.WithCallLimit(1<<22))
	if err := benchOrg.Seed(srv); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var calls int
	for range b.N {
		m, err := audittest.MeasureOrg(context.Background(), srv, srv.AWSConfig(context.Background()), benchOrg, 8)
		if err != nil {
			b.Fatal(err)
		}
		calls = m.TotalCalls
	}
	b.ReportMetric(float64(calls), "calls/op")
}

// BenchmarkFlatAudit is the single-account audit of the same total size:
// one account, one region, benchOrg's groups, rules and interfaces.
func BenchmarkFlatAudit(b *testing.B) {
	flat := benchOrg
	flat.Groups, flat.BadGroups, flat.NetworkInterfaces = benchOrg.Groups*benchOrg.Items(), benchOrg.BadGroups*benchOrg.Items(), benchOrg.NetworkInterfaces*benchOrg.Items()
	srv := awslocal.StartLocal(b, "seeding")
	if err := srv.Seed(flat.Fixture("", "us-east-1")); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var calls int
	for range b.N {
		m, err := audittest.Measure(context.Background(), srv.AWSConfig(context.Background()), "us-east-1")
		if err != nil {
			b.Fatal(err)
		}
		calls = m.TotalCalls
	}
	b.ReportMetric(float64(calls), "calls/op")
}
