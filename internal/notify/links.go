package notify

import "net/url"

// Links into the AWS console and ARNs, in the aws partition, shared by the
// alert's renderings (chat, Security Hub, OCSF).

// GroupConsoleURL links to a security group in the EC2 console (aws
// partition).
func GroupConsoleURL(region, groupID string) string {
	return "https://" + region + ".console.aws.amazon.com/ec2/home?region=" + url.QueryEscape(region) +
		"#SecurityGroup:groupId=" + url.QueryEscape(groupID)
}

// EventConsoleURL links to a CloudTrail event in the console.
func EventConsoleURL(region, eventID string) string {
	return "https://" + region + ".console.aws.amazon.com/cloudtrailv2/home?region=" + url.QueryEscape(region) +
		"#/events/" + url.PathEscape(eventID)
}

// GroupARN is the ARN of a security group.
func GroupARN(region, account, groupID string) string {
	return "arn:aws:ec2:" + region + ":" + account + ":security-group/" + groupID
}
