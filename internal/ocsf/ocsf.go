package ocsf

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Version is the OCSF schema version the events follow.
const Version = "1.1.0"

// Source is the EventBridge source of every event.
const Source = "sgwarden"

// Class and category identifiers.
const (
	CategoryFindings     = 2
	ClassComplianceFind  = 2003
	ClassDetectionFind   = 2004
	ActivityCreate       = 1
	ActivityUpdate       = 2
	ActivityClose        = 3
	StatusNew            = 1
	StatusSuppressed     = 3
	StatusResolved       = 4
	ComplianceStatusPass = 1
	ComplianceStatusWarn = 2
	ComplianceStatusFail = 3
)

// Event is one OCSF finding event. Attributes not used by sgwarden are
// left out; sgwarden's own extras go in Unmapped.
type Event struct {
	ActivityID   int    `json:"activity_id"`
	ActivityName string `json:"activity_name"`
	CategoryUID  int    `json:"category_uid"`
	CategoryName string `json:"category_name"`
	ClassUID     int    `json:"class_uid"`
	ClassName    string `json:"class_name"`
	TypeUID      int    `json:"type_uid"`
	TypeName     string `json:"type_name"`
	SeverityID   int    `json:"severity_id"`
	Severity     string `json:"severity"`
	// Time is when the outcome happened, in milliseconds since the epoch.
	Time     int64  `json:"time"`
	Message  string `json:"message,omitempty"`
	StatusID int    `json:"status_id"`
	Status   string `json:"status"`

	Metadata    Metadata       `json:"metadata"`
	Cloud       Cloud          `json:"cloud"`
	FindingInfo FindingInfo    `json:"finding_info"`
	Resources   []Resource     `json:"resources,omitempty"`
	Evidences   []Evidence     `json:"evidences,omitempty"`
	Remediation *Remediation   `json:"remediation,omitempty"`
	Compliance  *Compliance    `json:"compliance,omitempty"`
	Unmapped    map[string]any `json:"unmapped,omitempty"`
}

// Metadata describes the event and its producer.
type Metadata struct {
	Version      string   `json:"version"`
	Product      Product  `json:"product"`
	UID          string   `json:"uid"`
	Profiles     []string `json:"profiles,omitempty"`
	OriginalTime string   `json:"original_time,omitempty"`
	LoggedTime   int64    `json:"logged_time,omitempty"`
}

// Product is sgwarden itself.
type Product struct {
	Name       string `json:"name"`
	VendorName string `json:"vendor_name"`
	Version    string `json:"version,omitempty"`
}

// Cloud is the cloud profile: where the finding is.
type Cloud struct {
	Provider string  `json:"provider"`
	Region   string  `json:"region,omitempty"`
	Account  Account `json:"account"`
}

// Account is a cloud account.
type Account struct {
	UID    string `json:"uid"`
	TypeID int    `json:"type_id,omitempty"` // 10: AWS Account
	Type   string `json:"type,omitempty"`
}

// FindingInfo identifies the finding.
type FindingInfo struct {
	UID           string    `json:"uid"`
	Title         string    `json:"title"`
	Desc          string    `json:"desc,omitempty"`
	Types         []string  `json:"types,omitempty"`
	CreatedTime   int64     `json:"created_time,omitempty"`
	FirstSeenTime int64     `json:"first_seen_time,omitempty"`
	LastSeenTime  int64     `json:"last_seen_time,omitempty"`
	SrcURL        string    `json:"src_url,omitempty"`
	Analytic      *Analytic `json:"analytic,omitempty"`
}

// Analytic is the policy check that fired.
type Analytic struct {
	UID    string `json:"uid,omitempty"`
	Name   string `json:"name,omitempty"`
	Desc   string `json:"desc,omitempty"`
	TypeID int    `json:"type_id"` // 1: Rule
	Type   string `json:"type,omitempty"`
}

