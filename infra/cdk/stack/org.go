package stack

import (
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudformation"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctionstasks"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sgwarden/sgwarden/internal/lambdaenv"
	"github.com/sgwarden/sgwarden/internal/orgaudit"
)

// Organization-shape settings that are not context.
const (
	StackSetName        = "sgwarden-member"
	AlertTopicName      = "sgwarden-alerts"
	AlarmBusName        = "sgwarden-alarms"
	ParamOrganizationID = "OrganizationId"
	orgAuditTimeout     = 10 * time.Minute
	orgAuditMapLimit    = 40 // accounts x regions audited at once: well under AssumeRole and EC2 describe rates
	orgAuditRunTimeout  = 6 * time.Hour
	runsPrefix          = "runs/"
)

// organizationID is the OrganizationId parameter: the context value as its
// default, or none, so that `cdk synth` needs no credentials and `cdk
// deploy` asks for it.
func organizationID(st awscdk.Stack, s *Settings) *string {
	p := &awscdk.CfnParameterProps{
		Type:           jsii.String("String"),
		Description:    jsii.String("ID of the AWS Organization (o-...): bounds every cross-account policy"),
		AllowedPattern: jsii.String(`^o-[a-z0-9]{10,32}$`),
	}
	if s.OrganizationID != "" {
		p.Default = jsii.String(s.OrganizationID)
	}
	return awscdk.NewCfnParameter(st, jsii.String(ParamOrganizationID), p).ValueAsString()
}

// orgCondition limits a statement to principals of the organization.
func orgCondition(orgID *string) map[string]any {
	return map[string]any{"StringEquals": map[string]any{"aws:PrincipalOrgID": orgID}}
}

// NewArtifactStack makes the bucket in one region of the central account
// that member stacks of that region load their function code from. Any
// principal of the organization may read it; `make deploy` fills it.
func NewArtifactStack(scope constructs.Construct, id string, props *SgwardenStackProps) (awscdk.Stack, error) {
	settings, err := props.settings(scope)
	if err != nil {
		return nil, err
	}
	sp := props.StackProps
	sp.Description = jsii.String("sgwarden artifacts: function code for the sgwarden StackSet in this region")
	st := awscdk.NewStack(scope, jsii.String(id), &sp)
	st.Node().SetContext(jsii.String("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy"), true)
	orgID := organizationID(st, settings)
	logs := awss3.NewBucket(st, jsii.String("AccessLogBucket"), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		LifecycleRules:    &[]*awss3.LifecycleRule{{Expiration: awscdk.Duration_Days(jsii.Number(accessLogExpiryDays))}},
	})
	bucket := awss3.NewBucket(st, jsii.String("ArtifactBucket"), &awss3.BucketProps{
		BucketName: awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String(artifactBucketPrefix), st.Account(), jsii.String("-"), st.Region()}),
		// S3-managed keys: member accounts' CloudFormation reads the code
		// with its own credentials, which a KMS key policy would also have
		// to admit.
		Encryption:             awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:             jsii.Bool(true),
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		ObjectOwnership:        awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		ServerAccessLogsBucket: logs,
		ServerAccessLogsPrefix: jsii.String("artifacts/"),
	})
	bucket.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("OrganizationReadsCode"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("s3:GetObject"),
		Resources:  &[]*string{bucket.ArnForObjects(jsii.String("*"))},
		Conditions: &map[string]any{"StringEquals": map[string]any{"aws:PrincipalOrgID": orgID}},
	}))
	awscdk.NewCfnOutput(st, jsii.String("ArtifactBucketName"), &awscdk.CfnOutputProps{
		Description: jsii.String("bucket make deploy copies function code to"), Value: bucket.BucketName(),
	})
	return st, nil
}

