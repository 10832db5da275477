// Package iac reads infrastructure as code before it is deployed —
// CloudFormation templates (JSON or YAML, short-form intrinsics included),
// cdk synth output (a template or a cdk.out directory) and Terraform plan
// JSON — into security-group rules, and judges them with the same policy
// engine as the event path and the audit.
//
// Reading is pure: Read takes bytes, ReadCloudAssembly takes an fs.FS.
// Nothing here calls AWS. Values that are unknown before deploy (a
// parameter without a default, an imported value, Terraform's
// after_unknown) are carried on the rule as Unknown fields and judged
// pessimistically, so they are reported, never passed in silence.
//
// Every rule and finding names where it was written: the file, the line and
// column (JSON and YAML alike), the logical ID or Terraform address, and the
// CDK construct path when the template carries one.
package iac
