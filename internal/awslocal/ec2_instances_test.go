package awslocal_test

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/sgwarden/sgwarden/internal/awslocal"
)

func TestModifyInstanceAttributeGroups(t *testing.T) {
	ctx := context.Background()
	const vpc, other = "vpc-0a0000000000000a1", "vpc-0b0000000000000b1"
	fx := &awslocal.Fixture{
		VPCs: []awslocal.VPCSpec{{ID: vpc, CIDR: "10.0.0.0/16"}, {ID: other, CIDR: "10.1.0.0/16"}},
		Groups: []awslocal.GroupSpec{
			{ID: "sg-0a0000000000000a1", Name: "web", VPC: vpc},
			{ID: "sg-0a0000000000000a2", Name: "ftp", VPC: vpc},
			{ID: "sg-0b0000000000000b1", Name: "elsewhere", VPC: other},
		},
		NetworkInterfaces: []awslocal.ENISpec{
			{ID: "eni-0a0000000000000a1", VPC: vpc, Groups: []string{"sg-0a0000000000000a1"}, InstanceID: "i-0a0000000000000a1"},
			{ID: "eni-0a0000000000000a2", VPC: vpc, Groups: []string{"sg-0a0000000000000a1"}, InstanceID: "i-0a0000000000000a2"},
			{ID: "eni-0a0000000000000a3", VPC: vpc, Groups: []string{"sg-0a0000000000000a1"}, InstanceID: "i-0a0000000000000a2"},
		},
	}
	e, _ := local(t, "fixtures", awslocal.WithFixture(fx))
	if _, err := e.ec2.ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{
		InstanceId: aws.String("i-0a0000000000000a1"), Groups: []string{"sg-0a0000000000000a1", "sg-0a0000000000000a2"},
	}); err != nil {
		t.Fatalf("ModifyInstanceAttribute(groups): %v", err)
	}
	out, err := e.ec2.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{
		Filters: []types.Filter{{Name: aws.String("attachment.instance-id"), Values: []string{"i-0a0000000000000a1"}}},
	})
	if err != nil || len(out.NetworkInterfaces) != 1 {
		t.Fatalf("DescribeNetworkInterfaces = %v, %v", out, err)
	}
	var got []string
	for _, g := range out.NetworkInterfaces[0].Groups {
		got = append(got, aws.ToString(g.GroupId))
	}
	if !slices.Equal(got, []string{"sg-0a0000000000000a1", "sg-0a0000000000000a2"}) {
		t.Errorf("groups after ModifyInstanceAttribute = %v, want web and ftp", got)
	}
	tests := []struct {
		name, instance, code string
		groups               []string
	}{
		{"unknown instance", "i-0dead00000000dead", "InvalidInstanceID.NotFound", []string{"sg-0a0000000000000a1"}},
		{"several interfaces", "i-0a0000000000000a2", "InvalidInstanceID", []string{"sg-0a0000000000000a1"}},
		{"group of another VPC", "i-0a0000000000000a1", "InvalidGroup.NotFound", []string{"sg-0b0000000000000b1"}},
		{"missing group", "i-0a0000000000000a1", "InvalidGroup.NotFound", []string{"sg-0dead00000000dead"}},
	}
	for _, tt := range tests {
		_, err := e.ec2.ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{InstanceId: aws.String(tt.instance), Groups: tt.groups}, noRetry)
		wantErr(t, "ModifyInstanceAttribute("+tt.name+")", err, tt.code, 400)
	}
	_, err = e.ec2.ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{InstanceId: aws.String("i-0a0000000000000a1"),
		InstanceType: &types.AttributeValue{Value: aws.String("t3.micro")}}, noRetry)
	wantErr(t, "ModifyInstanceAttribute(instance type)", err, "InvalidParameterCombination", 400)
}