// NewOrganizationStack builds the central stack of the organization shape:
// the alert topic and alarm bus the members report to, the organization
// audit (Step Functions Distributed Map over the orgaudit function), its
// report bucket, and the StackSet that deploys the member stack to every
// account and region of the chosen OUs. The StackSet's template is
// synthesized here; its code key is written under the assembly's
// ArtifactsDir for `make deploy`.
func NewOrganizationStack(scope constructs.Construct, id string, props *SgwardenStackProps) (awscdk.Stack, error) {
	if props == nil {
		props = &SgwardenStackProps{}
	}
	settings, dirs, err := props.resolve(scope, "remediate", "orgaudit")
	if err != nil {
		return nil, err
	}
	remediateDir, orgauditDir := dirs[0], dirs[1]
	stage, ok := scope.(awscdk.Stage) // the app itself
	if !ok {
		stage = awscdk.Stage_Of(scope)
	}
	outdir := *stage.Outdir()
	codeKey, err := packageFunction(outdir, "remediate", remediateDir, settings.PolicyFile)
	if err != nil {
		return nil, err
	}
	memberBody, err := memberTemplate(settings, outdir, codeKey)
	if err != nil {
		return nil, err
	}
	if err := writeArtifactRegions(outdir, settings.Regions); err != nil {
		return nil, err
	}

	sp := props.StackProps
	if sp.Description == nil {
		sp.Description = jsii.String("sgwarden organization: alert topic, organization audit and the StackSet of member stacks")
	}
	st := awscdk.NewStack(scope, jsii.String(id), &sp)
	st.Node().SetContext(jsii.String("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy"), true)
	b := &builder{stack: st, s: settings}
	orgID := organizationID(st, settings)

	b.key = awskms.NewKey(st, jsii.String("Key"), &awskms.KeyProps{
		Description:       jsii.String("sgwarden: encrypts the organization's alert topic"),
		EnableKeyRotation: jsii.Bool(true),
	})
	b.alertTopic()
	b.topic.Node().DefaultChild().(awssns.CfnTopic).SetTopicName(jsii.String(AlertTopicName))
	o := &orgBuilder{builder: b, orgID: orgID}
	o.memberAccess()
	o.alarmBus()
	o.reportBucket()
	o.orgAudit(orgauditDir)
	o.alarms()
	o.stackSet(memberBody)
	o.outputs()
	o.suppressions()
	return st, nil
}

type orgBuilder struct {
	*builder
	orgID        *string
	bus          awsevents.CfnEventBus
	forwardRule  awsevents.CfnRule
	orgAudit_    awslambda.Function
	stateMachine awsstepfunctions.StateMachine
	sfnLogs      awslogs.LogGroup
	scheduleRule awsevents.Rule
}

// remediateRoles matches the member remediate roles of any account.
func (o *orgBuilder) remediateRoles() *string {
	return awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("arn:"), o.stack.Partition(), jsii.String(":iam::*:role/" + remediateRolePrefix + "*")})
}

// memberAccess lets the member remediate roles of the organization, and
// them only, publish to the encrypted topic.
func (o *orgBuilder) memberAccess() {
	cond := func() *map[string]any {
		return &map[string]any{
			"StringEquals": map[string]any{"aws:PrincipalOrgID": o.orgID},
			"ArnLike":      map[string]any{"aws:PrincipalArn": o.remediateRoles()},
		}
	}
	o.topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("MemberRemediateRolesPublish"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{o.topic.TopicArn()},
		Conditions: cond(),
	}))
	o.key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("MemberRemediateRolesEncrypt"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey"),
		Resources:  jsii.Strings("*"),
		Conditions: cond(),
	}), jsii.Bool(false))
}

