package stack

import (
	"archive/zip"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/sgwarden/sgwarden/internal/lambdaenv"
	"github.com/sgwarden/sgwarden/internal/orgaudit"
	"github.com/sgwarden/sgwarden/internal/remediate"
)

var (
	testOUs     = []string{"ou-ab12-11111111", "ou-ab12-22222222"}
	testRegions = []string{"eu-west-1", "us-east-1"}
)

// orgShape is the organization shape, synthesized once: the central stack,
// one artifact stack per region, and the member template from the StackSet.
type orgShape struct {
	central   *synthesized
	artifacts []*synthesized
	member    *synthesized // tmpl only: it is deployed by the StackSet
	outdir    string
}

var (
	org    *orgShape
	orgErr error
)

func orgStacks(t *testing.T) *orgShape {
	t.Helper()
	if org != nil || orgErr != nil {
		if orgErr != nil {
			t.Fatal(orgErr)
		}
		return org
	}
	orgErr = errShapeFailed
	build := fakeBuild(t)
	outdir := tempDir(t, "cdk.out")
	ctx := map[string]any{
		CtxDeployment: DeploymentOrganization, CtxOrganizationalUnits: strings.Join(testOUs, ","),
		CtxRegions: strings.Join(testRegions, ","), CtxMode: "enforce", CtxOrganizationID: "o-abcdef1234",
	}
	app := newApp(outdir, ctx)
	settings, err := SettingsFromContext(app.Node())
	if err != nil {
		t.Fatal(err)
	}
	sh := &orgShape{outdir: outdir}
	for _, r := range testRegions {
		st, err := NewArtifactStack(app, "SgwardenArtifacts-"+r, &SgwardenStackProps{
			StackProps: awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String(testAccount), Region: jsii.String(r)}}})
		if err != nil {
			t.Fatal(err)
		}
		sh.artifacts = append(sh.artifacts, &synthesized{name: "artifacts-" + r, settings: settings, stack: st, region: r})
	}
	central, err := NewOrganizationStack(app, "SgwardenOrg", &SgwardenStackProps{BuildDir: build})
	if err != nil {
		t.Fatalf("NewOrganizationStack: %v", err)
	}
	sh.central = &synthesized{name: "central", settings: settings, stack: central, outdir: outdir, conditionsOK: true}
	AddNagChecks(app)
	for _, s := range append([]*synthesized{sh.central}, sh.artifacts...) {
		s.tmpl = *assertions.Template_FromStack(s.stack, nil).ToJSON()
	}
	var body string
	for _, r := range sh.central.resources("AWS::CloudFormation::StackSet") {
		body, _ = props(r)["TemplateBody"].(string)
	}
	sh.member = &synthesized{name: "member", settings: settings}
	if err := json.Unmarshal([]byte(body), &sh.member.tmpl); err != nil {
		t.Fatalf("StackSet TemplateBody is not a JSON template: %v", err)
	}
	org, orgErr = sh, nil
	return org
}

var errShapeFailed = os.ErrInvalid

func TestOrgStackSet(t *testing.T) {
	sh := orgStacks(t)
	sets := sh.central.resources("AWS::CloudFormation::StackSet")
	if len(sets) != 1 {
		t.Fatalf("stack sets = %v, want one", slices.Sorted(maps.Keys(sets)))
	}
	for id, r := range sets {
		p := props(r)
		if p["PermissionModel"] != "SERVICE_MANAGED" {
			t.Errorf("%s PermissionModel = %v, want SERVICE_MANAGED", id, p["PermissionModel"])
		}
		auto, _ := json.Marshal(p["AutoDeployment"])
		if string(auto) != `{"Enabled":true,"RetainStacksOnAccountRemoval":false}` {
			t.Errorf("%s AutoDeployment = %s, want enabled", id, auto)
		}
		groups := list(p["StackInstancesGroup"])
		if len(groups) != 1 {
			t.Fatalf("%s StackInstancesGroup = %v", id, groups)
		}
		g := groups[0].(map[string]any)
		var ous, regions []string
		for _, o := range list(g["DeploymentTargets"].(map[string]any)["OrganizationalUnitIds"]) {
			ous = append(ous, o.(string))
		}
		for _, r := range list(g["Regions"]) {
			regions = append(regions, r.(string))
		}
		if !slices.Equal(ous, testOUs) || !slices.Equal(regions, testRegions) {
			t.Errorf("%s targets OUs %v in %v, want %v in %v", id, ous, regions, testOUs, testRegions)
		}
		if p["CallAs"] != "DELEGATED_ADMIN" || !slices.Contains(list(p["Capabilities"]), any("CAPABILITY_NAMED_IAM")) {
			t.Errorf("%s CallAs %v, Capabilities %v", id, p["CallAs"], p["Capabilities"])
		}
		if len(p["TemplateBody"].(string)) > stackSetTemplateLimit {
			t.Errorf("%s TemplateBody is over %d bytes", id, stackSetTemplateLimit)
		}
	}
}

