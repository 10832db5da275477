package awslocal_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/sgwarden/sgwarden/internal/awslocal"
)

func hubFinding(srv *awslocal.Server, id, compliance, record string) shtypes.AwsSecurityFinding {
	product := "arn:aws:securityhub:" + srv.Region() + ":" + srv.Account() + ":product/" + srv.Account() + "/default"
	return shtypes.AwsSecurityFinding{
		SchemaVersion: aws.String("2018-10-08"),
		Id:            aws.String(id),
		ProductArn:    aws.String(product),
		GeneratorId:   aws.String("sgwarden/EC2.13"),
		AwsAccountId:  aws.String(srv.Account()),
		CreatedAt:     aws.String("2026-12-01T10:00:00Z"),
		UpdatedAt:     aws.String("2026-12-01T10:00:00Z"),
		Title:         aws.String("tcp/22 open to the world"),
		Description:   aws.String("d"),
		Types:         []string{"Software and Configuration Checks/Industry and Regulatory Standards"},
		Severity:      &shtypes.Severity{Label: shtypes.SeverityLabelHigh},
		Resources:     []shtypes.Resource{{Type: aws.String("AwsEc2SecurityGroup"), Id: aws.String("arn:aws:ec2:us-east-1:123456789012:security-group/sg-1")}},
		Compliance:    &shtypes.Compliance{Status: shtypes.ComplianceStatus(compliance)},
		RecordState:   shtypes.RecordState(record),
	}
}

func TestSecurityHubImportUpdateKeepsCustomerFields(t *testing.T) {
	_, srv := local(t, "Security Hub")
	ctx := context.Background()
	hub := securityhub.NewFromConfig(srv.AWSConfig(ctx))

	f := hubFinding(srv, "f-1", "FAILED", "ACTIVE")
	f.Workflow = &shtypes.Workflow{Status: shtypes.WorkflowStatusNew}
	out, err := hub.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: []shtypes.AwsSecurityFinding{f}})
	if err != nil || aws.ToInt32(out.SuccessCount) != 1 || aws.ToInt32(out.FailedCount) != 0 {
		t.Fatalf("BatchImportFindings = %+v, %v; want 1 success", out, err)
	}
	// A provider's later Workflow is ignored; PASSED is kept.
	f = hubFinding(srv, "f-1", "PASSED", "ACTIVE")
	f.Workflow = &shtypes.Workflow{Status: shtypes.WorkflowStatusResolved}
	if _, err := hub.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: []shtypes.AwsSecurityFinding{f}}); err != nil {
		t.Fatal(err)
	}
	got, err := hub.GetFindings(ctx, &securityhub.GetFindingsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Findings) != 1 {
		t.Fatalf("GetFindings: %d findings, want 1 (an import of the same Id updates)", len(got.Findings))
	}
	g := got.Findings[0]
	if g.Compliance.Status != shtypes.ComplianceStatusPassed || g.Workflow.Status != shtypes.WorkflowStatusNew {
		t.Errorf("after update: compliance %s workflow %s, want PASSED and NEW (Workflow is the customer's after creation)", g.Compliance.Status, g.Workflow.Status)
	}
	if aws.ToString(g.Region) != srv.Region() {
		t.Errorf("Region = %q", aws.ToString(g.Region))
	}
}

func TestSecurityHubWorkflowResetOnReopen(t *testing.T) {
	_, srv := local(t, "Security Hub")
	ctx := context.Background()
	hub := securityhub.NewFromConfig(srv.AWSConfig(ctx))
	f := hubFinding(srv, "f-2", "PASSED", "ACTIVE")
	f.Workflow = &shtypes.Workflow{Status: shtypes.WorkflowStatusResolved}
	for _, x := range []shtypes.AwsSecurityFinding{f, hubFinding(srv, "f-2", "FAILED", "ACTIVE")} {
		if _, err := hub.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: []shtypes.AwsSecurityFinding{x}}); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := hub.GetFindings(ctx, &securityhub.GetFindingsInput{})
	if len(got.Findings) != 1 || got.Findings[0].Workflow.Status != shtypes.WorkflowStatusNew {
		t.Fatalf("PASSED -> FAILED: workflow %+v, want NEW", got.Findings)
	}
}