// alarmBus receives the alarm state changes of every member stack (put by
// principals of the organization only) and publishes them to the topic.
func (o *orgBuilder) alarmBus() {
	st := o.stack
	o.bus = awsevents.NewCfnEventBus(st, jsii.String("AlarmBus"), &awsevents.CfnEventBusProps{Name: jsii.String(AlarmBusName)})
	awsevents.NewCfnEventBusPolicy(st, jsii.String("AlarmBusPolicy"), &awsevents.CfnEventBusPolicyProps{
		EventBusName: o.bus.Ref(),
		StatementId:  jsii.String("OrganizationMembersPutAlarms"),
		Statement: map[string]any{
			"Sid":       "OrganizationMembersPutAlarms",
			"Effect":    "Allow",
			"Principal": "*",
			"Action":    "events:PutEvents",
			"Resource":  o.bus.AttrArn(),
			"Condition": orgCondition(o.orgID),
		},
	})
	name := awscdk.Names_UniqueResourceName(st, &awscdk.UniqueResourceNameOptions{MaxLength: jsii.Number(50)})
	ruleName := jsii.String(*name + "AlarmForward")
	o.forwardRule = awsevents.NewCfnRule(st, jsii.String("AlarmForwardRule"), &awsevents.CfnRuleProps{
		Name:         ruleName,
		Description:  jsii.String("sgwarden: alarm state changes of member stacks, to the alert topic"),
		EventBusName: o.bus.Ref(),
		EventPattern: map[string]any{"source": []string{"aws.cloudwatch"}, "detail-type": []string{"CloudWatch Alarm State Change"}},
		State:        jsii.String("ENABLED"),
		Targets:      &[]*awsevents.CfnRule_TargetProperty{{Id: jsii.String("alerts"), Arn: o.topic.TopicArn()}},
	})
	ruleARN := awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("arn:"), st.Partition(), jsii.String(":events:"), st.Region(),
		jsii.String(":"), st.Account(), jsii.String(":rule/" + AlarmBusName + "/" + *ruleName)})
	o.topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AlarmForwardRulePublishes"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{o.topic.TopicArn()},
		Conditions: &map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": ruleARN}},
	}))
	// EventBridge passes no source to KMS for an encrypted topic, so the
	// statement is bound to this topic by SNS's encryption context.
	o.key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowEventBridgeForThisTopic"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{"StringEquals": map[string]any{"kms:EncryptionContext:aws:sns:topicArn": o.arn("sns", AlertTopicName)}},
	}), jsii.Bool(false))
}

func (o *orgBuilder) reportBucket() {
	o.accessLogs = awss3.NewBucket(o.stack, jsii.String("AccessLogBucket"), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		LifecycleRules:    &[]*awss3.LifecycleRule{{Expiration: awscdk.Duration_Days(jsii.Number(accessLogExpiryDays))}},
	})
	o.reports = o.privateBucket("ReportBucket", "reports/")
}

