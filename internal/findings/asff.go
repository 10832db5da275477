package findings

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/sgwarden/sgwarden/internal/notify"
)

// SchemaVersion is the ASFF version.
const SchemaVersion = "2018-10-08"

// ASFF limits (AWS Security Finding Format syntax).
const (
	// MaxFindingBytes is the largest finding BatchImportFindings takes.
	MaxFindingBytes = 240 << 10
	// MaxBatch is the most findings one BatchImportFindings takes.
	MaxBatch         = 100
	maxID            = 512
	maxTitle         = 256
	maxDescription   = 1024
	maxRecommend     = 512
	maxFieldValue    = 2048
	maxTags          = 50
	maxTagKey        = 128
	maxTagValue      = 256
	maxNote          = 512
	productFieldsKey = "sgwarden/"
)

// ProductARN is the default product of an account in a region, the only
// product a custom provider imports into.
func ProductARN(region, account string) string {
	return "arn:aws:securityhub:" + region + ":" + account + ":product/" + account + "/default"
}

// GeneratorPrefix starts the GeneratorId of every sgwarden finding.
const GeneratorPrefix = "sgwarden/"

var severityLabel = map[string]types.SeverityLabel{
	"critical": types.SeverityLabelCritical,
	"high":     types.SeverityLabelHigh,
	"medium":   types.SeverityLabelMedium,
	"low":      types.SeverityLabelLow,
	"info":     types.SeverityLabelInformational,
}

// controlRE finds the standards controls a check description names, for
// example "FSBP EC2.13" or "CIS 5.4".
var controlRE = regexp.MustCompile(`\b(FSBP|CIS)\s+((?:[A-Z][A-Z0-9]*\.)?[0-9]+(?:\.[0-9]+)?)`)

// controlListRE finds the further controls of a list, "FSBP EC2.13, EC2.14".
var controlListRE = regexp.MustCompile(`(FSBP|CIS)\s+[A-Z0-9.]+((?:,\s*[A-Z][A-Z0-9]*\.[0-9]+)+)`)

var standardName = map[string]string{
	"FSBP": "AWS Foundational Security Best Practices",
	"CIS":  "CIS AWS Foundations Benchmark",
}

// Requirements returns the standards controls named in a check description.
func Requirements(desc string) []string {
	var out []string
	for _, m := range controlRE.FindAllStringSubmatch(desc, -1) {
		out = append(out, standardName[m[1]]+"/"+m[2])
	}
	// "FSBP EC2.13, EC2.14" names more controls of one standard.
	for _, m := range controlListRE.FindAllStringSubmatch(desc, -1) {
		for _, c := range strings.Split(m[2], ",") {
			if c = strings.TrimSpace(c); c != "" {
				out = append(out, standardName[m[1]]+"/"+c)
			}
		}
	}
	return out
}

// ASFF returns the finding for it, updated at now. describe gives a check's
// description (for its standards controls); nil is allowed.
func (it *Item) ASFF(now time.Time, describe func(check string) string) types.AwsSecurityFinding {
	observed := it.Observed
	if observed.IsZero() || observed.After(now) {
		observed = now
	}
	groupARN := notify.GroupARN(it.Region, it.Account, it.Group.ID)
	compliance, workflow := types.ComplianceStatusFailed, types.WorkflowStatusNew
	switch it.State {
	case StateResolved:
		compliance, workflow = types.ComplianceStatusPassed, types.WorkflowStatusResolved
	case StateExempt:
		workflow = types.WorkflowStatusSuppressed
	}
	desc := ""
	if describe != nil {
		desc = describe(it.Check)
	}
	label, ok := severityLabel[it.CheckSeverity]
	if !ok {
		label = types.SeverityLabelMedium
	}
	typesList := []string{"Software and Configuration Checks/AWS Security Best Practices/Network Reachability"}
	reqs := Requirements(desc)
	if len(reqs) > 0 {
		typesList = append(typesList, "Software and Configuration Checks/Industry and Regulatory Standards")
	}
	f := types.AwsSecurityFinding{
		SchemaVersion:   aws.String(SchemaVersion),
		Id:              aws.String(it.ID()),
		ProductArn:      aws.String(ProductARN(it.Region, it.Account)),
		GeneratorId:     aws.String(notify.Clip(GeneratorPrefix+it.Check, maxID)),
		AwsAccountId:    aws.String(it.Account),
		CreatedAt:       aws.String(stamp(observed)),
		FirstObservedAt: aws.String(stamp(observed)),
		LastObservedAt:  aws.String(stamp(now)),
		UpdatedAt:       aws.String(stamp(now)),
		Title:           aws.String(notify.Clip(it.title(), maxTitle)),
		Description:     aws.String(notify.Clip(it.description(desc), maxDescription)),
		FindingProviderFields: &types.FindingProviderFields{
			Severity: &types.FindingProviderSeverity{Label: label, Original: aws.String(it.CheckSeverity)},
			Types:    typesList,
		},
		Compliance:  &types.Compliance{Status: compliance, RelatedRequirements: reqs},
		Workflow:    &types.Workflow{Status: workflow},
		RecordState: types.RecordStateActive,
		SourceUrl:   aws.String(notify.GroupConsoleURL(it.Region, it.Group.ID)),
		Remediation: &types.Remediation{Recommendation: &types.Recommendation{
			Text: aws.String(notify.Clip(it.recommendation(), maxRecommend)),
			Url:  aws.String(notify.GroupConsoleURL(it.Region, it.Group.ID)),
		}},
		Resources: []types.Resource{{
			Type:      aws.String("AwsEc2SecurityGroup"),
			Id:        aws.String(groupARN),
			Partition: types.PartitionAws,
			Region:    aws.String(it.Region),
			Tags:      boundedTags(it.Group.Tags),
			Details: &types.ResourceDetails{AwsEc2SecurityGroup: &types.AwsEc2SecurityGroupDetails{
				GroupId:   aws.String(it.Group.ID),
				GroupName: optional(it.Group.Name),
				VpcId:     optional(it.Group.VPC),
				OwnerId:   aws.String(it.Account),
			}},
		}},
		ProductFields: it.productFields(),
	}
	if it.State == StateExempt {
		// A provider may set Note only when the finding is created.
		f.Note = &types.Note{Text: aws.String(notify.Clip("Exempt: "+it.Exemption, maxNote)), UpdatedBy: aws.String("sgwarden"), UpdatedAt: aws.String(stamp(now))}
	}
	return f
}