// principalIsEveryone reports whether a statement's principal is * in any form.
func principalIsEveryone(p any) bool {
	if p == "*" {
		return true
	}
	m, _ := p.(map[string]any)
	for _, v := range list(m["AWS"]) {
		if v == "*" {
			return true
		}
	}
	return false
}

// TestOrgCrossAccountPoliciesNeedTheOrganization: every resource policy of
// the central and artifact stacks that admits principals of other accounts
// (a * principal) is limited by aws:PrincipalOrgID.
func TestOrgCrossAccountPoliciesNeedTheOrganization(t *testing.T) {
	sh := orgStacks(t)
	seen := 0
	for _, s := range append([]*synthesized{sh.central}, sh.artifacts...) {
		docs := map[string]any{}
		for _, typ := range []string{"AWS::SNS::TopicPolicy", "AWS::S3::BucketPolicy", "AWS::SQS::QueuePolicy"} {
			for id, r := range s.resources(typ) {
				docs[id] = props(r)["PolicyDocument"]
			}
		}
		for id, r := range s.resources("AWS::KMS::Key") {
			docs[id] = props(r)["KeyPolicy"]
		}
		var statements []any
		for id, d := range docs {
			for _, st := range list(d.(map[string]any)["Statement"]) {
				st.(map[string]any)["_at"] = id
				statements = append(statements, st)
			}
		}
		for id, r := range s.resources("AWS::Events::EventBusPolicy") {
			st := props(r)["Statement"].(map[string]any)
			st["_at"] = id
			statements = append(statements, st)
		}
		for _, st := range statements {
			stmt := st.(map[string]any)
			if stmt["Effect"] != "Allow" || !principalIsEveryone(stmt["Principal"]) {
				continue
			}
			seen++
			cond, _ := stmt["Condition"].(map[string]any)
			eq, _ := cond["StringEquals"].(map[string]any)
			if got := render(eq["aws:PrincipalOrgID"]); got != "${"+ParamOrganizationID+"}" {
				t.Errorf("%s: %s statement %v admits * without aws:PrincipalOrgID (condition %s)", s.name, stmt["_at"], stmt["Sid"], render(cond))
			}
		}
	}
	// topic, key, bus and each region's artifact bucket
	if want := 3 + len(testRegions); seen < want {
		t.Errorf("found %d cross-account statements, want at least %d", seen, want)
	}
}

