package stack

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudtrail"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sgwarden/sgwarden/internal/cloudtrail"
	"github.com/sgwarden/sgwarden/internal/lambdaenv"
)

// Function sizing and delivery settings (DESIGN §8).
const (
	memoryMB             = 128
	remediateTimeout     = 30 * time.Second
	auditTimeout         = 5 * time.Minute
	asyncMaxRetries      = 2 // Lambda's maximum for asynchronous invocations
	asyncMaxEventAge     = time.Hour
	ruleTargetRetries    = 8
	ruleTargetMaxAge     = time.Hour
	queueRetention       = 14 * 24 * time.Hour
	bucketExpiryDays     = 365
	accessLogExpiryDays  = 90
	policyLayerMountPath = "/opt" // Lambda extracts layers here
)

// EnvGoMemLimit is the Go runtime's soft memory limit, set on the audit
// functions (audit and orgaudit), which hold a region's results.
const EnvGoMemLimit = "GOMEMLIMIT"

// auditGoMemLimit is three quarters of memoryMB. Below it the collector runs
// as without a limit (no cost in the usual case); near it, it collects
// harder instead of letting a heap at twice the live data (GOGC=100) reach
// memoryMB, where Lambda ends the function. The quarter left covers what
// the limit does not count: the binary's mapped text and the kernel's
// share. A low limit (32 MiB: 44.5 MiB peak instead of 68 MiB) would cost
// wall time on every large run and save nothing, as Lambda bills the
// configured memory.
var auditGoMemLimit = strconv.Itoa(memoryMB*3/4) + "MiB"

// SgwardenStackProps configures NewSgwardenStack.
type SgwardenStackProps struct {
	awscdk.StackProps
	// Settings, when nil, are read from the CDK context visible at scope.
	Settings *Settings
	// BuildDir holds <function>/bootstrap for each function the stack
	// packages (remediate and audit; remediate and orgaudit for the
	// organization shape); empty means DefaultBuildDir().
	BuildDir string
}

// SettingsFromContext reads Settings from the CDK context visible at node.
func SettingsFromContext(node constructs.Node) (*Settings, error) {
	return ParseSettings(func(key string) any { return node.TryGetContext(jsii.String(key)) })
}

// settings are the props' settings, read from context when nil.
func (props *SgwardenStackProps) settings(scope constructs.Construct) (*Settings, error) {
	if props.Settings != nil {
		return props.Settings, nil
	}
	return SettingsFromContext(scope.Node())
}

// resolve returns the settings and the code directory of each function,
// after checking that every bootstrap is built.
func (props *SgwardenStackProps) resolve(scope constructs.Construct, functions ...string) (*Settings, []string, error) {
	settings, err := props.settings(scope)
	if err != nil {
		return nil, nil, err
	}
	buildDir := props.BuildDir
	if buildDir == "" {
		if buildDir, err = DefaultBuildDir(); err != nil {
			return nil, nil, err
		}
	}
	dirs := make([]string, len(functions))
	for i, fn := range functions {
		if dirs[i], err = functionCodeDir(buildDir, fn); err != nil {
			return nil, nil, err
		}
	}
	return settings, dirs, nil
}

// RulePattern is the EventBridge pattern of the security-group change rule:
// successful EC2 API calls, recorded by CloudTrail, whose eventName the
// decoder supports.
func RulePattern() map[string]any {
	return map[string]any{
		"source":      []string{cloudtrail.Source},
		"detail-type": []string{cloudtrail.DetailType},
		"detail": map[string]any{
			"eventSource": []string{cloudtrail.EventSource},
			"eventName":   slices.Clone(cloudtrail.SupportedEventNames),
			"errorCode":   []map[string]bool{{"exists": false}},
		},
	}
}