func (it *Item) title() string {
	r := it.Rule
	dir := "from"
	if r.Direction == "egress" {
		dir = "to"
	}
	return fmt.Sprintf("%s: %s %s/%s %s %s on %s", it.Check, r.Direction, r.Protocol, r.Ports, dir, r.Peer, it.Group.ID)
}

func (it *Item) description(checkDesc string) string {
	var b strings.Builder
	// The policy's reason already names the check's description.
	if checkDesc != "" && !strings.Contains(it.Reason, checkDesc) {
		b.WriteString(checkDesc + ". ")
	}
	if it.Reason != "" {
		b.WriteString(it.Reason + ". ")
	}
	switch it.State {
	case StateResolved:
		b.WriteString("sgwarden reverted the rule; it is gone.")
	case StateExempt:
		b.WriteString("Exempt: " + it.Exemption + ".")
	default:
		switch it.Action {
		case string(notify.ActionFailed):
			b.WriteString("sgwarden could not revert the rule: " + it.Error)
		case string(notify.ActionWouldRevert):
			b.WriteString("Dry run: sgwarden would revert the rule.")
		default:
			b.WriteString("The rule is in place.")
		}
	}
	if it.ActorUser != nil && it.ActorUser.Name != "" {
		b.WriteString(" Added by " + it.ActorUser.Name + " (" + string(it.ActorUser.Kind) + ").")
	}
	return b.String()
}

func (it *Item) recommendation() string {
	switch it.State {
	case StateResolved:
		return "Nothing to do: the rule was revoked. If the access is needed, grant it to a narrower peer."
	case StateExempt:
		return "Review the exemption (" + it.Exemption + ") and remove the sgwarden:exempt tag when it is no longer needed."
	}
	return fmt.Sprintf("Revoke rule %s on %s, or narrow its peer; to keep it, tag it sgwarden:exempt with a reason.", it.Rule.ID, it.Group.ID)
}

func (it *Item) productFields() map[string]string {
	r := it.Rule
	pf := map[string]string{
		"check":         it.Check,
		"state":         string(it.State),
		"action":        it.Action,
		"rule.id":       r.ID,
		"rule":          fmt.Sprintf("%s %s/%s %s", r.Direction, r.Protocol, r.Ports, r.Peer),
		"exemption":     it.Exemption,
		"owner":         it.Group.Owner,
		"event.id":      it.EventID,
		"event.name":    it.EventName,
		"actor.arn":     it.ActorARN,
		"error":         it.Error,
		"policy.reason": it.Reason,
	}
	if u := it.ActorUser; u != nil {
		pf["actor.user"] = u.Name
		pf["actor.user.kind"] = string(u.Kind)
	}
	out := make(map[string]string, len(pf))
	for k, v := range pf {
		if v != "" {
			out[productFieldsKey+k] = notify.Clip(v, maxFieldValue)
		}
	}
	return out
}

// boundedTags keeps at most 50 tags (by key order), within ASFF's sizes.
func boundedTags(tags map[string]string) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	keys := make([]string, 0, len(tags))
	for k := range tags {
		if k != "" && utf8.RuneCountInString(k) <= maxTagKey {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	if len(keys) > maxTags {
		keys = keys[:maxTags]
	}
	out := make(map[string]string, len(keys))
	for _, k := range keys {
		out[k] = notify.Clip(tags[k], maxTagValue)
	}
	return out
}

// Size returns the encoded size of f, as BatchImportFindings counts it.
func Size(f *types.AwsSecurityFinding) int {
	b, err := json.Marshal(f)
	if err != nil {
		return MaxFindingBytes + 1
	}
	return len(b)
}

// fit keeps f under MaxFindingBytes: it drops the optional parts that can
// grow (tags, product fields) before giving up.
func fit(f *types.AwsSecurityFinding) error {
	if Size(f) <= MaxFindingBytes {
		return nil
	}
	for i := range f.Resources {
		f.Resources[i].Tags = nil
	}
	if Size(f) <= MaxFindingBytes {
		return nil
	}
	f.ProductFields = map[string]string{productFieldsKey + "truncated": "true"}
	if n := Size(f); n > MaxFindingBytes {
		return fmt.Errorf("finding %s is %d bytes, over Security Hub's %d", aws.ToString(f.Id), n, MaxFindingBytes)
	}
	return nil
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}
