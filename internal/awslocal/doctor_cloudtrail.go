package awslocal

import (
	"slices"
	"sort"
)

// cloudTrailService emulates the CloudTrail reads doctor makes (awsJson
// 1.1): DescribeTrails, GetTrailStatus, GetEventSelectors.
type cloudTrailService struct{ s *Server }

func (ct cloudTrailService) service() jsonService {
	return jsonService{s: ct.s, throttleCode: "ThrottlingException", denyCode: "AccessDeniedException", iamPrefix: "cloudtrail",
		jsonProtocol: jsonProtocol{target: "CloudTrail_20131101", version: "1.1", ops: map[string]func(*call) (any, *APIError){
			"DescribeTrails":    ct.describeTrails,
			"GetTrailStatus":    ct.getTrailStatus,
			"GetEventSelectors": ct.getEventSelectors,
		}}}
}

// visibleTrails returns the trails a region shows: its own and, with
// shadows, multi-region trails homed elsewhere. The caller holds the lock.
func (ct cloudTrailService) visibleTrails(region string, shadows bool) []*trail {
	var out []*trail
	for _, t := range ct.s.delivery.trails {
		if t.HomeRegion == region || (shadows && t.MultiRegion) {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].arn < out[j].arn })
	return out
}

// trailOf finds a trail by name (in this region) or ARN.
func (ct cloudTrailService) trailOf(c *call, nameOrARN string) (*trail, *APIError) {
	if nameOrARN == "" {
		return nil, clientErr("InvalidTrailNameException", "Trail name or ARN can only contain uppercase letters, lowercase letters, numbers, periods (.), hyphens (-), and underscores (_).")
	}
	for _, t := range ct.visibleTrails(c.region, true) {
		if t.arn == nameOrARN || (t.Name == nameOrARN && t.HomeRegion == c.region) {
			return t, nil
		}
	}
	return nil, clientErr("TrailNotFoundException", "Unknown trail: %s for the user: %s", nameOrARN, ct.s.account)
}

func (ct cloudTrailService) describeTrails(c *call) (any, *APIError) {
	var in struct {
		TrailNameList       []string `json:"trailNameList"`
		IncludeShadowTrails *bool    `json:"includeShadowTrails"`
	}
	if aerr := decodeInput(c, &in); aerr != nil {
		return nil, aerr
	}
	shadows := in.IncludeShadowTrails == nil || *in.IncludeShadowTrails
	type wireTrail struct {
		Name                       string `json:"Name"`
		S3BucketName               string `json:"S3BucketName"`
		IncludeGlobalServiceEvents bool   `json:"IncludeGlobalServiceEvents"`
		IsMultiRegionTrail         bool   `json:"IsMultiRegionTrail"`
		HomeRegion                 string `json:"HomeRegion"`
		TrailARN                   string `json:"TrailARN"`
		LogFileValidationEnabled   bool   `json:"LogFileValidationEnabled"`
		HasCustomEventSelectors    bool   `json:"HasCustomEventSelectors"`
		HasInsightSelectors        bool   `json:"HasInsightSelectors"`
		IsOrganizationTrail        bool   `json:"IsOrganizationTrail"`
	}
	d := ct.s.delivery
	d.mu.Lock()
	defer d.mu.Unlock()
	out := struct {
		TrailList []wireTrail `json:"trailList"`
	}{TrailList: []wireTrail{}}
	for _, t := range ct.visibleTrails(c.region, shadows) {
		if len(in.TrailNameList) > 0 && !slices.Contains(in.TrailNameList, t.Name) && !slices.Contains(in.TrailNameList, t.arn) {
			continue
		}
		out.TrailList = append(out.TrailList, wireTrail{
			Name: t.Name, S3BucketName: t.S3Bucket, IncludeGlobalServiceEvents: t.MultiRegion, IsMultiRegionTrail: t.MultiRegion,
			HomeRegion: t.HomeRegion, TrailARN: t.arn, LogFileValidationEnabled: true,
			HasCustomEventSelectors: t.ReadWriteType != "" && t.ReadWriteType != "All" || t.NoManagementEvents || len(t.ExcludeManagementEventSources) > 0,
		})
	}
	return out, nil
}

func (ct cloudTrailService) getTrailStatus(c *call) (any, *APIError) {
	var in struct{ Name string }
	if aerr := decodeInput(c, &in); aerr != nil {
		return nil, aerr
	}
	d := ct.s.delivery
	d.mu.Lock()
	defer d.mu.Unlock()
	t, aerr := ct.trailOf(c, in.Name)
	if aerr != nil {
		return nil, aerr
	}
	return struct {
		IsLogging bool `json:"IsLogging"`
	}{!t.Stopped}, nil
}

func (ct cloudTrailService) getEventSelectors(c *call) (any, *APIError) {
	var in struct{ TrailName string }
	if aerr := decodeInput(c, &in); aerr != nil {
		return nil, aerr
	}
	d := ct.s.delivery
	d.mu.Lock()
	defer d.mu.Unlock()
	t, aerr := ct.trailOf(c, in.TrailName)
	if aerr != nil {
		return nil, aerr
	}
	type selector struct {
		ReadWriteType                 string   `json:"ReadWriteType"`
		IncludeManagementEvents       bool     `json:"IncludeManagementEvents"`
		DataResources                 []string `json:"DataResources"`
		ExcludeManagementEventSources []string `json:"ExcludeManagementEventSources"`
	}
	rw := t.ReadWriteType
	if rw == "" {
		rw = "All"
	}
	return struct {
		TrailARN       string     `json:"TrailARN"`
		EventSelectors []selector `json:"EventSelectors"`
	}{t.arn, []selector{{ReadWriteType: rw, IncludeManagementEvents: !t.NoManagementEvents,
		DataResources: []string{}, ExcludeManagementEventSources: append([]string{}, t.ExcludeManagementEventSources...)}}}, nil
}
