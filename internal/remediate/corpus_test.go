package remediate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/sgwarden/sgwarden/internal/awsclients"
	"github.com/sgwarden/sgwarden/internal/awslocal"
	"github.com/sgwarden/sgwarden/internal/cloudtrail"
	"github.com/sgwarden/sgwarden/internal/policy"
	"github.com/sgwarden/sgwarden/internal/remediate"
	"github.com/sgwarden/sgwarden/internal/samples"
)

var corpusUpdate = flag.Bool("update", false, "rewrite events/expected.json from the corpus replay")

// The constants of the corpus replay (events/README.md).
const (
	corpusDir      = "../../events"
	corpusAccount  = "123456789012"
	corpusRegion   = "us-east-1"
	corpusTopicARN = "arn:aws:sns:us-east-1:123456789012:sgwarden-alerts"
	corpusRoleARN  = "arn:aws:iam::123456789012:role/sgwarden-remediate"
)

// corpusNow is the fixed clock: after every event of the corpus, before the
// bastion exemption (sgwarden:exempt=2026-11-27) runs out.
var corpusNow = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// corpusFiles lists events/NN-*.json in replay order.
func corpusFiles(t *testing.T) []string {
	t.Helper()
	files, err := samples.Files(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 28 {
		t.Fatalf("events/ holds %d events, want at least 28", len(files))
	}
	return files
}

// corpusAccountState is every rule of the account and every prefix-list
// entry, read outside the remediator.
type corpusAccountState struct {
	rules   map[string]string // rule ID -> group ID
	entries map[string]bool   // "pl-...|cidr"
}

func corpusSnapshot(t *testing.T, ctx context.Context, client *ec2.Client) corpusAccountState {
	t.Helper()
	st := corpusAccountState{rules: map[string]string{}, entries: map[string]bool{}}
	p := ec2.NewDescribeSecurityGroupRulesPaginator(client, &ec2.DescribeSecurityGroupRulesInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("DescribeSecurityGroupRules: %v", err)
		}
		for _, r := range out.SecurityGroupRules {
			st.rules[aws.ToString(r.SecurityGroupRuleId)] = aws.ToString(r.GroupId)
		}
	}
	lists, err := client.DescribeManagedPrefixLists(ctx, &ec2.DescribeManagedPrefixListsInput{})
	if err != nil {
		t.Fatalf("DescribeManagedPrefixLists: %v", err)
	}
	for _, l := range lists.PrefixLists {
		id := aws.ToString(l.PrefixListId)
		if aws.ToString(l.OwnerId) == "AWS" {
			continue
		}
		out, err := client.GetManagedPrefixListEntries(ctx, &ec2.GetManagedPrefixListEntriesInput{PrefixListId: l.PrefixListId})
		if err != nil {
			t.Fatalf("GetManagedPrefixListEntries(%s): %v", id, err)
		}
		for _, e := range out.Entries {
			st.entries[id+"|"+aws.ToString(e.Cidr)] = true
		}
	}
	return st
}