// TestMemberAuditRoles: the read and revert roles are trusted by the
// central account's orgaudit role only, exist once per account, and the
// revert role acts on its own account only.
func TestMemberAuditRoles(t *testing.T) {
	m := orgStacks(t).member
	roles := m.resources("AWS::IAM::Role")
	byName := map[string]map[string]any{}
	for _, r := range roles {
		if name, ok := props(r)["RoleName"].(string); ok {
			byName[name] = r
		}
	}
	for _, name := range []string{ReadRoleName, RevertRoleName} {
		r, ok := byName[name]
		if !ok {
			t.Fatalf("member template has no role %s (roles %v)", name, slices.Sorted(maps.Keys(byName)))
		}
		if r["Condition"] != "IsPrimaryRegion" {
			t.Errorf("%s Condition = %v, want IsPrimaryRegion (IAM is global)", name, r["Condition"])
		}
		p := props(r)
		trust := list(p["AssumeRolePolicyDocument"].(map[string]any)["Statement"])
		if len(trust) != 1 {
			t.Fatalf("%s trust = %v, want one statement", name, trust)
		}
		st := trust[0].(map[string]any)
		principal := render(st["Principal"].(map[string]any)["AWS"])
		cond := render(st["Condition"])
		if principal != "arn:${AWS::Partition}:iam::${"+ParamCentralAccount+"}:root" ||
			!strings.Contains(cond, `aws:PrincipalArn`) || !strings.Contains(cond, ":role/"+OrgAuditRoleName) {
			t.Errorf("%s trusted by %s if %s, want the central account's %s only", name, principal, cond, OrgAuditRoleName)
		}
		pol, _ := json.Marshal(p["Policies"])
		if strings.Contains(string(pol), "Revoke") != (name == RevertRoleName) {
			t.Errorf("%s policy %s: only the revert role may revoke", name, pol)
		}
		if name == RevertRoleName {
			// Exactly what the audit's reverter calls with this role's client.
			role := ""
			for id, r := range roles {
				if props(r)["RoleName"] == name {
					role = id
				}
			}
			got := slices.Sorted(maps.Keys(m.roleGrants(t, role)))
			want := slices.Sorted(slices.Values(append(ec2Actions(reflect.TypeFor[remediate.Revoker]()),
				ec2Actions(reflect.TypeFor[remediate.GroupReader]())...)))
			if !m.settings.RevertsEgress { // the default policy reverts inbound rules only
				want = slices.DeleteFunc(want, func(a string) bool { return a == "ec2:RevokeSecurityGroupEgress" })
			}
			if !slices.Equal(got, want) {
				t.Errorf("revert role grants %v, want %v", got, want)
			}
		}
		if name == RevertRoleName && strings.Contains(string(pol), `:ec2:*:*:security-group`) {
			t.Errorf("revert role may act beyond its own account: %s", pol)
		}
	}
}

// TestMemberFunctionCode: the member stack holds no asset; its code is the
// package written for make deploy, in the central account's bucket of the
// member's region, and the package holds an executable bootstrap.
func TestMemberFunctionCode(t *testing.T) {
	sh := orgStacks(t)
	fns := sh.member.resources("AWS::Lambda::Function")
	if len(fns) != 1 {
		t.Fatalf("member functions = %v, want the remediate function only", slices.Sorted(maps.Keys(fns)))
	}
	for id, f := range fns {
		code := props(f)["Code"].(map[string]any)
		if got := render(code["S3Bucket"]); got != "sgwarden-artifacts-${"+ParamCentralAccount+"}-${AWS::Region}" {
			t.Errorf("%s code bucket = %s", id, got)
		}
		key, _ := code["S3Key"].(string)
		zr, err := zip.OpenReader(filepath.Join(sh.outdir, ArtifactsDir, "code", key))
		if err != nil {
			t.Fatalf("%s code %s: %v", id, key, err)
		}
		defer zr.Close()
		if len(zr.File) == 0 || zr.File[0].Name != "bootstrap" || zr.File[0].Mode()&0o111 == 0 {
			t.Errorf("package %s does not start with an executable bootstrap", key)
		}
		env := props(f)["Environment"].(map[string]any)["Variables"].(map[string]any)
		if got := render(env["SGWARDEN_TOPIC_ARN"]); got != "${"+ParamAlertTopicArn+"}" {
			t.Errorf("member SGWARDEN_TOPIC_ARN = %s, want the central topic", got)
		}
	}
	regions, err := os.ReadFile(filepath.Join(sh.outdir, ArtifactsDir, "regions.txt"))
	if err != nil || strings.Fields(string(regions)) == nil || !slices.Equal(strings.Fields(string(regions)), testRegions) {
		t.Errorf("regions.txt = %q, %v; want %v", regions, err, testRegions)
	}
	for _, s := range sh.artifacts {
		for id, b := range s.resources("AWS::S3::Bucket") {
			if !strings.HasPrefix(id, "ArtifactBucket") {
				continue
			}
			if got, want := render(props(b)["BucketName"]), ArtifactBucketName(testAccount, s.region); got != want {
				t.Errorf("%s bucket = %s, want %s", s.name, got, want)
			}
		}
	}
}