// NewSgwardenStack builds the sgwarden stack. It checks the settings and the
// Lambda build outputs before creating anything, so on error scope is left
// unchanged.
func NewSgwardenStack(scope constructs.Construct, id string, props *SgwardenStackProps) (awscdk.Stack, error) {
	if props == nil {
		props = &SgwardenStackProps{}
	}
	settings, dirs, err := props.resolve(scope, "remediate", "audit")
	if err != nil {
		return nil, err
	}
	remediateDir, auditDir := dirs[0], dirs[1]

	sp := props.StackProps
	if sp.Description == nil {
		sp.Description = jsii.String("sgwarden: reverts security-group rules that break the written policy and alerts on them")
	}
	st := awscdk.NewStack(scope, jsii.String(id), &sp)
	// Server access logs are granted by bucket policy, not ACLs, so the log
	// bucket can keep ACLs disabled (cdk-nag and AWS both recommend it).
	st.Node().SetContext(jsii.String("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy"), true)

	b := &builder{stack: st, s: settings}
	b.encryptionAndAlerts()
	b.buckets()
	b.functions(remediateDir, auditDir)
	b.rules()
	b.alarms()
	b.trail()
	b.outputs()
	b.suppressions()
	return st, nil
}

// builder carries the constructs shared between the parts of the stack.
type builder struct {
	stack awscdk.Stack
	s     *Settings

	key         awskms.Key
	topic       awssns.Topic
	eventDLQ    awssqs.Queue // EventBridge could not deliver to a function
	failureDLQ  awssqs.Queue // a function failed on every async attempt
	accessLogs  awss3.Bucket // nil when no bucket needs server access logs
	reports     awss3.IBucket
	remediate   awslambda.Function
	audit       awslambda.Function
	remediateLG awslogs.LogGroup
	auditLG     awslogs.LogGroup
	changeRule  awsevents.CfnRule
	auditRule   awsevents.CfnRule
	policyLayer awslambda.LayerVersion

	// member is set for the StackSet member stack of the organization
	// shape: no audit function, no topic of its own, code from S3.
	member *memberRefs
}

// eventBusARN is the bus the OCSF events go to: the ARN given, or the
// named bus of this account and region.
func (b *builder) eventBusARN() *string {
	if strings.HasPrefix(b.s.EventBus, "arn:") {
		return jsii.String(b.s.EventBus)
	}
	return b.arn("events", "event-bus/"+b.s.EventBus)
}

// outletEnv is the findings outlets' environment of both functions.
func (b *builder) outletEnv(env map[string]*string) {
	env[lambdaenv.EnvEventBus] = jsii.String(b.s.EventBus)
	if b.s.SecurityHub {
		env[lambdaenv.EnvSecurityHub] = jsii.String("true")
	}
	if b.s.ChatChannel != "" {
		env[lambdaenv.EnvChatChannel] = jsii.String(b.s.ChatChannel)
	}
}

// topicARN is the topic alerts go to: the stack's own, or the central one.
func (b *builder) topicARN() *string {
	if b.member != nil {
		return b.member.topicARN
	}
	return b.topic.TopicArn()
}

func (b *builder) arn(service, resource string) *string {
	return awscdk.Fn_Join(jsii.String(""), &[]*string{
		jsii.String("arn:"), b.stack.Partition(), jsii.String(":" + service + ":"),
		b.stack.Region(), jsii.String(":"), b.stack.Account(), jsii.String(":" + resource),
	})
}

func seconds(d time.Duration) *float64 { return jsii.Number(d.Seconds()) }

// encryptionAndAlerts creates the KMS key, the alert topic and both queues.
func (b *builder) encryptionAndAlerts() {
	st := b.stack
	// A member stack has no topic of its own, and its queues use SQS's own
	// keys: a customer-managed key in every account and region of an
	// organization would cost 1 USD a month each for nothing it protects
	// better.
	if b.member == nil {
		b.key = awskms.NewKey(st, jsii.String("Key"), &awskms.KeyProps{
			Description:       jsii.String("sgwarden: encrypts the alert topic and the dead-letter queues"),
			EnableKeyRotation: jsii.Bool(true),
		})
		b.alertTopic()
	}
	queue := func(id string) awssqs.Queue {
		props := &awssqs.QueueProps{
			Encryption:          awssqs.QueueEncryption_KMS,
			EncryptionMasterKey: b.key,
			EnforceSSL:          jsii.Bool(true),
			RetentionPeriod:     awscdk.Duration_Seconds(seconds(queueRetention)),
		}
		if b.key == nil {
			props.Encryption, props.EncryptionMasterKey = awssqs.QueueEncryption_SQS_MANAGED, nil
		}
		return awssqs.NewQueue(st, jsii.String(id), props)
	}
	b.eventDLQ = queue("EventDeadLetterQueue")
	b.failureDLQ = queue("FailedInvocationQueue")
}