// corpusViolatingRules is the set of rules an event may revert, judged
// here independently of the remediator: the rules of the account that the
// event names (by rule ID, or by exact tuple when it gives none) and whose
// strongest decision under the policy, with the group's attributes and
// prefix-list entries read from the account, is revert.
func corpusViolatingRules(t *testing.T, ctx context.Context, client *ec2.Client, engine *policy.Engine, ev *cloudtrail.Event) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	if len(ev.Rules) == 0 {
		return out
	}
	rules, err := client.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{})
	if err != nil {
		t.Fatalf("DescribeSecurityGroupRules: %v", err)
	}
	groups, err := client.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{})
	if err != nil {
		t.Fatalf("DescribeSecurityGroups: %v", err)
	}
	ec := policy.EvalContext{ActorARN: ev.Actor.ARN, Now: corpusNow}
	// Rules aggregate: the event's rules judged with their group's others.
	standing, named := map[string][]policy.Rule{}, map[string][]policy.Rule{}
	defer func() {
		for g, judged := range named {
			for _, v := range engine.EvaluateCoverage(standing[g], judged, ec, nil) {
				if v.Decision == policy.DecisionRevert {
					out[v.Rule.RuleID] = true
				}
			}
		}
	}()
	for i := range rules.SecurityGroupRules {
		cur, err := remediate.RuleFromEC2(&rules.SecurityGroupRules[i])
		if err != nil {
			t.Fatalf("RuleFromEC2: %v", err)
		}
		isNamed := slices.ContainsFunc(ev.Rules, func(r policy.Rule) bool {
			if r.RuleID != "" {
				return r.RuleID == cur.RuleID
			}
			return (r.GroupID == "" || r.GroupID == cur.GroupID) && remediate.SameTuple(&r, &cur)
		})
		if !isNamed {
			if cur.Peer.Kind == policy.PeerIPv4 || cur.Peer.Kind == policy.PeerIPv6 {
				standing[cur.GroupID] = append(standing[cur.GroupID], cur)
			}
			continue
		}
		for k := range groups.SecurityGroups {
			if aws.ToString(groups.SecurityGroups[k].GroupId) == cur.GroupID {
				remediate.SetGroup(&cur, &groups.SecurityGroups[k])
			}
		}
		if cur.Peer.Kind == policy.PeerPrefixList {
			entries, err := client.GetManagedPrefixListEntries(ctx, &ec2.GetManagedPrefixListEntriesInput{PrefixListId: aws.String(cur.Peer.PrefixListID)})
			if err != nil {
				t.Fatalf("GetManagedPrefixListEntries: %v", err)
			}
			for _, e := range entries.Entries {
				if p, err := netip.ParsePrefix(aws.ToString(e.Cidr)); err == nil {
					cur.Peer.PrefixListEntries = append(cur.Peer.PrefixListEntries, p.Masked())
				}
			}
			cur.Peer.PrefixListResolved = true
		}
		if remediate.Strongest(engine.Evaluate(&cur, ec, nil)) == policy.DecisionRevert {
			out[cur.RuleID] = true
		}
		named[cur.GroupID] = append(named[cur.GroupID], cur)
	}
	return out
}

func corpusCalls(calls []awslocal.Call) (ec2Calls, snsCalls int) {
	for _, c := range calls {
		switch c.Service {
		case "ec2":
			ec2Calls++
		case "sns":
			snsCalls++
		}
	}
	return ec2Calls, snsCalls
}

func corpusSorted(s []string) []string {
	out := append([]string{}, s...)
	slices.Sort(out)
	return out
}

func corpusNonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// TestCorpus replays events/ in order against a fresh emulated account
// seeded with events/account.yaml, compares every outcome with
// events/expected.json (refresh with -update), and checks the invariants
// that make the outcomes trustworthy whatever the golden file says.
func TestCorpus(t *testing.T) {
	ctx := context.Background()
	fixture, err := awslocal.LoadFixture(filepath.Join(corpusDir, "account.yaml"))
	if err != nil {
		t.Fatalf("load fixture: %v", err)
	}
	srv := awslocal.Start(t, awslocal.WithFixture(fixture))
	cfg := srv.AWSConfig(ctx)
	// A second client reads the account outside the remediator.
	observer := ec2.NewFromConfig(cfg)
	engine := policy.Default()
	rem, err := remediate.New(remediate.Config{
		Engine:           engine,
		Clients:          remediate.ClientsFrom(awsclients.Local(cfg, corpusAccount)),
		SNS:              sns.NewFromConfig(cfg),
		TopicARN:         corpusTopicARN,
		RoleARN:          corpusRoleARN,
		PrefixListAction: policy.ActionRevert,
		Mode:             policy.ModeEnforce,
		Now:              func() time.Time { return corpusNow },
		Logger:           slog.New(slog.NewJSONHandler(io.Discard, nil)),
		// As functions/remediate wires it with SGWARDEN_EVENT_BUS unset, so
		// that the outcomes (AWS calls included) are those of the deployed
		// function, which make demo replays through the real bootstrap.
		Outlets: remediate.Outlets{Events: eventbridge.NewFromConfig(cfg), EventBus: "default"},
	})
	if err != nil {
		t.Fatalf("remediate.New: %v", err)
	}

	got := samples.Expected{
		Comment: "Generated by go test ./internal/remediate -run Corpus -update; the schema is in events/README.md.",
		Constants: samples.Constants{
			Account: corpusAccount, Region: corpusRegion, TopicARN: corpusTopicARN, RoleARN: corpusRoleARN,
			Now: corpusNow.Format(time.RFC3339), Policy: "default", Mode: string(policy.ModeEnforce),
			PrefixListAction: string(policy.ActionRevert), Fixture: "account.yaml",
		},
	}
	seen := map[string]bool{}
	for _, path := range corpusFiles(t) {
		name := filepath.Base(path)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		entry := samples.Entry{File: name}
		ev, decErr := cloudtrail.Decode(data)
		if decErr != nil {
			var de *cloudtrail.DecodeError
			if !errors.As(decErr, &de) {
				t.Errorf("%s: Decode error %T, want *cloudtrail.DecodeError", name, decErr)
			}
			entry.Decoded.Error = decErr.Error()
		} else {
			entry.Decoded = samples.Decoded{EventID: ev.ID, EventName: ev.Name, Kind: string(ev.Kind), Failed: ev.Failed(), ErrorCode: ev.ErrorCode}
		}

		before := corpusSnapshot(t, ctx, observer)
		var violating map[string]bool
		if ev != nil {
			violating = corpusViolatingRules(t, ctx, observer, engine, ev)
		}
		srv.ResetCalls()
		msgsBefore, putsBefore := len(srv.SNSMessages()), len(srv.PutEvents())
		res, herr := rem.Handle(ctx, json.RawMessage(data))
		calls := srv.Calls()
		after := corpusSnapshot(t, ctx, observer)

		out := &samples.Outcome{
			Action: string(res.Action), Ignored: res.Ignored,
			Revoked: corpusNonNil(res.Revoked), AlreadyGone: corpusNonNil(res.AlreadyGone), Kept: corpusNonNil(res.Kept),
			Failed: corpusNonNil(res.Failed), RemovedEntries: corpusNonNil(res.RemovedEntries),
			Published: res.Published, AWSCalls: res.AWSCalls,
		}
		if herr != nil {
			out.Error = herr.Error()
		}
		msgs := srv.SNSMessages()
		switch {
		case len(msgs) == msgsBefore+1:
			out.Subject = msgs[len(msgs)-1].Subject
			if n := len([]rune(out.Subject)); n == 0 || n > 100 {
				t.Errorf("%s: subject %q has %d characters, want 1 to 100", name, out.Subject, n)
			}
		case len(msgs) != msgsBefore:
			t.Errorf("%s: %d SNS messages published, want at most 1", name, len(msgs)-msgsBefore)
		}
		if puts := len(srv.PutEvents()) - putsBefore; res.Published && puts != 1 || !res.Published && puts != 0 {
			t.Errorf("%s: %d OCSF events put with Published = %v, want one per alert", name, puts, res.Published)
		}
		if res.Published != (len(msgs) > msgsBefore) {
			t.Errorf("%s: Published = %v but %d messages reached the topic", name, res.Published, len(msgs)-msgsBefore)
		}
		if herr != nil {
			// Fail closed: an error always comes with a FAILED alert.
			if res.Action != "failed" || !res.Published || !strings.HasPrefix(out.Subject, "FAILED") {
				t.Errorf("%s: Handle failed (%v) with alert %q (%s), want a published FAILED alert", name, herr, out.Subject, res.Action)
			}
			// Lambda sees only the error of a failed invocation, not the
			// Result: the golden file records what it (and the demo) sees.
			out = &samples.Outcome{Error: herr.Error(), Revoked: []string{}, AlreadyGone: []string{}, Kept: []string{}, Failed: []string{}, RemovedEntries: []string{}}
		}
		entry.Outcome = out
		got.Events = append(got.Events, entry)

		// Invariants.
		ec2Calls, snsCalls := corpusCalls(calls)
		if res.AWSCalls != len(calls) {
			t.Errorf("%s: AWSCalls = %d, but the account received %d calls", name, res.AWSCalls, len(calls))
		}
		if res.Ignored != "" && res.Ignored != "no longer violates" && len(res.Revoked)+len(res.RemovedEntries) > 0 {
			t.Errorf("%s: ignored (%s) yet changed the account", name, res.Ignored)
		}
		switch {
		case res.Ignored == "compliant", strings.HasPrefix(res.Ignored, "failed call"),
			res.Ignored == "made by sgwarden's own role", strings.HasPrefix(res.Ignored, "nothing to check"):
			if len(calls) != 0 {
				t.Errorf("%s: ignored (%s) with %d AWS calls, want 0", name, res.Ignored, len(calls))
			}
		}
		var disappeared []string
		for id := range before.rules {
			if _, ok := after.rules[id]; !ok {
				disappeared = append(disappeared, id)
			}
		}
		for id := range after.rules {
			if _, ok := before.rules[id]; !ok {
				t.Errorf("%s: rule %s appeared in the account", name, id)
			}
		}
		slices.Sort(disappeared)
		if !slices.Equal(disappeared, corpusSorted(res.Revoked)) {
			t.Errorf("%s: rules gone from the account %v, want exactly the revoked %v", name, disappeared, res.Revoked)
		}
		for _, id := range disappeared {
			if !violating[id] {
				t.Errorf("%s: rule %s disappeared but is not a violating rule of the event", name, id)
			}
		}
		var removed []string
		for k := range before.entries {
			if !after.entries[k] {
				_, cidr, _ := strings.Cut(k, "|")
				removed = append(removed, cidr)
			}
		}
		slices.Sort(removed)
		if !slices.Equal(removed, corpusSorted(res.RemovedEntries)) {
			t.Errorf("%s: prefix-list entries gone %v, want exactly the removed %v", name, removed, res.RemovedEntries)
		}
		if ev != nil && len(res.RemovedEntries) > 0 {
			for _, cidr := range res.RemovedEntries {
				added := ev.PrefixList != nil && slices.ContainsFunc(ev.PrefixList.Added, func(e cloudtrail.PrefixListEntry) bool { return e.CIDR == cidr })
				// A restore does not list the entries it brought back: any
				// entry of the restored list may be one.
				restored := ev.Name == "RestoreManagedPrefixListVersion" && ev.PrefixList != nil && before.entries[ev.PrefixList.ID+"|"+cidr]
				if !added && !restored {
					t.Errorf("%s: removed entry %s that the event did not add", name, cidr)
				}
			}
		}
		if ev != nil {
			if seen[ev.ID] && (len(res.Revoked) > 0 || len(res.RemovedEntries) > 0) {
				t.Errorf("%s: redelivered event %s revoked %v again", name, ev.ID, res.Revoked)
			}
			seen[ev.ID] = true
			// Describe the group and its rules, revoke, list the exposed
			// ENIs, plus one read per prefix list the rules reference.
			lists := map[string]bool{}
			for _, r := range ev.Rules {
				if r.Peer.Kind == policy.PeerPrefixList {
					lists[r.Peer.PrefixListID] = true
				}
			}
			if budget := 4 + len(lists); (ev.Kind == cloudtrail.KindRuleAdded || ev.Kind == cloudtrail.KindRuleModified) && (ec2Calls > budget || snsCalls > 1) {
				t.Errorf("%s: %d EC2 and %d SNS calls, want at most %d and 1 for a rule event", name, ec2Calls, snsCalls, budget)
			}
		}
	}

	goldenPath := filepath.Join(corpusDir, "expected.json")
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(got); err != nil {
		t.Fatal(err)
	}
	if *corpusUpdate {
		if err := os.WriteFile(goldenPath, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	wantData, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	var want samples.Expected
	if err := json.Unmarshal(wantData, &want); err != nil {
		t.Fatalf("parse %s: %v", goldenPath, err)
	}
	if want.Constants != got.Constants {
		t.Errorf("constants = %+v, want %+v", got.Constants, want.Constants)
	}
	if len(want.Events) != len(got.Events) {
		t.Errorf("%d events replayed, golden file has %d (run with -update)", len(got.Events), len(want.Events))
	}
	for i := range min(len(want.Events), len(got.Events)) {
		g, w := got.Events[i], want.Events[i]
		gj, _ := json.Marshal(g)
		wj, _ := json.Marshal(w)
		if !bytes.Equal(gj, wj) {
			t.Errorf("replay of %s:\n got %s\nwant %s", g.File, gj, wj)
		}
	}
}
