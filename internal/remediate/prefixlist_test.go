package remediate

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/sgwarden/sgwarden/internal/awslocal"
	"github.com/sgwarden/sgwarden/internal/notify"
	"github.com/sgwarden/sgwarden/internal/policy"
)

const (
	officePL   = "pl-0office0000000001"
	rulePGList = "sgr-0pglist0000000001"
)

// prefixListAccount has a db group whose tcp/5432 rule references the
// office prefix list, then makes the list public through the real API (so
// that the list is at version 2) and returns the matching event.
func prefixListAccount(t *testing.T, opts ...acctOption) (*testAccount, []byte) {
	t.Helper()
	fx := webFixture()
	fx.PrefixLists = []awslocal.PrefixListSpec{{ID: officePL, Name: "office", MaxEntries: 5,
		Entries: []awslocal.PrefixListEntry{{CIDR: "10.8.0.0/16", Description: "vpn"}}}}
	fx.Groups = append(fx.Groups, awslocal.GroupSpec{ID: acctDBSG, Name: "db", VPC: acctVPC,
		Ingress: []awslocal.RuleSpec{withRuleID(awslocal.TCP(5432, officePL), rulePGList)}})
	fx.NetworkInterfaces = append(fx.NetworkInterfaces, awslocal.ENISpec{ID: "eni-0db0000000000001", VPC: acctVPC,
		Groups: []string{acctDBSG}, InstanceID: "i-0db00000000000001", PrivateIP: "10.0.2.10"})
	a := startAccount(t, fx, opts...)
	_, err := ec2.NewFromConfig(a.srv.AWSConfig(context.Background())).ModifyManagedPrefixList(context.Background(), &ec2.ModifyManagedPrefixListInput{
		PrefixListId: aws.String(officePL), CurrentVersion: aws.Int64(1),
		AddEntries: []ec2types.AddPrefixListEntry{{Cidr: aws.String("71.131.0.0/16"), Description: aws.String("My IP Range")}},
	})
	if err != nil {
		t.Fatalf("ModifyManagedPrefixList: %v", err)
	}
	ev := ebEvent("ModifyManagedPrefixList", evSSH,
		`{"ModifyManagedPrefixListRequest": {"AddEntry": {"Description": "My IP Range", "cidr": "71.131.0.0/16", "tag": "1"}, "CurrentVersion": "1", "PrefixListId": "`+officePL+`"}}`,
		`{"ModifyManagedPrefixListResponse": {"xmlns": "http://ec2.amazonaws.com/doc/2016-11-15/", "prefixList": {"addressFamily": "IPv4", "maxEntries": 5, "ownerId": "`+acctID+`", "prefixListArn": "arn:aws:ec2:us-east-1:`+acctID+`:prefix-list/`+officePL+`", "prefixListId": "`+officePL+`", "prefixListName": "office", "state": "modify-in-progress", "version": 1}, "requestId": "r-9"}}`)
	return a, ev
}

func (a *testAccount) prefixListState() (int64, []string) {
	a.t.Helper()
	c := ec2.NewFromConfig(a.srv.AWSConfig(context.Background()))
	lists, err := c.DescribeManagedPrefixLists(context.Background(), &ec2.DescribeManagedPrefixListsInput{PrefixListIds: []string{officePL}})
	if err != nil || len(lists.PrefixLists) != 1 {
		a.t.Fatalf("DescribeManagedPrefixLists: %v", err)
	}
	entries, err := c.GetManagedPrefixListEntries(context.Background(), &ec2.GetManagedPrefixListEntriesInput{PrefixListId: aws.String(officePL)})
	if err != nil {
		a.t.Fatalf("GetManagedPrefixListEntries: %v", err)
	}
	var cidrs []string
	for _, e := range entries.Entries {
		cidrs = append(cidrs, aws.ToString(e.Cidr))
	}
	slices.Sort(cidrs)
	return aws.ToInt64(lists.PrefixLists[0].Version), cidrs
}

