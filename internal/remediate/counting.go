package remediate

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// countingEC2 counts the calls of one invocation.
type countingEC2 struct {
	api EC2API
	n   *callCounter
}

func (c countingEC2) RevokeSecurityGroupIngress(ctx context.Context, in *ec2.RevokeSecurityGroupIngressInput, o ...func(*ec2.Options)) (*ec2.RevokeSecurityGroupIngressOutput, error) {
	c.n.add()
	return c.api.RevokeSecurityGroupIngress(ctx, in, o...)
}

func (c countingEC2) RevokeSecurityGroupEgress(ctx context.Context, in *ec2.RevokeSecurityGroupEgressInput, o ...func(*ec2.Options)) (*ec2.RevokeSecurityGroupEgressOutput, error) {
	c.n.add()
	return c.api.RevokeSecurityGroupEgress(ctx, in, o...)
}

func (c countingEC2) DescribeSecurityGroups(ctx context.Context, in *ec2.DescribeSecurityGroupsInput, o ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error) {
	c.n.add()
	return c.api.DescribeSecurityGroups(ctx, in, o...)
}

func (c countingEC2) DescribeSecurityGroupRules(ctx context.Context, in *ec2.DescribeSecurityGroupRulesInput, o ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupRulesOutput, error) {
	c.n.add()
	return c.api.DescribeSecurityGroupRules(ctx, in, o...)
}

func (c countingEC2) DescribeNetworkInterfaces(ctx context.Context, in *ec2.DescribeNetworkInterfacesInput, o ...func(*ec2.Options)) (*ec2.DescribeNetworkInterfacesOutput, error) {
	c.n.add()
	return c.api.DescribeNetworkInterfaces(ctx, in, o...)
}

func (c countingEC2) DescribeManagedPrefixLists(ctx context.Context, in *ec2.DescribeManagedPrefixListsInput, o ...func(*ec2.Options)) (*ec2.DescribeManagedPrefixListsOutput, error) {
	c.n.add()
	return c.api.DescribeManagedPrefixLists(ctx, in, o...)
}

func (c countingEC2) GetManagedPrefixListEntries(ctx context.Context, in *ec2.GetManagedPrefixListEntriesInput, o ...func(*ec2.Options)) (*ec2.GetManagedPrefixListEntriesOutput, error) {
	c.n.add()
	return c.api.GetManagedPrefixListEntries(ctx, in, o...)
}

func (c countingEC2) ModifyManagedPrefixList(ctx context.Context, in *ec2.ModifyManagedPrefixListInput, o ...func(*ec2.Options)) (*ec2.ModifyManagedPrefixListOutput, error) {
	c.n.add()
	return c.api.ModifyManagedPrefixList(ctx, in, o...)
}

type countingSNS struct {
	api Publisher
	n   *callCounter
}

func (c countingSNS) Publish(ctx context.Context, in *sns.PublishInput, o ...func(*sns.Options)) (*sns.PublishOutput, error) {
	c.n.add()
	return c.api.Publish(ctx, in, o...)
}
