// Command sgwarden-cdk is the CDK app that `cdk synth` and `cdk deploy` run
// (see cdk.json): one sgwarden stack per region named in the `regions`
// context, checked by cdk-nag.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/sgwarden/sgwarden/infra/cdk/stack"
)

func main() {
	err := run()
	jsii.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "sgwarden-cdk:", err)
		os.Exit(1)
	}
}

func run() error {
	app := awscdk.NewApp(nil)
	settings, err := stack.SettingsFromContext(app.Node())
	if err != nil {
		return err
	}
	buildDir, _ := app.Node().TryGetContext(jsii.String("buildDir")).(string)

	account := os.Getenv("CDK_DEFAULT_ACCOUNT")
	envFor := func(region string) *awscdk.Environment {
		if region == "" {
			return nil // environment-agnostic: the CLI's account and region
		}
		env := &awscdk.Environment{Region: jsii.String(region)}
		if account != "" {
			env.Account = jsii.String(account)
		}
		return env
	}
	regions := settings.Regions
	if len(regions) == 0 {
		regions = []string{""}
	}
	for _, region := range regions {
		id := "Sgwarden"
		if region != "" {
			id += "-" + region
		}
		props := &stack.SgwardenStackProps{
			StackProps: awscdk.StackProps{Env: envFor(region)},
			Settings:   settings,
			BuildDir:   buildDir,
		}
		if _, err := stack.NewSgwardenStack(app, id, props); err != nil {
			return fmt.Errorf("stack %s: %w", id, err)
		}
	}
	stack.AddNagChecks(app)
	app.Synth(nil)
	return nil
}
