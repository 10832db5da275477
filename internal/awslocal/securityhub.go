package awslocal

import (
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
)

// securityHubService emulates Security Hub CSPM's finding-provider calls
// (restJson1): BatchImportFindings (POST /findings/import) and GetFindings
// (POST /findings). It keeps the rules AWS documents for a provider that
// imports into its account's default product:
//
//   - at most 100 findings a call (else InvalidInputException), each at
//     most 240 KB and carrying the required ASFF attributes, else the
//     finding is listed in FailedFindings;
//   - ProductArn must be the caller's default product in the request's
//     region and AwsAccountId the caller's account;
//   - an import of an existing (ProductArn, Id) updates it, but Note,
//     UserDefinedFields, VerificationState and Workflow keep their values:
//     a provider may set them only when it creates the finding;
//   - Workflow.Status returns to NEW when RecordState goes from ARCHIVED to
//     ACTIVE or Compliance.Status from PASSED to anything else.
type securityHubService struct {
	s  *Server
	st *hubState
}

// asffMaxBytes is the size limit of one finding.
const asffMaxBytes = 240 << 10

// asffMaxBatch is the most findings one BatchImportFindings takes.
const asffMaxBatch = 100

type hubState struct {
	mu  sync.Mutex
	seq uint64
	// findings by region, then ProductArn + "\x00" + Id.
	findings map[string]map[string]*hubFinding
}

type hubFinding struct {
	seq uint64
	doc map[string]any
}

// SecurityHubFinding is a stored finding as GetFindings returns it.
type SecurityHubFinding struct {
	Region string
	ID     string
	// Doc is the ASFF document.
	Doc json.RawMessage
}

func (h securityHubService) decode(r *http.Request, body []byte) (string, url.Values, *APIError) {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/findings/import":
		return "BatchImportFindings", url.Values{}, nil
	case r.Method == http.MethodPost && r.URL.Path == "/findings":
		return "GetFindings", url.Values{}, nil
	}
	return "", nil, &APIError{Status: http.StatusNotFound, Code: "UnknownOperationException",
		Message: "Unknown operation " + r.Method + " " + r.URL.Path}
}

func (h securityHubService) serve(c *call) ([]byte, *APIError) {
	var out any
	var aerr *APIError
	switch c.op {
	case "BatchImportFindings":
		out, aerr = h.batchImport(c)
	case "GetFindings":
		out, aerr = h.getFindings(c)
	}
	if aerr != nil {
		return nil, aerr
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, &APIError{Status: http.StatusInternalServerError, Code: "InternalException", Message: err.Error()}
	}
	return b, nil
}

func hubInvalid(format string, args ...any) *APIError {
	return clientErr("InvalidInputException", format, args...)
}

type importFailure struct {
	ID           string `json:"Id"`
	ErrorCode    string `json:"ErrorCode"`
	ErrorMessage string `json:"ErrorMessage"`
}

// asffRequired are the attributes every imported finding must carry;
// Severity and Types may come from FindingProviderFields instead.
var asffRequired = []string{"AwsAccountId", "CreatedAt", "Description", "GeneratorId", "Id",
	"ProductArn", "Resources", "SchemaVersion", "Title", "UpdatedAt"}

// providerOnlyOnCreate are kept from the stored finding on update.
var providerOnlyOnCreate = []string{"Note", "UserDefinedFields", "VerificationState", "Workflow"}

func (h securityHubService) batchImport(c *call) (any, *APIError) {
	var in struct {
		Findings []json.RawMessage
	}
	if aerr := decodeInput(c, &in); aerr != nil {
		return nil, aerr
	}
	if len(in.Findings) == 0 {
		return nil, hubInvalid("Findings must hold at least one finding")
	}
	if len(in.Findings) > asffMaxBatch {
		return nil, hubInvalid("Findings holds %d findings; the maximum is %d", len(in.Findings), asffMaxBatch)
	}
	product := "arn:aws:securityhub:" + c.region + ":" + h.s.account + ":product/" + h.s.account + "/default"
	failed := []importFailure{}
	ok := 0
	h.st.mu.Lock()
	defer h.st.mu.Unlock()
	for _, raw := range in.Findings {
		var doc map[string]any
		if err := json.Unmarshal(raw, &doc); err != nil {
			failed = append(failed, importFailure{ErrorCode: "InvalidInput", ErrorMessage: "finding is not a JSON object"})
			continue
		}
		id, _ := doc["Id"].(string)
		if code, msg := h.check(doc, raw, product); code != "" {
			failed = append(failed, importFailure{ID: id, ErrorCode: code, ErrorMessage: msg})
			continue
		}
		h.store(c.region, product, id, doc)
		ok++
	}
	return map[string]any{"FailedCount": len(failed), "SuccessCount": ok, "FailedFindings": failed}, nil
}

