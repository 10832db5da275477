package remediate

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/sgwarden/sgwarden/internal/awsclients"
	"github.com/sgwarden/sgwarden/internal/awslocal"
	"github.com/sgwarden/sgwarden/internal/policy"
)

// Benchmarks of Handle:
//
//	go test -run '^$' -bench BenchmarkHandle -benchmem ./internal/remediate
//
// violating/awslocal is the whole event path against the emulated account
// (5 AWS round trips over loopback HTTP); violating/overhead is the same
// event with in-memory AWS answers, i.e. the handler's own cost beyond the
// round trips; compliant makes no AWS call at all. Each reports p50 and p99
// of the iterations.

func BenchmarkHandle(b *testing.B) {
	b.Run("violating/awslocal", benchViolatingAWSLocal)
	b.Run("violating/overhead", benchViolatingOverhead)
	b.Run("compliant", benchCompliant)
}

// quietAccount is startAccount with the logs and metrics discarded, as the
// production writers cost a syscall that is not the handler's.
func quietAccount(b *testing.B) *testAccount {
	a := startAccount(b, webFixture())
	cfg := a.r.cfg
	cfg.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	cfg.Metrics = io.Discard
	r, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	a.r = r
	return a
}

func benchViolatingAWSLocal(b *testing.B) {
	a := quietAccount(b)
	ec2c := ec2.NewFromConfig(a.srv.AWSConfig(context.Background()))
	ctx := context.Background()
	ev := sshEvent(evSSH)
	ruleID := ruleSSH
	var lat []time.Duration
	for b.Loop() {
		start := time.Now()
		res, err := a.r.Handle(ctx, ev)
		lat = append(lat, time.Since(start))
		if err != nil || len(res.Revoked) != 1 {
			b.Fatalf("Handle = %+v, %v", res, err)
		}
		// Put the rule back, with the new ID in the next event.
		b.StopTimer()
		out, err := ec2c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
			GroupId: aws.String(acctWebSG),
			IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22),
				IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}},
		})
		if err != nil {
			b.Fatal(err)
		}
		next := aws.ToString(out.SecurityGroupRules[0].SecurityGroupRuleId)
		ev = []byte(strings.ReplaceAll(string(ev), ruleID, next))
		ruleID = next
		a.srv.ResetSNSMessages()
		a.srv.ResetCalls()
		b.StartTimer()
	}
	reportPercentiles(b, lat, 0) // CPU would count the server and the setup
}

func benchViolatingOverhead(b *testing.B) {
	fx := newFakeAWS()
	r, err := New(Config{Engine: policy.Default(), Clients: Only(awsclients.Key{Account: acctID, Region: awslocal.DefaultRegion}, fx), SNS: fx, TopicARN: "arn:aws:sns:us-east-1:" + acctID + ":" + acctTopic,
		RoleARN: acctOwnRole, Now: func() time.Time { return acctNow },
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Metrics: io.Discard})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	ev := sshEvent(evSSH)
	var lat []time.Duration
	cpu0 := processCPU()
	for b.Loop() {
		start := time.Now()
		res, err := r.Handle(ctx, ev)
		lat = append(lat, time.Since(start))
		if err != nil || len(res.Revoked) != 1 || res.AWSCalls != 5 {
			b.Fatalf("Handle = %+v, %v", res, err)
		}
	}
	reportPercentiles(b, lat, cpu0)
}

func benchCompliant(b *testing.B) {
	a := quietAccount(b)
	ctx := context.Background()
	ev := ebEvent("AuthorizeSecurityGroupIngress", evOK,
		authorizeReq(acctWebSG, ipPerm("tcp", 443, 443, "0.0.0.0/0"), ipPerm("tcp", 22, 22, "10.0.0.0/8")),
		authorizeResp(ruleItem(acctWebSG, ruleHTTPS, false, "tcp", 443, 443, "0.0.0.0/0"),
			ruleItem(acctWebSG, ruleSSHVPN, false, "tcp", 22, 22, "10.0.0.0/8")))
	var lat []time.Duration
	cpu0 := processCPU()
	for b.Loop() {
		start := time.Now()
		res, err := a.r.Handle(ctx, ev)
		lat = append(lat, time.Since(start))
		if err != nil || res.Ignored != "compliant" || res.AWSCalls != 0 {
			b.Fatalf("Handle = %+v, %v", res, err)
		}
	}
	if n := a.srv.CallCount(""); n != 0 {
		b.Fatalf("compliant events made %d AWS calls", n)
	}
	reportPercentiles(b, lat, cpu0)
}

// reportPercentiles reports p50 and p99 of the wall-clock latencies, and
// the process CPU time per iteration (user + system, from getrusage since
// cpu0, the loop's start; 0: not reported), which a loaded machine does
// not inflate as it does the tail latencies.
func reportPercentiles(b *testing.B, lat []time.Duration, cpu0 time.Duration) {
	if len(lat) == 0 {
		return
	}
	if cpu := processCPU() - cpu0; cpu0 > 0 && cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/1e3/float64(len(lat)), "cpu-µs/op")
	}
	slices.Sort(lat)
	at := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Nanoseconds()) / 1e3 }
	b.ReportMetric(at(0.50), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
}

