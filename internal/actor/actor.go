package actor

import (
	"strings"
)

// Kind says how the person was found.
type Kind string

const (
	// KindIdentityCenter: an IAM Identity Center (SSO) user; Name is the
	// session name, which Identity Center sets to the user name.
	KindIdentityCenter Kind = "identity-center"
	// KindIAMUser: an IAM user; Name is the user name.
	KindIAMUser Kind = "iam-user"
	// KindRoot: the account's root user.
	KindRoot Kind = "root"
	// KindFederated: a SAML/OIDC or GetFederationToken session; Name is
	// the session or federated user name, usually the person's login.
	KindFederated Kind = "federated"
	// KindCIPipeline: a role assumed by a CI/CD system; Name is the
	// pipeline role, Session its run.
	KindCIPipeline Kind = "ci-pipeline"
	// KindRoleSession: another assumed role; Name is the session name.
	KindRoleSession Kind = "role-session"
	// KindService: an AWS service acting on its own (AWSService).
	KindService Kind = "aws-service"
	// KindUnknown: the event does not say.
	KindUnknown Kind = "unknown"
)

// User is the resolved person or pipeline. It never holds credentials.
type User struct {
	// Name is the best human-readable name: a user name, an e-mail, or the
	// pipeline role.
	Name string `json:"name"`
	Kind Kind   `json:"kind"`
	// Email is set when Name is an e-mail address.
	Email string `json:"email,omitempty"`
	// Role is the IAM role the session used (assumed roles only).
	Role string `json:"role,omitempty"`
	// Session is the role session name (assumed roles only).
	Session string `json:"session,omitempty"`
	// Account is the account of the principal.
	Account string `json:"account,omitempty"`
	// Via names the service that made the call for the principal
	// (invokedBy), e.g. cloudformation.amazonaws.com.
	Via string `json:"via,omitempty"`
}

// Identity is the part of CloudTrail's userIdentity that Resolve reads.
type Identity struct {
	Type      string // IAMUser, AssumedRole, FederatedUser, Root, AWSService, ...
	ARN       string
	AccountID string
	UserName  string
	IssuerARN string // sessionContext.sessionIssuer.arn
	UserAgent string
	InvokedBy string
}

// ssoRolePrefix starts the name of every role IAM Identity Center creates
// for a permission set.
const ssoRolePrefix = "AWSReservedSSO_"

// ciMarkers are substrings of role names, session names or user agents
// that CI systems use. Matched case-insensitively.
var ciMarkers = []string{
	"github", "gitlab", "circleci", "jenkins", "buildkite", "codebuild", "codepipeline",
	"bitbucket", "azure-pipelines", "azuredevops", "teamcity", "travis", "spacelift",
	"terraform-cloud", "atlantis", "pipeline", "deploy", "ci-", "-ci",
}

// Resolve names the person or pipeline behind id.
func Resolve(id Identity) User {
	u := User{Account: id.AccountID, Via: id.InvokedBy}
	if u.Account == "" {
		u.Account = arnAccount(id.ARN)
	}
	resource := arnResource(id.ARN)
	switch {
	case id.Type == "Root" || resource == "root":
		u.Kind, u.Name = KindRoot, "root"
	case id.Type == "IAMUser" || strings.HasPrefix(resource, "user/"):
		u.Kind, u.Name = KindIAMUser, id.UserName
		if u.Name == "" {
			u.Name = lastSegment(resource)
		}
	case id.Type == "FederatedUser" || strings.HasPrefix(resource, "federated-user/"):
		u.Kind, u.Name = KindFederated, strings.TrimPrefix(resource, "federated-user/")
	case id.Type == "AssumedRole" || strings.HasPrefix(resource, "assumed-role/"):
		role, session, _ := strings.Cut(strings.TrimPrefix(resource, "assumed-role/"), "/")
		if role == "" {
			role = lastSegment(arnResource(id.IssuerARN))
		}
		u.Role, u.Session = role, session
		switch {
		case strings.HasPrefix(role, ssoRolePrefix):
			u.Kind, u.Name = KindIdentityCenter, session
		case isCI(role) || isCI(session) || isCI(id.UserAgent):
			u.Kind, u.Name = KindCIPipeline, role
		case strings.Contains(session, "@"):
			// SAML and OIDC federation conventionally set the session name
			// to the person's login.
			u.Kind, u.Name = KindFederated, session
		default:
			u.Kind, u.Name = KindRoleSession, session
		}
	case id.Type == "AWSService":
		u.Kind, u.Name = KindService, id.InvokedBy
	default:
		u.Kind, u.Name = KindUnknown, id.UserName
	}
	if strings.Contains(u.Name, "@") && u.Kind != KindCIPipeline {
		u.Email = u.Name
	}
	return u
}

func isCI(s string) bool {
	s = strings.ToLower(s)
	for _, m := range ciMarkers {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}

// arnResource returns the resource part of an ARN ("" if s is not one).
func arnResource(s string) string {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return ""
	}
	return parts[5]
}

func arnAccount(s string) string {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}

func lastSegment(s string) string {
	return s[strings.LastIndexByte(s, '/')+1:]
}
