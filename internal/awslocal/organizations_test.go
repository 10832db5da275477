package awslocal_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/sgwarden/sgwarden/internal/awslocal"
)

const (
	memberA = "111111111111"
	memberB = "222222222222"
)

// newOrg starts a server whose organization holds two members under one
// OU, each with one group in us-east-1.
func newOrg(t *testing.T) (*awslocal.Server, string) {
	t.Helper()
	srv := awslocal.StartLocal(t, "organization")
	ou, err := srv.AddOU("workloads", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{memberA, memberB} {
		if err := srv.AddAccount(a, "member-"+a, ou); err != nil {
			t.Fatal(err)
		}
		if err := srv.Seed(&awslocal.Fixture{Account: a, Groups: []awslocal.GroupSpec{{Name: "web-" + a, VPC: "vpc-1"}}}); err != nil {
			t.Fatal(err)
		}
	}
	return srv, ou
}

func groupNames(t *testing.T, cfg aws.Config, region string) []string {
	t.Helper()
	out, err := ec2.NewFromConfig(cfg, func(o *ec2.Options) { o.Region = region }).DescribeSecurityGroups(context.Background(), &ec2.DescribeSecurityGroupsInput{})
	if err != nil {
		t.Fatalf("DescribeSecurityGroups: %v", err)
	}
	var names []string
	for _, g := range out.SecurityGroups {
		names = append(names, aws.ToString(g.GroupName))
	}
	slices.Sort(names)
	return names
}

func assumed(base aws.Config, account, role string) aws.Config {
	cfg := base.Copy()
	cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(base),
		"arn:aws:iam::"+account+":role/"+role, func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = "test" }))
	return cfg
}

func TestAssumeRoleSelectsTheAccount(t *testing.T) {
	ctx := context.Background()
	srv, _ := newOrg(t)
	base := srv.AWSConfig(ctx)
	if got := groupNames(t, base, "us-east-1"); len(got) != 0 {
		t.Errorf("management account groups = %v, want none (the members' are their own)", got)
	}
	cfg := assumed(base, memberA, "audit-read")
	if got, want := groupNames(t, cfg, "us-east-1"), []string{"default", "web-" + memberA}; !slices.Equal(got, want) {
		t.Errorf("groups in %s = %v, want %v", memberA, got, want)
	}
	if got := groupNames(t, cfg, "eu-west-1"); len(got) != 0 {
		t.Errorf("groups in %s eu-west-1 = %v, want none", memberA, got)
	}
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(id.Account) != memberA || aws.ToString(id.Arn) != "arn:aws:sts::"+memberA+":assumed-role/audit-read/test" {
		t.Errorf("GetCallerIdentity = %s %s", aws.ToString(id.Account), aws.ToString(id.Arn))
	}
	if got := groupNames(t, srv.AccountConfig(memberB), "us-east-1"); !slices.Contains(got, "web-"+memberB) {
		t.Errorf("AccountConfig(%s) groups = %v", memberB, got)
	}
}

func TestAssumeRoleDenied(t *testing.T) {
	ctx := context.Background()
	srv, _ := newOrg(t)
	base := srv.AWSConfig(ctx)
	if err := srv.DenyRole(memberB, "audit-read"); err != nil {
		t.Fatal(err)
	}
	client := sts.NewFromConfig(base)
	cases := []struct{ name, arn, code string }{
		{"denied role", "arn:aws:iam::" + memberB + ":role/audit-read", "AccessDenied"},
		{"outside the organization", "arn:aws:iam::999999999999:role/audit-read", "AccessDenied"},
		{"not a role ARN", "arn:aws:iam::" + memberB + ":user/x", "ValidationError"},
	}
	for _, c := range cases {
		_, err := client.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(c.arn), RoleSessionName: aws.String("test")})
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != c.code {
			t.Errorf("%s: AssumeRole(%s) = %v, want %s", c.name, c.arn, err, c.code)
		}
	}
	// Another role of the same account still works, and AllowRole restores it.
	if _, err := client.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + memberB + ":role/other"), RoleSessionName: aws.String("test")}); err != nil {
		t.Errorf("AssumeRole(other role) = %v", err)
	}
	srv.AllowRole(memberB, "audit-read")
	if got := groupNames(t, assumed(base, memberB, "audit-read"), "us-east-1"); !slices.Contains(got, "web-"+memberB) {
		t.Errorf("after AllowRole groups = %v", got)
	}
}

