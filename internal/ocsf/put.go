package ocsf

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

// Putter puts events on a bus. *eventbridge.Client satisfies it.
type Putter interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// PutEvents limits: entries a call, and bytes an entry (EventBridge counts
// the whole request against 256 KB).
const (
	maxEntries    = 10
	maxEntryBytes = 256 << 10
)

// DetailType is the EventBridge detail-type of an event's class.
func DetailType(e *Event) string { return "OCSF " + e.ClassName }

// Put puts events on bus (a name or ARN; "" is the default bus), ten a
// call. An entry EventBridge refuses is an error, like a failed call.
func Put(ctx context.Context, api Putter, bus string, events ...Event) error {
	if bus == "" {
		bus = "default"
	}
	for start := 0; start < len(events); start += maxEntries {
		batch := events[start:min(start+maxEntries, len(events))]
		entries := make([]ebtypes.PutEventsRequestEntry, 0, len(batch))
		for i := range batch {
			e := &batch[i]
			detail, err := json.Marshal(e)
			if err != nil {
				return fmt.Errorf("encode OCSF event %s: %w", e.Metadata.UID, err)
			}
			if len(detail) > maxEntryBytes {
				delete(e.Unmapped, "sgwarden")
				if detail, err = json.Marshal(e); err != nil || len(detail) > maxEntryBytes {
					return fmt.Errorf("OCSF event %s is %d bytes, over EventBridge's entry limit", e.Metadata.UID, len(detail))
				}
			}
			entry := ebtypes.PutEventsRequestEntry{
				Source: aws.String(Source), DetailType: aws.String(DetailType(e)),
				Detail: aws.String(string(detail)), EventBusName: aws.String(bus),
			}
			for _, r := range e.Resources {
				if strings.HasPrefix(r.UID, "arn:") {
					entry.Resources = append(entry.Resources, r.UID)
				}
			}
			entries = append(entries, entry)
		}
		out, err := api.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries})
		if err != nil {
			return fmt.Errorf("put %d OCSF events on bus %s: %w", len(entries), bus, err)
		}
		if out.FailedEntryCount > 0 {
			var why []string
			for i, r := range out.Entries {
				if r.ErrorCode != nil {
					why = append(why, fmt.Sprintf("%s: %s %s", batch[i].Metadata.UID, aws.ToString(r.ErrorCode), aws.ToString(r.ErrorMessage)))
				}
			}
			return fmt.Errorf("EventBridge refused %d OCSF events on bus %s: %s", out.FailedEntryCount, bus, strings.Join(why, "; "))
		}
	}
	return nil
}
