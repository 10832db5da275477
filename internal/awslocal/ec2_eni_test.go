package awslocal_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func TestDescribeNetworkInterfacesFilterGroupIDPages(t *testing.T) {
	ctx := context.Background()
	// 2,500 interfaces over 50 groups, each in groups i%50 and (i+1)%50.
	e, _ := local(t, "seeding", withScale(50, 0, 2500))
	g := "sg-00000000000000001" // the first seeded group
	p := ec2.NewDescribeNetworkInterfacesPaginator(e.ec2, &ec2.DescribeNetworkInterfacesInput{
		MaxResults: aws.Int32(20), Filters: []types.Filter{{Name: aws.String("group-id"), Values: []string{g}}},
	})
	enis := map[string]bool{}
	pages := drain(t, p, func(out *ec2.DescribeNetworkInterfacesOutput) {
		for _, n := range out.NetworkInterfaces {
			in := false
			for _, gi := range n.Groups {
				in = in || aws.ToString(gi.GroupId) == g
			}
			if !in {
				t.Errorf("%s is not in %s but matched group-id", aws.ToString(n.NetworkInterfaceId), g)
			}
			if aws.ToString(n.Attachment.InstanceId) == "" || aws.ToString(n.PrivateIpAddress) == "" {
				t.Errorf("%s lacks its attachment or address: %+v", aws.ToString(n.NetworkInterfaceId), n)
			}
			enis[aws.ToString(n.NetworkInterfaceId)] = true
		}
	})
	// 50 interfaces have g first and 50 have it second.
	if len(enis) != 100 || pages != 5 {
		t.Errorf("group-id=%s: %d interfaces over %d pages, want 100 over 5", g, len(enis), pages)
	}
	all := ec2.NewDescribeNetworkInterfacesPaginator(e.ec2, &ec2.DescribeNetworkInterfacesInput{MaxResults: aws.Int32(1000)})
	total := 0
	pages = drain(t, all, func(out *ec2.DescribeNetworkInterfacesOutput) { total += len(out.NetworkInterfaces) })
	if total != 2500 || pages != 3 {
		t.Errorf("all interfaces: %d over %d pages, want 2500 over 3", total, pages)
	}
	_, err := e.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(g)})
	wantErr(t, "DeleteSecurityGroup(attached to interfaces)", err, "DependencyViolation", 400)
	_, err = e.ec2.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: []string{"eni-0000000000000dead"}})
	wantErr(t, "DescribeNetworkInterfaces(missing)", err, "InvalidNetworkInterfaceID.NotFound", 400)
}