// orgAudit creates the orgaudit function and the state machine that runs
// it: list, then a Distributed Map of audit steps (one per account and
// region, read from the list's items object in S3, failures tolerated),
// then report.
func (o *orgBuilder) orgAudit(codeDir string) {
	st, s := o.stack, o.s
	lg := awslogs.NewLogGroup(st, jsii.String("OrgAuditLogGroup"), &awslogs.LogGroupProps{Retention: retentionDays(s.LogRetentionDays)})
	stmt := func(sid string, actions []string, resources ...*string) awsiam.PolicyStatement {
		return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Sid: jsii.String(sid), Actions: jsii.Strings(actions...), Resources: &resources})
	}
	roleARN := func(name string) *string {
		return awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("arn:"), st.Partition(), jsii.String(":iam::*:role/" + name)})
	}
	assumable := []*string{roleARN(ReadRoleName)}
	if s.AuditReverts() && (s.RevertsIngress || s.RevertsEgress) {
		assumable = append(assumable, roleARN(RevertRoleName))
	}
	assume := awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("AssumeMemberAuditRoles"), Actions: jsii.Strings("sts:AssumeRole"), Resources: &assumable,
		Conditions: &map[string]any{"StringEquals": map[string]any{"aws:ResourceOrgID": o.orgID}},
	})
	statements := []awsiam.PolicyStatement{
		assume,
		// Organizations' list calls take no resource narrower than the
		// organization's own ARNs, which are not known at synth time.
		stmt("ListAccounts", []string{"organizations:ListAccounts",
			"organizations:ListAccountsForParent", "organizations:ListOrganizationalUnitsForParent"}, jsii.String("*")),
		stmt("ReadWriteRunParts", []string{"s3:GetObject", "s3:PutObject"}, o.reports.ArnForObjects(jsii.String(runsPrefix+"*"))),
		stmt("PublishAlerts", []string{"sns:Publish"}, o.topic.TopicArn()),
		stmt("UseTopicKey", []string{"kms:Decrypt", "kms:GenerateDataKey"}, o.key.KeyArn()),
		stmt("WriteOwnLogs", []string{"logs:CreateLogStream", "logs:PutLogEvents"}, lg.LogGroupArn()),
	}
	role := awsiam.NewRole(st, jsii.String("OrgAuditRole"), &awsiam.RoleProps{
		RoleName:       jsii.String(OrgAuditRoleName),
		AssumedBy:      awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description:    jsii.String("sgwarden organization audit: assume the member audit roles, list accounts, write the report, publish the summary"),
		InlinePolicies: &map[string]awsiam.PolicyDocument{"sgwarden": awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &statements})},
	})
	regions := strings.Join(s.Regions, ",")
	var regionsValue *string = jsii.String(regions)
	if regions == "" {
		regionsValue = st.Region()
	}
	env := map[string]*string{
		lambdaenv.EnvOrgOUs:           jsii.String(strings.Join(auditedOUs(s.OrganizationalUnits), ",")),
		lambdaenv.EnvRegions:          regionsValue,
		lambdaenv.EnvReadRoleName:     jsii.String(ReadRoleName),
		lambdaenv.EnvRevertRoleName:   jsii.String(RevertRoleName),
		lambdaenv.EnvReportBucket:     o.reports.BucketName(),
		lambdaenv.EnvTopicARN:         o.topic.TopicArn(),
		lambdaenv.EnvMode:             jsii.String(s.Mode),
		lambdaenv.EnvPrefixListAction: jsii.String(s.PrefixListAction),
		EnvGoMemLimit:                 jsii.String(auditGoMemLimit),
	}
	if s.MaxReverts >= 0 {
		env[lambdaenv.EnvMaxReverts] = jsii.String(strconv.Itoa(s.MaxReverts))
	}
	var layers *[]awslambda.ILayerVersion
	if s.PolicyFile != "" {
		dir, name := filepath.Split(s.PolicyFile)
		layers = &[]awslambda.ILayerVersion{o.policyLayerFrom(dir, name)}
		env[lambdaenv.EnvPolicyFile] = jsii.String(policyLayerMountPath + "/" + name)
	}
	o.orgAudit_ = awslambda.NewFunction(st, jsii.String("OrgAuditFunction"), &awslambda.FunctionProps{
		Description:  jsii.String("sgwarden: organization audit (list accounts, audit one account and region, report)"),
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String("bootstrap"),
		Code:         awslambda.Code_FromAsset(jsii.String(codeDir), nil),
		MemorySize:   jsii.Number(memoryMB),
		Timeout:      awscdk.Duration_Seconds(seconds(orgAuditTimeout)),
		Role:         role,
		LogGroup:     lg,
		Layers:       layers,
		Environment:  &env,
	})

	invoke := func(id string, payload map[string]any, selector *map[string]any) awsstepfunctionstasks.LambdaInvoke {
		return awsstepfunctionstasks.NewLambdaInvoke(st, jsii.String(id), &awsstepfunctionstasks.LambdaInvokeProps{
			LambdaFunction:      o.orgAudit_,
			Payload:             awsstepfunctions.TaskInput_FromObject(&payload),
			PayloadResponseOnly: jsii.Bool(true),
			ResultSelector:      selector,
		})
	}
	// The items never pass through the state, which holds at most 256 KiB
	// (about 4,000 items; 1,000 accounts x 17 regions are 17,000): the list
	// step omits them from its result and the Map reads the JSON array it
	// stored at itemsKey in the report bucket.
	list := invoke("List", map[string]any{"step": "list", "omitItems": true}, &map[string]any{
		"runId.$": "$.runId", "itemsKey.$": "$.itemsKey", "itemsBucket": o.reports.BucketName(),
	})
	fanOut := awsstepfunctions.NewDistributedMap(st, jsii.String("AuditEachAccountRegion"), &awsstepfunctions.DistributedMapProps{
		// A bucket named by path: CDK then grants nothing itself, and the
		// role below may read the items objects only.
		ItemReader: awsstepfunctions.NewS3JsonItemReader(&awsstepfunctions.S3FileItemReaderProps{
			BucketNamePath: awsstepfunctions.JsonPath_StringAt(jsii.String("$.itemsBucket")),
			Key:            awsstepfunctions.JsonPath_StringAt(jsii.String("$.itemsKey")),
		}),
		ItemSelector: &map[string]any{
			"step": "audit", "runId.$": "$.runId",
			"account.$": "$$.Map.Item.Value.account", "region.$": "$$.Map.Item.Value.region",
		},
		MaxConcurrency: jsii.Number(orgAuditMapLimit),
		// One account's denial, throttling or timeout must not stop the
		// others: the audit step reports it, and the Map tolerates it.
		ToleratedFailurePercentage: jsii.Number(100),
		ResultPath:                 awsstepfunctions.JsonPath_DISCARD(),
		MapExecutionType:           awsstepfunctions.StateMachineType_STANDARD, // an audit step may outlast EXPRESS's 5 minutes
	})
	audit := invoke("Audit", map[string]any{"step.$": "$.step", "runId.$": "$.runId", "account.$": "$.account", "region.$": "$.region"}, nil)
	// Lambda's own throttling is retried; the audit step itself reports an
	// account's denial or throttling as a result, not an error.
	audit.AddRetry(&awsstepfunctions.RetryProps{
		Errors: jsii.Strings("Lambda.TooManyRequestsException"), Interval: awscdk.Duration_Seconds(jsii.Number(5)),
		MaxAttempts: jsii.Number(8), BackoffRate: jsii.Number(2), JitterStrategy: awsstepfunctions.JitterType_FULL,
	})
	fanOut.ItemProcessor(audit, nil) // DISTRIBUTED, with MapExecutionType
	report := invoke("Report", map[string]any{"step": "report", "runId.$": "$.runId"}, nil)

	o.sfnLogs = awslogs.NewLogGroup(st, jsii.String("OrgAuditStateMachineLogs"), &awslogs.LogGroupProps{Retention: retentionDays(s.LogRetentionDays)})
	o.stateMachine = awsstepfunctions.NewStateMachine(st, jsii.String("OrgAuditStateMachine"), &awsstepfunctions.StateMachineProps{
		Comment:          jsii.String("sgwarden organization audit: list -> audit each account and region -> report"),
		DefinitionBody:   awsstepfunctions.DefinitionBody_FromChainable(list.Next(fanOut).Next(report)),
		Timeout:          awscdk.Duration_Seconds(seconds(orgAuditRunTimeout)),
		TracingEnabled:   jsii.Bool(true),
		Logs:             &awsstepfunctions.LogOptions{Destination: o.sfnLogs, Level: awsstepfunctions.LogLevel_ALL},
		StateMachineType: awsstepfunctions.StateMachineType_STANDARD,
	})
	o.stateMachine.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("ReadRunItems"),
		Actions:   jsii.Strings("s3:GetObject"),
		Resources: &[]*string{o.reports.ArnForObjects(jsii.String(orgaudit.ItemsKey("*")))},
	}))
	o.scheduleRule = awsevents.NewRule(st, jsii.String("OrgAuditScheduleRule"), &awsevents.RuleProps{
		Description: jsii.String("sgwarden: scheduled organization audit"),
		Schedule:    awsevents.Schedule_Expression(jsii.String(s.AuditSchedule)),
		Targets:     &[]awsevents.IRuleTarget{awseventstargets.NewSfnStateMachine(o.stateMachine, nil)},
	})
}

