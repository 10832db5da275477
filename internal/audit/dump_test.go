package audit_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/sgwarden/sgwarden/internal/audit"
	"github.com/sgwarden/sgwarden/internal/policy"
)

func openDump(t *testing.T, names ...string) map[string]io.Reader {
	t.Helper()
	files := map[string]io.Reader{}
	for _, n := range names {
		f, err := os.Open(filepath.Join("testdata", "dump", n))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = f.Close() })
		files[n] = f
	}
	return files
}

func auditDump(t *testing.T, d *audit.Dump) (*audit.Report, error) {
	t.Helper()
	a, err := audit.New(policy.Default(), func(string) (audit.EC2API, error) { return audit.DumpClient{D: d}, nil },
		audit.WithRegions("us-east-1"), audit.WithClock(fixedClock), audit.WithMode(policy.ModeDryRun))
	if err != nil {
		t.Fatal(err)
	}
	return a.Run(context.Background())
}

// TestDump audits saved `aws ec2 describe-*` output: the same code as a live
// audit, no AWS call, paged as the API pages.
func TestDump(t *testing.T) {
	d, err := audit.LoadDump(openDump(t, "groups.json", "rules.json", "enis.json"))
	if err != nil {
		t.Fatalf("LoadDump: %v", err)
	}
	if d.RulesDerived() {
		t.Error("rules derived although rules.json was given")
	}
	if len(d.SecurityGroups) != 4 || len(d.SecurityGroupRules) != 10 || len(d.NetworkInterfaces) != 4 {
		t.Errorf("dump holds %d groups, %d rules, %d interfaces; want 4, 10, 4", len(d.SecurityGroups), len(d.SecurityGroupRules), len(d.NetworkInterfaces))
	}
	rep, err := auditDump(t, d)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	golden(t, "report-dump.json", indentJSON(t, rep))

	if got := findings(rep, "sgr-0e000000000000022"); got["remote-admin-world"].Decision != policy.DecisionWouldRevert {
		t.Errorf("the web group's 22 from the world: %v, want remote-admin-world would-revert", got)
	}
	if got := findings(rep, "sgr-0b000000000000001"); got["unrestricted-ports-world"].Decision != policy.DecisionExempt {
		t.Errorf("the exempt load balancer group: %v, want exempt", got)
	}
	if got := findings(rep, "sgr-0f000000000003389"); len(got) != 0 {
		t.Errorf("rdp from a prefix list of 203.0.113.0/24 (not public): %v, want no finding", got)
	}
	e, ok := exposure(rep, "eni-0web000000000001")
	if !ok {
		t.Fatal("eni-0web000000000001 not exposed")
	}
	// web (22 and 443 from the world) + admin (everything from 10.1.2.3/32):
	// never "all traffic from the world".
	want := []string{"tcp/22 world [sg-0a00000000000web1/sgr-0e000000000000022]",
		"tcp/443 world [sg-0a00000000000web1/sgr-0e000000000000443,sg-0a00000000000web1/sgr-0e000000000006443]"}
	if got := openText(e); !slices.Equal(got, want) {
		t.Errorf("exposure = %v, want %v", got, want)
	}
	if e, _ := exposure(rep, "eni-0alb000000000001"); e.NetworkInterface.OwnerType != audit.OwnerLoadBalancer {
		t.Errorf("ALB interface owner = %q, want load-balancer", e.NetworkInterface.OwnerType)
	}
}