// alertTopic creates the encrypted alert topic, which this account's
// CloudWatch alarms may publish to.
func (b *builder) alertTopic() {
	st := b.stack
	// CloudWatch alarms of this account and region publish to the
	// encrypted topic; CloudWatch passes the alarm as the source to KMS.
	b.key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowCloudWatchAlarmsOfThisAccount"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": b.stack.Account()},
			"ArnLike":      map[string]any{"aws:SourceArn": b.arn("cloudwatch", "alarm:*")},
		},
	}), jsii.Bool(false))

	b.topic = awssns.NewTopic(st, jsii.String("AlertTopic"), &awssns.TopicProps{
		DisplayName: jsii.String("sgwarden"),
		MasterKey:   b.key,
		EnforceSSL:  jsii.Bool(true),
	})
	b.topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowAlarmsOfThisAccount"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{b.topic.TopicArn()},
		Conditions: &map[string]any{"ArnLike": map[string]any{"aws:SourceArn": b.arn("cloudwatch", "alarm:*")}},
	}))
	for _, addr := range b.s.AlertEmails {
		b.topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(addr), nil))
	}
}

// buckets creates the report bucket and, when any bucket exists, the bucket
// that receives their server access logs.
func (b *builder) buckets() {
	if !b.s.CreateReportBucket && !b.s.CreateTrail {
		if b.s.ReportBucketName != "" {
			b.reports = awss3.Bucket_FromBucketName(b.stack, jsii.String("ReportBucket"), jsii.String(b.s.ReportBucketName))
		}
		return
	}
	b.accessLogs = awss3.NewBucket(b.stack, jsii.String("AccessLogBucket"), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_S3_MANAGED, // the only encryption S3 server access logging accepts
		EnforceSSL:        jsii.Bool(true),
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		LifecycleRules:    &[]*awss3.LifecycleRule{{Expiration: awscdk.Duration_Days(jsii.Number(accessLogExpiryDays))}},
	})
	switch {
	case b.s.CreateReportBucket:
		b.reports = b.privateBucket("ReportBucket", "reports/")
	case b.s.ReportBucketName != "":
		b.reports = awss3.Bucket_FromBucketName(b.stack, jsii.String("ReportBucket"), jsii.String(b.s.ReportBucketName))
	}
}

// privateBucket is encrypted, TLS-only, blocks public access, expires its
// objects and logs access to the access-log bucket.
func (b *builder) privateBucket(id, logPrefix string) awss3.Bucket {
	return awss3.NewBucket(b.stack, jsii.String(id), &awss3.BucketProps{
		Encryption:             awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:             jsii.Bool(true),
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		ObjectOwnership:        awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		LifecycleRules:         &[]*awss3.LifecycleRule{{Expiration: awscdk.Duration_Days(jsii.Number(bucketExpiryDays))}},
		ServerAccessLogsBucket: b.accessLogs,
		ServerAccessLogsPrefix: jsii.String(logPrefix),
	})
}

