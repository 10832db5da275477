package stack

import (
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	goparser "go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"

	"github.com/sgwarden/sgwarden/infra/cdk/internal/eventpattern"
	"github.com/sgwarden/sgwarden/internal/audit"
	"github.com/sgwarden/sgwarden/internal/cloudtrail"
	"github.com/sgwarden/sgwarden/internal/lambdaenv"
	"github.com/sgwarden/sgwarden/internal/policy"
	"github.com/sgwarden/sgwarden/internal/remediate"
)

// The stack variants the tests synthesize. Each synthesis costs a few
// seconds of jsii round trips, so they are built once and shared.
var (
	testAccount = "123456789012"
	testRegion  = "eu-west-1"
)

// synthesized is one synthesized stack and what built it.
type synthesized struct {
	name     string
	settings *Settings
	stack    awscdk.Stack
	outdir   string
	tmpl     map[string]any
	region   string // "" for an environment-agnostic stack
	// conditionsOK admits role statements with conditions (the central
	// stack's org-bounded AssumeRole); the account shape has none.
	conditionsOK bool
}

// variant describes a stack to synthesize.
type variant struct {
	name    string
	context map[string]any // CDK context, parsed by ParseSettings
	region  string
}

// customPolicy is a valid policy that differs from the embedded default, so
// a test can tell which one a function loaded.
const customPolicy = `version: 1
base: default
mode: dry-run
checks:
  - {id: redis-public, severity: high, action: revert, ports: [6379], peer: public}
`

const customCheck = "redis-public"

// egressPolicy reverts an outbound rule, so its roles need
// RevokeSecurityGroupEgress.
const egressPolicy = `version: 1
base: default
checks:
  - {id: redis-public, severity: high, action: revert, ports: [6379], peer: public}
  - {id: smtp-out-world, severity: high, action: revert, direction: egress, ports: [25], peer: world}
`

