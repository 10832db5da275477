package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/sgwarden/sgwarden/internal/audit"
	"github.com/sgwarden/sgwarden/internal/awsconfig"
	"github.com/sgwarden/sgwarden/internal/awslocal"
	"github.com/sgwarden/sgwarden/internal/policy"
	"github.com/sgwarden/sgwarden/internal/remediate"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// runTime is the fixed clock of every test run.
var runTime = time.Date(2026, 11, 30, 3, 0, 0, 0, time.UTC)

func fixedClock() time.Time { return runTime }

const topicName = "sgwarden-alerts"

// fastConfig is the server's SDK configuration with sgwarden's adaptive
// retryer, minus its client-side rate limit and with millisecond backoff,
// so that throttling tests run fast but retry exactly as in production.
func fastConfig(ctx context.Context, s *awslocal.Server, maxAttempts int) aws.Config {
	cfg := s.AWSConfig(ctx)
	cfg.Retryer = awsconfig.NewRetryer(awsconfig.RetryOptions{MaxAttempts: maxAttempts, MaxBackoff: 2 * time.Millisecond, NoClientRateLimit: true})
	return cfg
}

// regionServer says which emulated account serves a region, so that one
// region can be denied while the others are not.
type regionServer map[string]*awslocal.Server

// account is a test's view of one or more servers.
type account struct {
	t       *testing.T
	servers regionServer
	regions []string
	clients map[string]*ec2.Client
}

func newAccount(t *testing.T, servers regionServer, regions []string, maxAttempts int) *account {
	t.Helper()
	a := &account{t: t, servers: servers, regions: regions, clients: map[string]*ec2.Client{}}
	for _, r := range regions {
		cfg := fastConfig(context.Background(), servers[r], maxAttempts)
		a.clients[r] = ec2.NewFromConfig(cfg, func(o *ec2.Options) { o.Region = r })
	}
	return a
}

func (a *account) ec2(region string) (audit.EC2API, error) { return a.clients[region], nil }

func (a *account) reverter() audit.Reverter {
	return audit.RemediateReverter(func(region string) (remediate.Revoker, error) { return a.clients[region], nil }, nil)
}

// auditor builds an Auditor over the account with the default policy, the
// fixed clock and a reverter; opts come last.
func (a *account) auditor(engine *policy.Engine, opts ...audit.Option) *audit.Auditor {
	a.t.Helper()
	if engine == nil {
		engine = policy.Default()
	}
	base := []audit.Option{audit.WithRegions(a.regions...), audit.WithClock(fixedClock), audit.WithReverter(a.reverter())}
	au, err := audit.New(engine, a.ec2, append(base, opts...)...)
	if err != nil {
		a.t.Fatalf("audit.New: %v", err)
	}
	return au
}

// startFixture starts a server seeded with the golden account fixture.
func startFixture(t *testing.T) *awslocal.Server { return startFixtureIn(t, "us-east-1") }

// startFixtureIn starts a server with the golden account in region.
func startFixtureIn(t *testing.T, region string) *awslocal.Server {
	t.Helper()
	f, err := awslocal.LoadFixture(filepath.Join("testdata", "account.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	f.Region = region
	return awslocal.Start(t, awslocal.WithRegion(region), awslocal.WithFixture(f))
}

func publisher(t *testing.T, s *awslocal.Server, region string) (*sns.Client, string) {
	t.Helper()
	arn := s.CreateTopic(region, topicName)
	cfg := s.AWSConfig(context.Background())
	return sns.NewFromConfig(cfg, func(o *sns.Options) { o.Region = region }), arn
}

// putterFunc is a fake report store: awslocal does not emulate S3.
type putterFunc func(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)

func (f putterFunc) PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	return f(ctx, in, optFns...)
}

// golden compares got with testdata/golden/name, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n%s", name, diffLines(string(want), string(got)))
	}
}

// diffLines shows the first lines that differ.
func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 10; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("line " + strconv.Itoa(i+1) + ":\n  want " + wl + "\n  got  " + gl + "\n")
			shown++
		}
	}
	return b.String()
}

func indentJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// callParams lists the values of some parameters (joined with "|") across
// the recorded calls of an operation.
func callParams(s *awslocal.Server, op string, params ...string) []string {
	var out []string
	for _, c := range s.Calls() {
		if c.Operation == op {
			var vs []string
			for _, p := range params {
				vs = append(vs, c.Params.Get(p))
			}
			out = append(out, strings.Join(vs, "|"))
		}
	}
	return out
}

// findings returns the findings of a rule, by check.
func findings(rep *audit.Report, ruleID string) map[string]audit.Finding {
	out := map[string]audit.Finding{}
	for _, f := range rep.Violations {
		if f.Rule.ID == ruleID {
			out[f.Check] = f
		}
	}
	return out
}

func exposure(rep *audit.Report, eniID string) (audit.ExposureReport, bool) {
	for _, e := range rep.Exposures {
		if e.NetworkInterface.ID == eniID {
			return e, true
		}
	}
	return audit.ExposureReport{}, false
}

// openText renders an exposure's open ports, e.g. "tcp/22 world [sg-1/sgr-1]".
func openText(e audit.ExposureReport) []string {
	var out []string
	for _, o := range e.Open {
		var via []string
		for _, g := range o.Grants {
			via = append(via, g.String())
		}
		out = append(out, audit.PortsText(o.Protocol, o.FromPort, o.ToPort)+" "+o.From+" ["+strings.Join(via, ",")+"]")
	}
	return out
}