// functions creates both functions with their log groups and roles.
func (b *builder) functions(remediateDir, auditDir string) {
	st := b.stack
	b.remediateLG = awslogs.NewLogGroup(st, jsii.String("RemediateLogGroup"), &awslogs.LogGroupProps{
		Retention: retentionDays(b.s.LogRetentionDays),
	})
	b.auditLG = awslogs.NewLogGroup(st, jsii.String("AuditLogGroup"), &awslogs.LogGroupProps{
		Retention: retentionDays(b.s.LogRetentionDays),
	})

	remediateRole := awsiam.NewRole(st, jsii.String("RemediateRole"), &awsiam.RoleProps{
		AssumedBy:      awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description:    jsii.String("sgwarden remediate function: describe and revoke security-group rules, publish alerts"),
		InlinePolicies: &map[string]awsiam.PolicyDocument{"sgwarden": b.policy(b.remediateLG, false)},
	})
	auditRole := awsiam.NewRole(st, jsii.String("AuditRole"), &awsiam.RoleProps{
		AssumedBy:      awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description:    jsii.String("sgwarden audit function: list and revoke security-group rules, publish alerts, write reports"),
		InlinePolicies: &map[string]awsiam.PolicyDocument{"sgwarden": b.policy(b.auditLG, true)},
	})

	env := map[string]*string{
		lambdaenv.EnvMode:             jsii.String(b.s.Mode),
		lambdaenv.EnvTopicARN:         b.topic.TopicArn(),
		lambdaenv.EnvRoleARN:          remediateRole.RoleArn(),
		lambdaenv.EnvPrefixListAction: jsii.String(b.s.PrefixListAction),
	}
	b.outletEnv(env)
	var layers *[]awslambda.ILayerVersion
	if b.s.PolicyFile != "" {
		dir, name := filepath.Split(b.s.PolicyFile)
		b.policyLayer = awslambda.NewLayerVersion(st, jsii.String("PolicyLayer"), &awslambda.LayerVersionProps{
			Description: jsii.String("sgwarden policy file " + name),
			// Only the policy file, whatever else its directory holds.
			Code: awslambda.Code_FromAsset(jsii.String(dir), &awss3assets.AssetOptions{
				Exclude: jsii.Strings("*", "!"+name),
			}),
			CompatibleArchitectures: &[]awslambda.Architecture{awslambda.Architecture_ARM_64()},
			CompatibleRuntimes:      &[]awslambda.Runtime{awslambda.Runtime_PROVIDED_AL2023()},
		})
		layers = &[]awslambda.ILayerVersion{b.policyLayer}
		env[lambdaenv.EnvPolicyFile] = jsii.String(policyLayerMountPath + "/" + name)
	}

	auditEnv := map[string]*string{
		lambdaenv.EnvRegions: jsii.String(""), // the function's own region: one stack per region
	}
	for k, v := range env {
		auditEnv[k] = v
	}
	auditEnv[EnvGoMemLimit] = jsii.String(auditGoMemLimit)
	if b.s.MaxReverts >= 0 {
		auditEnv[lambdaenv.EnvMaxReverts] = jsii.String(strconv.Itoa(b.s.MaxReverts))
	}
	if b.reports != nil {
		auditEnv[lambdaenv.EnvReportBucket] = b.reports.BucketName()
		auditEnv[lambdaenv.EnvReportPrefix] = jsii.String(b.s.ReportPrefix)
	}

	fn := func(id, dir, desc string, role awsiam.Role, lg awslogs.LogGroup, timeout time.Duration, env map[string]*string) awslambda.Function {
		return awslambda.NewFunction(st, jsii.String(id), &awslambda.FunctionProps{
			Description:  jsii.String(desc),
			Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
			Architecture: awslambda.Architecture_ARM_64(),
			Handler:      jsii.String("bootstrap"),
			Code:         awslambda.Code_FromAsset(jsii.String(dir), nil),
			MemorySize:   jsii.Number(memoryMB),
			Timeout:      awscdk.Duration_Seconds(seconds(timeout)),
			Role:         role,
			LogGroup:     lg,
			Layers:       layers,
			Environment:  &env,
		})
	}
	b.remediate = fn("RemediateFunction", remediateDir,
		"sgwarden: evaluates each security-group change event and reverts violating rules",
		remediateRole, b.remediateLG, remediateTimeout, env)
	b.audit = fn("AuditFunction", auditDir,
		"sgwarden: scheduled audit of every security group, rule, ENI and prefix list",
		auditRole, b.auditLG, auditTimeout, auditEnv)

	for id, f := range map[string]awslambda.Function{"RemediateAsyncConfig": b.remediate, "AuditAsyncConfig": b.audit} {
		// L1 on purpose: the L2 destination would also grant wildcard KMS
		// actions (kms:ReEncrypt*, kms:GenerateDataKey*) to the role.
		awslambda.NewCfnEventInvokeConfig(st, jsii.String(id), &awslambda.CfnEventInvokeConfigProps{
			FunctionName:             f.FunctionName(),
			Qualifier:                jsii.String("$LATEST"),
			MaximumRetryAttempts:     jsii.Number(asyncMaxRetries),
			MaximumEventAgeInSeconds: seconds(asyncMaxEventAge),
			DestinationConfig: &awslambda.CfnEventInvokeConfig_DestinationConfigProperty{
				OnFailure: &awslambda.CfnEventInvokeConfig_OnFailureProperty{Destination: b.failureDLQ.QueueArn()},
			},
		})
	}
}

