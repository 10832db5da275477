package awslocal

import (
	"net/url"
	"strconv"
	"strings"
)

// sqsService emulates the SQS reads doctor makes (awsJson 1.0, AWS
// query-compatible errors): GetQueueUrl, GetQueueAttributes.
type sqsService struct{ s *Server }

const sqsNonExistentQueue = "AWS.SimpleQueueService.NonExistentQueue"

func (q sqsService) service() jsonService {
	return jsonService{s: q.s, throttleCode: "RequestThrottled", denyCode: "AccessDenied", iamPrefix: "sqs", jsonProtocol: jsonProtocol{
		target: "AmazonSQS", version: "1.0",
		shapes: map[string]string{
			sqsNonExistentQueue:    "com.amazonaws.sqs#QueueDoesNotExist",
			"InvalidAttributeName": "com.amazonaws.sqs#InvalidAttributeName",
			"InvalidAddress":       "com.amazonaws.sqs#InvalidAddress",
			"RequestThrottled":     "com.amazonaws.sqs#RequestThrottled",
			"AccessDenied":         "com.amazonaws.sqs#InvalidSecurity",
			"InternalFailure":      "com.amazonaws.sqs#InternalFailure",
		},
		ops: map[string]func(*call) (any, *APIError){
			"GetQueueUrl":        q.getQueueURL,
			"GetQueueAttributes": q.getQueueAttributes,
		}}}
}

func sqsMissingQueue() *APIError {
	return clientErr(sqsNonExistentQueue, "The specified queue does not exist.")
}

// queueURL is the URL of a queue: the server's own address when it
// listens, so that the URL leads back to it.
func (q sqsService) queueURL(region, name string) string {
	base := q.s.url
	if base == "" {
		base = "https://sqs." + region + ".amazonaws.com"
	}
	return base + "/" + q.s.account + "/" + name
}

func (q sqsService) getQueueURL(c *call) (any, *APIError) {
	var in struct {
		QueueName              string
		QueueOwnerAWSAccountId string
	}
	if aerr := decodeInput(c, &in); aerr != nil {
		return nil, aerr
	}
	if in.QueueName == "" {
		return nil, clientErr("MissingParameter", "The request must contain the parameter QueueName.")
	}
	d := q.s.delivery
	d.mu.Lock()
	defer d.mu.Unlock()
	if (in.QueueOwnerAWSAccountId != "" && in.QueueOwnerAWSAccountId != q.s.account) || d.region(c.region).queues[in.QueueName] == nil {
		return nil, sqsMissingQueue()
	}
	return map[string]string{"QueueUrl": q.queueURL(c.region, in.QueueName)}, nil
}

func (q sqsService) getQueueAttributes(c *call) (any, *APIError) {
	var in struct {
		QueueUrl       string
		AttributeNames []string
	}
	if aerr := decodeInput(c, &in); aerr != nil {
		return nil, aerr
	}
	if in.QueueUrl == "" {
		return nil, clientErr("MissingParameter", "The request must contain the parameter QueueUrl.")
	}
	var parts []string
	if u, err := url.Parse(in.QueueUrl); err == nil {
		parts = strings.Split(strings.Trim(u.Path, "/"), "/")
	}
	if len(parts) != 2 {
		return nil, clientErr("InvalidAddress", "The address %s is not valid for this endpoint.", in.QueueUrl)
	}
	d := q.s.delivery
	d.mu.Lock()
	defer d.mu.Unlock()
	queue := d.region(c.region).queues[parts[1]]
	if parts[0] != q.s.account || queue == nil {
		return nil, sqsMissingQueue()
	}
	all := map[string]string{
		"ApproximateNumberOfMessages":           strconv.Itoa(queue.Messages),
		"ApproximateNumberOfMessagesDelayed":    "0",
		"ApproximateNumberOfMessagesNotVisible": "0",
		"CreatedTimestamp":                      "1764547200",
		"DelaySeconds":                          "0",
		"LastModifiedTimestamp":                 "1764547200",
		"MaximumMessageSize":                    "262144",
		"MessageRetentionPeriod":                "1209600",
		"QueueArn":                              "arn:aws:sqs:" + c.region + ":" + q.s.account + ":" + queue.Name,
		"ReceiveMessageWaitTimeSeconds":         "0",
		"SqsManagedSseEnabled":                  "false",
		"VisibilityTimeout":                     "30",
	}
	attrs := map[string]string{}
	for _, name := range in.AttributeNames {
		if name == "All" {
			attrs = all
			break
		}
		v, ok := all[name]
		if !ok {
			return nil, clientErr("InvalidAttributeName", "Unknown Attribute %s.", name)
		}
		attrs[name] = v
	}
	out := struct {
		Attributes map[string]string `json:"Attributes,omitempty"`
	}{attrs}
	return out, nil
}