// auditedOUs are the OUs the orgaudit function lists accounts of: none
// (the whole organization) when a root is among the StackSet's targets.
func auditedOUs(targets []string) []string {
	for _, t := range targets {
		if strings.HasPrefix(t, "r-") {
			return nil
		}
	}
	return targets
}

// policyLayerFrom ships the policy file alone as a layer.
func (o *orgBuilder) policyLayerFrom(dir, name string) awslambda.LayerVersion {
	o.policyLayer = awslambda.NewLayerVersion(o.stack, jsii.String("PolicyLayer"), &awslambda.LayerVersionProps{
		Description:             jsii.String("sgwarden policy file " + name),
		Code:                    awslambda.Code_FromAsset(jsii.String(dir), &awss3assets.AssetOptions{Exclude: jsii.Strings("*", "!"+name)}),
		CompatibleArchitectures: &[]awslambda.Architecture{awslambda.Architecture_ARM_64()},
		CompatibleRuntimes:      &[]awslambda.Runtime{awslambda.Runtime_PROVIDED_AL2023()},
	})
	return o.policyLayer
}

func (o *orgBuilder) alarms() {
	five := awscdk.Duration_Minutes(jsii.Number(5))
	gt := awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD
	alarm := func(id, desc string, metric awscloudwatch.IMetric) {
		awscloudwatch.NewAlarm(o.stack, jsii.String(id), &awscloudwatch.AlarmProps{
			AlarmDescription: jsii.String(desc), Metric: metric, ComparisonOperator: gt, Threshold: jsii.Number(0),
			EvaluationPeriods: jsii.Number(1), TreatMissingData: awscloudwatch.TreatMissingData_NOT_BREACHING,
		}).AddAlarmAction(awscloudwatchactions.NewSnsAction(o.topic))
	}
	sum := &awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: five}
	alarm("OrgAuditErrorsAlarm", "sgwarden orgaudit function returned errors", o.orgAudit_.MetricErrors(sum))
	alarm("OrgAuditFailedAlarm", "sgwarden organization audit run failed", o.stateMachine.MetricFailed(sum))
	alarm("AlarmForwardFailedInvocationsAlarm", "sgwarden could not publish member alarms to the alert topic",
		awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String("AWS/Events"), MetricName: jsii.String("FailedInvocations"),
			DimensionsMap: &map[string]*string{"EventBusName": o.bus.Ref(), "RuleName": o.forwardRule.Ref()},
			Statistic:     jsii.String("Sum"), Period: five,
		}))
}

