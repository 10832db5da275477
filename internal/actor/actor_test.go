package actor

import "testing"

func TestResolve(t *testing.T) {
	cases := []struct {
		name string
		id   Identity
		want User
	}{
		{"identity center", Identity{Type: "AssumedRole", ARN: "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_AdministratorAccess_0123456789abcdef/jane.doe@example.com"},
			User{Name: "jane.doe@example.com", Kind: KindIdentityCenter, Email: "jane.doe@example.com", Role: "AWSReservedSSO_AdministratorAccess_0123456789abcdef", Session: "jane.doe@example.com", Account: "111122223333"}},
		{"iam user", Identity{Type: "IAMUser", ARN: "arn:aws:iam::111122223333:user/ops/bob", UserName: "bob", AccountID: "111122223333"},
			User{Name: "bob", Kind: KindIAMUser, Account: "111122223333"}},
		{"iam user without userName", Identity{Type: "IAMUser", ARN: "arn:aws:iam::111122223333:user/ops/bob"},
			User{Name: "bob", Kind: KindIAMUser, Account: "111122223333"}},
		{"federation token", Identity{Type: "FederatedUser", ARN: "arn:aws:sts::111122223333:federated-user/carol"},
			User{Name: "carol", Kind: KindFederated, Account: "111122223333"}},
		{"saml session", Identity{Type: "AssumedRole", ARN: "arn:aws:sts::111122223333:assumed-role/Okta-Admins/dave@example.com"},
			User{Name: "dave@example.com", Kind: KindFederated, Email: "dave@example.com", Role: "Okta-Admins", Session: "dave@example.com", Account: "111122223333"}},
		{"github actions", Identity{Type: "AssumedRole", ARN: "arn:aws:sts::111122223333:assumed-role/github-actions-deploy/GitHubActions"},
			User{Name: "github-actions-deploy", Kind: KindCIPipeline, Role: "github-actions-deploy", Session: "GitHubActions", Account: "111122223333"}},
		{"codebuild by agent", Identity{Type: "AssumedRole", ARN: "arn:aws:sts::111122223333:assumed-role/infra-role/AWSCodeBuild-1234", UserAgent: "aws-sdk-go-v2 CodeBuild"},
			User{Name: "infra-role", Kind: KindCIPipeline, Role: "infra-role", Session: "AWSCodeBuild-1234", Account: "111122223333"}},
		{"plain role", Identity{Type: "AssumedRole", ARN: "arn:aws:sts::111122223333:assumed-role/ops/i-0abc", InvokedBy: "ec2.amazonaws.com"},
			User{Name: "i-0abc", Kind: KindRoleSession, Role: "ops", Session: "i-0abc", Account: "111122223333", Via: "ec2.amazonaws.com"}},
		{"root", Identity{Type: "Root", ARN: "arn:aws:iam::111122223333:root"},
			User{Name: "root", Kind: KindRoot, Account: "111122223333"}},
		{"service", Identity{Type: "AWSService", InvokedBy: "cloudformation.amazonaws.com"},
			User{Name: "cloudformation.amazonaws.com", Kind: KindService, Via: "cloudformation.amazonaws.com"}},
		{"nothing", Identity{}, User{Kind: KindUnknown}},
		{"not an arn", Identity{Type: "AssumedRole", ARN: "garbage"}, User{Kind: KindRoleSession}},
	}
	for _, c := range cases {
		if got := Resolve(c.id); got != c.want {
			t.Errorf("Resolve(%s) = %+v, want %+v", c.name, got, c.want)
		}
	}
}

func FuzzResolve(f *testing.F) {
	f.Add("AssumedRole", "arn:aws:sts::1:assumed-role/a/b", "")
	f.Add("IAMUser", "arn:aws:iam::1:user/x", "x")
	f.Fuzz(func(t *testing.T, typ, arn, user string) {
		_ = Resolve(Identity{Type: typ, ARN: arn, UserName: user})
	})
}
