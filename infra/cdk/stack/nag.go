package stack

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// AddNagChecks applies cdk-nag's AwsSolutions pack to every stack under
// scope. Its findings become error annotations, which fail `cdk synth`.
func AddNagChecks(scope constructs.IConstruct) {
	awscdk.Aspects_Of(scope).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
}

// suppress records a reasoned cdk-nag suppression on c and its children.
// findings, when given, are ECMA-262 regular expressions that narrow it to
// matching findings (e.g. one wildcard resource), so a new wildcard added
// later is still reported.
func suppress(c constructs.IConstruct, id, reason string, findings ...string) {
	s := &cdknag.NagPackSuppression{Id: jsii.String(id), Reason: jsii.String(reason)}
	if len(findings) > 0 {
		list := make([]any, len(findings))
		for i, f := range findings {
			list[i] = &cdknag.RegexAppliesTo{Regex: jsii.String("/" + f + "/")}
		}
		s.AppliesTo = &list
	}
	cdknag.NagSuppressions_AddResourceSuppressions(c, &[]*cdknag.NagPackSuppression{s}, jsii.Bool(true))
}

// ec2ARN matches the cdk-nag rendering of an EC2 ARN of this stack's
// partition and region (literal or pseudo-parameter) for resource type typ.
func ec2ARN(account, typ string) string {
	return `^Resource::arn:<AWS::Partition>:ec2:(<AWS::Region>|[a-z0-9-]+):` + account + `:` + typ + `\/\*$`
}

// ownAccount matches this stack's account, literal or pseudo-parameter.
const ownAccount = `(<AWS::AccountId>|[0-9]{12})`

// suppressions lists every finding the stack accepts, each with its reason.
func (b *builder) suppressions() {
	roles := []constructs.IConstruct{b.remediate.Role()}
	if b.audit != nil {
		roles = append(roles, b.audit.Role())
	}
	for i, role := range roles {
		isRemediate := i == 0
		suppress(role, "AwsSolutions-IAM5",
			"ec2:DescribeSecurityGroups, DescribeSecurityGroupRules, DescribeNetworkInterfaces and "+
				"DescribeManagedPrefixLists do not support resource-level permissions, so IAM requires Resource \"*\"; "+
				"the statement grants only those four read-only actions.",
			`^Resource::\*$`)
		if len(b.revokeActions(!isRemediate)) > 0 {
			suppress(role, "AwsSolutions-IAM5",
				"sgwarden exists to revoke violating rules on any security group of this account and region; "+
					"the wildcard stands for the group or rule ID only (account and region are fixed), and the "+
					"statement grants only the RevokeSecurityGroupIngress/Egress actions the policy's revert checks need.",
				ec2ARN(ownAccount, "security-group"), ec2ARN(ownAccount, "security-group-rule"))
		}
		suppress(role, "AwsSolutions-IAM5",
			"ec2:GetManagedPrefixListEntries must read the entries of any prefix list a rule references, "+
				"including AWS-managed lists (owner \"aws\") and lists shared by other accounts, which are not "+
				"known at deploy time; partition, region and resource type are fixed and the action is read-only.",
			ec2ARN(`\*`, "prefix-list"))
		if b.s.PrefixListAction == "revert" && b.s.Enforces() && isRemediate {
			suppress(role, "AwsSolutions-IAM5",
				"prefixListAction=revert removes public entries from any customer-managed prefix list of this "+
					"account and region that rules reference; the wildcard stands for the list ID only.",
				ec2ARN(ownAccount, "prefix-list"))
		}
	}
	if b.reports != nil {
		suppress(b.audit.Role(), "AwsSolutions-IAM5",
			"The audit writes one report object per run with a generated key; s3:PutObject is limited to "+
				"keys under the report prefix "+b.s.ReportPrefix+" of the report bucket.",
			`^Resource::.*\/`+regexpQuote(b.s.ReportPrefix)+`\*$`)
	}
	if b.member != nil {
		b.memberSuppressions()
	}
	for _, q := range []constructs.IConstruct{b.eventDLQ, b.failureDLQ} {
		suppress(q, "AwsSolutions-SQS3",
			"This queue is itself a dead-letter queue (EventBridge target DLQ or Lambda on-failure "+
				"destination), not a work queue; a queue behind it would only hold the same messages again. "+
				"Its depth alarms to the alert topic.")
	}
}

// regexpQuote escapes s for an ECMA-262 regular expression literal.
func regexpQuote(s string) string {
	var out []rune
	for _, r := range s {
		if strings.ContainsRune(`\^$.|?*+()[]{}/`, r) {
			out = append(out, '\\')
		}
		out = append(out, r)
	}
	return string(out)
}

// memberSuppressions covers the account-wide audit roles of a member stack.
func (b *builder) memberSuppressions() {
	anyRegionARN := func(account, typ string) string {
		return `^Resource::arn:<AWS::Partition>:ec2:\*:` + account + `:` + typ + `\/\*$`
	}
	for _, id := range []string{"AuditReadRole", "AuditRevertRole"} {
		role := b.stack.Node().TryFindChild(jsii.String(id))
		if role == nil {
			continue
		}
		suppress(role, "AwsSolutions-IAM5",
			"The EC2 describe actions do not support resource-level permissions, so IAM requires Resource \"*\"; "+
				"the statement grants only read-only describe actions (in the revert role the two that confirm a rule is gone).",
			`^Resource::\*$`)
		suppress(role, "AwsSolutions-IAM5",
			"The organization audit covers every region of this account with one role (IAM is global): prefix lists "+
				"of any owner are read, and the revert role revokes rules of this account only (account fixed, "+
				"the wildcards stand for the region and the group, rule or list ID).",
			anyRegionARN(`\*`, "prefix-list"), anyRegionARN(ownAccount, "security-group"), anyRegionARN(ownAccount, "security-group-rule"))
	}
}
