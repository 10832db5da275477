package iac

import (
	"github.com/sgwarden/sgwarden/internal/policy"
)

// Format names what kind of input a Template was read from.
type Format string

const (
	FormatCloudFormation Format = "cloudformation"
	FormatCDK            Format = "cdk"
	FormatTerraformPlan  Format = "terraform-plan"
)

// Template is one read input: a CloudFormation template, one stack of a
// cloud assembly, or a Terraform plan.
type Template struct {
	File   string
	Format Format
	// Stack is the CDK stack name (cloud assembly only).
	Stack string
	// Parameters are the names of the template's parameters, sorted. A
	// --parameters name that no input declares is a mistake the caller
	// reports (one value may serve several templates).
	Parameters []string
	Rules      []Rule
}

// Rule is one security-group rule as the input declares it: a single
// (direction, protocol, port range, peer) tuple, ready for the policy
// engine, with where it was written.
//
// Rule.GroupID is the group's logical ID or Terraform address (or its sg-
// ID when the input names an existing group), so that a self-reference is
// recognized as one.
type Rule struct {
	policy.Rule
	Loc Location
	// Resource is the logical ID or Terraform address of the resource that
	// declares the rule (the group itself for inline rules).
	Resource string
	// CDKPath is the construct path (aws:cdk:path) of that resource.
	CDKPath string
	// Conditions are the CloudFormation conditions under which the rule
	// exists as read: "IsProd" (true) or "!IsProd" (false), one per Fn::If
	// branch or resource Condition taken.
	Conditions []string
	// Unknown lists the fields whose values are not known before deploy.
	// The rule's fields then hold the widest value (every port, the whole
	// internet), so judging it shows what the rule could violate.
	Unknown []Unknown
	// PeerUnknown is set when the peer itself is unknown (Peer then holds
	// the whole internet of its address family).
	PeerUnknown bool
	// Implicit is set for the egress rule EC2 adds to a new group whose
	// template declares no egress.
	Implicit bool
}

// Unknown is one field whose value is not known before deploy.
type Unknown struct {
	Field string `json:"field"`
	Why   string `json:"why"`
}
