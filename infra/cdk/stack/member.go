package stack

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"

	"github.com/sgwarden/sgwarden/internal/lambdaenv"
)

// Names fixed by the organization shape: the orgaudit function assumes
// the member roles by name, and the central topic admits the member
// remediate roles by name.
const (
	ReadRoleName          = lambdaenv.DefaultReadRoleName
	RevertRoleName        = lambdaenv.DefaultRevertRoleName
	OrgAuditRoleName      = "sgwarden-orgaudit"
	remediateRolePrefix   = "sgwarden-remediate-" // + region: IAM is global, a stack instance regional
	memberStackID         = "SgwardenMember"
	stackSetTemplateLimit = 51200 // bytes CloudFormation takes as TemplateBody
)

// Parameters of the member template, filled by the StackSet.
const (
	ParamCentralAccount = "CentralAccount"
	ParamAlertTopicArn  = "AlertTopicArn"
	ParamAlertKeyArn    = "AlertKeyArn"
	ParamAlarmBusArn    = "AlarmBusArn"
	ParamPrimaryRegion  = "PrimaryRegion"
)

// memberRefs are the central values a member stack receives.
type memberRefs struct {
	centralAccount, topicARN, alertKeyARN, busARN, primaryRegion *string
	codeKey, policyName                                          string
}

// keyARNs are the keys the functions encrypt with: the stack's own (topic
// and queues) or, in a member, the central alert topic's.
func (b *builder) keyARNs() []*string {
	if b.member != nil {
		return []*string{b.member.alertKeyARN}
	}
	return []*string{b.key.KeyArn()}
}

// memberTemplate synthesizes the member stack in an app of its own, checks
// it with cdk-nag, and returns its template as compact JSON for the
// StackSet. The stack has no file assets: its code comes from the regional
// artifact bucket under codeKey.
func memberTemplate(settings *Settings, outdir, codeKey string) (string, error) {
	app := awscdk.NewApp(&awscdk.AppProps{
		AnalyticsReporting: jsii.Bool(false),
		Outdir:             jsii.String(filepath.Join(outdir, ArtifactsDir, "member.out")),
	})
	st := awscdk.NewStack(app, jsii.String(memberStackID), &awscdk.StackProps{
		Description: jsii.String("sgwarden member: reverts security-group rules that break the written policy in this account and region"),
		// No bootstrap in member accounts; it fails on any file asset.
		Synthesizer: awscdk.NewBootstraplessSynthesizer(nil),
	})
	param := func(name, desc string) *string {
		return awscdk.NewCfnParameter(st, jsii.String(name), &awscdk.CfnParameterProps{
			Type: jsii.String("String"), Description: jsii.String(desc),
		}).ValueAsString()
	}
	refs := &memberRefs{
		centralAccount: param(ParamCentralAccount, "account of the central sgwarden stack"),
		topicARN:       param(ParamAlertTopicArn, "central alert topic"),
		alertKeyARN:    param(ParamAlertKeyArn, "KMS key of the central alert topic"),
		busARN:         param(ParamAlarmBusArn, "central event bus that receives this stack's alarm state changes"),
		primaryRegion:  param(ParamPrimaryRegion, "the one region whose stack instance holds the account-wide audit roles"),
		codeKey:        codeKey,
	}
	if settings.PolicyFile != "" {
		refs.policyName = filepath.Base(settings.PolicyFile)
	}
	b := &builder{stack: st, s: settings, member: refs}
	b.encryptionAndAlerts()
	b.memberFunction()
	b.rules()
	b.alarms()
	b.auditRoles()
	b.suppressions()
	AddNagChecks(app)

	art := app.Synth(nil).GetStackByName(jsii.String(memberStackID))
	var problems []string
	for _, m := range *art.Messages() {
		if m.Level == cxapi.SynthesisMessageLevel_ERROR || m.Level == cxapi.SynthesisMessageLevel_WARNING {
			problems = append(problems, fmt.Sprintf("%s: %v", *m.Id, m.Entry.Data))
		}
	}
	if len(problems) > 0 {
		return "", fmt.Errorf("member stack: %s", strings.Join(problems, "; "))
	}
	tmpl, ok := art.Template().(map[string]any)
	if !ok {
		return "", fmt.Errorf("member stack: template is %T", art.Template())
	}
	// Metadata (construct paths, cdk-nag records) is for synth only.
	for _, r := range tmpl["Resources"].(map[string]any) {
		delete(r.(map[string]any), "Metadata")
	}
	body, err := json.Marshal(tmpl)
	if err != nil {
		return "", fmt.Errorf("member stack: %w", err)
	}
	if len(body) > stackSetTemplateLimit {
		return "", fmt.Errorf("member stack: template is %d bytes, over the %d CloudFormation takes inline", len(body), stackSetTemplateLimit)
	}
	return string(body), nil
}

