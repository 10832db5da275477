#!/bin/sh
# Copies the function packages of the organization shape (written by the CDK
# app under cdk.out/sgwarden-artifacts) to the central account's artifact
# bucket in every region of the StackSet. make deploy runs it after the
# SgwardenArtifacts stacks and before SgwardenOrg; see docs/organizations.md.
set -eu
dir=cdk.out/sgwarden-artifacts
[ -f "$dir/regions.txt" ] || { echo "no $dir/regions.txt: not an organization synth" >&2; exit 1; }
account=$(aws sts get-caller-identity --query Account --output text)
default_region=${AWS_REGION:-${AWS_DEFAULT_REGION:-$(aws configure get region || true)}}
while IFS= read -r region || [ -n "$region" ]; do
	[ -n "$region" ] || region=$default_region
	[ -n "$region" ] || { echo "no region: set regions in the CDK context or AWS_REGION" >&2; exit 1; }
	echo "publish function code to s3://sgwarden-artifacts-$account-$region/"
	aws s3 cp --recursive --only-show-errors --region "$region" "$dir/code/" "s3://sgwarden-artifacts-$account-$region/"
done < "$dir/regions.txt"
