package chat

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/sgwarden/sgwarden/internal/notify"
)

// Channel is the chat client the notification is written for.
type Channel string

const (
	Slack Channel = "slack"
	Teams Channel = "teams"
)

// ParseChannel reads SGWARDEN_CHAT_CHANNEL: "slack", "teams", or "" (off).
func ParseChannel(s string) (Channel, error) {
	switch Channel(s) {
	case "", Slack, Teams:
		return Channel(s), nil
	}
	return "", fmt.Errorf("chat channel %q: want slack, teams or empty", s)
}

// Notification is the custom notification event. Field names and fixed
// values follow the documented schema (testdata/custom-notification.schema.json).
type Notification struct {
	Version  string   `json:"version"` // always "1.0"
	Source   string   `json:"source"`  // always "custom"
	ID       string   `json:"id,omitempty"`
	Content  Content  `json:"content"`
	Metadata Metadata `json:"metadata"`
}

// Content is what the chat client shows.
type Content struct {
	TextType    string   `json:"textType"` // "client-markdown"
	Title       string   `json:"title"`
	Description string   `json:"description"`
	NextSteps   []string `json:"nextSteps,omitempty"`
	Keywords    []string `json:"keywords,omitempty"`
}

// Metadata threads and classifies the notification.
type Metadata struct {
	ThreadID          string            `json:"threadId,omitempty"`
	Summary           string            `json:"summary,omitempty"`
	EventType         string            `json:"eventType,omitempty"`
	RelatedResources  []string          `json:"relatedResources,omitempty"`
	AdditionalContext map[string]string `json:"additionalContext,omitempty"`
}

// Bounds of our own, to keep a chat message readable and far inside the
// SNS message limit; the alert document stays complete.
const (
	maxTitle       = 250
	maxDescription = 3000
	maxRules       = 10
)

// Build renders a as a custom notification for ch. A zero Channel means
// chat is off: Build returns nil, nil.
func Build(a *notify.Alert, subject string, ch Channel) ([]byte, error) {
	if ch == "" {
		return nil, nil
	}
	n := Notification{
		Version: "1.0",
		Source:  "custom",
		ID:      a.DedupKey,
		Content: Content{
			TextType:    "client-markdown",
			Title:       notify.Clip(icon(a.Action)+" "+subject, maxTitle),
			Description: notify.Clip(description(a, ch), maxDescription),
			NextSteps:   nextSteps(a, ch),
			Keywords:    keywords(a),
		},
		Metadata: Metadata{
			Summary:   subject,
			EventType: "sgwarden." + string(a.Action),
			AdditionalContext: map[string]string{
				"account": a.Account,
				"region":  a.Region,
				"eventId": a.Event.ID,
			},
		},
	}
	if n.ID == "" {
		n.ID = a.Event.ID
	}
	if a.Group != nil {
		// One thread per group keeps a group's story together.
		n.Metadata.ThreadID = a.Account + "/" + a.Region + "/" + a.Group.ID
		n.Metadata.RelatedResources = []string{notify.GroupARN(a.Region, a.Account, a.Group.ID)}
		if a.Group.Owner != "" {
			n.Metadata.AdditionalContext["owner"] = a.Group.Owner
		}
	}
	for k, v := range n.Metadata.AdditionalContext {
		if v == "" {
			delete(n.Metadata.AdditionalContext, k)
		}
	}
	b, err := json.Marshal(&n)
	if err != nil {
		return nil, fmt.Errorf("encode chat notification for event %s: %w", a.Event.ID, err)
	}
	return b, nil
}

// Summary renders an audit run's summary for ch: its subject as title,
// its text as description, and a link to the full report when one was
// stored. A zero Channel means chat is off: it returns nil, nil.
func Summary(runID, account, subject, text, reportURI, severity string, ch Channel) ([]byte, error) {
	if ch == "" {
		return nil, nil
	}
	n := Notification{
		Version: "1.0", Source: "custom", ID: runID,
		Content: Content{
			TextType: "client-markdown", Title: notify.Clip(":mag: "+subject, maxTitle),
			Description: notify.Clip(text, maxDescription), Keywords: []string{"audit", severity},
		},
		Metadata: Metadata{Summary: subject, EventType: "sgwarden.audit", ThreadID: account + "/audit",
			AdditionalContext: map[string]string{"account": account, "runId": runID}},
	}
	if u := s3ConsoleURL(reportURI); u != "" {
		n.Content.NextSteps = []string{"Read the full report: " + link(reportURI, u, ch)}
	}
	b, err := json.Marshal(&n)
	if err != nil {
		return nil, fmt.Errorf("encode chat summary of audit %s: %w", runID, err)
	}
	return b, nil
}

