package awslocal_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

func TestPutEventsReadBack(t *testing.T) {
	_, srv := local(t, "PutEvents read-back")
	ctx := context.Background()
	eb := eventbridge.NewFromConfig(srv.AWSConfig(ctx), func(o *eventbridge.Options) { o.Retryer = aws.NopRetryer{} })
	out, err := eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{
		{Source: aws.String("sgwarden"), DetailType: aws.String("OCSF Compliance Finding"), Detail: aws.String(`{"class_uid":2003}`),
			EventBusName: aws.String("arn:aws:events:us-east-1:123456789012:event-bus/security")},
		{Source: aws.String("sgwarden"), DetailType: aws.String("x"), Detail: aws.String(`not json`)},
		{Source: aws.String("aws.ec2"), DetailType: aws.String("x"), Detail: aws.String(`{}`)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if out.FailedEntryCount != 2 || aws.ToString(out.Entries[0].EventId) == "" ||
		aws.ToString(out.Entries[1].ErrorCode) != "MalformedDetail" || aws.ToString(out.Entries[2].ErrorCode) != "NotAuthorizedForSourceException" {
		t.Fatalf("PutEvents = %+v", out)
	}
	got := srv.PutEvents()
	if len(got) != 1 || got[0].EventBus != "security" || got[0].Source != "sgwarden" || string(got[0].Detail) != `{"class_uid":2003}` {
		t.Fatalf("PutEvents read back = %+v", got)
	}

	srv.Throttle("PutEvents", 1)
	_, err = eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{Source: aws.String("sgwarden"), DetailType: aws.String("x"), Detail: aws.String(`{}`)}}})
	if apiCode(err) != "ThrottlingException" {
		t.Errorf("throttled PutEvents: %v", err)
	}
	srv.Deny("PutEvents")
	_, err = eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{Source: aws.String("sgwarden"), DetailType: aws.String("x"), Detail: aws.String(`{}`)}}})
	if apiCode(err) != "AccessDeniedException" {
		t.Errorf("denied PutEvents: %v", err)
	}
	if n := len(srv.PutEvents()); n != 1 {
		t.Errorf("failed calls stored events: %d", n)
	}
}
