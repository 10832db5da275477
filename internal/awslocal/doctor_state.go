package awslocal

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// The delivery loop services (CloudTrail, EventBridge, Lambda, CloudWatch,
// SQS, IAM) hold read-mostly state that `sgwarden doctor` inspects: the
// trail, the rule and its targets, the function and its resource policy,
// the metrics, the DLQs and the role. They are seeded from Go with
// SeedDelivery (or a fixture's delivery section) and answer only the read
// calls doctor makes.

// DeliverySpec lays out the CloudTrail -> EventBridge -> Lambda loop of one
// region. Seeding an item whose name exists replaces it.
type DeliverySpec struct {
	Trails    []TrailSpec     `yaml:"trails,omitempty" json:"trails,omitempty"`
	Rules     []EventRuleSpec `yaml:"rules,omitempty" json:"rules,omitempty"`
	Functions []FunctionSpec  `yaml:"functions,omitempty" json:"functions,omitempty"`
	Queues    []QueueSpec     `yaml:"queues,omitempty" json:"queues,omitempty"`
	// Roles are account-wide (IAM is global).
	Roles   []RoleSpec    `yaml:"roles,omitempty" json:"roles,omitempty"`
	Metrics []MetricDatum `yaml:"metrics,omitempty" json:"metrics,omitempty"`
}

// TrailSpec is a CloudTrail trail. Its home region defaults to the
// seeding region; a multi-region trail is visible in every region.
type TrailSpec struct {
	Name        string `yaml:"name" json:"name"`
	HomeRegion  string `yaml:"homeRegion,omitempty" json:"homeRegion,omitempty"`
	MultiRegion bool   `yaml:"multiRegion,omitempty" json:"multiRegion,omitempty"`
	// Stopped means logging is off (never started, or StopLogging).
	Stopped bool `yaml:"stopped,omitempty" json:"stopped,omitempty"`
	// ReadWriteType of its event selector: All (default), ReadOnly or
	// WriteOnly.
	ReadWriteType string `yaml:"readWriteType,omitempty" json:"readWriteType,omitempty"`
	// NoManagementEvents sets IncludeManagementEvents to false.
	NoManagementEvents            bool     `yaml:"noManagementEvents,omitempty" json:"noManagementEvents,omitempty"`
	ExcludeManagementEventSources []string `yaml:"excludeManagementEventSources,omitempty" json:"excludeManagementEventSources,omitempty"`
	S3Bucket                      string   `yaml:"s3Bucket,omitempty" json:"s3Bucket,omitempty"`
}

// EventRuleSpec is an EventBridge rule with its targets.
type EventRuleSpec struct {
	Name string `yaml:"name" json:"name"`
	// EventBus defaults to "default".
	EventBus           string            `yaml:"eventBus,omitempty" json:"eventBus,omitempty"`
	Description        string            `yaml:"description,omitempty" json:"description,omitempty"`
	EventPattern       string            `yaml:"eventPattern,omitempty" json:"eventPattern,omitempty"`
	ScheduleExpression string            `yaml:"scheduleExpression,omitempty" json:"scheduleExpression,omitempty"`
	Disabled           bool              `yaml:"disabled,omitempty" json:"disabled,omitempty"`
	Targets            []EventTargetSpec `yaml:"targets,omitempty" json:"targets,omitempty"`
}

// EventTargetSpec is one target of a rule.
type EventTargetSpec struct {
	ID            string `yaml:"id" json:"id"`
	ARN           string `yaml:"arn" json:"arn"`
	DeadLetterARN string `yaml:"deadLetterArn,omitempty" json:"deadLetterArn,omitempty"`
	Input         string `yaml:"input,omitempty" json:"input,omitempty"`
	InputPath     string `yaml:"inputPath,omitempty" json:"inputPath,omitempty"`
}

// FunctionSpec is a Lambda function, its resource policy and its
// asynchronous invocation settings.
type FunctionSpec struct {
	Name string `yaml:"name" json:"name"`
	// Role is the execution role ARN.
	Role string `yaml:"role,omitempty" json:"role,omitempty"`
	// State defaults to Active.
	State       string `yaml:"state,omitempty" json:"state,omitempty"`
	StateReason string `yaml:"stateReason,omitempty" json:"stateReason,omitempty"`
	// DeadLetterARN is the function's DeadLetterConfig target.
	DeadLetterARN string `yaml:"deadLetterArn,omitempty" json:"deadLetterArn,omitempty"`
	// OnFailure is the on-failure destination of its event invoke
	// config; empty means the function has no event invoke config.
	OnFailure   string           `yaml:"onFailure,omitempty" json:"onFailure,omitempty"`
	Permissions []PermissionSpec `yaml:"permissions,omitempty" json:"permissions,omitempty"`
	// Environment holds the function's environment variables.
	Environment map[string]string `yaml:"environment,omitempty" json:"environment,omitempty"`
}

