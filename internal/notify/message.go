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

	"github.com/sgwarden/sgwarden/internal/policy"
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
		switch {
		case v == "":
			delete(attrs, k)
		case len(v) > maxAttrLen:
			// Only a malformed event makes them long; SNS counts them.
			attrs[k] = Clip(v, maxAttrLen)
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
			// Someone (or an earlier delivery) removed it first: sgwarden
			// did not revert it this time.
			return "ALREADY GONE"
		}
		return "REVERTED"
	case ActionWouldRevert:
		return "WOULD REVOKE (dry-run)"
	case ActionExempt:
		return "EXEMPT"
	case ActionFailed:
		return "FAILED to revert"
	case ActionGroupGone:
		return "GROUP GONE"
	}
	return "ALERT"
}

// Parts of a subject, by what may be shortened to fit: an ID never is.
const (
	keep    = iota // IDs, the headline, the rule: never cut
	cutName        // names and values: shortened first
	cutText        // the actor, counts: shortened next
	cutPeer        // a rule's peer: dropped whole, last
)

// part is a piece of the one-line summary. pre and post frame the text (a
// space, parentheses) and stay whole; a cut shortens text or drops it all.
type part struct {
	pre, text, post string
	cut             int
}

func (p part) String() string {
	if p.text == "" {
		return ""
	}
	return p.pre + p.text + p.post
}

// what describes the change in a few words, without the headline, as parts.
func what(a *Alert) []part {
	switch {
	case a.ExemptionChange != nil:
		c := a.ExemptionChange
		head := "exemption " + c.Change
		if c.Expired {
			head = "expired " + head
		}
		ps := []part{{text: head}}
		if c.Value != "" {
			ps = append(ps, part{pre: " (", text: c.Value, post: ")", cut: cutText})
		}
		if len(c.Resources) > 0 {
			ps = append(ps, part{pre: " on ", text: c.Resources[0]})
			if a.Group != nil && a.Group.Name != "" {
				ps = append(ps, part{pre: " (", text: a.Group.Name, post: ")", cut: cutName})
			}
			if len(c.Resources) > 1 {
				ps = append(ps, part{pre: " ", text: fmt.Sprintf("+%d", len(c.Resources)-1), cut: cutText})
			}
		}
		return append(ps, part{pre: " by ", text: shortARN(a.Actor.ARN), cut: cutName})
	case a.PrefixList != nil:
		p := a.PrefixList
		ps := []part{{text: p.ID}, {pre: " (", text: p.Name, post: ")", cut: cutName}}
		entries := p.Offending
		if len(p.Removed) > 0 {
			entries = p.Removed
		}
		if len(entries) > 0 {
			ps = append(ps, part{pre: " public entry ", text: entries[0]})
			if len(entries) > 1 {
				ps = append(ps, part{pre: " ", text: fmt.Sprintf("+%d", len(entries)-1), cut: cutText})
			}
		}
		return ps
	}
	var ps []part
	if r := firstRule(a); r != nil {
		// The peer goes whole, or not at all, and only when the IDs
		// would not fit otherwise.
		traffic, peer, _ := strings.Cut(Short(r), " ")
		ps = append(ps, part{text: traffic}, part{pre: " ", text: peer, cut: cutPeer})
		if n := len(a.Rules) - 1; n > 0 {
			ps = append(ps, part{pre: " ", text: fmt.Sprintf("+%d more", n), cut: cutText})
		}
	}
	if a.Group != nil {
		pre := " on "
		if len(ps) == 0 {
			pre = ""
		}
		ps = append(ps, part{pre: pre, text: a.Group.ID}, part{pre: " (", text: a.Group.Name, post: ")", cut: cutName})
	} else if len(a.Exposed) > 0 {
		e := a.Exposed[0]
		ps = []part{{text: e.ID}, {pre: " (", text: e.InstanceID, post: ")"}}
		if len(e.Open) > 0 {
			ps = append(ps, part{pre: " exposed ", text: e.Open[0], cut: cutText})
		}
		if n := len(a.Exposed) + a.ExposedOmitted - 1; n > 0 {
			ps = append(ps, part{pre: " ", text: fmt.Sprintf("+%d ENIs", n), cut: cutText})
		}
	}
	return ps
}

// join renders parts in full.
func join(ps []part) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.String())
	}
	return b.String()
}

// fitParts shortens the cuttable parts, names first, until the whole fits in max
// characters; IDs are never cut. Only when the parts that must stay are
// themselves too long does it cut the line at the end.
func fitParts(ps []part, max int) string {
	for i := range ps {
		ps[i].text = Truncate(ps[i].text, MaxSubjectLen)
	}
	length := func() int { return utf8.RuneCountInString(join(ps)) }
	for level := cutName; level <= cutPeer && length() > max; level++ {
		for i := len(ps) - 1; i >= 0 && length() > max; i-- {
			p := &ps[i]
			if p.cut != level || p.text == "" {
				continue
			}
			keepRunes := utf8.RuneCountInString(p.text) - (length() - max)
			if keepRunes < 4 || level == cutPeer { // too short to mean anything: drop it
				p.text = ""
				continue
			}
			p.text = Truncate(p.text, keepRunes)
		}
	}
	return Truncate(join(ps), max)
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
	return strings.TrimSpace(headline(a) + " " + join(what(a)))
}