// TestDumpGroupsOnly derives the rules from IpPermissions when no
// describe-security-group-rules output is given: same findings, no rule IDs.
func TestDumpGroupsOnly(t *testing.T) {
	full, err := audit.LoadDump(openDump(t, "groups.json", "rules.json", "enis.json"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := audit.LoadDump(openDump(t, "groups.json", "enis.json"))
	if err != nil {
		t.Fatalf("LoadDump: %v", err)
	}
	if !d.RulesDerived() || len(d.SecurityGroupRules) != len(full.SecurityGroupRules) {
		t.Fatalf("derived %v, %d rules; want true and %d (one per peer)", d.RulesDerived(), len(d.SecurityGroupRules), len(full.SecurityGroupRules))
	}
	a, err := auditDump(t, full)
	if err != nil {
		t.Fatal(err)
	}
	b, err := auditDump(t, d)
	if err != nil {
		t.Fatal(err)
	}
	key := func(r *audit.Report) []string {
		var out []string
		for _, f := range r.Violations {
			if f.Rule.ID != "" && r == b {
				t.Errorf("derived rule has ID %s", f.Rule.ID)
			}
			out = append(out, f.Group.ID+" "+f.Check+" "+audit.RuleText(f.Rule)+" "+string(f.Decision))
		}
		slices.Sort(out)
		return out
	}
	if ka, kb := key(a), key(b); !slices.Equal(ka, kb) {
		t.Errorf("findings from derived rules differ:\n got %v\nwant %v", kb, ka)
	}
	if len(a.Exposures) != len(b.Exposures) {
		t.Errorf("%d exposures from derived rules, want %d", len(b.Exposures), len(a.Exposures))
	}
}

// TestDumpMissingPrefixList: a rule referencing a list the dump lacks is
// evaluated as unresolved and the list is reported as not scanned.
func TestDumpMissingPrefixList(t *testing.T) {
	d, err := audit.LoadDump(openDump(t, "groups.json", "rules.json", "enis.json"))
	if err != nil {
		t.Fatal(err)
	}
	delete(d.PrefixListEntries, "pl-0office000000001")
	rep, err := auditDump(t, d)
	var pe *audit.PartialError
	if !errors.As(err, &pe) {
		t.Fatalf("Run error = %v, want *PartialError", err)
	}
	if len(rep.Unscanned) != 1 || rep.Unscanned[0].Resource != "pl-0office000000001" || rep.Regions[0].Status != audit.RegionPartial {
		t.Errorf("unscanned = %+v, status %s; want the prefix list, partial", rep.Unscanned, rep.Regions[0].Status)
	}
	for c, f := range findings(rep, "sgr-0f000000000003389") {
		if !f.PrefixListUnresolved {
			t.Errorf("%s on the unresolved list is not marked unresolved", c)
		}
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

// TestLoadDumpErrors: every bad file is reported at once, each wrapping
// ErrDump and naming the file.
func TestLoadDumpErrors(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]io.Reader
		want  []string
	}{
		{"not JSON", map[string]io.Reader{"a.json": strings.NewReader("SecurityGroups:")}, []string{"a.json"}},
		{"unknown keys only", map[string]io.Reader{"b.json": strings.NewReader(`{"Reservations": []}`)}, []string{"b.json", "no SecurityGroups"}},
		{"unreadable", map[string]io.Reader{"c.json": failingReader{}}, []string{"c.json", "disk on fire"}},
		{"interfaces alone", map[string]io.Reader{"enis.json": strings.NewReader(`{"NetworkInterfaces": []}`)}, []string{"no SecurityGroups or SecurityGroupRules"}},
		{"several bad files", map[string]io.Reader{"x.json": strings.NewReader("{"), "y.json": strings.NewReader("[]")}, []string{"x.json", "y.json"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := audit.LoadDump(tc.files)
			if !errors.Is(err, audit.ErrDump) {
				t.Fatalf("LoadDump error = %v, want ErrDump", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("LoadDump error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestClassifyOwner(t *testing.T) {
	str := func(s string) *string { return &s }
	yes := true
	cases := []struct {
		name string
		ni   types.NetworkInterface
		want string
	}{
		{"instance", types.NetworkInterface{InterfaceType: "interface", Attachment: &types.NetworkInterfaceAttachment{InstanceId: str("i-1"), InstanceOwnerId: str("123456789012")}}, audit.OwnerInstance},
		{"application load balancer", types.NetworkInterface{InterfaceType: "interface", RequesterId: str("amazon-elb"), RequesterManaged: &yes, Description: str("ELB app/web/1")}, audit.OwnerLoadBalancer},
		{"classic load balancer", types.NetworkInterface{InterfaceType: "interface", Description: str("ELB web"), Attachment: &types.NetworkInterfaceAttachment{InstanceOwnerId: str("amazon-elb")}}, audit.OwnerLoadBalancer},
		{"network load balancer", types.NetworkInterface{InterfaceType: "network_load_balancer"}, audit.OwnerLoadBalancer},
		{"lambda by type", types.NetworkInterface{InterfaceType: "lambda"}, audit.OwnerLambda},
		{"lambda by requester", types.NetworkInterface{InterfaceType: "interface", RequesterId: str("AROAEXAMPLE:AWSLambda"), RequesterManaged: &yes}, audit.OwnerLambda},
		{"interface endpoint", types.NetworkInterface{InterfaceType: "vpc_endpoint"}, audit.OwnerVPCEndpoint},
		{"endpoint by description", types.NetworkInterface{InterfaceType: "interface", Description: str("VPC Endpoint Interface vpce-1"), RequesterManaged: &yes}, audit.OwnerVPCEndpoint},
		{"NAT gateway", types.NetworkInterface{InterfaceType: "natGateway"}, audit.OwnerNATGateway},
		{"other AWS service", types.NetworkInterface{InterfaceType: "api_gateway_managed"}, audit.OwnerAWSService},
		{"managed, generic type", types.NetworkInterface{InterfaceType: "interface", RequesterManaged: &yes, RequesterId: str("AIDAEXAMPLE")}, audit.OwnerAWSService},
		{"unattached", types.NetworkInterface{InterfaceType: "interface"}, audit.OwnerUnattached},
	}
	for _, tc := range cases {
		if got := audit.ClassifyOwner(&tc.ni); got != tc.want {
			t.Errorf("ClassifyOwner(%s) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestRenderUnknownFormat(t *testing.T) {
	var r audit.Report
	err := r.Render(io.Discard, "yaml")
	if !errors.Is(err, audit.ErrFormat) || !strings.Contains(err.Error(), "table, json, markdown") {
		t.Errorf("Render(yaml) = %v, want ErrFormat listing the formats", err)
	}
	var b strings.Builder
	if err := r.Render(&b, audit.FormatJSON); err != nil || !strings.HasPrefix(b.String(), "{\n  \"schemaVersion\"") {
		t.Errorf("Render(json) = %q, %v", b.String(), err)
	}
}