// PermissionSpec is one lambda:AddPermission statement.
type PermissionSpec struct {
	Sid string `yaml:"sid" json:"sid"`
	// Principal is a service ("events.amazonaws.com"), an account or "*".
	Principal string `yaml:"principal" json:"principal"`
	// Action defaults to lambda:InvokeFunction.
	Action        string `yaml:"action,omitempty" json:"action,omitempty"`
	SourceARN     string `yaml:"sourceArn,omitempty" json:"sourceArn,omitempty"`
	SourceAccount string `yaml:"sourceAccount,omitempty" json:"sourceAccount,omitempty"`
}

// QueueSpec is an SQS queue holding Messages visible messages.
type QueueSpec struct {
	Name     string `yaml:"name" json:"name"`
	Messages int    `yaml:"messages,omitempty" json:"messages,omitempty"`
}

// RoleSpec is an IAM role whose identity policies allow the Allow action
// patterns (IAM wildcards) and deny the Deny ones.
type RoleSpec struct {
	Name  string   `yaml:"name" json:"name"`
	Allow []string `yaml:"allow,omitempty" json:"allow,omitempty"`
	Deny  []string `yaml:"deny,omitempty" json:"deny,omitempty"`
}

// MetricDatum is one CloudWatch data point.
type MetricDatum struct {
	Namespace  string            `yaml:"namespace" json:"namespace"`
	MetricName string            `yaml:"metricName" json:"metricName"`
	Dimensions map[string]string `yaml:"dimensions,omitempty" json:"dimensions,omitempty"`
	Time       time.Time         `yaml:"time" json:"time"`
	Value      float64           `yaml:"value" json:"value"`
}

// deliveryState is the state of the delivery services. Trails and roles
// are keyed by ARN; the rest is per region.
type deliveryState struct {
	mu      sync.Mutex
	seq     uint64
	trails  map[string]*trail
	roles   map[string]*RoleSpec
	regions map[string]*deliveryRegion
}

type deliveryRegion struct {
	rules     map[string]*eventRule // by bus + "/" + name
	functions map[string]*function
	queues    map[string]*QueueSpec
	metrics   []MetricDatum
}

type trail struct {
	TrailSpec
	arn string
}

type eventRule struct {
	EventRuleSpec
	arn string
	seq uint64
}

type function struct {
	FunctionSpec
	arn string
}

func newDeliveryState() *deliveryState {
	return &deliveryState{trails: map[string]*trail{}, roles: map[string]*RoleSpec{}, regions: map[string]*deliveryRegion{}}
}

// region returns the state of one region; the caller holds mu.
func (d *deliveryState) region(name string) *deliveryRegion {
	r, ok := d.regions[name]
	if !ok {
		r = &deliveryRegion{rules: map[string]*eventRule{}, functions: map[string]*function{}, queues: map[string]*QueueSpec{}}
		d.regions[name] = r
	}
	return r
}

// addDeliveryServices registers the services doctor reads.
func (s *Server) addDeliveryServices() {
	s.delivery = newDeliveryState()
	s.services["cloudtrail"] = cloudTrailService{s}.service()
	s.services["events"] = eventsService{s}.service()
	s.services["lambda"] = lambdaService{s}
	s.services["monitoring"] = cloudWatchService{s}
	s.services["sqs"] = sqsService{s}.service()
	s.services["iam"] = iamService{s}
}

// SeedDelivery seeds the delivery loop of region ("" means the default
// region). It checks the whole spec first, so on error nothing changes.
func (s *Server) SeedDelivery(region string, spec DeliverySpec) error {
	if region == "" {
		region = s.defaultRegion
	}
	if err := s.validateDelivery(spec); err != nil {
		return err
	}
	d := s.delivery
	d.mu.Lock()
	defer d.mu.Unlock()
	rs := d.region(region)
	for _, t := range spec.Trails {
		if t.HomeRegion == "" {
			t.HomeRegion = region
		}
		if t.S3Bucket == "" {
			t.S3Bucket = "aws-cloudtrail-logs-" + s.account
		}
		arn := "arn:aws:cloudtrail:" + t.HomeRegion + ":" + s.account + ":trail/" + t.Name
		d.trails[arn] = &trail{TrailSpec: t, arn: arn}
	}
	for _, r := range spec.Rules {
		if r.EventBus == "" {
			r.EventBus = "default"
		}
		arn := "arn:aws:events:" + region + ":" + s.account + ":rule/" + r.Name
		if r.EventBus != "default" {
			arn = "arn:aws:events:" + region + ":" + s.account + ":rule/" + r.EventBus + "/" + r.Name
		}
		d.seq++
		r.Targets = append([]EventTargetSpec(nil), r.Targets...)
		rs.rules[r.EventBus+"/"+r.Name] = &eventRule{EventRuleSpec: r, arn: arn, seq: d.seq}
	}
	for _, f := range spec.Functions {
		if f.State == "" {
			f.State = "Active"
		}
		f.Permissions = append([]PermissionSpec(nil), f.Permissions...)
		rs.functions[f.Name] = &function{FunctionSpec: f, arn: "arn:aws:lambda:" + region + ":" + s.account + ":function:" + f.Name}
	}
	for _, q := range spec.Queues {
		q := q
		rs.queues[q.Name] = &q
	}
	for _, r := range spec.Roles {
		r := r
		d.roles["arn:aws:iam::"+s.account+":role/"+r.Name] = &r
	}
	rs.metrics = append(rs.metrics, spec.Metrics...)
	return nil
}