func TestSecurityHubRejects(t *testing.T) {
	_, srv := local(t, "Security Hub")
	ctx := context.Background()
	hub := securityhub.NewFromConfig(srv.AWSConfig(ctx), func(o *securityhub.Options) { o.Retryer = aws.NopRetryer{} })

	missing := hubFinding(srv, "bad", "FAILED", "ACTIVE")
	missing.Severity = nil // the SDK checks the other required members itself
	other := hubFinding(srv, "other", "FAILED", "ACTIVE")
	other.ProductArn = aws.String("arn:aws:securityhub:us-east-1:999999999999:product/999999999999/default")
	big := hubFinding(srv, "big", "FAILED", "ACTIVE")
	big.Description = aws.String(strings.Repeat("x", 241<<10))
	out, err := hub.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: []shtypes.AwsSecurityFinding{missing, other, big}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(out.FailedCount) != 3 || len(out.FailedFindings) != 3 {
		t.Fatalf("FailedCount = %d (%+v), want 3", aws.ToInt32(out.FailedCount), out.FailedFindings)
	}

	many := make([]shtypes.AwsSecurityFinding, 101)
	for i := range many {
		many[i] = hubFinding(srv, "m", "FAILED", "ACTIVE")
	}
	_, err = hub.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: many})
	if apiCode(err) != "InvalidInputException" {
		t.Errorf("101 findings: %v, want InvalidInputException", err)
	}

	srv.Throttle("BatchImportFindings", 1)
	_, err = hub.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: []shtypes.AwsSecurityFinding{hubFinding(srv, "t", "FAILED", "ACTIVE")}})
	if apiCode(err) != "TooManyRequestsException" || httpStatus(err) != http.StatusTooManyRequests {
		t.Errorf("throttled import: %v", err)
	}
	srv.Deny("BatchImportFindings")
	_, err = hub.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: []shtypes.AwsSecurityFinding{hubFinding(srv, "t", "FAILED", "ACTIVE")}})
	if apiCode(err) != "AccessDeniedException" {
		t.Errorf("denied import: %v", err)
	}
}

func TestSecurityHubGetFindingsFiltersAndPages(t *testing.T) {
	_, srv := local(t, "Security Hub")
	ctx := context.Background()
	hub := securityhub.NewFromConfig(srv.AWSConfig(ctx))
	var fs []shtypes.AwsSecurityFinding
	for i := 0; i < 5; i++ {
		state := "ACTIVE"
		if i == 4 {
			state = "ARCHIVED"
		}
		fs = append(fs, hubFinding(srv, "sgwarden/"+string(rune('a'+i)), "FAILED", state))
	}
	fs = append(fs, hubFinding(srv, "other/x", "FAILED", "ACTIVE"))
	if _, err := hub.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: fs}); err != nil {
		t.Fatal(err)
	}
	filters := &shtypes.AwsSecurityFindingFilters{
		Id:          []shtypes.StringFilter{{Value: aws.String("sgwarden/"), Comparison: shtypes.StringFilterComparisonPrefix}},
		RecordState: []shtypes.StringFilter{{Value: aws.String("ACTIVE"), Comparison: shtypes.StringFilterComparisonEquals}},
	}
	var ids []string
	p := securityhub.NewGetFindingsPaginator(hub, &securityhub.GetFindingsInput{Filters: filters, MaxResults: aws.Int32(3)})
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, f := range out.Findings {
			ids = append(ids, aws.ToString(f.Id))
		}
	}
	if strings.Join(ids, ",") != "sgwarden/a,sgwarden/b,sgwarden/c,sgwarden/d" || pages != 2 {
		t.Errorf("GetFindings pages = %d, ids %v", pages, ids)
	}
	b, _ := json.Marshal(srv.SecurityHubFindings())
	if !strings.Contains(string(b), "other/x") {
		t.Error("SecurityHubFindings misses a finding")
	}
}
