# sgwarden: every target installs what it needs; see README.md.
SHELL := /bin/bash
export GOTOOLCHAIN := go1.27.3
export GOFLAGS := -buildvcs=false
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
GO ?= go
BUILD := build
LAMBDA_FLAGS := -tags lambda.norpc -trimpath -ldflags='-s -w'

.PHONY: all build demo test test-go test-cdk vet fmt-check bench synth deploy fuzz clean FORCE

all: build

## build: the two Lambda bootstraps (linux/arm64, as deployed)
build: $(BUILD)/remediate/bootstrap $(BUILD)/audit/bootstrap

$(BUILD)/%/bootstrap: FORCE
	@mkdir -p $(dir $@)
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build $(LAMBDA_FLAGS) -o $@ ./functions/$*

## demo: replay events/ through the real Lambda binary against a local emulated account
demo:
	$(GO) run ./cmd/sgwarden-demo

## test: the whole suite, Go and CDK
test: test-go test-cdk

test-go:
	$(GO) test -race -count=1 ./...

test-cdk: build
	cd infra/cdk && npm ci --no-audit --no-fund --loglevel=error && $(GO) test -count=1 ./...

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

## bench: the headline figures beside their baselines; writes docs/benchmarks.md (BENCHFLAGS=-quick for a short run)
bench:
	$(GO) run ./cmd/sgwarden-bench $(BENCHFLAGS)

synth: build
	cd infra/cdk && npm ci --no-audit --no-fund --loglevel=error && npx cdk synth --no-notices

deploy: build
	cd infra/cdk && npm ci --no-audit --no-fund --loglevel=error && npx cdk bootstrap --no-notices && npx cdk deploy --no-notices

clean:
	rm -rf $(BUILD)