// Subject renders the subject line: headline, what, account/region; never
// longer than MaxSubjectLen characters, valid UTF-8, no control characters.
// To fit, it shortens names first and then free text, never an ID (account,
// region, group, rule, prefix list, interface).
func Subject(a *Alert) string {
	ps := append([]part{{text: headline(a)}}, what(a)...)
	if len(ps) > 1 && ps[1].pre == "" {
		ps[1].pre = " "
	}
	if a.Account != "" || a.Region != "" {
		ps = append(ps, part{pre: " ", text: a.Account + "/" + a.Region})
	}
	return fitParts(ps, MaxSubjectLen)
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
		w(" on %s", strings.Join(e.Resources, ", "))
		if g := a.Group; g != nil && g.Name != "" {
			w(" (group %s)", g.Name)
		}
		w("\n           by %s\n", orUnknown(a.Actor.ARN))
		if e.Expired {
			w("           The date %s had already passed: this exemption is expired and exempts nothing.\n", e.Value)
		}
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
			w("  %s %s %s: %s", id, r.Direction, Short(r), ruleStatus(a, r))
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
			if e.PrivateIP != "" {
				w(" private %s", e.PrivateIP)
			}
			w("\n    %s", Reachability(&e))
			if len(e.Open) > 0 {
				w("; open: %s", strings.Join(e.Open, ", "))
			}
			w("\n")
		}
		if a.ExposedOmitted > 0 {
			w("  ... and %d more\n", a.ExposedOmitted)
		}
	}
	o := a.Outcome
	if a.Action == ActionWouldRevert {
		n := 0
		for i := range a.Rules {
			if ruleStatus(a, &a.Rules[i]) == "WOULD REVOKE (dry-run)" {
				n++
			}
		}
		w("\nOutcome:   dry-run: %d would be revoked in enforce mode; nothing was changed\n", n)
	} else {
		w("\nOutcome:   %d revoked, %d already gone, %d kept, %d failed\n", o.Revoked, o.AlreadyGone, o.Kept, o.Failed)
	}
	if o.Error != "" {
		w("Error:     %s\n", o.Error)
	}
	whatToDo(&b, a)
	w("\nDedup key: %s\n", a.Event.ID)
	v := a.Version
	if v == "" {
		v = version.String()
	}
	w("Sent by:   sgwarden %s\n", v)
	return b.String()
}

// ruleStatus says what happened to one rule, in words a reader cannot
// misread: a dry-run never says KEPT, and a rule that was gone before
// sgwarden acted is not called revoked.
func ruleStatus(a *Alert, r *Rule) string {
	switch r.Outcome {
	case OutcomeRevoked:
		return "REVOKED by sgwarden"
	case OutcomeAlreadyGone:
		return "ALREADY GONE (removed before sgwarden acted)"
	case OutcomeFailed:
		return "FAILED to revoke"
	case OutcomeKept:
		switch {
		case r.Decision == string(policy.DecisionWouldRevert) || a.Action == ActionWouldRevert && r.Decision == "":
			return "WOULD REVOKE (dry-run)"
		case r.Decision == string(policy.DecisionExempt):
			return "KEPT (exempt)"
		case r.Decision == string(policy.DecisionAlert):
			return "KEPT (alert only)"
		}
		return "KEPT"
	}
	return strings.ToUpper(strings.ReplaceAll(string(r.Outcome), "-", " "))
}

// Reachability says whether an exposed interface can be reached from the
// internet: through a public IPv4 address (an Elastic IP, an internet-facing
// load balancer's, or one EC2 assigned), or only from private networks.
func Reachability(e *ExposedENI) string {
	switch {
	case e.PublicIP != "" && e.OwnerType == "load-balancer":
		return "internet-reachable: internet-facing load balancer, public IP " + e.PublicIP
	case e.PublicIP != "" && e.ElasticIP:
		return "internet-reachable: Elastic IP " + e.PublicIP
	case e.PublicIP != "":
		return "internet-reachable: public IP " + e.PublicIP
	case e.IPv6:
		return "internet-reachable over IPv6 if its subnet routes to an internet gateway (no public IPv4)"
	}
	return "private networks only (no public IP)"
}

// whatToDo is the e-mail's footer: how to ask for an exemption and where
// the group is in the console.
func whatToDo(b *strings.Builder, a *Alert) {
	b.WriteString("\nWhat to do:\n")
	switch a.Action {
	case ActionReverted, ActionWouldRevert, ActionFailed, ActionAlert:
		if a.ExemptionChange == nil {
			b.WriteString("  If this access is intended, ask your security team for an exemption: they tag the group\n" +
				"  (or the rule) sgwarden:exempt=YYYY-MM-DD (exempt through that day) or sgwarden:exempt=<reason>.\n" +
				"  Granting the tag is alerted too. Otherwise, narrow the source (a CIDR you trust, a prefix list).\n")
			break
		}
		b.WriteString("  Check that this exemption was approved; remove the tag to end it.\n")
	default:
		b.WriteString("  Nothing is needed unless this was not expected.\n")
	}
	if g := a.Group; g != nil && g.ID != "" && a.Region != "" {
		fmt.Fprintf(b, "  Console:  %s\n", GroupConsoleURL(a.Region, g.ID))
	}
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