func retentionDays(days int) awslogs.RetentionDays { return logRetentions[days] }

// logRetentions are the retentions CloudWatch Logs accepts, by day count.
var logRetentions = map[int]awslogs.RetentionDays{
	1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS, 5: awslogs.RetentionDays_FIVE_DAYS,
	7: awslogs.RetentionDays_ONE_WEEK, 14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
	60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS, 120: awslogs.RetentionDays_FOUR_MONTHS,
	150: awslogs.RetentionDays_FIVE_MONTHS, 180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
	400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS, 731: awslogs.RetentionDays_TWO_YEARS,
	1096: awslogs.RetentionDays_THREE_YEARS, 1827: awslogs.RetentionDays_FIVE_YEARS, 2192: awslogs.RetentionDays_SIX_YEARS,
	2557: awslogs.RetentionDays_SEVEN_YEARS, 2922: awslogs.RetentionDays_EIGHT_YEARS, 3288: awslogs.RetentionDays_NINE_YEARS,
	3653: awslogs.RetentionDays_TEN_YEARS,
}

// policy is a role's only policy: exactly the calls the function makes.
func (b *builder) policy(lg awslogs.LogGroup, audit bool) awsiam.PolicyDocument {
	stmt := func(sid string, actions []string, resources ...*string) awsiam.PolicyStatement {
		return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String(sid),
			Actions:   jsii.Strings(actions...),
			Resources: &resources,
		})
	}
	statements := []awsiam.PolicyStatement{
		// These describe calls do not support resource-level permissions.
		stmt("DescribeSecurityGroups", DescribeActions, jsii.String("*")),
		stmt("ReadPrefixListEntries", []string{"ec2:GetManagedPrefixListEntries"},
			// Any owner: rules may reference AWS-managed or shared lists.
			awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("arn:"), b.stack.Partition(),
				jsii.String(":ec2:"), b.stack.Region(), jsii.String(":*:prefix-list/*")})),
	}
	if revoke := b.revokeActions(audit); len(revoke) > 0 {
		statements = append(statements, stmt("RevokeSecurityGroupRules", revoke,
			b.arn("ec2", "security-group/*"), b.arn("ec2", "security-group-rule/*")))
	}
	// Only the remediate function reverts prefix-list entries, and only in
	// enforce mode; the audit reports them.
	if b.s.PrefixListAction == "revert" && b.s.Enforces() && !audit {
		statements = append(statements, stmt("RevertPrefixListEntries", []string{"ec2:ModifyManagedPrefixList"},
			b.arn("ec2", "prefix-list/*")))
	}
	statements = append(statements, stmt("PutOCSFEvents", []string{"events:PutEvents"}, b.eventBusARN()))
	if b.s.SecurityHub {
		// The account's default product: findings of this account only.
		product := awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("arn:"), b.stack.Partition(), jsii.String(":securityhub:"),
			b.stack.Region(), jsii.String(":"), b.stack.Account(), jsii.String(":product/"), b.stack.Account(), jsii.String("/default")})
		statements = append(statements, stmt("ImportFindings", []string{"securityhub:BatchImportFindings"}, product))
		if audit {
			// The audit reads sgwarden's active findings to close those
			// whose rule is gone.
			statements = append(statements, stmt("ReadFindings", []string{"securityhub:GetFindings"}, b.arn("securityhub", "hub/default")))
		}
	}
	statements = append(statements,
		stmt("PublishAlerts", []string{"sns:Publish"}, b.topicARN()),
		stmt("SendFailedInvocations", []string{"sqs:SendMessage"}, b.failureDLQ.QueueArn()),
		stmt("UseTopicAndQueueKey", []string{"kms:Decrypt", "kms:GenerateDataKey"}, b.keyARNs()...),
		stmt("WriteOwnLogs", []string{"logs:CreateLogStream", "logs:PutLogEvents"}, lg.LogGroupArn()),
	)
	if audit && b.reports != nil {
		statements = append(statements, stmt("WriteReports", []string{"s3:PutObject"},
			b.reports.ArnForObjects(jsii.String(b.s.ReportPrefix+"*"))))
	}
	return awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &statements})
}