// fakeAWS answers the remediator's calls from memory with the state of
// webFixture, so that a benchmark measures the handler alone. Every revoke
// succeeds: the state never changes.
type fakeAWS struct {
	group ec2types.SecurityGroup
	rules []ec2types.SecurityGroupRule
	enis  []ec2types.NetworkInterface
}

func newFakeAWS() *fakeAWS {
	rule := func(id string, port int32, cidr string) ec2types.SecurityGroupRule {
		return ec2types.SecurityGroupRule{SecurityGroupRuleId: aws.String(id), GroupId: aws.String(acctWebSG), GroupOwnerId: aws.String(acctID),
			IsEgress: aws.Bool(false), IpProtocol: aws.String("tcp"), FromPort: aws.Int32(port), ToPort: aws.Int32(port), CidrIpv4: aws.String(cidr)}
	}
	return &fakeAWS{
		group: ec2types.SecurityGroup{GroupId: aws.String(acctWebSG), GroupName: aws.String("web"), VpcId: aws.String(acctVPC), OwnerId: aws.String(acctID),
			Tags: []ec2types.Tag{{Key: aws.String("team"), Value: aws.String("web")}}},
		rules: []ec2types.SecurityGroupRule{rule(ruleHTTPS, 443, "0.0.0.0/0"), rule(ruleSSH, 22, "0.0.0.0/0"), rule(ruleSSHVPN, 22, "10.0.0.0/8")},
		enis: []ec2types.NetworkInterface{{NetworkInterfaceId: aws.String(webENI), VpcId: aws.String(acctVPC), PrivateIpAddress: aws.String("10.0.1.10"),
			Attachment: &ec2types.NetworkInterfaceAttachment{InstanceId: aws.String(webInst)},
			Groups:     []ec2types.GroupIdentifier{{GroupId: aws.String(acctWebSG), GroupName: aws.String("web")}}}},
	}
}

func (f *fakeAWS) RevokeSecurityGroupIngress(_ context.Context, in *ec2.RevokeSecurityGroupIngressInput, _ ...func(*ec2.Options)) (*ec2.RevokeSecurityGroupIngressOutput, error) {
	out := &ec2.RevokeSecurityGroupIngressOutput{Return: aws.Bool(true)}
	for _, id := range in.SecurityGroupRuleIds {
		out.RevokedSecurityGroupRules = append(out.RevokedSecurityGroupRules, ec2types.RevokedSecurityGroupRule{SecurityGroupRuleId: aws.String(id)})
	}
	return out, nil
}

func (f *fakeAWS) RevokeSecurityGroupEgress(_ context.Context, in *ec2.RevokeSecurityGroupEgressInput, _ ...func(*ec2.Options)) (*ec2.RevokeSecurityGroupEgressOutput, error) {
	return &ec2.RevokeSecurityGroupEgressOutput{Return: aws.Bool(true)}, nil
}

func (f *fakeAWS) DescribeSecurityGroups(context.Context, *ec2.DescribeSecurityGroupsInput, ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error) {
	return &ec2.DescribeSecurityGroupsOutput{SecurityGroups: []ec2types.SecurityGroup{f.group}}, nil
}

func (f *fakeAWS) DescribeSecurityGroupRules(context.Context, *ec2.DescribeSecurityGroupRulesInput, ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupRulesOutput, error) {
	return &ec2.DescribeSecurityGroupRulesOutput{SecurityGroupRules: f.rules}, nil
}

func (f *fakeAWS) DescribeNetworkInterfaces(context.Context, *ec2.DescribeNetworkInterfacesInput, ...func(*ec2.Options)) (*ec2.DescribeNetworkInterfacesOutput, error) {
	return &ec2.DescribeNetworkInterfacesOutput{NetworkInterfaces: f.enis}, nil
}

func (f *fakeAWS) DescribeManagedPrefixLists(context.Context, *ec2.DescribeManagedPrefixListsInput, ...func(*ec2.Options)) (*ec2.DescribeManagedPrefixListsOutput, error) {
	return &ec2.DescribeManagedPrefixListsOutput{}, nil
}

func (f *fakeAWS) GetManagedPrefixListEntries(context.Context, *ec2.GetManagedPrefixListEntriesInput, ...func(*ec2.Options)) (*ec2.GetManagedPrefixListEntriesOutput, error) {
	return &ec2.GetManagedPrefixListEntriesOutput{}, nil
}

func (f *fakeAWS) ModifyManagedPrefixList(context.Context, *ec2.ModifyManagedPrefixListInput, ...func(*ec2.Options)) (*ec2.ModifyManagedPrefixListOutput, error) {
	return &ec2.ModifyManagedPrefixListOutput{}, nil
}

func (f *fakeAWS) Publish(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error) {
	return &sns.PublishOutput{MessageId: aws.String("00000000-0000-4000-8000-000000000000")}, nil
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
