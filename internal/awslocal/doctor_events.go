package awslocal

import (
	"strings"
)

// eventsService emulates the EventBridge reads doctor makes (awsJson 1.1):
// ListRules, DescribeRule, ListTargetsByRule.
type eventsService struct{ s *Server }

const eventsMaxLimit = 100

func (ev eventsService) service() jsonService {
	return jsonService{s: ev.s, throttleCode: "ThrottlingException", denyCode: "AccessDeniedException", iamPrefix: "events",
		jsonProtocol: jsonProtocol{target: "AWSEvents", version: "1.1", ops: map[string]func(*call) (any, *APIError){
			"ListRules":         ev.listRules,
			"DescribeRule":      ev.describeRule,
			"ListTargetsByRule": ev.listTargetsByRule,
		}}}
}

type ebRule struct {
	Name               string `json:"Name"`
	Arn                string `json:"Arn"`
	EventPattern       string `json:"EventPattern,omitempty"`
	ScheduleExpression string `json:"ScheduleExpression,omitempty"`
	State              string `json:"State"`
	Description        string `json:"Description,omitempty"`
	EventBusName       string `json:"EventBusName"`
}

type ebTarget struct {
	ID               string            `json:"Id"`
	Arn              string            `json:"Arn"`
	Input            string            `json:"Input,omitempty"`
	InputPath        string            `json:"InputPath,omitempty"`
	DeadLetterConfig map[string]string `json:"DeadLetterConfig,omitempty"`
	RetryPolicy      map[string]int    `json:"RetryPolicy"`
}

func (r *eventRule) wire() ebRule {
	state := "ENABLED"
	if r.Disabled {
		state = "DISABLED"
	}
	return ebRule{Name: r.Name, Arn: r.arn, EventPattern: r.EventPattern, ScheduleExpression: r.ScheduleExpression,
		State: state, Description: r.Description, EventBusName: r.EventBus}
}

// busName accepts a bus name or ARN; empty means the default bus.
func busName(nameOrARN string) string {
	if nameOrARN == "" {
		return "default"
	}
	if strings.HasPrefix(nameOrARN, "arn:") {
		if i := strings.LastIndex(nameOrARN, ":event-bus/"); i >= 0 {
			return nameOrARN[i+len(":event-bus/"):]
		}
	}
	return nameOrARN
}

func eventsNotFound(format string, args ...any) *APIError {
	return clientErr("ResourceNotFoundException", format, args...)
}

// ruleOf finds a rule; the caller holds the delivery lock.
func (ev eventsService) ruleOf(c *call, bus, name string) (*eventRule, *APIError) {
	rs := ev.s.delivery.region(c.region)
	if r := rs.rules[bus+"/"+name]; r != nil {
		return r, nil
	}
	if bus != "default" && len(rs.sortedRules(bus)) == 0 {
		return nil, eventsNotFound("Event bus %s does not exist.", bus)
	}
	return nil, eventsNotFound("Rule %s does not exist on EventBus %s.", name, bus)
}

func (ev eventsService) listRules(c *call) (any, *APIError) {
	var in struct {
		NamePrefix   string
		EventBusName string
		NextToken    string
		Limit        int
	}
	if aerr := decodeInput(c, &in); aerr != nil {
		return nil, aerr
	}
	if in.Limit < 0 || in.Limit > eventsMaxLimit {
		return nil, clientErr("ValidationException", "1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 100", in.Limit)
	}
	d := ev.s.delivery
	d.mu.Lock()
	defer d.mu.Unlock()
	var rules []*eventRule
	for _, r := range d.region(c.region).sortedRules(busName(in.EventBusName)) {
		if strings.HasPrefix(r.Name, in.NamePrefix) {
			rules = append(rules, r)
		}
	}
	max := in.Limit
	if max == 0 {
		max = ev.s.pageSize
	}
	page, next, aerr := paginate(rules, func(r *eventRule) uint64 { return r.seq }, "rule", in.NextToken, max)
	if aerr != nil {
		return nil, clientErr("ValidationException", "The NextToken is not valid.")
	}
	out := struct {
		Rules     []ebRule `json:"Rules"`
		NextToken string   `json:"NextToken,omitempty"`
	}{Rules: []ebRule{}, NextToken: next}
	for _, r := range page {
		out.Rules = append(out.Rules, r.wire())
	}
	return out, nil
}

func (ev eventsService) describeRule(c *call) (any, *APIError) {
	var in struct {
		Name         string
		EventBusName string
	}
	if aerr := decodeInput(c, &in); aerr != nil {
		return nil, aerr
	}
	if in.Name == "" {
		return nil, required("ValidationException", "name")
	}
	d := ev.s.delivery
	d.mu.Lock()
	defer d.mu.Unlock()
	r, aerr := ev.ruleOf(c, busName(in.EventBusName), in.Name)
	if aerr != nil {
		return nil, aerr
	}
	out := struct {
		ebRule
		CreatedBy string `json:"CreatedBy"`
	}{r.wire(), ev.s.account}
	return out, nil
}

func (ev eventsService) listTargetsByRule(c *call) (any, *APIError) {
	var in struct {
		Rule         string
		EventBusName string
		NextToken    string
		Limit        int
	}
	if aerr := decodeInput(c, &in); aerr != nil {
		return nil, aerr
	}
	if in.Rule == "" {
		return nil, required("ValidationException", "rule")
	}
	d := ev.s.delivery
	d.mu.Lock()
	defer d.mu.Unlock()
	r, aerr := ev.ruleOf(c, busName(in.EventBusName), in.Rule)
	if aerr != nil {
		return nil, aerr
	}
	type indexed struct {
		t EventTargetSpec
		i uint64
	}
	items := make([]indexed, len(r.Targets))
	for i, t := range r.Targets {
		items[i] = indexed{t, uint64(i)}
	}
	max := in.Limit
	if max == 0 {
		max = ev.s.pageSize
	}
	page, next, aerr := paginate(items, func(x indexed) uint64 { return x.i }, "target", in.NextToken, max)
	if aerr != nil {
		return nil, clientErr("ValidationException", "The NextToken is not valid.")
	}
	out := struct {
		Targets   []ebTarget `json:"Targets"`
		NextToken string     `json:"NextToken,omitempty"`
	}{Targets: []ebTarget{}, NextToken: next}
	for _, x := range page {
		t := ebTarget{ID: x.t.ID, Arn: x.t.ARN, Input: x.t.Input, InputPath: x.t.InputPath,
			RetryPolicy: map[string]int{"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400}}
		if x.t.DeadLetterARN != "" {
			t.DeadLetterConfig = map[string]string{"Arn": x.t.DeadLetterARN}
		}
		out.Targets = append(out.Targets, t)
	}
	return out, nil
}
