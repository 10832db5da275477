package policy_test

import (
	"fmt"

	"github.com/sgwarden/sgwarden/internal/policy"
)

// Compile once, then judge each rule as one (protocol, ports, peer) tuple.
func ExampleEngine_Evaluate() {
	engine := policy.Default()
	world, _ := policy.ParsePeerCIDR("0.0.0.0/0")
	ssh := policy.Rule{
		GroupID: "sg-0abc", RuleID: "sgr-0ssh", Direction: policy.Ingress,
		Protocol: policy.ProtoTCP, FromPort: 22, ToPort: 22, Peer: world,
	}
	for _, v := range engine.Evaluate(&ssh, policy.EvalContext{}, nil) {
		fmt.Println(v.CheckID, v.Decision, v.Severity)
	}
	// A new group's default egress rule is not a violation (seed rule 4).
	egress := policy.Rule{GroupID: "sg-0abc", Direction: policy.Egress, Protocol: policy.ProtoAll, Peer: world}
	fmt.Println("default egress violations:", len(engine.Evaluate(&egress, policy.EvalContext{}, nil)))
	// Output:
	// remote-admin-world revert critical
	// high-risk-ports-world revert high
	// unrestricted-ports-world revert high
	// default egress violations: 0
}

// Every problem in a policy file is reported at once, with its line.
func ExampleLoad() {
	_, err := policy.Load([]byte(`version: 1
checks:
  - id: db
    severity: urgent
    action: revert
    ports: [70000]
    peer: {cidrs: [10.0.0.0/33]}
`), "policy.yaml")
	fmt.Println(err)
	// Output:
	// policy policy.yaml: 3 problem(s)
	// policy.yaml:4:15: checks[0].severity: unknown severity "urgent" (want critical, high, medium, low or info)
	// policy.yaml:6:13: checks[0].ports[0]: port out of range or malformed: "70000" (want 0-65535 or a range like 1024-65535)
	// policy.yaml:7:20: checks[0].peer.cidrs[0]: bad CIDR "10.0.0.0/33"
}

// Exposure is the union over all of an ENI's groups, part by part, and
// never mixes one rule's ports with another rule's peer (seed rules 1, 2).
func ExampleExposureOf() {
	world, _ := policy.ParsePeerCIDR("0.0.0.0/0")
	office, _ := policy.ParsePeerCIDR("10.1.2.3/32")
	rules := map[string][]policy.Rule{
		"sg-web":   {{GroupID: "sg-web", RuleID: "sgr-ssh", Protocol: policy.ProtoTCP, FromPort: 22, ToPort: 22, Peer: world}},
		"sg-admin": {{GroupID: "sg-admin", RuleID: "sgr-all", Protocol: policy.ProtoAll, Peer: office}},
	}
	x := policy.ExposureOf(policy.ENI{ID: "eni-1", GroupIDs: []string{"sg-web", "sg-admin"}}, rules)
	for _, o := range x.Open {
		fmt.Printf("%s/%d-%d from %s via %s\n", o.Protocol, o.FromPort, o.ToPort, o.From, o.Grants[0].RuleID)
	}
	// Output:
	// tcp/22-22 from world via sgr-ssh
}

// Rules aggregate (seed rule 1): two halves of the IPv4 space on one port
// open it to the whole internet, though neither rule is the world alone.
// An event's rules are judged; the group's other rules stand.
func ExampleEngine_EvaluateCoverage() {
	engine := policy.Default()
	half := func(ruleID, cidr string) policy.Rule {
		peer, _ := policy.ParsePeerCIDR(cidr)
		return policy.Rule{GroupID: "sg-0abc", RuleID: ruleID, Direction: policy.Ingress,
			Protocol: policy.ProtoTCP, FromPort: 12345, ToPort: 12345, Peer: peer}
	}
	standing := []policy.Rule{half("sgr-a", "0.0.0.0/1")}
	event := []policy.Rule{half("sgr-b", "128.0.0.0/1")}
	for _, v := range engine.EvaluateCoverage(standing, event, policy.EvalContext{}, nil) {
		fmt.Println(v.Rule.RuleID, v.CheckID, v.Decision)
		fmt.Println(v.Coverage)
	}
	// Output:
	// sgr-b unrestricted-ports-world revert
	// together, sgr-a (0.0.0.0/1) and sgr-b (128.0.0.0/1) open tcp/12345 to the whole internet
}
