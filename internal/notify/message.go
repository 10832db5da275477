package notify

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/sgwarden/sgwarden/internal/version"
)

// MaxSubjectLen is the longest subject SNS accepts: it must be shorter than
// 100 characters.
const MaxSubjectLen = 99

// MaxExposed bounds the ENIs listed in one alert, keeping the message far
// below SNS's 256 KB limit.
const MaxExposed = 50

// Message attribute names, for SNS subscription filter policies.
const (
	AttrAction   = "action"
	AttrSeverity = "severity"
	AttrCheck    = "check"
	AttrEventID  = "event_id"
	// AttrOwner is the group's owner or team (the policy's ownerTag), for
	// per-team subscription filter policies (docs/findings.md).
	AttrOwner = "owner"
)

// Message is one SNS message ready to publish.
type Message struct {
	Subject string
	// JSON is the stable document (the "default" protocol).
	JSON []byte
	// Text is the readable form (the "email" protocol).
	Text string
	// Attributes are the message attributes; empty values are omitted.
	Attributes map[string]string
	// Chat, when set, is the custom notification that AWS's chat
	// integration renders; it is sent to HTTPS subscribers (package chat).
	Chat []byte
}

// Build finalizes a copy of a and renders it. It fails only if the
// document cannot be encoded.
func Build(a Alert) (Message, error) {
	if len(a.Exposed) > MaxExposed {
		a.ExposedOmitted += len(a.Exposed) - MaxExposed
		a.Exposed = a.Exposed[:MaxExposed]
	}
	a.Finalize()
	if a.Version == "" {
		a.Version = version.String()
	}
	if a.Summary == "" {
		a.Summary = summary(&a)
	}
	// Bounded to fit SNS (bound.go); the subject and attributes come from
	// the whole alert, each is short.
	r, err := fit(a)
	if err != nil {
		return Message{}, err
	}
	attrs := map[string]string{
		AttrAction:   string(a.Action),
		AttrSeverity: a.Severity,
		AttrEventID:  a.Event.ID,
	}
	if a.Group != nil {
		attrs[AttrOwner] = a.Group.Owner
	}
	if len(a.Checks) > 0 {
		attrs[AttrCheck] = a.Checks[0]
	}
	for k, v := range attrs {
		if v == "" {
			delete(attrs, k)
		}
	}
	return Message{
		Subject:    Subject(&a),
		JSON:       r.doc,
		Text:       r.text,
		Attributes: attrs,
	}, nil
}

// PublishInput returns the SNS Publish request for m on topicARN, with
// MessageStructure "json": {"default": document, "email": text}.
func (m Message) PublishInput(topicARN string) (*sns.PublishInput, error) {
	bodies := map[string]string{
		"default": string(m.JSON),
		"email":   m.Text,
	}
	if m.Chat != nil {
		// Amazon Q Developer in chat applications subscribes over HTTPS.
		bodies["https"] = string(m.Chat)
	}
	body, err := json.Marshal(bodies)
	if err != nil {
		return nil, fmt.Errorf("encode SNS message: %w", err)
	}
	if len(body) > MaxPublishBytes-publishMargin && m.Chat != nil {
		// Build bounded the document and the text; a chat body that tips
		// the message over SNS's limit is dropped: HTTPS subscribers then
		// get the document.
		delete(bodies, "https")
		if body, err = json.Marshal(bodies); err != nil {
			return nil, fmt.Errorf("encode SNS message: %w", err)
		}
	}
	if len(body) > MaxPublishBytes-publishMargin {
		return nil, fmt.Errorf("SNS message of %d bytes is over the %d-byte limit", len(body), MaxPublishBytes)
	}
	in := &sns.PublishInput{
		TopicArn:         aws.String(topicARN),
		Message:          aws.String(string(body)),
		MessageStructure: aws.String("json"),
		Subject:          aws.String(m.Subject),
	}
	if len(m.Attributes) > 0 {
		in.MessageAttributes = make(map[string]snstypes.MessageAttributeValue, len(m.Attributes))
		for k, v := range m.Attributes {
			in.MessageAttributes[k] = snstypes.MessageAttributeValue{
				DataType:    aws.String("String"),
				StringValue: aws.String(v),
			}
		}
	}
	return in, nil
}

func headline(a *Alert) string {
	switch a.Action {
	case ActionReverted:
		if a.Outcome.Revoked == 0 && a.Outcome.AlreadyGone > 0 {
			return "ALREADY REVERTED"
		}
		return "REVERTED"
	case ActionWouldRevert:
		return "WOULD REVERT"
	case ActionExempt:
		return "EXEMPT"
	case ActionFailed:
		return "FAILED to revert"
	case ActionGroupGone:
		return "GROUP GONE"
	}
	return "ALERT"
}