// DescribeActions are the EC2 reads both functions make.
var DescribeActions = []string{
	"ec2:DescribeSecurityGroups",
	"ec2:DescribeSecurityGroupRules",
	"ec2:DescribeNetworkInterfaces",
	"ec2:DescribeManagedPrefixLists",
}

// revokeActions are the revokes a role may make: none in dry-run, none for
// the audit unless it may revert (maxReverts above 0), and per direction
// only when a check of the policy reverts rules of that direction.
func (b *builder) revokeActions(audit bool) []string {
	if !b.s.Enforces() || (audit && !b.s.AuditReverts()) {
		return nil
	}
	var out []string
	if b.s.RevertsIngress {
		out = append(out, "ec2:RevokeSecurityGroupIngress")
	}
	if b.s.RevertsEgress {
		out = append(out, "ec2:RevokeSecurityGroupEgress")
	}
	return out
}

// rules creates the change rule and the audit schedule, each with an
// explicit invoke permission scoped to the rule.
func (b *builder) rules() {
	target := func(id string, fn awslambda.Function) *[]*awsevents.CfnRule_TargetProperty {
		return &[]*awsevents.CfnRule_TargetProperty{{
			Id:  jsii.String(id),
			Arn: fn.FunctionArn(),
			RetryPolicy: &awsevents.CfnRule_RetryPolicyProperty{
				MaximumRetryAttempts:     jsii.Number(ruleTargetRetries),
				MaximumEventAgeInSeconds: seconds(ruleTargetMaxAge),
			},
			DeadLetterConfig: &awsevents.CfnRule_DeadLetterConfigProperty{Arn: b.eventDLQ.QueueArn()},
		}}
	}
	b.changeRule = awsevents.NewCfnRule(b.stack, jsii.String("SecurityGroupChangeRule"), &awsevents.CfnRuleProps{
		Description:  jsii.String("sgwarden: successful security-group, prefix-list, tag and ENI changes recorded by CloudTrail"),
		EventPattern: RulePattern(),
		State:        jsii.String("ENABLED"),
		Targets:      target("remediate", b.remediate),
	})
	rules := []awsevents.CfnRule{b.changeRule}
	invokes := map[string]awslambda.Function{"InvokeFromChangeRule": b.remediate}
	if b.audit != nil {
		b.auditRule = awsevents.NewCfnRule(b.stack, jsii.String("AuditScheduleRule"), &awsevents.CfnRuleProps{
			Description:        jsii.String("sgwarden: scheduled audit"),
			ScheduleExpression: jsii.String(b.s.AuditSchedule),
			State:              jsii.String("ENABLED"),
			Targets:            target("audit", b.audit),
		})
		rules = append(rules, b.auditRule)
		invokes["InvokeFromAuditRule"] = b.audit
	}
	// EventBridge writes to the encrypted event DLQ on behalf of these
	// rules only. The key policy cannot reference the rules (each rule
	// depends on the queue, which depends on the key), so the rules get
	// names fixed at synth time and the statement names their ARNs.
	var ruleARNs []*string
	for _, r := range rules {
		name := b.ruleName(r)
		r.SetName(jsii.String(name))
		ruleARNs = append(ruleARNs, b.arn("events", "rule/"+name))
	}
	if b.key != nil { // a member's queues use SQS's own keys
		b.key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("AllowEventBridgeRulesOfThisStack"),
			Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil)},
			Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey"),
			Resources:  jsii.Strings("*"),
			Conditions: &map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": ruleARNs}},
		}), jsii.Bool(false))
	}
	// Without these, the rule matches and nothing is invoked: the failure
	// shows only in the rule's FailedInvocations metric.
	var ruleRefs []*string
	for i, r := range rules {
		id := "InvokeFromChangeRule"
		if i == 1 {
			id = "InvokeFromAuditRule"
		}
		invokes[id].AddPermission(jsii.String(id), &awslambda.Permission{
			Principal:     awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil),
			Action:        jsii.String("lambda:InvokeFunction"),
			SourceArn:     r.AttrArn(),
			SourceAccount: b.stack.Account(),
		})
		ruleRefs = append(ruleRefs, r.AttrArn())
	}
	b.eventDLQ.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowSgwardenRules"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sqs:SendMessage"),
		Resources:  &[]*string{b.eventDLQ.QueueArn()},
		Conditions: &map[string]any{"ArnEquals": map[string]any{
			"aws:SourceArn": ruleRefs,
		}},
	}))
}

