package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sgwarden/sgwarden/internal/awslocal"
)

func TestRunServesTheFixtureUntilCancelled(t *testing.T) {
	if _, ok := awslocal.Endpoint(); ok {
		t.Skip("runs the standalone server itself")
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--addr", "127.0.0.1:0", "--page-size", "1",
			"--fixture", "../../internal/awslocal/testdata/account.yaml"}, pw)
	}()
	line := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(pr).ReadString('\n')
		line <- strings.TrimSpace(l)
	}()
	var url string
	select {
	case url = <-line:
	case err := <-done:
		t.Fatalf("run returned before serving: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("no URL printed within 10s")
	}
	cfg := awslocal.Config(url, "us-east-1")
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Account) != "123456789012" {
		t.Errorf("GetCallerIdentity = %+v, %v; want the fixture's account 123456789012", id, err)
	}
	// --page-size 1: a Describe without MaxResults pages.
	out, err := ec2.NewFromConfig(cfg).DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{})
	if err != nil || len(out.SecurityGroups) != 1 || out.NextToken == nil {
		t.Errorf("DescribeSecurityGroups = %+v, %v; want one group and a NextToken", out, err)
	}
	resp, err := http.Get(url + "/_awslocal/calls")
	if err != nil {
		t.Fatalf("GET /_awslocal/calls: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"operation": "DescribeSecurityGroups"`) {
		t.Errorf("GET /_awslocal/calls = %s, want the Describe call", body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run after cancel = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after cancel")
	}
}

func TestRunRejectsBadSettings(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing fixture", []string{"--fixture", "does-not-exist.yaml"}, "does-not-exist.yaml"},
		{"account differs from the fixture's", []string{"--account", "210987654321", "--fixture", "../../internal/awslocal/testdata/account.yaml"}, "differs"},
		{"bad account", []string{"--account", "42"}, "12 digits"},
		{"unknown flag", []string{"--colour"}, "colour"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := run(context.Background(), append([]string{"--addr", "127.0.0.1:0"}, tc.args...), io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("run(%v) = %v, want an error mentioning %q", tc.args, err, tc.want)
			}
		})
	}
}
