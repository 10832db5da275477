package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/sgwarden/sgwarden/internal/awslocal"
)

// Fake credentials for the emulated account: it does not verify
// signatures, and nothing here may reach AWS.
const (
	fakeAccessKey = "AKIDBENCHEXAMPLE"
	fakeSecretKey = "bench-secret-not-a-real-key"
	benchRegion   = "us-east-1"
)

// emulatedAccount is an awslocal server behind a timing middleware, so that
// the harness knows how long requests spent inside the emulated account
// (server time), apart from the client's time.
type emulatedAccount struct {
	local    *awslocal.Server
	http     *http.Server
	url      string
	serverNs atomic.Int64 // total time spent in awslocal's handler
	requests atomic.Int64
}

// serverTotals is a snapshot of the middleware's counters.
type serverTotals struct {
	time     time.Duration
	requests int64
}

// startAccount starts awslocal with opts on 127.0.0.1.
func startAccount(opts ...awslocal.Option) (*emulatedAccount, error) {
	local, err := awslocal.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("create emulated account: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the emulated account: %w", err)
	}
	a := &emulatedAccount{local: local, url: "http://" + ln.Addr().String()}
	a.http = &http.Server{Handler: a.timed(local), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = a.http.Serve(ln) }()
	return a, nil
}

// timed measures each request from the moment the server hands it to the
// handler until the handler returns (the response is written by then).
func (a *emulatedAccount) timed(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		next.ServeHTTP(w, r)
		a.serverNs.Add(int64(time.Since(start)))
		a.requests.Add(1)
	})
}

func (a *emulatedAccount) totals() serverTotals {
	return serverTotals{time: time.Duration(a.serverNs.Load()), requests: a.requests.Load()}
}

func (a *emulatedAccount) close() {
	if a == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = a.http.Shutdown(ctx)
}

// awsConfig is an SDK configuration for the harness's own calls (seeding,
// the paging baseline).
func (a *emulatedAccount) awsConfig() aws.Config {
	return aws.Config{
		Region:       benchRegion,
		Credentials:  credentials.NewStaticCredentialsProvider(fakeAccessKey, fakeSecretKey, ""),
		BaseEndpoint: aws.String(a.url),
		HTTPClient:   awslocal.HTTPClient(), // works around a request-body race against local servers
	}
}

// functionEnv is the environment a function gets under the RIE: the
// emulated account's endpoint, fake credentials and sgwarden's settings.
func (a *emulatedAccount) functionEnv(topicARN string) []string {
	return functionEnv(a.url, a.local.Account(), topicARN)
}

// functionEnv is the environment of a function against the emulated
// account at url.
func functionEnv(url, account, topicARN string) []string {
	return []string{
		"AWS_ENDPOINT_URL=" + url,
		"AWS_ACCESS_KEY_ID=" + fakeAccessKey,
		"AWS_SECRET_ACCESS_KEY=" + fakeSecretKey,
		"AWS_REGION=" + benchRegion,
		"AWS_DEFAULT_REGION=" + benchRegion,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
		"AWS_EC2_METADATA_DISABLED=true",
		"SGWARDEN_MODE=enforce",
		"SGWARDEN_TOPIC_ARN=" + topicARN,
		"SGWARDEN_ROLE_ARN=arn:aws:iam::" + account + ":role/sgwarden-remediate",
	}
}

// scene is the small account rows 1 and 2 use: one VPC group with an
// instance ENI attached, and the alert topic.
type scene struct {
	account  string
	vpcID    string
	groupID  string
	eniID    string
	topicARN string
	ec2      *ec2.Client
}

// Scene IDs, fixed so that the events and the logs are easy to read.
const (
	sceneVPC   = "vpc-0bench0000000001"
	sceneGroup = "sg-0bench0000000001"
	sceneENI   = "eni-0bench0000000001"
	sceneTopic = "sgwarden-alerts"
)

