package notify

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"
)

// MaxPublishBytes is the largest message SNS accepts: 256 KiB, counting the
// body, the subject and the message attributes. A larger one is refused
// (HTTP 413), so the alert would be lost and the event retried forever.
const MaxPublishBytes = 256 << 10

// publishMargin is kept free in the body for the subject, the message
// attributes and the request's own framing.
const publishMargin = 8 << 10

// maxAttrLen bounds each message attribute value, so that the attributes
// (at most five) stay within publishMargin.
const maxAttrLen = 256

// limits are the bounds of one fitting pass: characters per free-text
// field, items per list, and rules per alert.
type limits struct {
	text, items, rules int
}

// fitLevels are tried in order until the alert fits; the last one keeps
// only counts of the rules and lists.
var fitLevels = [...]limits{
	{text: 1024, items: 100, rules: 200},
	{text: 256, items: 50, rules: 100},
	{text: 128, items: 20, rules: 40},
	{text: 64, items: 8, rules: 16},
	{text: 32, items: 2, rules: 4},
	{text: 16, items: 0, rules: 0},
}

// render is one rendering of an alert: its document, its e-mail text and
// the size of the SNS body they make.
type render struct {
	alert Alert
	doc   []byte
	text  string
	size  int
}

// fit renders a whole when its SNS body stays under MaxPublishBytes, else
// bounded by the loosest limits that fit. a itself is not changed: its
// lists and pointers are shared with the caller, so a bounded copy is made.
func fit(a Alert) (render, error) {
	var r render
	for i := -1; i < len(fitLevels); i++ {
		// First as it is: nearly every alert fits whole, with no copy.
		b := a
		if i >= 0 {
			b = bounded(a, fitLevels[i])
		}
		doc, err := json.MarshalIndent(&b, "", "  ")
		if err != nil {
			return render{}, fmt.Errorf("encode alert for event %s: %w", a.Event.ID, err)
		}
		text := Text(&b) + omittedNote(&b)
		// The SNS body PublishInput makes: {"default":"…","email":"…"}.
		size := len(`{"default":,"email":}`) + quotedLenBytes(doc) + quotedLen(text)
		r = render{alert: b, doc: doc, text: text, size: size}
		if r.size <= MaxPublishBytes-publishMargin {
			return r, nil
		}
	}
	return render{}, fmt.Errorf("alert for event %s: %d bytes even with every list cut, over SNS's %d", a.Event.ID, r.size, MaxPublishBytes)
}

// quotedLen is the length of s as a JSON string from encoding/json (which
// also escapes <, > and &), counted without building it: every alert pays
// it.
func quotedLen(s string) int {
	n := 2
	for i, r := range s {
		if _, size := utf8.DecodeRuneInString(s[i:]); r == utf8.RuneError && size == 1 {
			n += 3 // an invalid byte becomes U+FFFD
			continue
		}
		n += escapedLen(r)
	}
	return n
}

// quotedLenBytes is quotedLen of a []byte; ranging over string(b) does not
// copy b.
func quotedLenBytes(b []byte) int {
	n := 2
	for i, r := range string(b) {
		if _, size := utf8.DecodeRune(b[i:]); r == utf8.RuneError && size == 1 {
			n += 3
			continue
		}
		n += escapedLen(r)
	}
	return n
}

// escapedLen is the length of the valid rune r once escaped.
func escapedLen(r rune) int {
	switch {
	case r == '"' || r == '\\' || r == '\n' || r == '\r' || r == '\t' || r == '\b' || r == '\f':
		return 2
	case r < 0x20 || r == '<' || r == '>' || r == '&' || r == '\u2028' || r == '\u2029':
		return 6
	}
	return utf8.RuneLen(r)
}

