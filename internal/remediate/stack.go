package remediate

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/sgwarden/sgwarden/internal/notify"
	"github.com/sgwarden/sgwarden/internal/policy"
)

// cloudFormation is the invokedBy of the API calls CloudFormation makes.
const cloudFormation = "cloudformation.amazonaws.com"

// stackOf names the CloudFormation stack that manages group g: from the
// group's aws:cloudformation:* tags, or, when the event was made by
// CloudFormation, a stack known only by that. It returns nil for a group
// no stack manages. action is the policy's stackManaged setting.
func stackOf(g *types.SecurityGroup, invokedBy string, action policy.Action) *notify.Stack {
	s := &notify.Stack{Action: string(action)}
	if g != nil {
		for _, t := range g.Tags {
			switch aws.ToString(t.Key) {
			case policy.StackNameTag:
				s.Name = aws.ToString(t.Value)
			case policy.StackLogicalIDTag:
				s.LogicalID = aws.ToString(t.Value)
			}
		}
	}
	if s.Name == "" && s.LogicalID == "" && invokedBy != cloudFormation {
		return nil
	}
	return s
}

// alertOnly applies the policy's stackManaged setting to the violations
// of a stack-managed group's rule, and reports whether it turned any
// revert into an alert.
func alertOnly(e *policy.Engine, vs []policy.Violation) bool {
	turned := false
	for i := range vs {
		d := e.StackManagedDecision(vs[i].Decision, true)
		turned = turned || d != vs[i].Decision
		vs[i].Decision = d
	}
	return turned
}