// ruleName is STACK-ID-HASH, the shape CloudFormation gives a generated
// name (doctor --stack finds the rule by it), fixed at synth time: the
// stack's name, the rule's construct ID and a hash of its path, within
// EventBridge's 64 characters.
func (b *builder) ruleName(r awsevents.CfnRule) string {
	sum := sha256.Sum256([]byte(*r.Node().Path()))
	id, suffix := *r.Node().Id(), "-"+strings.ToUpper(hex.EncodeToString(sum[:])[:12])
	stack := *b.stack.StackName()
	if room := 64 - len(id) - len(suffix) - 1; len(stack) > room {
		stack = stack[:max(room, 0)]
	}
	return stack + "-" + id + suffix
}

// alarms notify the topic of failures that would otherwise stay silent.
func (b *builder) alarms() {
	var alarms []awscloudwatch.Alarm
	alarm := func(id, desc string, metric awscloudwatch.IMetric, op awscloudwatch.ComparisonOperator, threshold float64, evals int, missing awscloudwatch.TreatMissingData) {
		a := awscloudwatch.NewAlarm(b.stack, jsii.String(id), &awscloudwatch.AlarmProps{
			AlarmDescription:   jsii.String(desc),
			Metric:             metric,
			ComparisonOperator: op,
			Threshold:          jsii.Number(threshold),
			EvaluationPeriods:  jsii.Number(float64(evals)),
			DatapointsToAlarm:  jsii.Number(float64(evals)),
			TreatMissingData:   missing,
		})
		if b.topic != nil {
			a.AddAlarmAction(awscloudwatchactions.NewSnsAction(b.topic))
		}
		alarms = append(alarms, a)
	}
	five := awscdk.Duration_Minutes(jsii.Number(5))
	sum := func(m awscloudwatch.Metric) awscloudwatch.IMetric {
		return m.With(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: five})
	}
	gt := awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD
	quiet := awscloudwatch.TreatMissingData_NOT_BREACHING

	alarm("RemediateErrorsAlarm", "sgwarden remediate function returned errors",
		sum(b.remediate.MetricErrors(nil)), gt, 0, 1, quiet)
	if b.audit != nil {
		alarm("AuditErrorsAlarm", "sgwarden audit function returned errors",
			sum(b.audit.MetricErrors(nil)), gt, 0, 1, quiet)
	}
	for id, q := range map[string]awssqs.Queue{"EventDeadLetterAlarm": b.eventDLQ, "FailedInvocationAlarm": b.failureDLQ} {
		alarm(id, "sgwarden dead-letter queue holds messages: events were not processed",
			q.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Statistic: jsii.String("Maximum"), Period: five}),
			gt, 0, 1, quiet)
	}
	ruleAlarms := map[string]awsevents.CfnRule{"ChangeRuleFailedInvocationsAlarm": b.changeRule}
	if b.auditRule != nil {
		ruleAlarms["AuditRuleFailedInvocationsAlarm"] = b.auditRule
	}
	for id, r := range ruleAlarms {
		alarm(id, "sgwarden EventBridge rule could not invoke its function",
			awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
				Namespace:     jsii.String("AWS/Events"),
				MetricName:    jsii.String("FailedInvocations"),
				DimensionsMap: &map[string]*string{"RuleName": r.Ref()},
				Statistic:     jsii.String("Sum"),
				Period:        five,
			}), gt, 0, 1, quiet)
	}
	if b.audit != nil {
		period, evals := auditWindow(b.s.AuditInterval)
		alarm("AuditNotRunningAlarm",
			fmt.Sprintf("sgwarden audit has not run for %s (schedule %s)", time.Duration(evals)*period, b.s.AuditSchedule),
			b.audit.MetricInvocations(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: awscdk.Duration_Seconds(seconds(period))}),
			awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD, 1, evals, awscloudwatch.TreatMissingData_BREACHING)
	}
	if b.member != nil {
		b.forwardAlarms(alarms)
	}
}