func variants(t *testing.T) (policyPath string, vs []variant) {
	t.Helper()
	dir := tempDir(t, "policy")
	policyPath = filepath.Join(dir, "sgwarden-policy.yaml")
	if err := os.WriteFile(policyPath, []byte(customPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	egressPath := filepath.Join(tempDir(t, "policy"), "egress-policy.yaml")
	if err := os.WriteFile(egressPath, []byte(egressPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	// Siblings of the policy file must stay out of the layer.
	if err := os.WriteFile(filepath.Join(dir, "secret.txt"), []byte("not for the layer"), 0o600); err != nil {
		t.Fatal(err)
	}
	return policyPath, []variant{
		{name: "defaults", context: map[string]any{}},
		{name: "full", region: testRegion, context: map[string]any{
			CtxPolicyFile:       policyPath,
			CtxMode:             "enforce",
			CtxAlertEmails:      "sec@example.com, oncall@example.org",
			CtxAuditSchedule:    "rate(6 hours)",
			CtxCreateTrail:      true,
			CtxReportBucket:     true,
			CtxReportPrefix:     "audit/reports/",
			CtxPrefixListAction: "revert",
			CtxLogRetentionDays: 30,
			CtxMaxReverts:       "25",
			CtxSecurityHub:      true,
			CtxEventBus:         "security-findings",
			CtxChatChannel:      "slack",
		}},
		{name: "existing-report-bucket", context: map[string]any{
			CtxReportBucket:     "acme-sgwarden-reports",
			CtxCreateTrail:      "false",
			CtxMaxReverts:       0.0, // the audit reports only
			CtxPrefixListAction: "revert",
		}},
		{name: "enforce-egress", context: map[string]any{
			CtxPolicyFile: egressPath,
			CtxMode:       "enforce",
			CtxMaxReverts: "0",
			CtxEventBus:   "arn:aws:events:eu-west-1:210987654321:event-bus/central-findings",
		}},
	}
}

var (
	stacks    map[string]*synthesized
	stacksErr error
	// scratch holds the shared stacks' files for the whole test binary:
	// t.TempDir would vanish with the first test that synthesized them.
	scratch string
)

func TestMain(m *testing.M) {
	code := func() int {
		dir, err := os.MkdirTemp("", "sgwarden-cdk-test-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		scratch = dir
		return m.Run()
	}()
	jsii.Close()
	os.Exit(code)
}

// tempDir is a fresh directory under scratch that outlives the test.
func tempDir(t *testing.T, pattern string) string {
	t.Helper()
	dir, err := os.MkdirTemp(scratch, pattern+"-")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// fakeBuild writes placeholder bootstraps: the stack only packages them.
func fakeBuild(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, fn := range []string{"remediate", "audit", "orgaudit"} {
		if err := os.MkdirAll(filepath.Join(dir, fn), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, fn, "bootstrap"), []byte("#!/bin/sh\n# "+fn+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// newApp is an app that writes its cloud assembly under outdir and records
// asset paths in resource metadata, as the CDK CLI asks for.
func newApp(outdir string, context map[string]any) awscdk.App {
	ctx := maps.Clone(context)
	if ctx == nil {
		ctx = map[string]any{}
	}
	ctx["aws:cdk:enable-asset-metadata"] = true
	return awscdk.NewApp(&awscdk.AppProps{
		AnalyticsReporting: jsii.Bool(false),
		Outdir:             jsii.String(outdir),
		Context:            &ctx,
	})
}

// allStacks synthesizes every variant once, with cdk-nag applied.
func allStacks(t *testing.T) map[string]*synthesized {
	t.Helper()
	if stacks != nil || stacksErr != nil {
		if stacksErr != nil {
			t.Fatal(stacksErr)
		}
		return stacks
	}
	build := fakeBuild(t)
	_, vs := variants(t)
	out := map[string]*synthesized{}
	for _, v := range vs {
		outdir := tempDir(t, "cdk.out")
		app := newApp(outdir, v.context)
		sp := awscdk.StackProps{}
		if v.region != "" {
			sp.Env = &awscdk.Environment{Account: jsii.String(testAccount), Region: jsii.String(v.region)}
		}
		st, err := NewSgwardenStack(app, "Sgwarden", &SgwardenStackProps{StackProps: sp, BuildDir: build})
		if err != nil {
			stacksErr = fmt.Errorf("NewSgwardenStack(%s): %w", v.name, err)
			t.Fatal(stacksErr)
		}
		settings, err := SettingsFromContext(app.Node())
		if err != nil {
			t.Fatal(err)
		}
		AddNagChecks(app)
		tmpl := assertions.Template_FromStack(st, nil).ToJSON()
		out[v.name] = &synthesized{name: v.name, settings: settings, stack: st, outdir: outdir, tmpl: *tmpl, region: v.region}
	}
	stacks = out
	return stacks
}

// resources returns the template's resources of type typ, by logical ID.
func (s *synthesized) resources(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range s.tmpl["Resources"].(map[string]any) {
		res := r.(map[string]any)
		if res["Type"] == typ {
			out[id] = res
		}
	}
	return out
}

// props returns the Properties of a resource ({} when it has none).
func props(res map[string]any) map[string]any {
	p, _ := res["Properties"].(map[string]any)
	if p == nil {
		return map[string]any{}
	}
	return p
}

// idOf finds the single resource of type typ whose logical ID starts with
// prefix (CDK appends a hash of the construct path).
func (s *synthesized) idOf(t *testing.T, typ, prefix string) string {
	t.Helper()
	var ids []string
	for id := range s.resources(typ) {
		if strings.HasPrefix(id, prefix) {
			ids = append(ids, id)
		}
	}
	if len(ids) != 1 {
		t.Fatalf("%s: want one %s named %s*, got %v", s.name, typ, prefix, ids)
	}
	return ids[0]
}

// render turns a CloudFormation value into a readable string: Ref X is
// ${X}, GetAtt X.Arn is ${X.Arn}, and Fn::Join concatenates. Any other
// intrinsic is rendered as JSON, so that it cannot match by accident.
func render(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		if ref, ok := x["Ref"].(string); ok && len(x) == 1 {
			return "${" + ref + "}"
		}
		if ga, ok := x["Fn::GetAtt"].([]any); ok && len(x) == 1 && len(ga) == 2 {
			return fmt.Sprintf("${%v.%v}", ga[0], ga[1])
		}
		if j, ok := x["Fn::Join"].([]any); ok && len(x) == 1 && len(j) == 2 {
			sep, _ := j[0].(string)
			parts, _ := j[1].([]any)
			var ss []string
			for _, p := range parts {
				ss = append(ss, render(p))
			}
			return strings.Join(ss, sep)
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// list returns v as a list: CloudFormation allows one value or a list.
func list(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	if v == nil {
		return nil
	}
	return []any{v}
}

func forEach(t *testing.T, f func(t *testing.T, s *synthesized)) {
	t.Helper()
	all := allStacks(t)
	for _, name := range slices.Sorted(maps.Keys(all)) {
		t.Run(name, func(t *testing.T) { f(t, all[name]) })
	}
}

// TestInvokePermission is the seed lesson: a rule that matches but may not
// invoke its function fails silently. Each rule's target function must
// grant lambda:InvokeFunction to EventBridge for exactly that rule.
func TestInvokePermission(t *testing.T) {
	forEach(t, func(t *testing.T, s *synthesized) {
		changeRule := s.idOf(t, "AWS::Events::Rule", "SecurityGroupChangeRule")
		auditRule := s.idOf(t, "AWS::Events::Rule", "AuditScheduleRule")
		remediateFn := s.idOf(t, "AWS::Lambda::Function", "RemediateFunction")
		auditFn := s.idOf(t, "AWS::Lambda::Function", "AuditFunction")
		want := map[string]string{changeRule: remediateFn, auditRule: auditFn}

		rules := s.resources("AWS::Events::Rule")
		if len(rules) != 2 {
			t.Errorf("rules = %v, want exactly the change rule and the audit schedule", slices.Sorted(maps.Keys(rules)))
		}
		for ruleID, fnID := range want {
			targets := list(props(rules[ruleID])["Targets"])
			if len(targets) != 1 {
				t.Fatalf("rule %s has %d targets, want 1", ruleID, len(targets))
			}
			if got := render(targets[0].(map[string]any)["Arn"]); got != "${"+fnID+".Arn}" {
				t.Errorf("rule %s targets %s, want ${%s.Arn}", ruleID, got, fnID)
			}
		}

		perms := s.resources("AWS::Lambda::Permission")
		found := map[string]int{}
		for id, r := range perms {
			p := props(r)
			if p["Principal"] != "events.amazonaws.com" {
				t.Errorf("permission %s: principal %v, want events.amazonaws.com only", id, p["Principal"])
				continue
			}
			if p["Action"] != "lambda:InvokeFunction" {
				t.Errorf("permission %s: action %v, want lambda:InvokeFunction", id, p["Action"])
			}
			src := render(p["SourceArn"])
			fn := render(p["FunctionName"])
			if p["SourceAccount"] == nil {
				t.Errorf("permission %s has no SourceAccount", id)
			}
			matched := false
			for ruleID, fnID := range want {
				if src == "${"+ruleID+".Arn}" {
					matched = true
					found[ruleID]++
					if fn != "${"+fnID+".Arn}" {
						t.Errorf("permission %s for rule %s is on %s, want ${%s.Arn}", id, ruleID, fn, fnID)
					}
				}
			}
			if !matched {
				t.Errorf("permission %s: SourceArn %s is not exactly one of the stack's rules", id, src)
			}
		}
		for ruleID := range want {
			if found[ruleID] != 1 {
				t.Errorf("rule %s: %d invoke permissions scoped to it, want 1", ruleID, found[ruleID])
			}
		}
	})
}

// wantPattern is the change rule's pattern, built here from the decoder's
// exported values rather than from RulePattern.
func wantPattern() map[string]any {
	names := make([]any, len(cloudtrail.SupportedEventNames))
	for i, n := range cloudtrail.SupportedEventNames {
		names[i] = n
	}
	return map[string]any{
		"source":      []any{cloudtrail.Source},
		"detail-type": []any{cloudtrail.DetailType},
		"detail": map[string]any{
			"eventSource": []any{cloudtrail.EventSource},
			"eventName":   names,
			"errorCode":   []any{map[string]any{"exists": false}},
		},
	}
}

func (s *synthesized) changePattern(t *testing.T) map[string]any {
	t.Helper()
	id := s.idOf(t, "AWS::Events::Rule", "SecurityGroupChangeRule")
	p, ok := props(s.resources("AWS::Events::Rule")[id])["EventPattern"].(map[string]any)
	if !ok {
		t.Fatalf("rule %s has no EventPattern object", id)
	}
	return p
}

func TestRulePatternIsTheDecodersList(t *testing.T) {
	if len(cloudtrail.SupportedEventNames) == 0 {
		t.Fatal("cloudtrail.SupportedEventNames is empty")
	}
	if c := slices.Compact(slices.Sorted(slices.Values(cloudtrail.SupportedEventNames))); len(c) != len(cloudtrail.SupportedEventNames) {
		t.Errorf("cloudtrail.SupportedEventNames holds duplicates: %v", cloudtrail.SupportedEventNames)
	}
	forEach(t, func(t *testing.T, s *synthesized) {
		got := s.changePattern(t)
		if want := wantPattern(); !reflect.DeepEqual(got, want) {
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			t.Errorf("change rule EventPattern =\n%s\nwant\n%s", g, w)
		}
	})
}

// shouldTrigger is the rule's intent, written independently of the pattern
// and of the matcher: a successful EC2 API call recorded by CloudTrail whose
// name the decoder supports.
func shouldTrigger(ev map[string]any) bool {
	detail, _ := ev["detail"].(map[string]any)
	if ev["source"] != cloudtrail.Source || ev["detail-type"] != cloudtrail.DetailType || detail == nil {
		return false
	}
	name, _ := detail["eventName"].(string)
	_, failed := detail["errorCode"]
	return detail["eventSource"] == cloudtrail.EventSource && slices.Contains(cloudtrail.SupportedEventNames, name) && !failed
}

// sampleEvent is a successful call in an EventBridge envelope.
func sampleEvent(mutate func(ev, detail map[string]any)) []byte {
	detail := map[string]any{
		"eventVersion": "1.08", "eventSource": cloudtrail.EventSource, "eventName": "AuthorizeSecurityGroupIngress",
		"eventTime": "2026-11-02T10:00:00Z", "eventID": "3f1c0b52-0d5e-4b8e-9a51-5b9e7c1d2e01",
		"awsRegion": "eu-west-1", "recipientAccountId": testAccount,
		"userIdentity":      map[string]any{"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/dev", "accountId": testAccount},
		"requestParameters": map[string]any{"groupId": "sg-0abc"},
	}
	ev := map[string]any{
		"version": "0", "id": "7e9d6c55-1b0a-4c55-8f6e-0c1e2d3f4a5b", "detail-type": cloudtrail.DetailType,
		"source": cloudtrail.Source, "account": testAccount, "time": "2026-11-02T10:00:01Z",
		"region": "eu-west-1", "resources": []any{}, "detail": detail,
	}
	if mutate != nil {
		mutate(ev, detail)
	}
	b, _ := json.Marshal(ev)
	return b
}

type patternCase struct {
	name  string
	event []byte
}

func inlineCases() []patternCase {
	cases := []patternCase{}
	for _, n := range cloudtrail.SupportedEventNames {
		cases = append(cases, patternCase{"supported " + n, sampleEvent(func(_, d map[string]any) { d["eventName"] = n })})
	}
	return append(cases,
		patternCase{"failed call", sampleEvent(func(_, d map[string]any) {
			d["errorCode"], d["errorMessage"], d["responseElements"] = "Client.UnauthorizedOperation", "denied", nil
		})},
		patternCase{"read-only call", sampleEvent(func(_, d map[string]any) { d["eventName"] = "DescribeSecurityGroups" })},
		patternCase{"another EC2 call", sampleEvent(func(_, d map[string]any) { d["eventName"] = "TerminateInstances" })},
		patternCase{"another source", sampleEvent(func(e, _ map[string]any) { e["source"] = "aws.s3" })},
		patternCase{"another detail-type", sampleEvent(func(e, _ map[string]any) { e["detail-type"] = "AWS Service Event via CloudTrail" })},
		patternCase{"another eventSource", sampleEvent(func(_, d map[string]any) { d["eventSource"] = "s3.amazonaws.com" })},
		patternCase{"bare CloudTrail record", func() []byte {
			var ev map[string]any
			_ = json.Unmarshal(sampleEvent(nil), &ev)
			b, _ := json.Marshal(ev["detail"])
			return b
		}()},
	)
}

// eventsDir is the repository's events/ directory of sample events.
func eventsDir(t *testing.T) string {
	t.Helper()
	build, err := DefaultBuildDir()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(filepath.Dir(build), "events")
}

// repoEvents reads the samples under events/. A file may hold one event or
// a list of them (a duplicate delivery).
func repoEvents(t *testing.T) []patternCase {
	t.Helper()
	dir := eventsDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []patternCase
	for _, f := range files {
		base := filepath.Base(f)
		if base == "expected.json" {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var many []json.RawMessage
		if json.Unmarshal(data, &many) == nil {
			for i, ev := range many {
				cases = append(cases, patternCase{fmt.Sprintf("%s[%d]", base, i), ev})
			}
			continue
		}
		cases = append(cases, patternCase{base, data})
	}
	return cases
}

// TestSamplesMatchThePattern runs events through the synthesized pattern with
// the small EventBridge matcher, and checks that the decoder agrees: the rule
// must deliver every event the decoder would act on, and only those.
func TestSamplesMatchThePattern(t *testing.T) {
	s := allStacks(t)["defaults"]
	raw, err := json.Marshal(s.changePattern(t))
	if err != nil {
		t.Fatal(err)
	}
	pattern, err := eventpattern.Compile(raw)
	if err != nil {
		t.Fatalf("Compile(synthesized pattern): %v", err)
	}
	check := func(t *testing.T, cases []patternCase) (matched int) {
		for _, c := range cases {
			var ev map[string]any
			if err := json.Unmarshal(c.event, &ev); err != nil {
				t.Errorf("%s: not a JSON object: %v", c.name, err)
				continue
			}
			want := shouldTrigger(ev)
			got, err := pattern.Matches(c.event)
			if err != nil {
				t.Errorf("Matches(%s): %v", c.name, err)
				continue
			}
			if got != want {
				t.Errorf("Matches(%s) = %v, want %v", c.name, got, want)
			}
			if got {
				matched++
			}
			// The decoder's view of the same event.
			dec, err := cloudtrail.Decode(c.event)
			_, envelope := ev["detail-type"]
			switch {
			case want && errors.Is(err, cloudtrail.ErrUnsupported):
				t.Errorf("%s: the rule delivers it but Decode refuses it as unsupported: %v", c.name, err)
			case !want && envelope && err == nil && !dec.Failed():
				t.Errorf("%s: Decode acts on it (%s) but the rule would not deliver it", c.name, dec.Name)
			}
		}
		return matched
	}
	t.Run("inline", func(t *testing.T) {
		if n := check(t, inlineCases()); n != len(cloudtrail.SupportedEventNames) {
			t.Errorf("matched %d inline events, want %d (one per supported name)", n, len(cloudtrail.SupportedEventNames))
		}
	})
	t.Run("events", func(t *testing.T) {
		cases := repoEvents(t)
		if len(cases) == 0 {
			t.Skip("events/ holds no samples yet: only the inline events were checked")
		}
		n := check(t, cases)
		t.Logf("%d of %d samples in events/ match the rule", n, len(cases))
		if n == 0 {
			t.Errorf("no sample in events/ matches the rule")
		}
		crossCheckExpected(t, pattern, cases)
	})
}

// crossCheckExpected compares the rule with the golden decisions in
// events/expected.json (see events/README.md): the rule must deliver exactly
// the samples the decoder recorded as successful calls of a supported name.
func crossCheckExpected(t *testing.T, pattern *eventpattern.Pattern, cases []patternCase) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(eventsDir(t), "expected.json"))
	if errors.Is(err, os.ErrNotExist) {
		t.Log("events/expected.json does not exist: no golden cross-check")
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	var golden struct {
		Events []struct {
			File    string `json:"file"`
			Decoded *struct {
				EventName string `json:"eventName"`
				Failed    bool   `json:"failed"`
			} `json:"decoded"`
		} `json:"events"`
	}
	if err := json.Unmarshal(data, &golden); err != nil {
		t.Fatalf("events/expected.json: %v", err)
	}
	byName := map[string][]byte{}
	for _, c := range cases {
		byName[c.name] = c.event
	}
	var checked int
	for _, g := range golden.Events {
		ev, ok := byName[g.File]
		if !ok || g.Decoded == nil {
			continue // a list file, or one the decoder refused
		}
		checked++
		name := g.Decoded.EventName
		if name == "" {
			// The decoder could not read it (an unknown schema, say): the
			// rule must still deliver a supported name, so that the
			// function fails closed with a FAILED alert.
			var raw struct {
				Detail struct {
					EventName string `json:"eventName"`
				} `json:"detail"`
			}
			_ = json.Unmarshal(ev, &raw)
			name = raw.Detail.EventName
		}
		want := !g.Decoded.Failed && slices.Contains(cloudtrail.SupportedEventNames, name)
		if got, err := pattern.Matches(ev); err != nil || got != want {
			t.Errorf("Matches(%s) = %v, %v; expected.json records %s failed=%v, want %v",
				g.File, got, err, g.Decoded.EventName, g.Decoded.Failed, want)
		}
	}
	if checked == 0 {
		t.Error("events/expected.json lists none of the samples in events/")
	}
}

// ec2Actions lists the IAM actions of the EC2 methods of interface type it.
func ec2Actions(it reflect.Type) []string {
	var out []string
	for i := range it.NumMethod() {
		out = append(out, "ec2:"+it.Method(i).Name)
	}
	return out
}

// grants maps each action to the sorted resources a role's policies allow.
type grants map[string][]string

func (g grants) add(actions []string, resources ...string) {
	for _, a := range actions {
		g[a] = append(g[a], resources...)
		slices.Sort(g[a])
	}
}

func (g grants) String() string {
	var b strings.Builder
	for _, a := range slices.Sorted(maps.Keys(g)) {
		fmt.Fprintf(&b, "\n  %s on %s", a, strings.Join(g[a], ", "))
	}
	return b.String()
}

// roleGrants reads every statement of a role: inline policies only, since
// the test also proves there are no managed ones.
func (s *synthesized) roleGrants(t *testing.T, roleID string) grants {
	t.Helper()
	role := props(s.resources("AWS::IAM::Role")[roleID])
	g := grants{}
	for _, p := range list(role["Policies"]) {
		doc := p.(map[string]any)["PolicyDocument"].(map[string]any)
		for _, st := range list(doc["Statement"]) {
			stmt := st.(map[string]any)
			for _, k := range []string{"NotAction", "NotResource", "Condition", "Principal"} {
				if stmt[k] != nil && !(k == "Condition" && s.conditionsOK) {
					t.Errorf("role %s: statement %v uses %s", roleID, stmt["Sid"], k)
				}
			}
			if stmt["Effect"] != "Allow" {
				t.Errorf("role %s: statement %v has effect %v", roleID, stmt["Sid"], stmt["Effect"])
			}
			var actions, resources []string
			for _, a := range list(stmt["Action"]) {
				actions = append(actions, render(a))
			}
			for _, r := range list(stmt["Resource"]) {
				resources = append(resources, render(r))
			}
			g.add(actions, resources...)
		}
	}
	return g
}

// TestLeastPrivilege checks every role statement against the calls the
// function code makes: the EC2 actions are read from the interfaces the
// remediate and audit packages accept, so a new call fails this test until
// the stack grants it (and a removed one until the stack stops).
func TestLeastPrivilege(t *testing.T) {
	forEach(t, func(t *testing.T, s *synthesized) {
		if got := s.resources("AWS::IAM::ManagedPolicy"); len(got) > 0 {
			t.Errorf("managed policies %v, want none", slices.Sorted(maps.Keys(got)))
		}
		if got := s.resources("AWS::IAM::Policy"); len(got) > 0 {
			t.Errorf("attached policies %v, want inline policies on the roles only", slices.Sorted(maps.Keys(got)))
		}
		roles := s.resources("AWS::IAM::Role")
		remediateRole := s.idOf(t, "AWS::IAM::Role", "RemediateRole")
		auditRole := s.idOf(t, "AWS::IAM::Role", "AuditRole")
		if len(roles) != 2 {
			t.Errorf("roles = %v, want only %s and %s", slices.Sorted(maps.Keys(roles)), remediateRole, auditRole)
		}
		for id, r := range roles {
			p := props(r)
			if p["ManagedPolicyArns"] != nil {
				t.Errorf("role %s has managed policies %v", id, p["ManagedPolicyArns"])
			}
			trust, _ := json.Marshal(p["AssumeRolePolicyDocument"])
			if !strings.Contains(string(trust), `"Service":"lambda.amazonaws.com"`) || strings.Count(string(trust), `"Principal"`) != 1 {
				t.Errorf("role %s trust policy = %s, want lambda.amazonaws.com only", id, trust)
			}
		}

		region, account := "${AWS::Region}", "${AWS::AccountId}"
		if s.region != "" {
			region, account = s.region, testAccount
		}
		ec2ARN := func(owner, typ string) string {
			return "arn:${AWS::Partition}:ec2:" + region + ":" + owner + ":" + typ + "/*"
		}
		// Where each EC2 action may act. Describe calls do not support
		// resource-level permissions; prefix lists of any owner may be read.
		ec2Resources := map[string][]string{
			"ec2:DescribeSecurityGroups":      {"*"},
			"ec2:DescribeSecurityGroupRules":  {"*"},
			"ec2:DescribeNetworkInterfaces":   {"*"},
			"ec2:DescribeManagedPrefixLists":  {"*"},
			"ec2:GetManagedPrefixListEntries": {ec2ARN("*", "prefix-list")},
			"ec2:RevokeSecurityGroupIngress":  {ec2ARN(account, "security-group"), ec2ARN(account, "security-group-rule")},
			"ec2:RevokeSecurityGroupEgress":   {ec2ARN(account, "security-group"), ec2ARN(account, "security-group-rule")},
			"ec2:ModifyManagedPrefixList":     {ec2ARN(account, "prefix-list")},
		}
		topic := "${" + s.idOf(t, "AWS::SNS::Topic", "AlertTopic") + "}"
		key := "${" + s.idOf(t, "AWS::KMS::Key", "Key") + ".Arn}"
		failures := "${" + s.idOf(t, "AWS::SQS::Queue", "FailedInvocationQueue") + ".Arn}"
		expect := func(ec2 []string, logGroup string) grants {
			g := grants{}
			for _, a := range ec2 {
				res, ok := ec2Resources[a]
				if !ok {
					t.Fatalf("the code calls %s: decide its IAM resource, grant it in stack.policy and list it here", a)
				}
				g.add([]string{a}, res...)
			}
			g.add([]string{"sns:Publish"}, topic)
			// Lambda sends failed async invocations with the function's role,
			// and the topic and queue are encrypted with the stack's key.
			g.add([]string{"sqs:SendMessage"}, failures)
			g.add([]string{"kms:Decrypt", "kms:GenerateDataKey"}, key)
			g.add([]string{"logs:CreateLogStream", "logs:PutLogEvents"}, "${"+logGroup+".Arn}")
			// OCSF events always, on the chosen bus only (TestFindingsOutlets).
			g.add([]string{"events:PutEvents"}, wantBusARN(s, region, account))
			if s.settings.SecurityHub {
				g.add([]string{"securityhub:BatchImportFindings"}, "arn:${AWS::Partition}:securityhub:"+region+":"+account+":product/"+account+"/default")
			}
			return g
		}

		// The code may call every write action; the mode and policy decide
		// which of them the role holds (TestRevokeFollowsTheMode).
		want := wantWrites[s.name]
		onlyWanted := func(actions []string, wanted []string) []string {
			return slices.DeleteFunc(actions, func(a string) bool {
				return slices.Contains(writeActions, a) && !slices.Contains(wanted, a)
			})
		}
		remediateEC2 := onlyWanted(ec2Actions(reflect.TypeFor[remediate.EC2API]()), want.remediate)
		wantRemediate := expect(remediateEC2, s.idOf(t, "AWS::Logs::LogGroup", "RemediateLogGroup"))

		auditEC2 := onlyWanted(append(ec2Actions(reflect.TypeFor[audit.EC2API]()), ec2Actions(reflect.TypeFor[remediate.Revoker]())...), want.audit)
		wantAudit := expect(auditEC2, s.idOf(t, "AWS::Logs::LogGroup", "AuditLogGroup"))
		if s.settings.SecurityHub {
			wantAudit.add([]string{"securityhub:GetFindings"}, "arn:${AWS::Partition}:securityhub:"+region+":"+account+":hub/default")
		}
		switch {
		case s.settings.CreateReportBucket:
			bucket := s.idOf(t, "AWS::S3::Bucket", "ReportBucket")
			wantAudit.add([]string{"s3:PutObject"}, "${"+bucket+".Arn}/"+s.settings.ReportPrefix+"*")
		case s.settings.ReportBucketName != "":
			wantAudit.add([]string{"s3:PutObject"}, "arn:${AWS::Partition}:s3:::"+s.settings.ReportBucketName+"/"+s.settings.ReportPrefix+"*")
		}

		for _, c := range []struct {
			role string
			want grants
		}{{remediateRole, wantRemediate}, {auditRole, wantAudit}} {
			got := s.roleGrants(t, c.role)
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("role %s grants:%s\nwant:%s", c.role, got, c.want)
			}
			for a := range got {
				if strings.Contains(a, "*") {
					t.Errorf("role %s grants wildcard action %s", c.role, a)
				}
			}
		}
	})
}

// writeActions are the EC2 calls that change a group or a prefix list.
var writeActions = []string{"ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress", "ec2:ModifyManagedPrefixList"}

// wantWrites is, per variant, the write actions each role must hold, worked
// out by hand from the variant's context: none in dry-run; the audit only
// in enforce mode with maxReverts above 0; egress only for a policy with a
// check that reverts egress rules; prefix-list edits only for the remediate
// function with prefixListAction=revert in enforce mode.
var wantWrites = map[string]struct{ remediate, audit []string }{
	"defaults":               {},
	"existing-report-bucket": {}, // dry-run, although prefixListAction=revert
	"full": {
		remediate: []string{"ec2:RevokeSecurityGroupIngress", "ec2:ModifyManagedPrefixList"},
		audit:     []string{"ec2:RevokeSecurityGroupIngress"},
	},
	"enforce-egress": { // maxReverts=0: the audit reports only
		remediate: []string{"ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress"},
	},
}

// TestRevokeFollowsTheMode checks the write actions of both roles against
// wantWrites, so a role that can revoke more than its mode needs fails.
func TestRevokeFollowsTheMode(t *testing.T) {
	forEach(t, func(t *testing.T, s *synthesized) {
		want, ok := wantWrites[s.name]
		if !ok {
			t.Fatalf("variant %s has no entry in wantWrites", s.name)
		}
		for _, c := range []struct {
			prefix string
			want   []string
		}{{"RemediateRole", want.remediate}, {"AuditRole", want.audit}} {
			got := s.roleGrants(t, s.idOf(t, "AWS::IAM::Role", c.prefix))
			var writes []string
			for a := range got {
				if slices.Contains(writeActions, a) {
					writes = append(writes, a)
				}
			}
			slices.Sort(writes)
			if w := slices.Sorted(slices.Values(c.want)); !slices.Equal(writes, w) {
				t.Errorf("%s (mode %s, maxReverts %d) may call %v, want %v", c.prefix, s.settings.Mode, s.settings.MaxReverts, writes, w)
			}
		}
	})
}

// TestKeyPolicyNamesItsSources: each service statement of the key is bound
// to this account's alarms or to exactly this stack's two rules.
func TestKeyPolicyNamesItsSources(t *testing.T) {
	forEach(t, func(t *testing.T, s *synthesized) {
		region, account := "${AWS::Region}", "${AWS::AccountId}"
		if s.region != "" {
			region, account = s.region, testAccount
		}
		rules := s.resources("AWS::Events::Rule")
		var wantRules []string
		for _, prefix := range []string{"SecurityGroupChangeRule", "AuditScheduleRule"} {
			name, _ := props(rules[s.idOf(t, "AWS::Events::Rule", prefix)])["Name"].(string)
			if name == "" {
				t.Fatalf("rule %s has no literal Name", prefix)
			}
			// doctor --stack finds the rule as STACK-SecurityGroupChangeRule*.
			if want := *s.stack.StackName() + "-" + prefix + "-"; !strings.HasPrefix(name, want) || len(name) > 64 {
				t.Errorf("rule name %q, want %s... within 64 characters", name, want)
			}
			wantRules = append(wantRules, "arn:${AWS::Partition}:events:"+region+":"+account+":rule/"+name)
		}
		key := props(s.resources("AWS::KMS::Key")[s.idOf(t, "AWS::KMS::Key", "Key")])
		services := map[string]bool{}
		for _, st := range list(key["KeyPolicy"].(map[string]any)["Statement"]) {
			stmt := st.(map[string]any)
			principal, _ := stmt["Principal"].(map[string]any)
			svc, _ := principal["Service"].(string)
			if svc == "" {
				continue
			}
			services[svc] = true
			cond, _ := stmt["Condition"].(map[string]any)
			switch svc {
			case "cloudwatch.amazonaws.com":
				eq, _ := cond["StringEquals"].(map[string]any)
				like, _ := cond["ArnLike"].(map[string]any)
				if got := render(eq["aws:SourceAccount"]); got != account {
					t.Errorf("CloudWatch key statement aws:SourceAccount = %s, want %s", got, account)
				}
				if got, want := render(like["aws:SourceArn"]), "arn:${AWS::Partition}:cloudwatch:"+region+":"+account+":alarm:*"; got != want {
					t.Errorf("CloudWatch key statement aws:SourceArn = %s, want %s", got, want)
				}
			case "events.amazonaws.com":
				eq, _ := cond["ArnEquals"].(map[string]any)
				var got []string
				for _, a := range list(eq["aws:SourceArn"]) {
					got = append(got, render(a))
				}
				if len(cond) != 1 || !slices.Equal(got, wantRules) {
					t.Errorf("EventBridge key statement condition = %v, want ArnEquals aws:SourceArn %v", render(cond), wantRules)
				}
			default:
				t.Errorf("key grants service %s", svc)
			}
		}
		if !services["cloudwatch.amazonaws.com"] || !services["events.amazonaws.com"] {
			t.Errorf("key grants services %v, want CloudWatch and EventBridge", services)
		}
	})
}

// wantBusARN is the ARN of the bus the variant names.
func wantBusARN(s *synthesized, region, account string) string {
	if strings.HasPrefix(s.settings.EventBus, "arn:") {
		return s.settings.EventBus
	}
	return "arn:${AWS::Partition}:events:" + region + ":" + account + ":event-bus/" + s.settings.EventBus
}

// TestFindingsOutlets: the OCSF bus is always set and granted; Security Hub
// and chat appear only when their context is on.
func TestFindingsOutlets(t *testing.T) {
	forEach(t, func(t *testing.T, s *synthesized) {
		region, account := "${AWS::Region}", "${AWS::AccountId}"
		if s.region != "" {
			region, account = s.region, testAccount
		}
		for _, fn := range []string{"RemediateFunction", "AuditFunction"} {
			env := s.environment(t, fn)
			if env[lambdaenv.EnvEventBus] != s.settings.EventBus {
				t.Errorf("%s %s = %v, want %s", fn, lambdaenv.EnvEventBus, env[lambdaenv.EnvEventBus], s.settings.EventBus)
			}
			if hub, ok := env[lambdaenv.EnvSecurityHub]; ok != s.settings.SecurityHub || (ok && hub != "true") {
				t.Errorf("%s %s = %v, want it only with securityHub=true", fn, lambdaenv.EnvSecurityHub, hub)
			}
			if ch, ok := env[lambdaenv.EnvChatChannel]; ok != (s.settings.ChatChannel != "") || (ok && ch != s.settings.ChatChannel) {
				t.Errorf("%s %s = %v, want %q", fn, lambdaenv.EnvChatChannel, ch, s.settings.ChatChannel)
			}
		}
		for _, prefix := range []string{"RemediateRole", "AuditRole"} {
			g := s.roleGrants(t, s.idOf(t, "AWS::IAM::Role", prefix))
			if got, want := g["events:PutEvents"], []string{wantBusARN(s, region, account)}; !slices.Equal(got, want) {
				t.Errorf("%s events:PutEvents on %v, want %v", prefix, got, want)
			}
			var hub []string
			for a := range g {
				if strings.HasPrefix(a, "securityhub:") {
					hub = append(hub, a)
				}
			}
			if (len(hub) > 0) != s.settings.SecurityHub {
				t.Errorf("%s grants %v with securityHub=%v", prefix, hub, s.settings.SecurityHub)
			}
		}
	})
}

// TestReportKeysFitTheGrant writes a report key the way the audit does, from
// the prefix the stack passes, and checks it falls under the s3:PutObject
// grant.
func TestReportKeysFitTheGrant(t *testing.T) {
	s := allStacks(t)["full"]
	env := s.environment(t, "AuditFunction")
	prefix, ok := env[lambdaenv.EnvReportPrefix].(string)
	if !ok {
		t.Fatalf("audit %s = %v, want a string", lambdaenv.EnvReportPrefix, env[lambdaenv.EnvReportPrefix])
	}
	settings, err := lambdaenv.Load(func(k string) string {
		if k == lambdaenv.EnvReportPrefix {
			return prefix
		}
		if k == lambdaenv.EnvTopicARN {
			return "arn:aws:sns:eu-west-1:123456789012:alerts"
		}
		return ""
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	key := audit.ReportKey(settings.ReportPrefix, &audit.Report{Account: testAccount, StartedAt: time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)})
	if !strings.HasPrefix(key, s.settings.ReportPrefix) {
		t.Errorf("ReportKey(%q) = %q, outside the granted prefix %q", settings.ReportPrefix, key, s.settings.ReportPrefix)
	}
}

func (s *synthesized) function(t *testing.T, prefix string) map[string]any {
	t.Helper()
	return props(s.resources("AWS::Lambda::Function")[s.idOf(t, "AWS::Lambda::Function", prefix)])
}

func (s *synthesized) environment(t *testing.T, prefix string) map[string]any {
	t.Helper()
	env, _ := s.function(t, prefix)["Environment"].(map[string]any)
	vars, _ := env["Variables"].(map[string]any)
	if vars == nil {
		t.Fatalf("%s has no environment variables", prefix)
	}
	return vars
}

// TestFunctions checks the runtime, size and failure handling of both
// functions.
func TestFunctions(t *testing.T) {
	forEach(t, func(t *testing.T, s *synthesized) {
		fns := s.resources("AWS::Lambda::Function")
		if len(fns) != 2 {
			t.Errorf("functions = %v, want remediate and audit only (no custom-resource handlers)", slices.Sorted(maps.Keys(fns)))
		}
		failures := "${" + s.idOf(t, "AWS::SQS::Queue", "FailedInvocationQueue") + ".Arn}"
		configs := s.resources("AWS::Lambda::EventInvokeConfig")
		for _, c := range []struct {
			prefix, role, logGroup string
			maxTimeout             float64
		}{
			{"RemediateFunction", "RemediateRole", "RemediateLogGroup", 60},
			{"AuditFunction", "AuditRole", "AuditLogGroup", 900},
		} {
			id := s.idOf(t, "AWS::Lambda::Function", c.prefix)
			p := s.function(t, c.prefix)
			for k, want := range map[string]any{
				"Runtime": "provided.al2023", "Handler": "bootstrap", "MemorySize": float64(128),
			} {
				if p[k] != want {
					t.Errorf("%s %s = %v, want %v", id, k, p[k], want)
				}
			}
			if got := list(p["Architectures"]); len(got) != 1 || got[0] != "arm64" {
				t.Errorf("%s Architectures = %v, want [arm64]", id, got)
			}
			if to, _ := p["Timeout"].(float64); to < 10 || to > c.maxTimeout {
				t.Errorf("%s Timeout = %v s, want 10..%v", id, p["Timeout"], c.maxTimeout)
			}
			if got, want := render(p["Role"]), "${"+s.idOf(t, "AWS::IAM::Role", c.role)+".Arn}"; got != want {
				t.Errorf("%s Role = %s, want %s", id, got, want)
			}
			lc, _ := p["LoggingConfig"].(map[string]any)
			if got, want := render(lc["LogGroup"]), "${"+s.idOf(t, "AWS::Logs::LogGroup", c.logGroup)+"}"; got != want {
				t.Errorf("%s LoggingConfig.LogGroup = %s, want %s", id, got, want)
			}
			var n int
			for cid, cfg := range configs {
				cp := props(cfg)
				if render(cp["FunctionName"]) != "${"+id+"}" {
					continue
				}
				n++
				dest, _ := cp["DestinationConfig"].(map[string]any)
				onFailure, _ := dest["OnFailure"].(map[string]any)
				if got := render(onFailure["Destination"]); got != failures {
					t.Errorf("%s OnFailure destination = %s, want %s", cid, got, failures)
				}
				if cp["Qualifier"] != "$LATEST" {
					t.Errorf("%s Qualifier = %v, want $LATEST", cid, cp["Qualifier"])
				}
				if r, _ := cp["MaximumRetryAttempts"].(float64); r < 1 {
					t.Errorf("%s MaximumRetryAttempts = %v, want at least 1", cid, cp["MaximumRetryAttempts"])
				}
			}
			if n != 1 {
				t.Errorf("%s has %d async invoke configs, want 1", id, n)
			}
		}

		eventDLQ := "${" + s.idOf(t, "AWS::SQS::Queue", "EventDeadLetterQueue") + ".Arn}"
		for id, r := range s.resources("AWS::Events::Rule") {
			for _, tg := range list(props(r)["Targets"]) {
				target := tg.(map[string]any)
				rp, _ := target["RetryPolicy"].(map[string]any)
				if n, _ := rp["MaximumRetryAttempts"].(float64); n < 1 {
					t.Errorf("rule %s target RetryPolicy = %v, want retries", id, rp)
				}
				if a, _ := rp["MaximumEventAgeInSeconds"].(float64); a < 60 {
					t.Errorf("rule %s target MaximumEventAgeInSeconds = %v, want at least 60", id, rp["MaximumEventAgeInSeconds"])
				}
				dl, _ := target["DeadLetterConfig"].(map[string]any)
				if got := render(dl["Arn"]); got != eventDLQ {
					t.Errorf("rule %s target DeadLetterConfig = %s, want %s", id, got, eventDLQ)
				}
			}
		}
		// EventBridge may write to the event DLQ for these rules only.
		var allowed bool
		for _, qp := range s.resources("AWS::SQS::QueuePolicy") {
			doc, _ := json.Marshal(props(qp)["PolicyDocument"])
			if strings.Contains(string(doc), `"Service":"events.amazonaws.com"`) {
				allowed = true
				for _, prefix := range []string{"SecurityGroupChangeRule", "AuditScheduleRule"} {
					if !strings.Contains(string(doc), s.idOf(t, "AWS::Events::Rule", prefix)) {
						t.Errorf("event DLQ policy does not scope EventBridge to %s: %s", prefix, doc)
					}
				}
			}
		}
		if !allowed {
			t.Error("no queue policy lets EventBridge send to the event DLQ")
		}
	})
}

func TestLogGroupsHaveRetention(t *testing.T) {
	forEach(t, func(t *testing.T, s *synthesized) {
		lgs := s.resources("AWS::Logs::LogGroup")
		if len(lgs) != 2 {
			t.Errorf("log groups = %v, want one per function", slices.Sorted(maps.Keys(lgs)))
		}
		for id, lg := range lgs {
			if got := props(lg)["RetentionInDays"]; got != float64(s.settings.LogRetentionDays) {
				t.Errorf("%s RetentionInDays = %v, want %d", id, got, s.settings.LogRetentionDays)
			}
		}
	})
}

// denyInsecure reports whether a resource policy document denies requests
// made without TLS.
func denyInsecure(doc any) bool {
	d, _ := doc.(map[string]any)
	for _, st := range list(d["Statement"]) {
		s, _ := st.(map[string]any)
		cond, _ := json.Marshal(s["Condition"])
		if s["Effect"] == "Deny" && string(cond) == `{"Bool":{"aws:SecureTransport":"false"}}` {
			return true
		}
	}
	return false
}

// policiesFor returns the policy documents of resources of type typ that
// name the resource ref (e.g. ${Topic}) in their targets.
func (s *synthesized) policiesFor(typ, targetKey, ref string) []any {
	var docs []any
	for _, p := range s.resources(typ) {
		pp := props(p)
		for _, tg := range list(pp[targetKey]) {
			if render(tg) == ref {
				docs = append(docs, pp["PolicyDocument"])
			}
		}
	}
	return docs
}

func TestEncryptionAndTLS(t *testing.T) {
	forEach(t, func(t *testing.T, s *synthesized) {
		keyID := s.idOf(t, "AWS::KMS::Key", "Key")
		key := "${" + keyID + ".Arn}"
		if props(s.resources("AWS::KMS::Key")[keyID])["EnableKeyRotation"] != true {
			t.Errorf("key %s has no rotation", keyID)
		}
		tls := func(kind, id string, docs []any) {
			for _, d := range docs {
				if denyInsecure(d) {
					return
				}
			}
			t.Errorf("%s %s: no policy denies aws:SecureTransport=false", kind, id)
		}
		for id, r := range s.resources("AWS::SNS::Topic") {
			if got := render(props(r)["KmsMasterKeyId"]); got != key {
				t.Errorf("topic %s KmsMasterKeyId = %s, want %s", id, got, key)
			}
			tls("topic", id, s.policiesFor("AWS::SNS::TopicPolicy", "Topics", "${"+id+"}"))
		}
		queues := s.resources("AWS::SQS::Queue")
		if len(queues) != 2 {
			t.Errorf("queues = %v, want the two dead-letter queues", slices.Sorted(maps.Keys(queues)))
		}
		for id, r := range queues {
			if got := render(props(r)["KmsMasterKeyId"]); got != key {
				t.Errorf("queue %s KmsMasterKeyId = %s, want %s", id, got, key)
			}
			tls("queue", id, s.policiesFor("AWS::SQS::QueuePolicy", "Queues", "${"+id+"}"))
		}
		for id, r := range s.resources("AWS::S3::Bucket") {
			p := props(r)
			enc, _ := json.Marshal(p["BucketEncryption"])
			if !strings.Contains(string(enc), `"SSEAlgorithm":"AES256"`) && !strings.Contains(string(enc), `"SSEAlgorithm":"aws:kms"`) {
				t.Errorf("bucket %s BucketEncryption = %s", id, enc)
			}
			pab, _ := json.Marshal(p["PublicAccessBlockConfiguration"])
			if string(pab) != `{"BlockPublicAcls":true,"BlockPublicPolicy":true,"IgnorePublicAcls":true,"RestrictPublicBuckets":true}` {
				t.Errorf("bucket %s PublicAccessBlockConfiguration = %s, want all four blocks", id, pab)
			}
			lc, _ := json.Marshal(p["LifecycleConfiguration"])
			if !strings.Contains(string(lc), `"ExpirationInDays"`) {
				t.Errorf("bucket %s has no lifecycle expiry: %s", id, lc)
			}
			tls("bucket", id, s.policiesFor("AWS::S3::BucketPolicy", "Bucket", "${"+id+"}"))
		}
	})
}

func TestAlarms(t *testing.T) {
	forEach(t, func(t *testing.T, s *synthesized) {
		topic := "${" + s.idOf(t, "AWS::SNS::Topic", "AlertTopic") + "}"
		type metric struct{ namespace, name, dimension, value string }
		have := map[metric]bool{}
		for id, a := range s.resources("AWS::CloudWatch::Alarm") {
			p := props(a)
			actions := list(p["AlarmActions"])
			if len(actions) != 1 || render(actions[0]) != topic {
				t.Errorf("alarm %s actions = %v, want the alert topic", id, actions)
			}
			if p["ComparisonOperator"] != "GreaterThanThreshold" || p["Threshold"] != float64(0) {
				continue // e.g. the audit-not-running alarm
			}
			dims := list(p["Dimensions"])
			if len(dims) != 1 {
				continue
			}
			d := dims[0].(map[string]any)
			have[metric{fmt.Sprint(p["Namespace"]), fmt.Sprint(p["MetricName"]), fmt.Sprint(d["Name"]), render(d["Value"])}] = true
		}
		ref := func(typ, prefix string) string { return "${" + s.idOf(t, typ, prefix) + "}" }
		queueName := func(prefix string) string { return "${" + s.idOf(t, "AWS::SQS::Queue", prefix) + ".QueueName}" }
		for _, want := range []metric{
			{"AWS/Lambda", "Errors", "FunctionName", ref("AWS::Lambda::Function", "RemediateFunction")},
			{"AWS/Lambda", "Errors", "FunctionName", ref("AWS::Lambda::Function", "AuditFunction")},
			{"AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", queueName("EventDeadLetterQueue")},
			{"AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", queueName("FailedInvocationQueue")},
			{"AWS/Events", "FailedInvocations", "RuleName", ref("AWS::Events::Rule", "SecurityGroupChangeRule")},
			{"AWS/Events", "FailedInvocations", "RuleName", ref("AWS::Events::Rule", "AuditScheduleRule")},
		} {
			if !have[want] {
				t.Errorf("no alarm on %s %s{%s=%s} > 0; have %v", want.namespace, want.name, want.dimension, want.value, have)
			}
		}
	})
}

func TestTrailAndReportBucket(t *testing.T) {
	forEach(t, func(t *testing.T, s *synthesized) {
		trails := s.resources("AWS::CloudTrail::Trail")
		if !s.settings.CreateTrail {
			if len(trails) != 0 {
				t.Errorf("createTrail=false but the stack has trails %v", slices.Sorted(maps.Keys(trails)))
			}
		} else {
			if len(trails) != 1 {
				t.Fatalf("createTrail=true: trails = %v, want one", slices.Sorted(maps.Keys(trails)))
			}
			for id, tr := range trails {
				p := props(tr)
				if p["IsLogging"] != true {
					t.Errorf("trail %s IsLogging = %v", id, p["IsLogging"])
				}
				if got, want := render(p["S3BucketName"]), "${"+s.idOf(t, "AWS::S3::Bucket", "TrailBucket")+"}"; got != want {
					t.Errorf("trail %s bucket = %s, want %s", id, got, want)
				}
				if p["EnableLogFileValidation"] != true {
					t.Errorf("trail %s has no log file validation", id)
				}
			}
		}
		env := s.environment(t, "AuditFunction")
		buckets := s.resources("AWS::S3::Bucket")
		switch {
		case s.settings.CreateReportBucket:
			id := s.idOf(t, "AWS::S3::Bucket", "ReportBucket")
			if got := render(env[lambdaenv.EnvReportBucket]); got != "${"+id+"}" {
				t.Errorf("audit %s = %s, want ${%s}", lambdaenv.EnvReportBucket, got, id)
			}
		case s.settings.ReportBucketName != "":
			if env[lambdaenv.EnvReportBucket] != s.settings.ReportBucketName {
				t.Errorf("audit %s = %v, want %s", lambdaenv.EnvReportBucket, env[lambdaenv.EnvReportBucket], s.settings.ReportBucketName)
			}
			if len(buckets) != 0 {
				t.Errorf("an existing report bucket creates buckets %v", slices.Sorted(maps.Keys(buckets)))
			}
		default:
			if _, ok := env[lambdaenv.EnvReportBucket]; ok {
				t.Errorf("no report bucket, yet audit has %s", lambdaenv.EnvReportBucket)
			}
			if len(buckets) != 0 {
				t.Errorf("no trail or report bucket, yet buckets %v", slices.Sorted(maps.Keys(buckets)))
			}
		}
	})
}

// lambdaLayerRoot is where Lambda extracts a function's layers: a fact of
// the service, deliberately not the stack's constant.
const lambdaLayerRoot = "/opt/"

// TestEnvironmentLoads feeds each function's synthesized environment to the
// functions' own loader, with the policy read from the staged layer asset at
// the path the function is told, as Lambda would mount it.
func TestEnvironmentLoads(t *testing.T) {
	forEach(t, func(t *testing.T, s *synthesized) {
		known := lambdaenvNames(t)
		// Deploy-time tokens, stood in for by values of the right shape.
		tokens := map[string]string{
			lambdaenv.EnvTopicARN:     "arn:aws:sns:eu-west-1:123456789012:sgwarden-AlertTopic",
			lambdaenv.EnvRoleARN:      "arn:aws:iam::123456789012:role/sgwarden-RemediateRole",
			lambdaenv.EnvReportBucket: "sgwarden-reportbucket",
		}
		layerDir := s.policyLayerDir(t)
		for _, fn := range []string{"RemediateFunction", "AuditFunction"} {
			vars := s.environment(t, fn)
			for k := range vars {
				if !slices.Contains(known, k) && k != EnvGoMemLimit { // the Go runtime reads GOMEMLIMIT
					t.Errorf("%s sets %s, which internal/lambdaenv does not read", fn, k)
				}
			}
			if fn == "AuditFunction" {
				checkGoMemLimit(t, fn, vars[EnvGoMemLimit], s.function(t, fn)["MemorySize"])
			} else if v, ok := vars[EnvGoMemLimit]; ok {
				t.Errorf("%s %s = %v, want none (one event holds little)", fn, EnvGoMemLimit, v)
			}
			if got := render(vars[lambdaenv.EnvRoleARN]); got != "${"+s.idOf(t, "AWS::IAM::Role", "RemediateRole")+".Arn}" {
				t.Errorf("%s %s = %s, want the remediate role's ARN", fn, lambdaenv.EnvRoleARN, got)
			}
			var read []string
			getenv := func(k string) string {
				switch v := vars[k].(type) {
				case string:
					return v
				case nil:
					return ""
				}
				if tok, ok := tokens[k]; ok {
					return tok
				}
				t.Errorf("%s %s = %s: an unexpected deploy-time value", fn, k, render(vars[k]))
				return ""
			}
			readFile := func(name string) ([]byte, error) {
				read = append(read, name)
				rel, ok := strings.CutPrefix(name, lambdaLayerRoot)
				if !ok || layerDir == "" {
					return nil, fmt.Errorf("%s is not in a layer: %w", name, os.ErrNotExist)
				}
				return os.ReadFile(filepath.Join(layerDir, rel))
			}
			got, err := lambdaenv.Load(getenv, readFile)
			if err != nil {
				t.Errorf("lambdaenv.Load(%s environment): %v", fn, err)
				continue
			}
			if string(got.Mode) != s.settings.Mode {
				t.Errorf("%s mode = %q, want %q", fn, got.Mode, s.settings.Mode)
			}
			if got.Engine.Mode() != policy.Mode(s.settings.Mode) {
				t.Errorf("%s engine mode = %q, want %q", fn, got.Engine.Mode(), s.settings.Mode)
			}
			if got.SecurityHub != s.settings.SecurityHub || got.EventBus != s.settings.EventBus || got.ChatChannel != s.settings.ChatChannel {
				t.Errorf("%s outlets = hub %v bus %q chat %q, want %v %q %q", fn, got.SecurityHub, got.EventBus, got.ChatChannel,
					s.settings.SecurityHub, s.settings.EventBus, s.settings.ChatChannel)
			}
			if string(got.PrefixListAction) != s.settings.PrefixListAction {
				t.Errorf("%s prefix-list action = %q, want %q", fn, got.PrefixListAction, s.settings.PrefixListAction)
			}
			var checks []string
			for _, c := range got.Engine.Checks() {
				checks = append(checks, c.ID)
			}
			if s.settings.PolicyFile == "" {
				if len(read) != 0 || got.PolicySource != "embedded default" {
					t.Errorf("%s read %v (source %q), want the embedded default", fn, read, got.PolicySource)
				}
			} else {
				want := lambdaLayerRoot + filepath.Base(s.settings.PolicyFile)
				if !slices.Equal(read, []string{want}) || !slices.Contains(checks, customCheck) {
					t.Errorf("%s read %v with checks %v, want %s holding check %s", fn, read, checks, want, customCheck)
				}
			}
			if fn == "AuditFunction" {
				if got.MaxReverts != s.settings.MaxReverts { // -1 on both sides: unset
					t.Errorf("audit MaxReverts = %d, want %d", got.MaxReverts, s.settings.MaxReverts)
				}
				if len(got.Regions) != 0 {
					t.Errorf("audit regions = %v, want its own region only", got.Regions)
				}
			}
		}
	})
}

// lambdaenvNames reads the Env* constants of internal/lambdaenv from its
// source, so that a variable added there is known here without a list.
// checkGoMemLimit: an audit function's GOMEMLIMIT is in the Go runtime's
// format, above the audit worker's measured peak without a limit (68 MiB
// RSS, so the usual run pays no extra collection) and at least 24 MiB
// below the function's memory, for what the limit does not count.
func checkGoMemLimit(t *testing.T, fn string, v, memoryMB any) {
	t.Helper()
	const measuredPeakMiB, uncountedMiB = 68, 24
	m := regexp.MustCompile(`^([0-9]+)MiB$`).FindStringSubmatch(fmt.Sprint(v))
	mem, _ := memoryMB.(float64)
	if m == nil {
		t.Errorf("%s %s = %v, want <n>MiB", fn, EnvGoMemLimit, v)
		return
	}
	n, _ := strconv.Atoi(m[1])
	if n <= measuredPeakMiB || float64(n+uncountedMiB) > mem {
		t.Errorf("%s %s = %v with %v MB of memory, want above %d MiB and %d MiB below the memory", fn, EnvGoMemLimit, v, mem, measuredPeakMiB, uncountedMiB)
	}
}

func lambdaenvNames(t *testing.T) []string {
	t.Helper()
	build, err := DefaultBuildDir()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(filepath.Dir(build), "internal", "lambdaenv")
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := goparser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range file.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, n := range vs.Names {
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !strings.HasPrefix(n.Name, "Env") || !ok || lit.Kind != token.STRING {
						continue
					}
					v, err := strconv.Unquote(lit.Value)
					if err != nil {
						t.Fatal(err)
					}
					names = append(names, v)
				}
			}
		}
	}
	if !slices.Contains(names, lambdaenv.EnvTopicARN) || !slices.Contains(names, lambdaenv.EnvPolicyFile) {
		t.Fatalf("read %v from %s, want at least %s and %s", names, dir, lambdaenv.EnvTopicARN, lambdaenv.EnvPolicyFile)
	}
	return names
}

// policyLayerDir returns the staged asset of the policy layer ("" when the
// stack has none), after checking it holds the policy file and nothing else.
func (s *synthesized) policyLayerDir(t *testing.T) string {
	t.Helper()
	layers := s.resources("AWS::Lambda::LayerVersion")
	if s.settings.PolicyFile == "" {
		if len(layers) != 0 {
			t.Errorf("no policy file, yet layers %v", slices.Sorted(maps.Keys(layers)))
		}
		return ""
	}
	id := s.idOf(t, "AWS::Lambda::LayerVersion", "PolicyLayer")
	for _, fn := range []string{"RemediateFunction", "AuditFunction"} {
		if got := list(s.function(t, fn)["Layers"]); len(got) != 1 || render(got[0]) != "${"+id+"}" {
			t.Errorf("%s layers = %v, want [${%s}]", fn, got, id)
		}
	}
	meta, _ := s.resources("AWS::Lambda::LayerVersion")[id]["Metadata"].(map[string]any)
	asset, _ := meta["aws:asset:path"].(string)
	if asset == "" {
		t.Fatalf("layer %s has no aws:asset:path metadata", id)
	}
	dir := filepath.Join(s.outdir, asset)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("read layer asset: %v", err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := filepath.Base(s.settings.PolicyFile); !slices.Equal(names, []string{want}) {
		t.Errorf("layer asset holds %v, want only %s", names, want)
	}
	return dir
}

// noNagFindings fails t for every error or warning annotation (cdk-nag's
// findings among them) of s.
func noNagFindings(t *testing.T, s *synthesized) {
	t.Helper()
	ann := assertions.Annotations_FromStack(s.stack)
	anything := assertions.Match_StringLikeRegexp(jsii.String(".*"))
	for level, msgs := range map[string]*[]*cxapi.SynthesisMessage{
		"error":   ann.FindError(jsii.String("*"), anything),
		"warning": ann.FindWarning(jsii.String("*"), anything),
	} {
		for _, m := range *msgs {
			t.Errorf("%s: cdk-nag %s at %s: %v", s.name, level, *m.Id, m.Entry.Data)
		}
	}
}

// TestNag checks that cdk-nag's AwsSolutions pack reports nothing, and that
// every suppression says why.
func TestNag(t *testing.T) {
	forEach(t, func(t *testing.T, s *synthesized) {
		noNagFindings(t, s)
		var n int
		for id, r := range s.tmpl["Resources"].(map[string]any) {
			meta, _ := r.(map[string]any)["Metadata"].(map[string]any)
			nag, _ := meta["cdk_nag"].(map[string]any)
			for _, sup := range list(nag["rules_to_suppress"]) {
				n++
				m := sup.(map[string]any)
				if reason, _ := m["reason"].(string); len(strings.Fields(reason)) < 8 {
					t.Errorf("%s: suppression of %v has no written reason: %q", id, m["id"], reason)
				}
			}
		}
		if n == 0 {
			t.Error("found no cdk-nag suppression metadata: is the pack applied?")
		}
	})
}