// TestMemberQueues: the member's dead-letter queues are encrypted with
// SQS's own keys and TLS-only; the member has no KMS key of its own.
func TestMemberQueues(t *testing.T) {
	m := orgStacks(t).member
	if keys := m.resources("AWS::KMS::Key"); len(keys) != 0 {
		t.Errorf("member keys = %v, want none", slices.Sorted(maps.Keys(keys)))
	}
	queues := m.resources("AWS::SQS::Queue")
	if len(queues) != 2 {
		t.Errorf("member queues = %v, want the two dead-letter queues", slices.Sorted(maps.Keys(queues)))
	}
	for id, q := range queues {
		if props(q)["SqsManagedSseEnabled"] != true {
			t.Errorf("queue %s is not encrypted: %v", id, props(q))
		}
		docs := m.policiesFor("AWS::SQS::QueuePolicy", "Queues", "${"+id+"}")
		if !slices.ContainsFunc(docs, denyInsecure) {
			t.Errorf("queue %s: no policy denies aws:SecureTransport=false", id)
		}
	}
}

// TestMemberRule: the member rule is the decoder's pattern, with its invoke
// permission, like the account shape.
func TestMemberRule(t *testing.T) {
	m := orgStacks(t).member
	id := m.idOf(t, "AWS::Events::Rule", "SecurityGroupChangeRule")
	if got := props(m.resources("AWS::Events::Rule")[id])["EventPattern"]; !reflect.DeepEqual(got, wantPattern()) {
		t.Errorf("member change rule pattern = %v", got)
	}
	perms := m.resources("AWS::Lambda::Permission")
	if len(perms) != 1 {
		t.Fatalf("member permissions = %v, want one", perms)
	}
	for _, p := range perms {
		if render(props(p)["SourceArn"]) != "${"+id+".Arn}" {
			t.Errorf("member invoke permission SourceArn = %s", render(props(p)["SourceArn"]))
		}
	}
}

