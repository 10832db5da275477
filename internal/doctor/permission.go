package doctor

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Grant is how a Lambda resource policy treats invocations from one
// EventBridge rule.
type Grant int

const (
	// GrantNone: no statement lets events.amazonaws.com invoke the function.
	GrantNone Grant = iota
	// GrantOtherSource: statements allow events.amazonaws.com, but only for
	// other source ARNs (or accounts).
	GrantOtherSource
	// GrantUnscoped: events.amazonaws.com may invoke with no SourceArn
	// condition: it works, but any rule can invoke the function.
	GrantUnscoped
	// GrantRule: a statement allows exactly this rule (SourceArn matches).
	GrantRule
	// GrantDenied: a Deny statement blocks this rule.
	GrantDenied
)

// PermissionResult is the outcome of AnalyzePermission.
type PermissionResult struct {
	Grant Grant
	// Sources lists the SourceArn values of statements that allow
	// events.amazonaws.com (to show what the policy allows instead).
	Sources []string
	// Statement is the Sid of the statement that decided.
	Statement string
}

type policyDoc struct {
	Statement json.RawMessage
}

type statement struct {
	Sid       string
	Effect    string
	Principal json.RawMessage
	Action    json.RawMessage
	Condition map[string]map[string]json.RawMessage
}

// AnalyzePermission reads a Lambda resource policy (GetPolicy's Policy
// document) and reports whether EventBridge may invoke the function on
// behalf of ruleARN in account.
func AnalyzePermission(policy, ruleARN, account string) (PermissionResult, error) {
	var res PermissionResult
	var doc policyDoc
	if err := json.Unmarshal([]byte(policy), &doc); err != nil {
		return res, fmt.Errorf("parse resource policy: %w", err)
	}
	var stmts []statement
	if err := json.Unmarshal(doc.Statement, &stmts); err != nil {
		var one statement
		if err1 := json.Unmarshal(doc.Statement, &one); err1 != nil {
			return res, fmt.Errorf("parse resource policy statements: %w", err)
		}
		stmts = []statement{one}
	}
	for _, st := range stmts {
		if !principalIsEvents(st.Principal) || !actionAllowsInvoke(st.Action) {
			continue
		}
		sources := conditionValues(st.Condition, "aws:sourcearn")
		accounts := conditionValues(st.Condition, "aws:sourceaccount")
		matches := (sources == nil || anyGlob(sources, ruleARN)) && (accounts == nil || anyGlob(accounts, account))
		if strings.EqualFold(st.Effect, "Deny") {
			if matches {
				return PermissionResult{Grant: GrantDenied, Statement: st.Sid}, nil
			}
			continue
		}
		if !strings.EqualFold(st.Effect, "Allow") {
			continue
		}
		res.Sources = append(res.Sources, sources...)
		switch {
		case matches && sources != nil && res.Grant < GrantRule:
			res.Grant, res.Statement = GrantRule, st.Sid
		case matches && sources == nil && res.Grant < GrantUnscoped:
			res.Grant, res.Statement = GrantUnscoped, st.Sid
		case !matches && res.Grant < GrantOtherSource:
			res.Grant, res.Statement = GrantOtherSource, st.Sid
		}
	}
	return res, nil
}

func anyGlob(patterns []string, s string) bool {
	for _, p := range patterns {
		if glob(p, s, true) {
			return true
		}
	}
	return false
}

// stringOrList decodes a JSON string or list of strings.
func stringOrList(raw json.RawMessage) []string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil {
		return many
	}
	return nil
}

func principalIsEvents(raw json.RawMessage) bool {
	if s := stringOrList(raw); len(s) == 1 && s[0] == "*" {
		return true
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return false
	}
	for k, v := range m {
		for _, p := range stringOrList(v) {
			if p == "*" || (strings.EqualFold(k, "Service") && p == "events.amazonaws.com") {
				return true
			}
		}
	}
	return false
}

func actionAllowsInvoke(raw json.RawMessage) bool {
	for _, a := range stringOrList(raw) {
		if glob(strings.ToLower(a), "lambda:invokefunction", true) {
			return true
		}
	}
	return false
}

// conditionValues collects the values of a condition key (case-insensitive)
// under the ARN and string operators; nil when the key is not constrained.
func conditionValues(cond map[string]map[string]json.RawMessage, key string) []string {
	var out []string
	for op, kv := range cond {
		switch strings.ToLower(strings.TrimSuffix(op, "IfExists")) {
		case "arnlike", "arnequals", "stringequals", "stringlike":
		default:
			continue
		}
		for k, v := range kv {
			if strings.EqualFold(k, key) {
				out = append(out, stringOrList(v)...)
			}
		}
	}
	return out
}
