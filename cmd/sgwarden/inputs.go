package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/sgwarden/sgwarden/internal/policy"
	"github.com/sgwarden/sgwarden/internal/samples"
)

// stdin is where "-" reads from; tests replace it.
var stdin io.Reader = os.Stdin

// input is one thing to judge: a rules document or one event.
type input struct {
	// source names it: the file, with "[i]" for the i-th event of a file
	// that holds several.
	source string
	// rules is set for a rules document (describe-security-group-rules).
	rules []policy.Rule
	// event is the raw EventBridge event or CloudTrail record otherwise.
	event json.RawMessage
	// skip, when set, says why the file is not an input at all (the
	// corpus's expected outcomes in a glob of events/).
	skip string
}

// errInput marks a file that cannot be read or understood.
var errInput = errors.New("bad input")

// readInputs reads a file ("-" is standard input) and splits it into
// inputs. It accepts:
//   - describe-security-group-rules output (a "SecurityGroupRules" key,
//     optionally with "SecurityGroups" and "PrefixLists"; see
//     policy.DecodeRulesJSON);
//   - one EventBridge event or bare CloudTrail record;
//   - a CloudTrail log file ({"Records": [...]});
//   - `aws cloudtrail lookup-events` output ({"Events": [{"CloudTrailEvent": "..."}]});
//   - a JSON array of events.
func readInputs(name string) ([]input, error) {
	data, err := readInput(name, stdin)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errInput, err)
	}
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(data, &list); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", errInput, name, err)
		}
		return eventInputs(name, list)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("%w: %s: not a JSON object or array: %w", errInput, name, err)
	}
	if samples.IsExpected(data) {
		return []input{{source: name, skip: "expected outcomes of the sample events (events/README.md), not an input: skipped"}}, nil
	}
	if _, ok := top["SecurityGroupRules"]; ok {
		rules, err := policy.DecodeRulesJSON(data)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", errInput, name, err)
		}
		return []input{{source: name, rules: rules}}, nil
	}
	for _, key := range []string{"Records", "Events"} {
		if raw, ok := top[key]; ok {
			var list []json.RawMessage
			if err := json.Unmarshal(raw, &list); err != nil {
				return nil, fmt.Errorf("%w: %s: %s: %w", errInput, name, key, err)
			}
			return eventInputs(name, list)
		}
	}
	return []input{{source: name, event: data}}, nil
}

// eventInputs turns a list of events into inputs. An element of
// lookup-events output carries the record as a JSON string in
// CloudTrailEvent.
func eventInputs(name string, list []json.RawMessage) ([]input, error) {
	out := make([]input, 0, len(list))
	for i, raw := range list {
		var wrapped struct{ CloudTrailEvent *string }
		if err := json.Unmarshal(raw, &wrapped); err == nil && wrapped.CloudTrailEvent != nil {
			raw = json.RawMessage(*wrapped.CloudTrailEvent)
		}
		src := name
		if len(list) > 1 {
			src = fmt.Sprintf("%s[%d]", name, i)
		}
		out = append(out, input{source: src, event: raw})
	}
	return out, nil
}