// TestOrgAuditStateMachine: list -> Distributed Map over the list's items
// object in S3 (failures tolerated, concurrency bounded) -> report, all on
// the orgaudit function.
func TestOrgAuditStateMachine(t *testing.T) {
	c := orgStacks(t).central
	var def map[string]any
	for _, r := range c.resources("AWS::StepFunctions::StateMachine") {
		if err := json.Unmarshal([]byte(render(props(r)["DefinitionString"])), &def); err != nil {
			t.Fatalf("definition: %v", err)
		}
	}
	states := def["States"].(map[string]any)
	if def["StartAt"] != "List" {
		t.Errorf("StartAt = %v", def["StartAt"])
	}
	mp := states["AuditEachAccountRegion"].(map[string]any)
	pc, _ := json.Marshal(mp["ItemProcessor"].(map[string]any)["ProcessorConfig"])
	if mp["ItemsPath"] != nil || !strings.Contains(string(pc), `"Mode":"DISTRIBUTED"`) ||
		mp["ToleratedFailurePercentage"] != float64(100) || mp["MaxConcurrency"] == nil || mp["Next"] != "Report" {
		t.Errorf("map state = %v", mp)
	}
	// The items come from the list step's JSON array in S3, never through
	// the state (256 KiB at most): the list step omits them and its result
	// is cut to the run, the key and the bucket.
	reader, _ := json.Marshal(mp["ItemReader"])
	if want := `{"Parameters":{"Bucket.$":"$.itemsBucket","Key.$":"$.itemsKey"},"ReaderConfig":{"InputType":"JSON"},` +
		`"Resource":"arn:${AWS::Partition}:states:::s3:getObject"}`; string(reader) != want {
		t.Errorf("ItemReader = %s, want %s", reader, want)
	}
	listState := states["List"].(map[string]any)
	if p, _ := listState["Parameters"].(map[string]any); p["omitItems"] != true {
		t.Errorf("List parameters = %v, want omitItems", p)
	}
	listSel, _ := json.Marshal(listState["ResultSelector"])
	if want := `{"itemsBucket":"${` + c.idOf(t, "AWS::S3::Bucket", "ReportBucket") + `}","itemsKey.$":"$.itemsKey","runId.$":"$.runId"}`; string(listSel) != want {
		t.Errorf("List ResultSelector = %s, want %s", listSel, want)
	}
	var req orgaudit.Request
	if err := json.Unmarshal([]byte(`{"step":"list","omitItems":true}`), &req); err != nil || !req.OmitItems {
		t.Errorf("orgaudit.Request does not read omitItems: %+v, %v", req, err)
	}
	// The state machine's role reads the items objects of the report
	// bucket and nothing else there.
	var s3Reads []string
	smRole := c.idOf(t, "AWS::IAM::Role", "OrgAuditStateMachineRole")
	for _, r := range c.resources("AWS::IAM::Policy") {
		p := props(r)
		if !slices.ContainsFunc(list(p["Roles"]), func(v any) bool { return render(v) == "${"+smRole+"}" }) {
			continue
		}
		for _, st := range list(p["PolicyDocument"].(map[string]any)["Statement"]) {
			stmt := st.(map[string]any)
			for _, a := range list(stmt["Action"]) {
				if strings.HasPrefix(render(a), "s3:") {
					for _, res := range list(stmt["Resource"]) {
						s3Reads = append(s3Reads, render(a)+" "+render(res))
					}
				}
			}
		}
	}
	if want := "s3:GetObject ${" + c.idOf(t, "AWS::S3::Bucket", "ReportBucket") + ".Arn}/" + orgaudit.ItemsKey("*"); !slices.Equal(s3Reads, []string{want}) {
		t.Errorf("state machine role's S3 grants = %v, want [%s]", s3Reads, want)
	}
	sel, _ := json.Marshal(mp["ItemSelector"])
	if !strings.Contains(string(sel), `"step":"audit"`) {
		t.Errorf("ItemSelector = %s, want step audit", sel)
	}
	for name, step := range map[string]string{"List": "list", "Report": "report"} {
		params, _ := json.Marshal(states[name].(map[string]any)["Parameters"])
		if !strings.Contains(string(params), `"step":"`+step+`"`) {
			t.Errorf("%s parameters = %s", name, params)
		}
	}
	env := c.environment(t, "OrgAuditFunction")
	// The function's own loader takes the environment, deploy-time values
	// stood in for by values of their shape.
	tokens := map[string]string{
		lambdaenv.EnvTopicARN:     "arn:aws:sns:eu-west-1:123456789012:sgwarden-alerts",
		lambdaenv.EnvReportBucket: "sgwarden-reportbucket",
	}
	got, err := lambdaenv.LoadOrg(func(k string) string {
		if v, ok := env[k].(string); ok {
			return v
		}
		return tokens[k]
	}, nil)
	if err != nil {
		t.Fatalf("lambdaenv.LoadOrg(orgaudit environment): %v", err)
	}
	checkGoMemLimit(t, "OrgAuditFunction", env[EnvGoMemLimit], c.function(t, "OrgAuditFunction")["MemorySize"])
	if !slices.Equal(got.OUs, testOUs) || !slices.Equal(got.Regions, testRegions) || got.ReadRoleName != ReadRoleName ||
		got.RevertRoleName != RevertRoleName || got.Engine.Mode() != "enforce" || got.ReportBucket == "" {
		t.Errorf("orgaudit settings = OUs %v regions %v roles %s/%s mode %s bucket %q", got.OUs, got.Regions,
			got.ReadRoleName, got.RevertRoleName, got.Engine.Mode(), got.ReportBucket)
	}
	if auditedOUs([]string{"ou-ab12-11111111", "r-ab12"}) != nil {
		t.Error("a root among the targets must audit the whole organization (no OU list)")
	}
}

func TestOrgNag(t *testing.T) {
	sh := orgStacks(t)
	for _, s := range append([]*synthesized{sh.central}, sh.artifacts...) {
		noNagFindings(t, s)
	}
}

// TestOrgAuditRoleIsWhatTheCodeCalls reads the Organizations and S3 calls
// from the interfaces internal/orgaudit accepts, so a new call fails here
// until the role grants it.
func TestOrgAuditRoleIsWhatTheCodeCalls(t *testing.T) {
	c := orgStacks(t).central
	got := c.roleGrants(t, c.idOf(t, "AWS::IAM::Role", "OrgAuditRole"))
	want := map[string]bool{"sts:AssumeRole": true, "sns:Publish": true, "kms:Decrypt": true, "kms:GenerateDataKey": true,
		"logs:CreateLogStream": true, "logs:PutLogEvents": true}
	for _, it := range []struct {
		service string
		typ     reflect.Type
	}{{"organizations", reflect.TypeFor[orgaudit.OrganizationsAPI]()}, {"s3", reflect.TypeFor[orgaudit.S3API]()}} {
		for i := range it.typ.NumMethod() {
			want[it.service+":"+it.typ.Method(i).Name] = true
		}
	}
	if gotSet := slices.Sorted(maps.Keys(got)); !slices.Equal(gotSet, slices.Sorted(maps.Keys(want))) {
		t.Errorf("orgaudit role grants %v, want %v", gotSet, slices.Sorted(maps.Keys(want)))
	}
	if res := got["s3:PutObject"]; len(res) != 1 || !strings.HasSuffix(res[0], "/"+runsPrefix+"*") {
		t.Errorf("s3:PutObject on %v, want the runs/ prefix only", res)
	}
	revertARN := "arn:${AWS::Partition}:iam::*:role/" + RevertRoleName
	if !slices.Contains(got["sts:AssumeRole"], revertARN) {
		t.Errorf("enforce mode: sts:AssumeRole on %v, want %s too", got["sts:AssumeRole"], revertARN)
	}
}