// auditWindow is how long the audit may stay silent before the alarm fires:
// two schedule intervals, at least ten minutes, at most the seven days a
// CloudWatch alarm can look back. A cron() schedule gets the full week.
func auditWindow(interval time.Duration) (period time.Duration, evals int) {
	const day = 24 * time.Hour
	window := 7 * day
	if interval > 0 {
		window = min(max(2*interval, 10*time.Minute), 7*day)
	}
	if window <= day {
		return window.Round(time.Minute), 1
	}
	return day, int((window + day - 1) / day)
}

// trail creates a single-region trail, so that EventBridge receives the
// CloudTrail events of this region.
func (b *builder) trail() {
	if !b.s.CreateTrail {
		return
	}
	bucket := b.privateBucket("TrailBucket", "trail/")
	awscloudtrail.NewTrail(b.stack, jsii.String("Trail"), &awscloudtrail.TrailProps{
		Bucket:                     bucket,
		IsMultiRegionTrail:         jsii.Bool(false),
		IncludeGlobalServiceEvents: jsii.Bool(false),
		ManagementEvents:           awscloudtrail.ReadWriteType_WRITE_ONLY,
		EnableFileValidation:       jsii.Bool(true),
		SendToCloudWatchLogs:       jsii.Bool(false),
	})
}

func (b *builder) outputs() {
	if b.member != nil {
		return
	}
	out := func(id, desc string, v *string) {
		awscdk.NewCfnOutput(b.stack, jsii.String(id), &awscdk.CfnOutputProps{Description: jsii.String(desc), Value: v})
	}
	out("AlertTopicArn", "SNS topic that receives sgwarden alerts", b.topic.TopicArn())
	out("ChangeRuleName", "EventBridge rule that routes security-group changes", b.changeRule.Ref())
	out("RemediateFunctionName", "remediate Lambda function", b.remediate.FunctionName())
	out("AuditFunctionName", "audit Lambda function", b.audit.FunctionName())
	out("EventDeadLetterQueueUrl", "events EventBridge could not deliver", b.eventDLQ.QueueUrl())
	out("FailedInvocationQueueUrl", "invocations that failed after every retry", b.failureDLQ.QueueUrl())
	out("Mode", "enforce or dry-run", jsii.String(b.s.Mode))
	if b.reports != nil {
		out("ReportBucketName", "bucket the audit writes reports to", b.reports.BucketName())
	}
}
