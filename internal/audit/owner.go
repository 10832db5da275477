package audit

import "github.com/sgwarden/sgwarden/internal/remediate"

// Owner types of a network interface (policy.ENI.OwnerType). The event
// path and the audit share one classifier, remediate.ClassifyOwner, so an
// alert and a report never disagree on what owns an interface.
const (
	OwnerInstance     = remediate.OwnerInstance
	OwnerLoadBalancer = remediate.OwnerLoadBalancer
	OwnerLambda       = remediate.OwnerLambda
	OwnerVPCEndpoint  = remediate.OwnerVPCEndpoint
	OwnerNATGateway   = remediate.OwnerNATGateway
	OwnerAWSService   = remediate.OwnerAWSService
	OwnerUnattached   = remediate.OwnerUnattached
)

// ClassifyOwner says what uses a network interface (remediate.ClassifyOwner).
var ClassifyOwner = remediate.ClassifyOwner