// stackSet deploys the member template to every account of the OUs, in
// every region, and to accounts that join them later.
func (o *orgBuilder) stackSet(body string) {
	st, s := o.stack, o.s
	regions := make([]*string, 0, len(s.Regions))
	for _, r := range s.Regions {
		regions = append(regions, jsii.String(r))
	}
	primary := st.Region()
	if len(regions) == 0 {
		regions = append(regions, st.Region())
	} else {
		primary = regions[0]
	}
	param := func(k string, v *string) *awscloudformation.CfnStackSet_ParameterProperty {
		return &awscloudformation.CfnStackSet_ParameterProperty{ParameterKey: jsii.String(k), ParameterValue: v}
	}
	ss := awscloudformation.NewCfnStackSet(st, jsii.String("MemberStackSet"), &awscloudformation.CfnStackSetProps{
		StackSetName:    jsii.String(StackSetName),
		Description:     jsii.String("sgwarden member stack: remediate function, rule, queues, alarms and the audit roles"),
		PermissionModel: jsii.String("SERVICE_MANAGED"),
		CallAs:          jsii.String(s.StackSetCallAs),
		AutoDeployment: &awscloudformation.CfnStackSet_AutoDeploymentProperty{
			Enabled: jsii.Bool(true), RetainStacksOnAccountRemoval: jsii.Bool(false),
		},
		ManagedExecution: &map[string]any{"Active": true},
		Capabilities:     jsii.Strings("CAPABILITY_NAMED_IAM"),
		OperationPreferences: &awscloudformation.CfnStackSet_OperationPreferencesProperty{
			RegionConcurrencyType:   jsii.String("PARALLEL"),
			MaxConcurrentPercentage: jsii.Number(25),
			// One account that cannot take the stack must not stop the rest.
			FailureTolerancePercentage: jsii.Number(10),
		},
		StackInstancesGroup: &[]*awscloudformation.CfnStackSet_StackInstancesProperty{{
			DeploymentTargets: &awscloudformation.CfnStackSet_DeploymentTargetsProperty{OrganizationalUnitIds: jsii.Strings(s.OrganizationalUnits...)},
			Regions:           &regions,
		}},
		Parameters: &[]*awscloudformation.CfnStackSet_ParameterProperty{
			param(ParamCentralAccount, st.Account()),
			param(ParamAlertTopicArn, o.topic.TopicArn()),
			param(ParamAlertKeyArn, o.key.KeyArn()),
			param(ParamAlarmBusArn, o.bus.AttrArn()),
			param(ParamPrimaryRegion, primary),
		},
		TemplateBody: jsii.String(body),
	})
	// Members trust the orgaudit role by ARN and publish to the topic and
	// bus: all must exist before the first stack instance.
	ss.Node().AddDependency(o.orgAudit_, o.topic, o.bus)
}