// what describes the change in a few words, without the headline.
func what(a *Alert) string {
	switch {
	case a.ExemptionChange != nil:
		c := a.ExemptionChange
		s := "exemption " + c.Change
		if c.Value != "" {
			s += " (" + c.Value + ")"
		}
		if len(c.Resources) > 0 {
			s += " on " + c.Resources[0]
			if len(c.Resources) > 1 {
				s += fmt.Sprintf(" +%d", len(c.Resources)-1)
			}
		}
		return s + " by " + shortARN(a.Actor.ARN)
	case a.PrefixList != nil:
		p := a.PrefixList
		s := p.ID
		if p.Name != "" {
			s += " (" + p.Name + ")"
		}
		entries := p.Offending
		if len(p.Removed) > 0 {
			entries = p.Removed
		}
		if len(entries) > 0 {
			s += " public entry " + entries[0]
			if len(entries) > 1 {
				s += fmt.Sprintf(" +%d", len(entries)-1)
			}
		}
		return s
	}
	var s string
	if r := firstRule(a); r != nil {
		s = Short(r)
		if n := len(a.Rules) - 1; n > 0 {
			s += fmt.Sprintf(" +%d more", n)
		}
	}
	if a.Group != nil {
		if s != "" {
			s += " on "
		}
		s += a.Group.ID
		if a.Group.Name != "" {
			s += " (" + a.Group.Name + ")"
		}
	} else if len(a.Exposed) > 0 {
		e := a.Exposed[0]
		s = e.ID
		if e.InstanceID != "" {
			s += " (" + e.InstanceID + ")"
		}
		if len(e.Open) > 0 {
			s += " exposed " + e.Open[0]
		}
		if n := len(a.Exposed) + a.ExposedOmitted - 1; n > 0 {
			s += fmt.Sprintf(" +%d ENIs", n)
		}
	}
	return s
}

// firstRule is the rule the headline is about: the first one that was acted
// on in the headline's sense, else the first.
func firstRule(a *Alert) *Rule {
	for i := range a.Rules {
		r := &a.Rules[i]
		switch {
		case a.Action == ActionFailed && r.Outcome == OutcomeFailed,
			a.Action == ActionReverted && (r.Outcome == OutcomeRevoked || r.Outcome == OutcomeAlreadyGone),
			a.Action != ActionFailed && a.Action != ActionReverted && r.Decision != "":
			return r
		}
	}
	if len(a.Rules) > 0 {
		return &a.Rules[0]
	}
	return nil
}

func shortARN(arn string) string {
	if i := strings.LastIndexByte(arn, ':'); i >= 0 {
		return arn[i+1:]
	}
	if arn == "" {
		return "unknown"
	}
	return arn
}

func summary(a *Alert) string {
	s := headline(a) + " " + what(a)
	return strings.TrimSpace(s)
}

// Subject renders the subject line: headline, what, account/region; never
// longer than MaxSubjectLen characters, valid UTF-8, no control characters.
func Subject(a *Alert) string {
	s := headline(a)
	if w := what(a); w != "" {
		s += " " + w
	}
	if a.Account != "" || a.Region != "" {
		s += " " + a.Account + "/" + a.Region
	}
	return Truncate(s, MaxSubjectLen)
}

// Truncate cleans s for a one-line header (control characters and invalid
// UTF-8 become spaces or U+FFFD, runs of spaces collapse) and cuts it to at
// most max characters, marking a cut with "...".
func Truncate(s string, max int) string {
	var b strings.Builder
	space := false
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if unicode.IsControl(r) || unicode.IsSpace(r) || r == '\u2028' || r == '\u2029' {
			if !space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteRune(r)
	}
	out := strings.TrimRight(b.String(), " ")
	if utf8.RuneCountInString(out) <= max {
		return out
	}
	const mark = "..."
	n := 0
	for i := range out {
		if n == max-len(mark) {
			return strings.TrimRight(out[:i], " ") + mark
		}
		n++
	}
	return out
}

