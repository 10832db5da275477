package remediate

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// Owner types of a network interface (policy.ENI.OwnerType).
const (
	OwnerInstance     = "instance"
	OwnerLoadBalancer = "load-balancer"
	OwnerLambda       = "lambda"
	OwnerVPCEndpoint  = "vpc-endpoint"
	OwnerNATGateway   = "nat-gateway"
	OwnerAWSService   = "aws-service"
	OwnerUnattached   = "unattached"
)

// ClassifyOwner says what uses a network interface. Interfaces that AWS
// services manage (load balancers, endpoints, NAT gateways, Lambda) are
// classified by their service rather than reported as instances, so that a
// policy can be tuned for them.
func ClassifyOwner(ni *types.NetworkInterface) string {
	var requester, description, instanceID, instanceOwner, principal string
	if ni.RequesterId != nil {
		requester = *ni.RequesterId
	}
	if ni.Description != nil {
		description = *ni.Description
	}
	if a := ni.Attachment; a != nil {
		if a.InstanceId != nil {
			instanceID = *a.InstanceId
		}
		if a.InstanceOwnerId != nil {
			instanceOwner = *a.InstanceOwnerId
		}
	}
	if ni.Operator != nil && ni.Operator.Principal != nil {
		principal = *ni.Operator.Principal
	}
	managed := (ni.RequesterManaged != nil && *ni.RequesterManaged) ||
		(ni.Operator != nil && ni.Operator.Managed != nil && *ni.Operator.Managed)
	return classify(string(ni.InterfaceType), requester, description, instanceID, instanceOwner, principal, managed, ni.Attachment != nil)
}

func classify(ifType, requester, description, instanceID, instanceOwner, principal string, managed, attached bool) string {
	switch ifType {
	case "load_balancer", "network_load_balancer", "gateway_load_balancer":
		return OwnerLoadBalancer
	case "vpc_endpoint", "gateway_load_balancer_endpoint":
		return OwnerVPCEndpoint
	case "natGateway", "nat_gateway":
		return OwnerNATGateway
	case "lambda":
		return OwnerLambda
	case "interface", "", "efa", "efa-only", "trunk", "branch":
		// Generic types: decided by who requested or owns the interface below.
	default:
		// transit_gateway, quicksight, api_gateway_managed, ...
		return OwnerAWSService
	}
	switch {
	case requester == "amazon-elb" || instanceOwner == "amazon-elb" || strings.HasPrefix(description, "ELB "):
		return OwnerLoadBalancer
	case strings.Contains(requester, ":AWSLambda") || strings.HasPrefix(description, "AWS Lambda VPC ENI"):
		return OwnerLambda
	case strings.HasPrefix(description, "VPC Endpoint Interface"):
		return OwnerVPCEndpoint
	case strings.HasPrefix(description, "Interface for NAT Gateway"):
		return OwnerNATGateway
	case instanceID != "" && !strings.HasPrefix(instanceOwner, "amazon-"):
		return OwnerInstance
	case managed || requester != "" || principal != "" || strings.HasPrefix(instanceOwner, "amazon-"):
		return OwnerAWSService
	case attached:
		// Attached to something that is not an instance we can name.
		return OwnerAWSService
	default:
		return OwnerUnattached
	}
}