func (s *Server) validateDelivery(spec DeliverySpec) error {
	bad := func(what string, i int, format string, args ...any) error {
		return fmt.Errorf("awslocal: delivery %s[%d]: %s", what, i, fmt.Sprintf(format, args...))
	}
	for i, t := range spec.Trails {
		if t.Name == "" {
			return bad("trails", i, "name is empty")
		}
		switch t.ReadWriteType {
		case "", "All", "ReadOnly", "WriteOnly":
		default:
			return bad("trails", i, "readWriteType %q is not All, ReadOnly or WriteOnly", t.ReadWriteType)
		}
	}
	for i, r := range spec.Rules {
		if r.Name == "" {
			return bad("rules", i, "name is empty")
		}
		if (r.EventPattern == "") == (r.ScheduleExpression == "") {
			return bad("rules", i, "rule %s needs exactly one of eventPattern and scheduleExpression", r.Name)
		}
		if r.EventPattern != "" && !json.Valid([]byte(r.EventPattern)) {
			return bad("rules", i, "eventPattern of %s is not JSON", r.Name)
		}
		for j, t := range r.Targets {
			if t.ID == "" || !strings.HasPrefix(t.ARN, "arn:") {
				return bad("rules", i, "target %d needs an id and an ARN", j)
			}
		}
	}
	for i, f := range spec.Functions {
		if f.Name == "" || strings.ContainsAny(f.Name, ":/") {
			return bad("functions", i, "name %q is not a function name", f.Name)
		}
		for j, p := range f.Permissions {
			if p.Sid == "" || p.Principal == "" {
				return bad("functions", i, "permission %d needs a sid and a principal", j)
			}
		}
	}
	for i, q := range spec.Queues {
		if q.Name == "" || q.Messages < 0 {
			return bad("queues", i, "needs a name and a depth >= 0")
		}
	}
	for i, r := range spec.Roles {
		if r.Name == "" {
			return bad("roles", i, "name is empty")
		}
	}
	for i, m := range spec.Metrics {
		if m.Namespace == "" || m.MetricName == "" || m.Time.IsZero() {
			return bad("metrics", i, "needs a namespace, a metric name and a time")
		}
	}
	return nil
}

// sortedRules returns the rules of a bus in creation order.
func (r *deliveryRegion) sortedRules(bus string) []*eventRule {
	var out []*eventRule
	for _, x := range r.rules {
		if x.EventBus == bus {
			out = append(out, x)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

// policyDocument renders a function's resource policy the way Lambda's
// GetPolicy returns it after AddPermission calls.
func (f *function) policyDocument() string {
	type statement struct {
		Sid       string                       `json:"Sid"`
		Effect    string                       `json:"Effect"`
		Principal any                          `json:"Principal"`
		Action    string                       `json:"Action"`
		Resource  string                       `json:"Resource"`
		Condition map[string]map[string]string `json:"Condition,omitempty"`
	}
	doc := struct {
		Version   string      `json:"Version"`
		ID        string      `json:"Id"`
		Statement []statement `json:"Statement"`
	}{Version: "2012-10-17", ID: "default"}
	for _, p := range f.Permissions {
		st := statement{Sid: p.Sid, Effect: "Allow", Action: p.Action, Resource: f.arn}
		if st.Action == "" {
			st.Action = "lambda:InvokeFunction"
		}
		switch {
		case p.Principal == "*":
			st.Principal = "*"
		case strings.HasSuffix(p.Principal, ".amazonaws.com"):
			st.Principal = map[string]string{"Service": p.Principal}
		default:
			st.Principal = map[string]string{"AWS": "arn:aws:iam::" + p.Principal + ":root"}
		}
		if p.SourceAccount != "" || p.SourceARN != "" {
			st.Condition = map[string]map[string]string{}
			if p.SourceAccount != "" {
				st.Condition["StringEquals"] = map[string]string{"AWS:SourceAccount": p.SourceAccount}
			}
			if p.SourceARN != "" {
				st.Condition["ArnLike"] = map[string]string{"AWS:SourceArn": p.SourceARN}
			}
		}
		doc.Statement = append(doc.Statement, st)
	}
	b, _ := json.Marshal(doc)
	return string(b)
}