// memberFunction creates the remediate function of a member stack: code
// from the artifact bucket of the central account in this region, alerts to
// the central topic.
func (b *builder) memberFunction() {
	st, m := b.stack, b.member
	b.remediateLG = awslogs.NewLogGroup(st, jsii.String("RemediateLogGroup"), &awslogs.LogGroupProps{
		Retention: retentionDays(b.s.LogRetentionDays),
	})
	// A fixed name, so that the central topic can admit exactly these roles.
	role := awsiam.NewRole(st, jsii.String("RemediateRole"), &awsiam.RoleProps{
		RoleName:       awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String(remediateRolePrefix), st.Region()}),
		AssumedBy:      awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description:    jsii.String("sgwarden remediate function: describe and revoke security-group rules, publish alerts"),
		InlinePolicies: &map[string]awsiam.PolicyDocument{"sgwarden": b.policy(b.remediateLG, false)},
	})
	env := map[string]*string{
		lambdaenv.EnvMode:             jsii.String(b.s.Mode),
		lambdaenv.EnvTopicARN:         m.topicARN,
		lambdaenv.EnvRoleARN:          role.RoleArn(),
		lambdaenv.EnvPrefixListAction: jsii.String(b.s.PrefixListAction),
	}
	b.outletEnv(env)
	if m.policyName != "" {
		env[lambdaenv.EnvPolicyFile] = jsii.String(lambdaTaskRoot + "/" + m.policyName)
	}
	bucket := awss3.Bucket_FromBucketName(st, jsii.String("ArtifactBucket"), awscdk.Fn_Join(jsii.String(""),
		&[]*string{jsii.String(artifactBucketPrefix), m.centralAccount, jsii.String("-"), st.Region()}))
	awscdk.Annotations_Of(bucket).AcknowledgeWarning(jsii.String("@aws-cdk/aws-lambda:codeFromBucketObjectVersionNotSpecified"),
		jsii.String("the key names the package's SHA-256, so new code is a new key and a template change"))
	b.remediate = awslambda.NewFunction(st, jsii.String("RemediateFunction"), &awslambda.FunctionProps{
		Description:  jsii.String("sgwarden: evaluates each security-group change event and reverts violating rules"),
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String("bootstrap"),
		Code:         awslambda.Code_FromBucket(bucket, jsii.String(m.codeKey), nil),
		MemorySize:   jsii.Number(memoryMB),
		Timeout:      awscdk.Duration_Seconds(seconds(remediateTimeout)),
		Role:         role,
		LogGroup:     b.remediateLG,
		Environment:  &env,
	})
	awslambda.NewCfnEventInvokeConfig(st, jsii.String("RemediateAsyncConfig"), &awslambda.CfnEventInvokeConfigProps{
		FunctionName:             b.remediate.FunctionName(),
		Qualifier:                jsii.String("$LATEST"),
		MaximumRetryAttempts:     jsii.Number(asyncMaxRetries),
		MaximumEventAgeInSeconds: seconds(asyncMaxEventAge),
		DestinationConfig: &awslambda.CfnEventInvokeConfig_DestinationConfigProperty{
			OnFailure: &awslambda.CfnEventInvokeConfig_OnFailureProperty{Destination: b.failureDLQ.QueueArn()},
		},
	})
}