// publicReverts is the default policy with its public high-risk check set to
// revert: the default only alerts on a public range short of the world
// (EC2.19 judges only the world), and these cases need a revert.
func publicReverts(t *testing.T) acctOption {
	t.Helper()
	e, err := policy.Load([]byte("version: 1\nbase: default\nchecks:\n  - {id: high-risk-ports-public, action: revert}\n"), "public-reverts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return withEngine(e)
}

func TestPrefixListMadePublic(t *testing.T) {
	t.Run("revert removes the entry at the current version", func(t *testing.T) {
		a, ev := prefixListAccount(t, withPrefixListAction(policy.ActionRevert), publicReverts(t))
		res, err := a.handle(ev)
		if err != nil {
			t.Fatalf("Handle: %v", err)
		}
		if strings.Join(res.RemovedEntries, ",") != "71.131.0.0/16" || res.Action != notify.ActionReverted {
			t.Errorf("Handle = %+v, want 71.131.0.0/16 removed", res)
		}
		for _, c := range a.last {
			if c.Operation == "ModifyManagedPrefixList" && c.Params.Get("CurrentVersion") != "2" {
				t.Errorf("ModifyManagedPrefixList CurrentVersion = %q, want the current version 2", c.Params.Get("CurrentVersion"))
			}
		}
		if v, cidrs := a.prefixListState(); v != 3 || strings.Join(cidrs, ",") != "10.8.0.0/16" {
			t.Errorf("prefix list at version %d with %v, want version 3 with only 10.8.0.0/16", v, cidrs)
		}
		a.wantRules(acctDBSG, []string{rulePGList}, nil) // the rule stays: the entry was the problem
		al := a.oneAlert()
		if al.PrefixList == nil || strings.Join(al.PrefixList.Removed, ",") != "71.131.0.0/16" || strings.Join(al.PrefixList.Offending, ",") != "71.131.0.0/16" || al.PrefixList.ReferencedBy != 1 {
			t.Errorf("alert prefix list = %+v", al.PrefixList)
		}
		if al.Action != notify.ActionReverted || len(al.Rules) != 1 || al.Rules[0].ID != rulePGList {
			t.Errorf("alert = %s rules %+v, want reverted naming %s", al.Action, al.Rules, rulePGList)
		}
		if len(al.Exposed) != 1 || al.Exposed[0].InstanceID != "i-0db00000000000001" {
			t.Errorf("alert exposed = %+v, want the db instance", al.Exposed)
		}
	})
	t.Run("alert only by default", func(t *testing.T) {
		a, ev := prefixListAccount(t)
		res, err := a.handle(ev)
		if err != nil {
			t.Fatalf("Handle: %v", err)
		}
		if len(res.RemovedEntries) != 0 || a.srv.CallCount("ModifyManagedPrefixList") != 1 { // the setup's own call
			t.Errorf("Handle = %+v, want nothing removed", res)
		}
		if v, cidrs := a.prefixListState(); v != 2 || len(cidrs) != 2 {
			t.Errorf("prefix list at version %d with %v, want it untouched", v, cidrs)
		}
		if al := a.oneAlert(); al.Action != notify.ActionAlert || strings.Join(al.PrefixList.Offending, ",") != "71.131.0.0/16" {
			t.Errorf("alert = %s %+v, want an alert naming the offending entry", al.Action, al.PrefixList)
		}
	})
	t.Run("dry-run with revert removes nothing", func(t *testing.T) {
		a, ev := prefixListAccount(t, withPrefixListAction(policy.ActionRevert), withMode(policy.ModeDryRun), publicReverts(t))
		if _, err := a.handle(ev); err != nil {
			t.Fatalf("Handle: %v", err)
		}
		if v, _ := a.prefixListState(); v != 2 {
			t.Errorf("prefix list at version %d, want 2 (untouched)", v)
		}
		if al := a.oneAlert(); al.Action != notify.ActionWouldRevert {
			t.Errorf("alert action = %s, want would-revert", al.Action)
		}
	})
	t.Run("private entry costs no call", func(t *testing.T) {
		a, _ := prefixListAccount(t, withPrefixListAction(policy.ActionRevert))
		ev := ebEvent("ModifyManagedPrefixList", evOK,
			`{"ModifyManagedPrefixListRequest": {"AddEntry": [{"cidr": "10.9.0.0/16", "tag": "1"}], "PrefixListId": "`+officePL+`"}}`, "")
		res, err := a.handle(ev)
		if err != nil || res.Ignored == "" {
			t.Fatalf("Handle = %+v, %v; want ignored", res, err)
		}
		a.wantCalls()
	})
}