// bounded returns a copy of a with every free-text field and list cut to l,
// counting in Omitted what was left out.
func bounded(a Alert, l limits) Alert {
	om := map[string]int{}
	for k, v := range a.Omitted {
		om[k] = v
	}
	clip := func(s string) string {
		if len(s) > l.text && len([]rune(s)) > l.text {
			om["characters"] += len([]rune(s)) - l.text
			return Clip(s, l.text)
		}
		return s
	}
	// IDs and names from the event are never cut below 256 characters (real
	// ones are far shorter); only a malformed event makes them long.
	clipID := func(s string) string {
		if n := len([]rune(s)); n > max(l.text, 256) {
			om["characters"] += n - max(l.text, 256)
			return Clip(s, max(l.text, 256))
		}
		return s
	}
	a.Summary = clip(a.Summary)
	a.Account, a.Region = clipID(a.Account), clipID(a.Region)
	a.Event.ID = clipID(a.Event.ID)
	a.DedupKey = a.Event.ID
	if a.Group != nil {
		g := *a.Group
		g.ID, g.VPC, g.Name, g.Owner = clipID(g.ID), clipID(g.VPC), clip(g.Name), clip(g.Owner)
		g.Tags = boundTags(g.Tags, l, clip, om, "group tags")
		a.Group = &g
	}
	if n := len(a.Rules) - l.rules; n > 0 {
		om["rules"] += n
		a.Rules = a.Rules[:l.rules]
	}
	rules := make([]Rule, len(a.Rules))
	for i, r := range a.Rules {
		r.Description, r.Note, r.Error, r.Peer = clip(r.Description), clip(r.Note), clip(r.Error), clip(r.Peer)
		r.ID, r.GroupID, r.Protocol, r.Ports = clipID(r.ID), clipID(r.GroupID), clipID(r.Protocol), clipID(r.Ports)
		r.Tags = boundTags(r.Tags, l, clip, om, "rule tags")
		checks := make([]Check, 0, min(len(r.Checks), l.items))
		for j, c := range r.Checks {
			if j == l.items {
				om["rule checks"] += len(r.Checks) - j
				break
			}
			c.Reason, c.Exemption = clip(c.Reason), clip(c.Exemption)
			checks = append(checks, c)
		}
		if r.Checks != nil {
			r.Checks = checks
		}
		rules[i] = r
	}
	if a.Rules != nil {
		a.Rules = rules
	}
	a.Checks = boundList(a.Checks, l, clip, om, "checks")
	if p := a.PrefixList; p != nil {
		c := *p
		c.ID, c.Name = clipID(c.ID), clip(c.Name)
		c.Added = boundList(c.Added, l, clip, om, "prefix-list entries added")
		c.Offending = boundList(c.Offending, l, clip, om, "prefix-list entries offending")
		c.Removed = boundList(c.Removed, l, clip, om, "prefix-list entries removed")
		a.PrefixList = &c
	}
	if e := a.ExemptionChange; e != nil {
		c := *e
		c.Key, c.Value = clip(c.Key), clip(c.Value)
		c.Resources = boundList(c.Resources, l, clip, om, "exemption resources")
		a.ExemptionChange = &c
	}
	ac := &a.Actor
	ac.ARN, ac.UserName, ac.IssuerARN = clip(ac.ARN), clip(ac.UserName), clip(ac.IssuerARN)
	ac.SourceIP, ac.UserAgent, ac.InvokedBy = clip(ac.SourceIP), clip(ac.UserAgent), clip(ac.InvokedBy)
	if ac.User != nil {
		u := *ac.User
		u.Name, u.Email, u.Role, u.Session, u.Via = clip(u.Name), clip(u.Email), clip(u.Role), clip(u.Session), clip(u.Via)
		ac.User = &u
	}
	a.Event.Name = clipID(a.Event.Name)
	if st := a.Stack; st != nil {
		c := *st
		c.Name, c.LogicalID = clipID(c.Name), clipID(c.LogicalID)
		a.Stack = &c
	}
	if n := len(a.Exposed) - l.items; n > 0 {
		a.ExposedOmitted += n
		a.Exposed = a.Exposed[:l.items]
	}
	exposed := make([]ExposedENI, len(a.Exposed))
	for i, e := range a.Exposed {
		e.Open = boundList(e.Open, l, clip, om, "exposed ports")
		exposed[i] = e
	}
	if a.Exposed != nil {
		a.Exposed = exposed
	}
	a.Outcome.Error = clip(a.Outcome.Error)
	a.Omitted = nil
	if len(om) > 0 {
		a.Omitted = om
	}
	return a
}

func boundList(list []string, l limits, clip func(string) string, om map[string]int, what string) []string {
	if list == nil {
		return nil
	}
	out := make([]string, 0, min(len(list), l.items))
	for i, s := range list {
		if i == l.items {
			om[what] += len(list) - i
			break
		}
		out = append(out, clip(s))
	}
	return out
}

// boundTags keeps at most l.items tags, the first by key.
func boundTags(tags map[string]string, l limits, clip func(string) string, om map[string]int, what string) map[string]string {
	if tags == nil {
		return nil
	}
	keys := slices.Sorted(maps.Keys(tags))
	if n := len(keys) - l.items; n > 0 {
		om[what] += n
		keys = keys[:l.items]
	}
	out := make(map[string]string, len(keys))
	for _, k := range keys {
		out[clip(k)] = clip(tags[k])
	}
	return out
}

// omittedNote tells an e-mail reader what was cut to fit SNS.
func omittedNote(a *Alert) string {
	if len(a.Omitted) == 0 && a.ExposedOmitted == 0 {
		return ""
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(a.Omitted)) {
		parts = append(parts, fmt.Sprintf("%d %s", a.Omitted[k], k))
	}
	if a.ExposedOmitted > 0 {
		parts = append(parts, fmt.Sprintf("%d exposed interfaces", a.ExposedOmitted))
	}
	return fmt.Sprintf("\nLeft out to fit SNS's 256 KB limit: %s. The whole record is CloudTrail event %s.\n",
		strings.Join(parts, ", "), a.Event.ID)
}