// Printable escapes the control characters of s (and invalid UTF-8) in Go
// notation, e.g. "\x1b" and "\n", so that text from AWS (names, tags,
// descriptions) cannot move a terminal's cursor or forge a line in a table.
func Printable(s string) string {
	unsafe := func(r rune, size int) bool {
		return (r == utf8.RuneError && size == 1) || unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
	}
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if unsafe(r, size) {
			break
		}
		i += size
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, "\\x%02x", s[i])
		case unsafe(r, size):
			q := strconv.QuoteRune(r) // '\n', '\x1b', '\u2028'
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// Text renders the e-mail body.
func Text(a *Alert) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	sum := a.Summary
	if sum == "" {
		sum = summary(a)
	}
	w("sgwarden: %s\n\n", sum)
	w("Action:    %s", a.Action)
	if a.Mode != "" {
		w(" (mode %s)", a.Mode)
	}
	w("\nSeverity:  %s\n", a.Severity)
	if len(a.Checks) > 0 {
		w("Checks:    %s\n", strings.Join(a.Checks, ", "))
	}
	w("Account:   %s  Region: %s\n", a.Account, a.Region)
	if g := a.Group; g != nil {
		w("Group:     %s", g.ID)
		if g.Name != "" {
			w(" (%s)", g.Name)
		}
		if g.VPC != "" {
			w(" in %s", g.VPC)
		}
		if g.IsDefault {
			w(", the VPC's default group")
		}
		w("\n")
	}
	if s := a.Stack; s != nil {
		w("Stack:     %s", orUnknown(s.Name))
		if s.LogicalID != "" {
			w(", logical ID %s", s.LogicalID)
		}
		w("\n           %s\n", StackAdvice(s, a.Action))
	}
	w("Who:       %s", orUnknown(a.Actor.ARN))
	if a.Actor.Type != "" {
		w(" (%s)", a.Actor.Type)
	}
	w("\n")
	if u := a.Actor.User; u != nil && u.Name != "" {
		w("Person:    %s (%s)\n", u.Name, u.Kind)
	}
	if a.Actor.SourceIP != "" {
		w("From:      %s\n", a.Actor.SourceIP)
	}
	if a.Actor.InvokedBy != "" {
		w("Via:       %s\n", a.Actor.InvokedBy)
	}
	if a.Actor.UserAgent != "" {
		w("Client:    %s\n", Truncate(a.Actor.UserAgent, 200))
	}
	w("Event:     %s at %s (id %s)\n", a.Event.Name, a.Event.Time.UTC().Format(time.RFC3339), a.Event.ID)

	if e := a.ExemptionChange; e != nil {
		w("\nExemption %s: tag %s", e.Change, e.Key)
		if e.Value != "" {
			w("=%s", e.Value)
		}
		w(" on %s\n", strings.Join(e.Resources, ", "))
	}
	if p := a.PrefixList; p != nil {
		w("\nPrefix list %s", p.ID)
		if p.Name != "" {
			w(" (%s)", p.Name)
		}
		if p.Version != 0 {
			w(" version %d", p.Version)
		}
		w(", referenced by %d rule(s)\n", p.ReferencedBy)
		if len(p.Added) > 0 {
			w("  added:     %s\n", strings.Join(p.Added, ", "))
		}
		if len(p.Offending) > 0 {
			w("  offending: %s\n", strings.Join(p.Offending, ", "))
		}
		if len(p.Removed) > 0 {
			w("  removed:   %s\n", strings.Join(p.Removed, ", "))
		}
	}
	if len(a.Rules) > 0 {
		w("\nRules:\n")
		for i := range a.Rules {
			r := &a.Rules[i]
			id := r.ID
			if id == "" {
				id = "(no id)"
			}
			w("  %s %s %s: %s", id, r.Direction, Short(r), strings.ToUpper(string(r.Outcome)))
			if r.Note != "" {
				w(" (%s)", r.Note)
			}
			w("\n")
			for _, c := range r.Checks {
				w("    - %s [%s, %s]", c.ID, c.Severity, c.Decision)
				if c.Exemption != "" {
					w(" exempted by %s", c.Exemption)
				}
				if c.Reason != "" {
					w(": %s", c.Reason)
				}
				w("\n")
			}
			if r.Error != "" {
				w("    error: %s\n", r.Error)
			}
		}
	}
	if len(a.Exposed) > 0 {
		w("\nExposed network interfaces (%d):\n", len(a.Exposed)+a.ExposedOmitted)
		for _, e := range a.Exposed {
			w("  %s", e.ID)
			if e.InstanceID != "" {
				w(" %s", e.InstanceID)
			}
			if e.OwnerType != "" {
				w(" [%s]", e.OwnerType)
			}
			if e.PublicIP != "" {
				w(" public %s", e.PublicIP)
			}
			if e.PrivateIP != "" {
				w(" private %s", e.PrivateIP)
			}
			if len(e.Open) > 0 {
				w(" open: %s", strings.Join(e.Open, ", "))
			}
			w("\n")
		}
		if a.ExposedOmitted > 0 {
			w("  ... and %d more\n", a.ExposedOmitted)
		}
	}
	o := a.Outcome
	w("\nOutcome:   %d revoked, %d already gone, %d kept, %d failed\n", o.Revoked, o.AlreadyGone, o.Kept, o.Failed)
	if o.Error != "" {
		w("Error:     %s\n", o.Error)
	}
	w("Dedup key: %s\n", a.Event.ID)
	v := a.Version
	if v == "" {
		v = version.String()
	}
	w("Sent by:   sgwarden %s\n", v)
	return b.String()
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// StackAdvice says what a change to a stack-managed group means for the
// stack: a revert is drift the next deploy undoes; the template is the fix.
func StackAdvice(s *Stack, action Action) string {
	fix := "fix the template"
	if s.LogicalID != "" {
		fix = "fix " + s.LogicalID + " in the template"
	}
	if action == ActionReverted || action == ActionWouldRevert {
		return "CloudFormation manages this group: the revert shows as drift, and the next deploy of the stack reopens the port unless you " + fix + "."
	}
	return "CloudFormation manages this group: the policy alerts on stack-managed groups (stackManaged: alert) so the stack stays in sync; " + fix + " and deploy."
}
