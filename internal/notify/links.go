package notify

import (
	"net/url"
	"strings"
)

// Links into the AWS console and ARNs, in the aws partition, shared by the
// alert's renderings (chat, Security Hub, OCSF).

// consoleHost is the console's host for a region's partition.
func consoleHost(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "console.amazonaws.cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "console.amazonaws-us-gov.com"
	}
	return region + ".console.aws.amazon.com"
}

// GroupConsoleURL links to a security group in the EC2 console.
func GroupConsoleURL(region, groupID string) string {
	return "https://" + consoleHost(region) + "/ec2/home?region=" + url.QueryEscape(region) +
		"#SecurityGroup:groupId=" + url.QueryEscape(groupID)
}

// EventConsoleURL links to a CloudTrail event in the console.
func EventConsoleURL(region, eventID string) string {
	return "https://" + consoleHost(region) + "/cloudtrailv2/home?region=" + url.QueryEscape(region) +
		"#/events/" + url.PathEscape(eventID)
}

// GroupARN is the ARN of a security group.
func GroupARN(region, account, groupID string) string {
	return "arn:aws:ec2:" + region + ":" + account + ":security-group/" + groupID
}