// forwardAlarms sends the state changes of this stack's alarms to the
// central event bus, whose rule publishes them to the central topic: a
// member has no topic of its own, and an alarm can act only on a topic of
// its own region.
func (b *builder) forwardAlarms(alarms []awscloudwatch.Alarm) {
	st := b.stack
	role := awsiam.NewRole(st, jsii.String("AlarmForwardRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil),
		Description: jsii.String("sgwarden: forwards this stack's alarm state changes to the central event bus"),
		InlinePolicies: &map[string]awsiam.PolicyDocument{"sgwarden": awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{
			Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid: jsii.String("PutOnCentralBus"), Actions: jsii.Strings("events:PutEvents"), Resources: &[]*string{b.member.busARN},
			})},
		})},
	})
	var arns []*string
	for _, a := range alarms {
		arns = append(arns, a.AlarmArn())
	}
	awsevents.NewCfnRule(st, jsii.String("AlarmForwardRule"), &awsevents.CfnRuleProps{
		Description: jsii.String("sgwarden: this stack's alarm state changes, to the central event bus"),
		EventPattern: map[string]any{
			"source":      []string{"aws.cloudwatch"},
			"detail-type": []string{"CloudWatch Alarm State Change"},
			"resources":   arns,
		},
		State: jsii.String("ENABLED"),
		Targets: &[]*awsevents.CfnRule_TargetProperty{{
			Id: jsii.String("central"), Arn: b.member.busARN, RoleArn: role.RoleArn(),
		}},
	})
}

// auditRoles creates the roles the central orgaudit function assumes in
// this account: read always, revert only when the audit may revert. IAM is
// global, so only the stack instance of the primary region holds them.
func (b *builder) auditRoles() {
	st, m := b.stack, b.member
	primary := awscdk.NewCfnCondition(st, jsii.String("IsPrimaryRegion"), &awscdk.CfnConditionProps{
		Expression: awscdk.Fn_ConditionEquals(st.Region(), m.primaryRegion),
	})
	// Trusted by the central account only, and there only by the orgaudit
	// function's role.
	trust := awsiam.NewPrincipalWithConditions(awsiam.NewAccountPrincipal(m.centralAccount), &map[string]any{
		"ArnEquals": map[string]any{"aws:PrincipalArn": awscdk.Fn_Join(jsii.String(""), &[]*string{
			jsii.String("arn:"), st.Partition(), jsii.String(":iam::"), m.centralAccount, jsii.String(":role/" + OrgAuditRoleName)})},
	})
	stmt := func(sid string, actions []string, resources ...*string) awsiam.PolicyStatement {
		return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Sid: jsii.String(sid), Actions: jsii.Strings(actions...), Resources: &resources})
	}
	anyRegion := func(owner *string, typ string) *string {
		return awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("arn:"), st.Partition(), jsii.String(":ec2:*:"), owner, jsii.String(":" + typ + "/*")})
	}
	role := func(id, name, desc string, statements ...awsiam.PolicyStatement) awsiam.Role {
		r := awsiam.NewRole(st, jsii.String(id), &awsiam.RoleProps{
			RoleName: jsii.String(name), AssumedBy: trust, Description: jsii.String(desc),
			InlinePolicies: &map[string]awsiam.PolicyDocument{"sgwarden": awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &statements})},
		})
		r.Node().DefaultChild().(awscdk.CfnResource).CfnOptions().SetCondition(primary)
		return r
	}
	role("AuditReadRole", ReadRoleName, "sgwarden organization audit: read security groups, rules, interfaces and prefix lists in every region of this account",
		stmt("DescribeSecurityGroups", DescribeActions, jsii.String("*")),
		stmt("ReadPrefixListEntries", []string{"ec2:GetManagedPrefixListEntries"}, anyRegion(jsii.String("*"), "prefix-list")))
	if revoke := b.revokeActions(true); len(revoke) > 0 {
		// The audit reverts through remediate's Reverter: the revokes, and
		// the two reads that confirm a not-found answer (GroupReader).
		role("AuditRevertRole", RevertRoleName, "sgwarden organization audit: revoke violating rules of this account only",
			stmt("ConfirmGone", []string{"ec2:DescribeSecurityGroups", "ec2:DescribeSecurityGroupRules"}, jsii.String("*")),
			stmt("RevokeSecurityGroupRules", revoke, anyRegion(st.Account(), "security-group"), anyRegion(st.Account(), "security-group-rule")))
	}
}