// setupScene seeds the scene: a VPC group with no ingress (and the default
// egress), an instance ENI carrying it, and the alert topic.
func (a *emulatedAccount) setupScene(ctx context.Context) (*scene, error) {
	err := a.local.Seed(&awslocal.Fixture{
		Region: benchRegion,
		VPCs:   []awslocal.VPCSpec{{ID: sceneVPC, CIDR: "10.42.0.0/16"}},
		Groups: []awslocal.GroupSpec{{ID: sceneGroup, Name: "bench-web", Description: "make bench", VPC: sceneVPC}},
		NetworkInterfaces: []awslocal.ENISpec{{
			ID: sceneENI, VPC: sceneVPC, Groups: []string{sceneGroup},
			InterfaceType: "interface", InstanceID: "i-0bench0000000001", PrivateIP: "10.42.1.10",
		}},
		Topics: []string{sceneTopic},
	})
	if err != nil {
		return nil, fmt.Errorf("seed the bench scene: %w", err)
	}
	s := &scene{
		account: a.local.Account(), vpcID: sceneVPC, groupID: sceneGroup, eniID: sceneENI,
		topicARN: "arn:aws:sns:" + benchRegion + ":" + a.local.Account() + ":" + sceneTopic,
		ec2:      ec2.NewFromConfig(a.awsConfig()),
	}
	if err := s.expectNoIngress(ctx, "after seeding"); err != nil {
		return nil, err
	}
	return s, nil
}

// openSSH authorizes tcp/22 from 0.0.0.0/0 on the scene's group, as a
// human would, and returns the new rule's ID.
func (s *scene) openSSH(ctx context.Context) (string, error) {
	out, err := s.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId:    aws.String(s.groupID),
		IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22),
		CidrIp: aws.String("0.0.0.0/0"),
	})
	if err != nil {
		return "", fmt.Errorf("authorize tcp/22 from the world on %s: %w", s.groupID, err)
	}
	if len(out.SecurityGroupRules) != 1 {
		return "", fmt.Errorf("authorize on %s returned %d rules, want 1", s.groupID, len(out.SecurityGroupRules))
	}
	return aws.ToString(out.SecurityGroupRules[0].SecurityGroupRuleId), nil
}

// ingressRuleCount returns how many ingress rules the group carries.
func (s *scene) ingressRuleCount(ctx context.Context) (int, error) {
	out, err := s.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{s.groupID}})
	if err != nil {
		return 0, fmt.Errorf("describe %s: %w", s.groupID, err)
	}
	if len(out.SecurityGroups) != 1 {
		return 0, errors.New("describe returned no group")
	}
	n := 0
	for _, p := range out.SecurityGroups[0].IpPermissions {
		n += len(p.IpRanges) + len(p.Ipv6Ranges) + len(p.PrefixListIds) + len(p.UserIdGroupPairs)
	}
	return n, nil
}

// expectNoIngress fails unless the group carries no ingress rule, which is
// how the harness knows the handler reverted every violation it was given.
func (s *scene) expectNoIngress(ctx context.Context, when string) error {
	n, err := s.ingressRuleCount(ctx)
	if err != nil {
		return err
	}
	if n != 0 {
		return fmt.Errorf("%s %s still carries %d ingress rule(s): the handler did not revert every violation", when, s.groupID, n)
	}
	return nil
}

// smallAccount returns the account and scene of rows 1 and 2, created on
// first use.
func (h *harness) smallAccount(ctx context.Context) (*emulatedAccount, *scene, error) {
	h.smallOnce.Do(func() {
		a, err := startAccount()
		if err != nil {
			h.smallErr = err
			return
		}
		sc, err := a.setupScene(ctx)
		if err != nil {
			a.close()
			h.smallErr = err
			return
		}
		h.small, h.scene = a, sc
	})
	return h.small, h.scene, h.smallErr
}

// stage is what rows 1 and 2 run: the RIE, hello-world and remediate built
// for the host, the small account and the functions' environment.
type stage struct {
	rie, hello, remediate string
	acct                  *emulatedAccount
	scene                 *scene
	env                   []string
}

func (h *harness) remediateStage(ctx context.Context) (*stage, error) {
	rie, err := h.buildRIE(ctx)
	if err != nil {
		return nil, err
	}
	hello, err := h.buildLambda(ctx, pkgHello, hostTarget)
	if err != nil {
		return nil, err
	}
	remediate, err := h.buildLambda(ctx, pkgRemediate, hostTarget)
	if err != nil {
		return nil, err
	}
	acct, sc, err := h.smallAccount(ctx)
	if err != nil {
		return nil, err
	}
	return &stage{rie: rie, hello: hello, remediate: remediate, acct: acct, scene: sc, env: acct.functionEnv(sc.topicARN)}, nil
}
