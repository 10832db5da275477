package awslocal_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/sgwarden/sgwarden/internal/awslocal"
)

// benchSeed seeds f into a new server per iteration and reports the heap
// the seeded server holds.
func benchSeed(b *testing.B, f *awslocal.Fixture) {
	b.ReportAllocs()
	var keep *awslocal.Server
	for b.Loop() {
		srv, err := awslocal.New()
		if err != nil {
			b.Fatal(err)
		}
		if err := srv.Seed(f); err != nil {
			b.Fatal(err)
		}
		keep = srv
	}
	b.StopTimer()
	var before, after runtime.MemStats
	keep = nil
	runtime.GC()
	runtime.ReadMemStats(&before)
	srv, _ := awslocal.New()
	if err := srv.Seed(f); err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "MiB-held")
	runtime.KeepAlive(srv)
	runtime.KeepAlive(keep)
}

// BenchmarkSeed is the target: 10,000 groups and 100,000 rules
// in under 2 s.
func BenchmarkSeed(b *testing.B) {
	benchSeed(b, scaleFixture(10000, 10, 0))
}

// BenchmarkSeedAuditScale adds the audit scale test's 20,000 interfaces.
func BenchmarkSeedAuditScale(b *testing.B) {
	benchSeed(b, scaleFixture(10000, 10, 20000))
}

// BenchmarkDescribeSecurityGroupRulesPage is one 1000-rule page out of
// 110,000 through the SDK.
func BenchmarkDescribeSecurityGroupRulesPage(b *testing.B) {
	srv := awslocal.Start(b, awslocal.WithFixture(scaleFixture(10000, 10, 0)))
	client := ec2.NewFromConfig(srv.AWSConfig(context.Background()))
	ctx := context.Background()
	first, err := client.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{MaxResults: aws.Int32(1000)})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		// A page from the middle, so the token lookup counts.
		if _, err := client.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{MaxResults: aws.Int32(1000), NextToken: first.NextToken}); err != nil {
			b.Fatal(err)
		}
	}
}