// Resource is an affected resource (resource_details).
type Resource struct {
	UID            string            `json:"uid"`
	Name           string            `json:"name,omitempty"`
	Type           string            `json:"type"`
	Region         string            `json:"region,omitempty"`
	CloudPartition string            `json:"cloud_partition,omitempty"`
	Owner          *User             `json:"owner,omitempty"`
	Labels         []string          `json:"labels,omitempty"`
	Data           map[string]any    `json:"data,omitempty"`
	Tags           map[string]string `json:"-"`
}

// Evidence is what triggered the detection.
type Evidence struct {
	Actor       *Actor    `json:"actor,omitempty"`
	API         *API      `json:"api,omitempty"`
	SrcEndpoint *Endpoint `json:"src_endpoint,omitempty"`
}

// Actor made the call.
type Actor struct {
	User      *User    `json:"user,omitempty"`
	InvokedBy string   `json:"invoked_by,omitempty"`
	Session   *Session `json:"session,omitempty"`
}

// Session is the role session the call used.
type Session struct {
	UID    string `json:"uid,omitempty"`
	Issuer string `json:"issuer,omitempty"`
}

// User is a person, pipeline or service.
type User struct {
	Name      string   `json:"name,omitempty"`
	UID       string   `json:"uid,omitempty"`
	TypeID    int      `json:"type_id"`
	Type      string   `json:"type,omitempty"`
	EmailAddr string   `json:"email_addr,omitempty"`
	Account   *Account `json:"account,omitempty"`
}

// API is the AWS call.
type API struct {
	Operation string      `json:"operation"`
	Service   *APIService `json:"service,omitempty"`
	Request   *APIRequest `json:"request,omitempty"`
}

// APIService names the service called.
type APIService struct {
	Name string `json:"name"`
}

// APIRequest identifies the request.
type APIRequest struct {
	UID string `json:"uid"`
}

// Endpoint is a network endpoint.
type Endpoint struct {
	IP string `json:"ip,omitempty"`
	// Domain holds a service name when the call came from AWS
	// (sourceIPAddress is then a host name, not an address).
	Domain string `json:"domain,omitempty"`
}

// Remediation says what was or should be done.
type Remediation struct {
	Desc string `json:"desc"`
}

// Compliance is the result of the evaluation against the standards.
type Compliance struct {
	Standards    []string `json:"standards"`
	Requirements []string `json:"requirements,omitempty"`
	Control      string   `json:"control,omitempty"`
	StatusID     int      `json:"status_id"`
	Status       string   `json:"status"`
	StatusDetail string   `json:"status_detail,omitempty"`
}

var severityIDs = map[string]int{"info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}

var severityNames = map[int]string{0: "Unknown", 1: "Informational", 2: "Low", 3: "Medium", 4: "High", 5: "Critical"}

func severity(s string) (int, string) {
	id := severityIDs[s]
	return id, severityNames[id]
}

var activityNames = map[int]string{ActivityCreate: "Create", ActivityUpdate: "Update", ActivityClose: "Close"}

var statusNames = map[int]string{StatusNew: "New", StatusSuppressed: "Suppressed", StatusResolved: "Resolved"}

var complianceNames = map[int]string{ComplianceStatusPass: "Pass", ComplianceStatusWarn: "Warning", ComplianceStatusFail: "Fail"}

// classify fills the classification attributes of e.
func (e *Event) classify(class, activity int) {
	e.CategoryUID, e.CategoryName = CategoryFindings, "Findings"
	e.ClassUID = class
	e.ClassName = map[int]string{ClassComplianceFind: "Compliance Finding", ClassDetectionFind: "Detection Finding"}[class]
	e.ActivityID, e.ActivityName = activity, activityNames[activity]
	e.TypeUID = class*100 + activity
	e.TypeName = e.ClassName + ": " + e.ActivityName
	e.Status = statusNames[e.StatusID]
}

func millis(t time.Time) int64 { return t.UnixMilli() }

// uid derives a stable identifier from parts, so that a redelivered event
// yields the same metadata.uid and consumers can drop the repeat.
func uid(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}