func (o *orgBuilder) outputs() {
	out := func(id, desc string, v *string) {
		awscdk.NewCfnOutput(o.stack, jsii.String(id), &awscdk.CfnOutputProps{Description: jsii.String(desc), Value: v})
	}
	out("AlertTopicArn", "SNS topic that receives sgwarden alerts from every member", o.topic.TopicArn())
	out("OrgAuditStateMachineArn", "organization audit (start an execution to run it now)", o.stateMachine.StateMachineArn())
	out("ReportBucketName", "bucket the organization audit writes runs/<runId>/report.json and report.md to", o.reports.BucketName())
	out("StackSetName", "StackSet of the member stacks", jsii.String(StackSetName))
	out("Mode", "enforce or dry-run", jsii.String(o.s.Mode))
}

func (o *orgBuilder) suppressions() {
	suppress(o.orgAudit_.Role(), "AwsSolutions-IAM5",
		"The orgaudit function assumes the two fixed-name audit roles in any member account, limited to "+
			"accounts of this organization by aws:ResourceOrgID; Organizations' list calls take no narrower "+
			"resource; s3 object access is limited to the runs/ prefix of the report bucket.",
		`^Resource::arn:<AWS::Partition>:iam::\*:role\/sgwarden-audit-(read|revert)$`, `^Resource::\*$`,
		`^Resource::<ReportBucket[0-9A-F]+\.Arn>\/runs\/\*$`)
	suppress(o.stateMachine, "AwsSolutions-IAM5",
		"Step Functions invokes the orgaudit function by ARN and version (the :* suffix), and its log delivery "+
			"and X-Ray calls do not support resource-level permissions; the Distributed Map starts and reads "+
			"child executions of this state machine only, and reads the items object of any run (runs/*/items.json).",
		`^Resource::\*$`, `^Resource::<OrgAuditFunction[0-9A-F]+\.Arn>:\*$`, `^Action::states:.*$`, `^Resource::.*$`)
}