// s3ConsoleURL links an s3://bucket/key object in the S3 console.
func s3ConsoleURL(uri string) string {
	rest, ok := strings.CutPrefix(uri, "s3://")
	bucket, key, _ := strings.Cut(rest, "/")
	if !ok || bucket == "" || key == "" {
		return ""
	}
	return "https://s3.console.aws.amazon.com/s3/object/" + bucket + "?prefix=" + url.QueryEscape(key)
}

func icon(a notify.Action) string {
	switch a {
	case notify.ActionReverted:
		return ":white_check_mark:"
	case notify.ActionFailed:
		return ":rotating_light:"
	case notify.ActionExempt:
		return ":information_source:"
	}
	return ":warning:"
}

func bold(s string, ch Channel) string {
	if ch == Slack {
		return "*" + s + "*"
	}
	return "**" + s + "**"
}

func link(text, u string, ch Channel) string {
	if ch == Slack {
		return "<" + u + "|" + text + ">"
	}
	return "[" + text + "](" + u + ")"
}

func description(a *notify.Alert, ch Channel) string {
	var b strings.Builder
	b.WriteString(a.Summary)
	b.WriteString("\n")
	if a.Group != nil {
		g := a.Group.ID
		if a.Group.Name != "" {
			g += " (" + a.Group.Name + ")"
		}
		fmt.Fprintf(&b, "%s %s in %s/%s\n", bold("Group:", ch), g, a.Account, a.Region)
	}
	if who := actorLine(a); who != "" {
		fmt.Fprintf(&b, "%s %s\n", bold("By:", ch), who)
	}
	for i, r := range a.Rules {
		if i == maxRules {
			fmt.Fprintf(&b, "… and %d more rules\n", len(a.Rules)-maxRules)
			break
		}
		line := fmt.Sprintf("• %s %s/%s %s → %s", r.Direction, r.Protocol, r.Ports, r.Peer, r.Outcome)
		for _, c := range r.Checks {
			if c.Exemption != "" {
				line += " (exempt: " + c.Exemption + ")"
				break
			}
		}
		b.WriteString(line + "\n")
	}
	if a.Outcome.Error != "" {
		fmt.Fprintf(&b, "%s %s\n", bold("Error:", ch), a.Outcome.Error)
	}
	return strings.TrimRight(b.String(), "\n")
}

func actorLine(a *notify.Alert) string {
	if u := a.Actor.User; u != nil && u.Name != "" {
		return u.Name + " (" + string(u.Kind) + ")"
	}
	return a.Actor.ARN
}

func nextSteps(a *notify.Alert, ch Channel) []string {
	var steps []string
	if a.Group != nil {
		steps = append(steps, "Review the group: "+link(a.Group.ID, notify.GroupConsoleURL(a.Region, a.Group.ID), ch))
	}
	if a.Event.ID != "" {
		steps = append(steps, "See the CloudTrail event: "+link(a.Event.Name, notify.EventConsoleURL(a.Region, a.Event.ID), ch))
	}
	switch a.Action {
	case notify.ActionFailed:
		steps = append(steps, "The revert did not complete: remove the rule by hand, then check the function's DLQ")
	case notify.ActionWouldRevert, notify.ActionAlert:
		steps = append(steps, "Remove the rule, or record an exemption tag (sgwarden:exempt) with a reason")
	}
	return steps
}

func keywords(a *notify.Alert) []string {
	k := []string{string(a.Action)}
	if a.Severity != "" {
		k = append(k, a.Severity)
	}
	if len(a.Checks) > 0 {
		k = append(k, a.Checks[0])
	}
	return k
}