// check returns an error code and message for a finding AWS would refuse.
func (h securityHubService) check(doc map[string]any, raw json.RawMessage, product string) (string, string) {
	if len(raw) > asffMaxBytes {
		return "InvalidInput", "finding is larger than 240 KB"
	}
	for _, k := range asffRequired {
		if v, ok := doc[k]; !ok || v == nil || v == "" {
			return "InvalidInput", "Finding does not adhere to Amazon Finding Format. missing required property: " + k
		}
	}
	fpf, _ := doc["FindingProviderFields"].(map[string]any)
	if doc["Severity"] == nil && (fpf == nil || fpf["Severity"] == nil) {
		return "InvalidInput", "Finding does not adhere to Amazon Finding Format. missing required property: Severity"
	}
	if doc["Types"] == nil && (fpf == nil || fpf["Types"] == nil) {
		return "InvalidInput", "Finding does not adhere to Amazon Finding Format. missing required property: Types"
	}
	res, _ := doc["Resources"].([]any)
	if len(res) == 0 {
		return "InvalidInput", "Resources must hold at least one resource"
	}
	for _, r := range res {
		m, _ := r.(map[string]any)
		if m == nil || m["Type"] == nil || m["Id"] == nil {
			return "InvalidInput", "each resource needs Type and Id"
		}
	}
	if doc["ProductArn"] != product {
		return "AccessDeniedException", "ProductArn must be " + product
	}
	if doc["AwsAccountId"] != h.s.account {
		return "AccessDeniedException", "AwsAccountId must be the caller's account " + h.s.account
	}
	for _, k := range []string{"RecordState"} {
		if v, ok := doc[k].(string); ok && v != "ACTIVE" && v != "ARCHIVED" {
			return "InvalidInput", k + " must be ACTIVE or ARCHIVED"
		}
	}
	if comp, ok := doc["Compliance"].(map[string]any); ok {
		switch comp["Status"] {
		case nil, "PASSED", "WARNING", "FAILED", "NOT_AVAILABLE":
		default:
			return "InvalidInput", "Compliance.Status is not PASSED, WARNING, FAILED or NOT_AVAILABLE"
		}
	}
	return "", ""
}

// store creates or updates a finding; the caller holds st.mu.
func (h securityHubService) store(region, product, id string, doc map[string]any) {
	if h.st.findings == nil {
		h.st.findings = map[string]map[string]*hubFinding{}
	}
	byKey := h.st.findings[region]
	if byKey == nil {
		byKey = map[string]*hubFinding{}
		h.st.findings[region] = byKey
	}
	doc["Region"] = region
	doc["ProductName"] = "Default"
	doc["CompanyName"] = "Personal"
	if _, ok := doc["RecordState"]; !ok {
		doc["RecordState"] = "ACTIVE"
	}
	key := product + "\x00" + id
	old := byKey[key]
	if old == nil {
		if _, ok := doc["Workflow"]; !ok {
			doc["Workflow"] = map[string]any{"Status": "NEW"}
		}
		h.st.seq++
		byKey[key] = &hubFinding{seq: h.st.seq, doc: doc}
		return
	}
	for _, k := range providerOnlyOnCreate {
		if v, ok := old.doc[k]; ok {
			doc[k] = v
		} else {
			delete(doc, k)
		}
	}
	wasArchived := old.doc["RecordState"] == "ARCHIVED" && doc["RecordState"] == "ACTIVE"
	wasPassed := complianceStatus(old.doc) == "PASSED" && complianceStatus(doc) != "PASSED"
	if wf, _ := doc["Workflow"].(map[string]any); (wasArchived || wasPassed) && wf != nil {
		switch wf["Status"] {
		case "NOTIFIED", "RESOLVED":
			doc["Workflow"] = map[string]any{"Status": "NEW"}
		}
	}
	old.doc = doc
}

func complianceStatus(doc map[string]any) string {
	c, _ := doc["Compliance"].(map[string]any)
	s, _ := c["Status"].(string)
	return s
}

// hubFilterPaths maps the AwsSecurityFindingFilters string filters that
// awslocal understands to the ASFF attribute they test.
var hubFilterPaths = map[string][]string{
	"Id":               {"Id"},
	"ProductArn":       {"ProductArn"},
	"GeneratorId":      {"GeneratorId"},
	"AwsAccountId":     {"AwsAccountId"},
	"Region":           {"Region"},
	"Title":            {"Title"},
	"RecordState":      {"RecordState"},
	"ComplianceStatus": {"Compliance", "Status"},
	"WorkflowStatus":   {"Workflow", "Status"},
	"ResourceId":       {"Resources", "Id"},
	"ResourceType":     {"Resources", "Type"},
}

type stringFilter struct {
	Value      string
	Comparison string
}