func TestOrganizationsLists(t *testing.T) {
	ctx := context.Background()
	srv, ou := newOrg(t)
	for i := range 30 {
		id := strings.Repeat("3", 10) + string(rune('0'+i/10)) + string(rune('0'+i%10))
		if err := srv.AddAccount(id, "extra", ""); err != nil {
			t.Fatal(err)
		}
	}
	client := organizations.NewFromConfig(srv.AWSConfig(ctx))
	var all []string
	p := organizations.NewListAccountsPaginator(client, &organizations.ListAccountsInput{})
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListAccounts: %v", err)
		}
		pages++
		for _, a := range out.Accounts {
			all = append(all, aws.ToString(a.Id))
		}
	}
	if len(all) != 33 || pages != 2 || all[0] != srv.Account() {
		t.Errorf("ListAccounts = %d accounts in %d pages (first %s), want 33 in 2, management first", len(all), pages, all[0])
	}
	out, err := client.ListAccountsForParent(ctx, &organizations.ListAccountsForParentInput{ParentId: aws.String(ou)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Accounts) != 2 || aws.ToString(out.Accounts[0].Id) != memberA || out.Accounts[0].Status != "ACTIVE" {
		t.Errorf("ListAccountsForParent(%s) = %+v", ou, out.Accounts)
	}
	ous, err := client.ListOrganizationalUnitsForParent(ctx, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(srv.RootID())})
	if err != nil || len(ous.OrganizationalUnits) != 1 || aws.ToString(ous.OrganizationalUnits[0].Id) != ou {
		t.Errorf("ListOrganizationalUnitsForParent(root) = %+v, %v", ous, err)
	}
	org, err := client.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil || aws.ToString(org.Organization.MasterAccountId) != srv.Account() {
		t.Errorf("DescribeOrganization = %+v, %v", org, err)
	}
	_, err = client.ListAccountsForParent(ctx, &organizations.ListAccountsForParentInput{ParentId: aws.String("ou-zzzz-zzzzzzzz")})
	var nf interface{ ErrorCode() string }
	if !errors.As(err, &nf) || nf.ErrorCode() != "ParentNotFoundException" {
		t.Errorf("ListAccountsForParent(unknown) = %v, want ParentNotFoundException", err)
	}
	// A member may not read the organization.
	_, err = organizations.NewFromConfig(assumed(srv.AWSConfig(ctx), memberA, "r")).ListAccounts(ctx, &organizations.ListAccountsInput{})
	if !errors.As(err, &nf) || nf.ErrorCode() != "AccessDeniedException" {
		t.Errorf("member ListAccounts = %v, want AccessDeniedException", err)
	}
}

func TestFaultScopedToAccountAndRegion(t *testing.T) {
	ctx := context.Background()
	srv, _ := newOrg(t)
	if err := srv.InjectFault(awslocal.Fault{Service: "ec2", Account: memberA, Region: "eu-west-1", Kind: awslocal.FaultDeny}); err != nil {
		t.Fatal(err)
	}
	call := func(account, region string) error {
		_, err := ec2.NewFromConfig(srv.AccountConfig(account), func(o *ec2.Options) { o.Region = region }).
			DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{})
		return err
	}
	if err := call(memberA, "eu-west-1"); err == nil {
		t.Error("the faulted account and region answered")
	}
	for _, k := range [][2]string{{memberA, "us-east-1"}, {memberB, "eu-west-1"}} {
		if err := call(k[0], k[1]); err != nil {
			t.Errorf("%s/%s: %v, want no fault", k[0], k[1], err)
		}
	}
}

func TestS3Objects(t *testing.T) {
	ctx := context.Background()
	srv := awslocal.StartLocal(t, "S3")
	if err := srv.CreateBucket("reports", ""); err != nil {
		t.Fatal(err)
	}
	client := s3.NewFromConfig(srv.AWSConfig(ctx))
	for _, k := range []string{"runs/1/parts/a.json", "runs/1/parts/b.json", "runs/2/x.json"} {
		if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("reports"), Key: aws.String(k),
			Body: strings.NewReader(`{"key":"` + k + `"}`), ContentType: aws.String("application/json")}); err != nil {
			t.Fatalf("PutObject(%s): %v", k, err)
		}
	}
	got, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("reports"), Key: aws.String("runs/1/parts/b.json")})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(got.Body)
	if string(body) != `{"key":"runs/1/parts/b.json"}` {
		t.Errorf("GetObject body = %q", body)
	}
	var keys []string
	p := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: aws.String("reports"), Prefix: aws.String("runs/1/"), MaxKeys: aws.Int32(1)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range out.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	if want := []string{"runs/1/parts/a.json", "runs/1/parts/b.json"}; !slices.Equal(keys, want) {
		t.Errorf("ListObjectsV2 = %v, want %v", keys, want)
	}
	_, err = client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("reports"), Key: aws.String("nope")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "NoSuchKey" {
		t.Errorf("GetObject(missing) = %v, want NoSuchKey", err)
	}
	_, err = client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("nobucket"), Key: aws.String("k"), Body: strings.NewReader("x")})
	if !errors.As(err, &ae) || ae.ErrorCode() != "NoSuchBucket" {
		t.Errorf("PutObject(missing bucket) = %v, want NoSuchBucket", err)
	}
}

func TestOrganizationControlAPI(t *testing.T) {
	srv := awslocal.StartLocal(t, "control API")
	post := func(method, path, body string) int {
		req, _ := http.NewRequest(method, srv.URL()+"/_awslocal/"+path, bytes.NewBufferString(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	if got := post(http.MethodPost, "organization/accounts", `{"id":"444444444444","name":"x"}`); got != http.StatusCreated {
		t.Errorf("add account: status %d", got)
	}
	if got := post(http.MethodPost, "organization/accounts", `{"id":"12"}`); got != http.StatusBadRequest {
		t.Errorf("add bad account: status %d, want 400", got)
	}
	if got := post(http.MethodPost, "roles/deny", `{"account":"444444444444","roleName":"r"}`); got != http.StatusNoContent {
		t.Errorf("deny role: status %d", got)
	}
	_, err := sts.NewFromConfig(srv.AWSConfig(context.Background())).AssumeRole(context.Background(),
		&sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::444444444444:role/r"), RoleSessionName: aws.String("s1")})
	if err == nil {
		t.Error("AssumeRole of a denied role succeeded")
	}
	if got := post(http.MethodPost, "s3/buckets", `{"name":"b-1"}`); got != http.StatusNoContent {
		t.Errorf("create bucket: status %d", got)
	}
	if !slices.Contains(srv.OrganizationAccounts(), "444444444444") {
		t.Error("account not added")
	}
}
