// Command sgwarden-cdk is the CDK app that `cdk synth` and `cdk deploy` run
// (see cdk.json): one sgwarden stack per region named in the `regions`
// context, or with deployment=organization the central stack and one
// artifact stack per region, all checked by cdk-nag.
package main

import (
	"fmt"
	"os"
	"path/filepath"

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
	// Packages of an earlier organization synth must not be published again.
	if err := os.RemoveAll(filepath.Join(*app.Outdir(), stack.ArtifactsDir)); err != nil {
		return err
	}
	regions := settings.Regions
	if len(regions) == 0 {
		regions = []string{""}
	}
	if settings.Organization() {
		if err := organization(app, settings, buildDir, regions, envFor); err != nil {
			return err
		}
		stack.AddNagChecks(app)
		app.Synth(nil)
		return nil
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

// organization adds one artifact stack per region and the central stack,
// which is deployed after them (make deploy fills the artifact buckets in
// between; see docs/organizations.md).
func organization(app awscdk.App, settings *stack.Settings, buildDir string, regions []string, envFor func(string) *awscdk.Environment) error {
	var artifacts []awscdk.Stack
	for _, region := range regions {
		id := "SgwardenArtifacts"
		if region != "" {
			id += "-" + region
		}
		st, err := stack.NewArtifactStack(app, id, &stack.SgwardenStackProps{StackProps: awscdk.StackProps{Env: envFor(region)}, Settings: settings})
		if err != nil {
			return fmt.Errorf("stack %s: %w", id, err)
		}
		artifacts = append(artifacts, st)
	}
	central, err := stack.NewOrganizationStack(app, "SgwardenOrg", &stack.SgwardenStackProps{
		StackProps: awscdk.StackProps{Env: envFor(os.Getenv("CDK_DEFAULT_REGION"))},
		Settings:   settings,
		BuildDir:   buildDir,
	})
	if err != nil {
		return fmt.Errorf("stack SgwardenOrg: %w", err)
	}
	for _, a := range artifacts {
		central.Node().AddDependency(a) // member stacks load their code from the artifact buckets
	}
	return nil
}