// TestMemberAlarmsReachTheTopic: a member's alarms have no topic of their
// own; their state changes go to the central bus, whose rule publishes them
// to the alert topic.
func TestMemberAlarmsReachTheTopic(t *testing.T) {
	sh := orgStacks(t)
	m, c := sh.member, sh.central
	alarms := m.resources("AWS::CloudWatch::Alarm")
	var wantARNs []string
	for id := range alarms {
		wantARNs = append(wantARNs, "${"+id+".Arn}")
	}
	slices.Sort(wantARNs)
	fwd := props(m.resources("AWS::Events::Rule")[m.idOf(t, "AWS::Events::Rule", "AlarmForwardRule")])
	pattern := fwd["EventPattern"].(map[string]any)
	var got []string
	for _, r := range list(pattern["resources"]) {
		got = append(got, render(r))
	}
	slices.Sort(got)
	if len(alarms) == 0 || !slices.Equal(got, wantARNs) {
		t.Errorf("forward rule resources %v, want the member's alarms %v", got, wantARNs)
	}
	target := list(fwd["Targets"])[0].(map[string]any)
	if render(target["Arn"]) != "${"+ParamAlarmBusArn+"}" || target["RoleArn"] == nil {
		t.Errorf("forward rule target = %v, want the central bus with a role", target)
	}
	central := props(c.resources("AWS::Events::Rule")[c.idOf(t, "AWS::Events::Rule", "AlarmForwardRule")])
	topic := "${" + c.idOf(t, "AWS::SNS::Topic", "AlertTopic") + "}"
	if render(list(central["Targets"])[0].(map[string]any)["Arn"]) != topic || render(central["EventBusName"]) != "${AlarmBus}" {
		t.Errorf("central alarm rule = %v, want the alarm bus to the topic %s", central, topic)
	}
}

// TestOrgEncryptionAndTLS: the central topic is encrypted with the central
// key, and every topic and bucket of the shape refuses requests without TLS.
func TestOrgEncryptionAndTLS(t *testing.T) {
	sh := orgStacks(t)
	for _, s := range append([]*synthesized{sh.central}, sh.artifacts...) {
		for id, r := range s.resources("AWS::SNS::Topic") {
			if got, want := render(props(r)["KmsMasterKeyId"]), "${"+s.idOf(t, "AWS::KMS::Key", "Key")+".Arn}"; got != want {
				t.Errorf("%s topic %s key = %s, want %s", s.name, id, got, want)
			}
			if !slices.ContainsFunc(s.policiesFor("AWS::SNS::TopicPolicy", "Topics", "${"+id+"}"), denyInsecure) {
				t.Errorf("%s topic %s accepts requests without TLS", s.name, id)
			}
		}
		for id, r := range s.resources("AWS::S3::Bucket") {
			pab, _ := json.Marshal(props(r)["PublicAccessBlockConfiguration"])
			if string(pab) != `{"BlockPublicAcls":true,"BlockPublicPolicy":true,"IgnorePublicAcls":true,"RestrictPublicBuckets":true}` {
				t.Errorf("%s bucket %s PublicAccessBlockConfiguration = %s", s.name, id, pab)
			}
			if !slices.ContainsFunc(s.policiesFor("AWS::S3::BucketPolicy", "Bucket", "${"+id+"}"), denyInsecure) {
				t.Errorf("%s bucket %s accepts requests without TLS", s.name, id)
			}
		}
	}
}