func (h securityHubService) getFindings(c *call) (any, *APIError) {
	var in struct {
		Filters    map[string]json.RawMessage
		MaxResults int
		NextToken  string
	}
	if aerr := decodeInput(c, &in); aerr != nil {
		return nil, aerr
	}
	if in.MaxResults < 0 || in.MaxResults > 100 {
		return nil, hubInvalid("MaxResults must be between 1 and 100")
	}
	filters := map[string][]stringFilter{}
	for name, raw := range in.Filters {
		path, ok := hubFilterPaths[name]
		if !ok {
			return nil, hubInvalid("awslocal does not emulate the %s filter", name)
		}
		var fs []stringFilter
		if err := json.Unmarshal(raw, &fs); err != nil {
			return nil, hubInvalid("filter %s: %v", name, err)
		}
		filters[strings.Join(path, ".")] = fs
	}
	h.st.mu.Lock()
	var items []*hubFinding
	for _, f := range h.st.findings[c.region] {
		if matchFinding(f.doc, filters) {
			items = append(items, f)
		}
	}
	max := in.MaxResults
	if max == 0 {
		max = 100
	}
	page, next, aerr := paginate(items, func(f *hubFinding) uint64 { return f.seq }, "finding", in.NextToken, max)
	var docs []json.RawMessage
	if aerr == nil {
		docs = make([]json.RawMessage, 0, len(page))
		for _, f := range page {
			b, _ := json.Marshal(f.doc)
			docs = append(docs, b)
		}
	}
	h.st.mu.Unlock()
	if aerr != nil {
		return nil, hubInvalid("NextToken is not valid")
	}
	out := map[string]any{"Findings": docs}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}

// matchFinding applies string filters: filters on one attribute are ORed
// for positive comparisons and ANDed for negative ones, as AWS does.
func matchFinding(doc map[string]any, filters map[string][]stringFilter) bool {
	for path, fs := range filters {
		values := valuesAt(doc, strings.Split(path, "."))
		anyPositive, positiveHit := false, false
		for _, f := range fs {
			switch f.Comparison {
			case "NOT_EQUALS", "PREFIX_NOT_EQUALS", "NOT_CONTAINS":
				for _, v := range values {
					if compare(f.Comparison, v, f.Value) {
						return false
					}
				}
			default:
				anyPositive = true
				for _, v := range values {
					if compare(f.Comparison, v, f.Value) {
						positiveHit = true
					}
				}
			}
		}
		if anyPositive && !positiveHit {
			return false
		}
	}
	return true
}

// compare reports whether v meets the comparison; for a negative
// comparison it reports whether v is excluded.
func compare(cmp, v, want string) bool {
	switch cmp {
	case "PREFIX", "PREFIX_NOT_EQUALS":
		return strings.HasPrefix(v, want)
	case "CONTAINS", "NOT_CONTAINS":
		return strings.Contains(v, want)
	default: // EQUALS, NOT_EQUALS
		return v == want
	}
}

// valuesAt returns the string values at path, descending into lists.
func valuesAt(v any, path []string) []string {
	if len(path) == 0 {
		if s, ok := v.(string); ok {
			return []string{s}
		}
		return nil
	}
	switch t := v.(type) {
	case map[string]any:
		return valuesAt(t[path[0]], path[1:])
	case []any:
		var out []string
		for _, x := range t {
			out = append(out, valuesAt(x, path)...)
		}
		return out
	}
	return nil
}

func (h securityHubService) writeError(w http.ResponseWriter, c *call, e *APIError) {
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	writeJSONError(w, c, "application/json", e.Status, map[string]string{"Code": e.Code, "Message": e.Message})
}

func (h securityHubService) contentType() string { return "application/json" }

func (h securityHubService) faultError(kind FaultKind, op string) *APIError {
	switch kind {
	case FaultThrottle:
		return &APIError{Status: http.StatusTooManyRequests, Code: "TooManyRequestsException", Message: "Rate exceeded"}
	case FaultDeny:
		return &APIError{Status: http.StatusForbidden, Code: "AccessDeniedException",
			Message: "User: " + h.s.callerARN + " is not authorized to perform: securityhub:" + op}
	default:
		return &APIError{Status: http.StatusInternalServerError, Code: "InternalException", Message: "Internal service error"}
	}
}

// addFindingServices registers Security Hub and EventBridge PutEvents
// (events_put.go).
func (s *Server) addFindingServices() {
	s.hub = &hubState{}
	s.services["securityhub"] = securityHubService{s: s, st: s.hub}
	s.addPutEvents()
}

// SecurityHubFindings returns the stored findings of every region, in
// creation order.
func (s *Server) SecurityHubFindings() []SecurityHubFinding {
	st := s.hub
	st.mu.Lock()
	defer st.mu.Unlock()
	type item struct {
		region string
		f      *hubFinding
	}
	var items []item
	for region, m := range st.findings {
		for _, f := range m {
			items = append(items, item{region, f})
		}
	}
	sort.Slice(items, func(i, j int) bool { return items[i].f.seq < items[j].f.seq })
	out := make([]SecurityHubFinding, 0, len(items))
	for _, it := range items {
		b, _ := json.Marshal(it.f.doc)
		id, _ := it.f.doc["Id"].(string)
		out = append(out, SecurityHubFinding{Region: it.region, ID: id, Doc: b})
	}
	return out
}
