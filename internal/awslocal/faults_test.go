package awslocal_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sgwarden/sgwarden/internal/awslocal"
)

// faultTarget is one operation to break, called once per invocation
// without SDK retries so that each call meets the fault directly.
type faultTarget struct {
	service, op string
	call        func(ctx context.Context) error
	// throttle and deny are the service's error codes for those faults.
	throttle, deny string
	throttleStatus int
}

func faultTargets(t *testing.T, e *env) []faultTarget {
	t.Helper()
	vpc := e.vpc(t)
	web := e.group(t, vpc, "web")
	arn := e.topic(t, "alerts")
	ctx := context.Background()
	auth, err := e.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String(web), IpPermissions: []types.IpPermission{tcp(22, "0.0.0.0/0")},
	})
	if err != nil {
		t.Fatalf("Authorize: %v", err)
	}
	rid := ruleIDs(auth.SecurityGroupRules)[0]
	revoked := false
	return []faultTarget{
		{"ec2", "DescribeSecurityGroups", func(ctx context.Context) error {
			_, err := e.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{}, noRetry)
			return err
		}, "RequestLimitExceeded", "UnauthorizedOperation", 503},
		{"ec2", "RevokeSecurityGroupIngress", func(ctx context.Context) error {
			_, err := e.ec2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(web), SecurityGroupRuleIds: []string{rid}}, noRetry)
			if err == nil && !revoked {
				revoked = true
				// Put the rule back under a new ID, so the next call
				// succeeds too.
				out, aerr := e.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(web), IpPermissions: []types.IpPermission{tcp(22, "0.0.0.0/0")}})
				if aerr != nil {
					return aerr
				}
				rid, revoked = ruleIDs(out.SecurityGroupRules)[0], false
			}
			return err
		}, "RequestLimitExceeded", "UnauthorizedOperation", 503},
		{"sns", "Publish", func(ctx context.Context) error {
			_, err := e.sns.Publish(ctx, alertInput(arn), func(o *sns.Options) { o.Retryer = aws.NopRetryer{} })
			return err
		}, "Throttling", "AuthorizationError", 400},
		{"sts", "GetCallerIdentity", func(ctx context.Context) error {
			_, err := e.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}, func(o *sts.Options) { o.Retryer = aws.NopRetryer{} })
			return err
		}, "Throttling", "AccessDenied", 400},
	}
}

func TestFaultsPerOperation(t *testing.T) {
	ctx := context.Background()
	e, srv := local(t, "fault injection")
	targets := faultTargets(t, e)
	for _, tg := range targets {
		others := func(t *testing.T) {
			t.Helper()
			for _, o := range targets {
				if o.op != tg.op {
					if err := o.call(ctx); err != nil {
						t.Errorf("%s while %s is faulted: %v, want success", o.op, tg.op, err)
					}
				}
			}
		}
		t.Run(tg.op+"/throttle", func(t *testing.T) {
			srv.ClearFaults()
			srv.Throttle(tg.op, 2)
			for i := 1; i <= 2; i++ {
				wantErr(t, fmt.Sprintf("%s call %d", tg.op, i), tg.call(ctx), tg.throttle, tg.throttleStatus)
			}
			if err := tg.call(ctx); err != nil {
				t.Errorf("%s call 3 (after 2 throttled): %v", tg.op, err)
			}
			others(t)
		})
		t.Run(tg.op+"/internal", func(t *testing.T) {
			srv.ClearFaults()
			srv.FailNext(tg.op, 1)
			wantErr(t, tg.op, tg.call(ctx), "InternalError", 500)
			if err := tg.call(ctx); err != nil {
				t.Errorf("%s after the failure: %v", tg.op, err)
			}
		})
		t.Run(tg.op+"/deny", func(t *testing.T) {
			srv.ClearFaults()
			srv.Deny(tg.op)
			for i := 0; i < 3; i++ {
				wantErr(t, tg.op, tg.call(ctx), tg.deny, 403)
			}
			others(t)
			srv.ClearFaults()
			if err := tg.call(ctx); err != nil {
				t.Errorf("%s after ClearFaults: %v", tg.op, err)
			}
		})
		t.Run(tg.op+"/latency", func(t *testing.T) {
			srv.ClearFaults()
			srv.AddLatency(tg.op, 150*time.Millisecond)
			start := time.Now()
			if err := tg.call(ctx); err != nil {
				t.Errorf("%s with latency: %v", tg.op, err)
			}
			if d := time.Since(start); d < 150*time.Millisecond {
				t.Errorf("%s took %v, want at least the injected 150ms", tg.op, d)
			}
			srv.ClearFaults()
		})
	}
}

func TestTheSDKRetriesInjectedThrottlingAndErrors(t *testing.T) {
	ctx := context.Background()
	e, srv := local(t, "fault injection")
	vpc := e.vpc(t)
	fast := func(o *ec2.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
		})
	}
	for _, kind := range []awslocal.FaultKind{awslocal.FaultThrottle, awslocal.FaultInternal} {
		srv.ResetCalls()
		if err := srv.InjectFault(awslocal.Fault{Service: "ec2", Operation: "DescribeVpcs", Kind: kind, Count: 2}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{vpc}}, fast); err != nil {
			t.Errorf("DescribeVpcs with 2 %s faults and 3 attempts: %v", kind, err)
		}
		if n := srv.CallCount("DescribeVpcs"); n != 3 {
			t.Errorf("%s: DescribeVpcs reached the server %d times, want 3", kind, n)
		}
		if f := srv.Faults(); len(f) != 0 {
			t.Errorf("faults left after use: %+v", f)
		}
	}
}

func TestFaultOptions(t *testing.T) {
	ctx := context.Background()
	e, srv := local(t, "fault injection")
	arn := e.topic(t, "alerts")
	// SNS's modelled throttling error instead of the generic one.
	if err := srv.InjectFault(awslocal.Fault{Service: "sns", Operation: "Publish", Kind: awslocal.FaultThrottle, Count: 1, Code: "Throttled", Status: 429}); err != nil {
		t.Fatal(err)
	}
	// A fault for another service does not touch SNS.
	if err := srv.InjectFault(awslocal.Fault{Service: "ec2", Kind: awslocal.FaultDeny}); err != nil {
		t.Fatal(err)
	}
	if got := srv.Faults(); len(got) != 2 || got[0].Count != 1 || got[1].Count != 0 {
		t.Errorf("Faults() = %+v, want the throttle (1 left) and the deny (unlimited)", got)
	}
	_, err := e.sns.Publish(ctx, alertInput(arn), func(o *sns.Options) { o.Retryer = aws.NopRetryer{} })
	wantErr(t, "Publish", err, "Throttled", 429)
	if _, err := e.sns.Publish(ctx, alertInput(arn)); err != nil {
		t.Errorf("second Publish: %v", err)
	}
	_, err = e.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{}, noRetry)
	wantErr(t, "DescribeSecurityGroups under an ec2-wide deny", err, "UnauthorizedOperation", 403)
	for _, bad := range []awslocal.Fault{
		{Kind: "explode"},
		{Kind: awslocal.FaultLatency},
		{Kind: awslocal.FaultThrottle, Count: -1},
		{Kind: awslocal.FaultInternal, Status: 200},
	} {
		if err := srv.InjectFault(bad); err == nil {
			t.Errorf("InjectFault(%+v) = nil, want an error", bad)
		}
	}
}
