package findings

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/sgwarden/sgwarden/internal/notify"
)

// Importer imports findings. *securityhub.Client satisfies it.
type Importer interface {
	BatchImportFindings(ctx context.Context, in *securityhub.BatchImportFindingsInput, optFns ...func(*securityhub.Options)) (*securityhub.BatchImportFindingsOutput, error)
}

// Hub imports and reads findings. *securityhub.Client satisfies it.
type Hub interface {
	Importer
	GetFindings(ctx context.Context, in *securityhub.GetFindingsInput, optFns ...func(*securityhub.Options)) (*securityhub.GetFindingsOutput, error)
}

// RejectedError says which findings BatchImportFindings refused.
type RejectedError struct {
	Failed []types.ImportFindingsError
}

func (e *RejectedError) Error() string {
	parts := make([]string, 0, len(e.Failed))
	for _, f := range e.Failed {
		parts = append(parts, aws.ToString(f.Id)+": "+aws.ToString(f.ErrorCode)+" "+aws.ToString(f.ErrorMessage))
	}
	return fmt.Sprintf("Security Hub refused %d findings: %s", len(e.Failed), strings.Join(parts, "; "))
}

// Import sends fs in calls of at most MaxBatch findings, each kept under
// MaxFindingBytes. It stops at the first call that fails and returns its
// error; findings Security Hub refuses make a *RejectedError. Importing is
// idempotent, so the caller retries the whole set.
func Import(ctx context.Context, api Importer, fs []types.AwsSecurityFinding) error {
	var rejected []types.ImportFindingsError
	for start := 0; start < len(fs); start += MaxBatch {
		batch := fs[start:min(start+MaxBatch, len(fs))]
		for i := range batch {
			if err := fit(&batch[i]); err != nil {
				return err
			}
		}
		out, err := api.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: batch})
		if err != nil {
			return fmt.Errorf("import %d findings into Security Hub: %w", len(batch), err)
		}
		rejected = append(rejected, out.FailedFindings...)
	}
	if len(rejected) > 0 {
		return &RejectedError{Failed: rejected}
	}
	return nil
}

// ImportItems builds the findings of items at now and imports them.
func ImportItems(ctx context.Context, api Importer, items []Item, now time.Time, describe func(string) string) error {
	if len(items) == 0 {
		return nil
	}
	fs := make([]types.AwsSecurityFinding, len(items))
	for i := range items {
		fs[i] = items[i].ASFF(now, describe)
	}
	return Import(ctx, api, fs)
}

// Reconcile archives sgwarden's active findings in (account, region) whose
// Id is not in current: their rule is gone or no longer violates. It
// returns how many it archived. Call it only after a complete scan of the
// region: a finding not seen because a list failed must stay open.
func Reconcile(ctx context.Context, api Hub, account, region string, current map[string]bool, now time.Time) (int, error) {
	eq := func(v string) []types.StringFilter {
		return []types.StringFilter{{Value: aws.String(v), Comparison: types.StringFilterComparisonEquals}}
	}
	in := &securityhub.GetFindingsInput{
		Filters: &types.AwsSecurityFindingFilters{
			ProductArn:   eq(ProductARN(region, account)),
			AwsAccountId: eq(account),
			Region:       eq(region),
			RecordState:  eq(string(types.RecordStateActive)),
			GeneratorId:  []types.StringFilter{{Value: aws.String(GeneratorPrefix), Comparison: types.StringFilterComparisonPrefix}},
		},
		MaxResults: aws.Int32(MaxBatch),
	}
	var stale []types.AwsSecurityFinding
	p := securityhub.NewGetFindingsPaginator(api, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return 0, fmt.Errorf("list Security Hub findings in %s/%s: %w", account, region, err)
		}
		for _, f := range out.Findings {
			if !current[aws.ToString(f.Id)] {
				stale = append(stale, archived(f, now))
			}
		}
	}
	if err := Import(ctx, api, stale); err != nil {
		var rej *RejectedError
		if errors.As(err, &rej) {
			return len(stale) - len(rej.Failed), err
		}
		return 0, err
	}
	return len(stale), nil
}

// archived is f closed, carrying only what a provider sends: not the
// customer's fields (Workflow, Note, ...), not the top-level copies of
// FindingProviderFields, not what Security Hub sets itself.
func archived(f types.AwsSecurityFinding, now time.Time) types.AwsSecurityFinding {
	comp := types.Compliance{}
	if f.Compliance != nil {
		comp = *f.Compliance
	}
	comp.Status = types.ComplianceStatusPassed
	fields := make(map[string]string, len(f.ProductFields)+1)
	for k, v := range f.ProductFields {
		fields[k] = v
	}
	fields[productFieldsKey+"state"] = "closed"
	return types.AwsSecurityFinding{
		SchemaVersion: f.SchemaVersion, Id: f.Id, ProductArn: f.ProductArn, GeneratorId: f.GeneratorId,
		AwsAccountId: f.AwsAccountId, CreatedAt: f.CreatedAt, FirstObservedAt: f.FirstObservedAt,
		LastObservedAt: f.LastObservedAt, UpdatedAt: aws.String(stamp(now)),
		Title:                 f.Title,
		Description:           aws.String(notify.Clip(aws.ToString(f.Description)+" Closed by the audit: the rule is gone or no longer violates.", maxDescription)),
		FindingProviderFields: f.FindingProviderFields,
		Compliance:            &comp,
		RecordState:           types.RecordStateArchived,
		Resources:             f.Resources,
		SourceUrl:             f.SourceUrl,
		Remediation:           f.Remediation,
		ProductFields:         fields,
	}
}
