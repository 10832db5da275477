# sgwarden: every target installs what it needs; see README.md.
SHELL := /bin/bash
export GOTOOLCHAIN := go1.27.3
export GOFLAGS := -buildvcs=false
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
GO ?= go
BUILD := build
# The version every binary reports (sgwarden version, alerts, reports, the AWS user agent).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
VERSION_FLAG := -X github.com/sgwarden/sgwarden/internal/version.Version=$(VERSION)
LAMBDA_FLAGS := -tags lambda.norpc -trimpath -ldflags='-s -w $(VERSION_FLAG)'

.PHONY: all build cli demo test test-go test-cdk vet lint fmt-check bench synth deploy fuzz clean iac-compare FORCE

all: build

## build: every functions/* Lambda bootstrap (linux/arm64, as deployed)
build: $(patsubst functions/%,$(BUILD)/%/bootstrap,$(wildcard functions/*))

$(BUILD)/%/bootstrap: FORCE
	@mkdir -p $(dir $@)
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build $(LAMBDA_FLAGS) -o $@ ./functions/$*

## cli: the command line and the emulated account for this machine, built with the pinned Go (bin/)
cli: bin/sgwarden bin/awslocal

bin/%: FORCE
	@mkdir -p $(dir $@)
	$(GO) build -ldflags='$(VERSION_FLAG)' -o $@ ./cmd/$*

## demo: replay events/ through the real Lambda binary against a local emulated account
# The demo is built with the bootstrap's flags (CGO_ENABLED=0, -trimpath, the lambda.norpc tag), so
# the AWS SDK it shares with the bootstrap compiles once, and `go build -v` counts the packages
# as they compile, so the first run (several minutes on 2 cores) is never silent.
demo:
	@echo "Building the demo (the first run compiles the AWS SDK once: several minutes on 2 cores; then seconds)..."
	@set -o pipefail; CGO_ENABLED=0 $(GO) build -v $(LAMBDA_FLAGS) -o $(BUILD)/sgwarden-demo ./cmd/sgwarden-demo 2>&1 | $(PROGRESS)
	@$(BUILD)/sgwarden-demo

# PROGRESS turns `go build -v` output (one package path a line) into one counting status line;
# any other line (a compile error) is printed as is.
PROGRESS := awk '/^[^ \t\#:]+$$/ { n++; printf "\r  %d packages compiled, the last %-50.50s", n, $$0; fflush(); next } { if (n) printf "\n"; n = 0; print } END { if (n) printf "\n" }'

## test: the whole suite, Go and CDK
test: test-go test-cdk

test-go:
	$(GO) test -race -count=1 ./...

## test-cdk: the CDK stack tests (infra/cdk is its own Go module; Node runs jsii)
test-cdk: build infra/cdk/node_modules/.package-lock.json
	cd infra/cdk && $(GO) test -count=1 ./...

# The aws-cdk CLI pinned by infra/cdk/package-lock.json; reinstalled only when the lock changes.
infra/cdk/node_modules/.package-lock.json: infra/cdk/package.json infra/cdk/package-lock.json
	cd infra/cdk && npm ci --prefer-offline --no-audit --no-fund --loglevel=error

## vet: go vet of both modules
vet:
	$(GO) vet ./...
	cd infra/cdk && $(GO) vet ./...

## lint: staticcheck, fetched from the Go module proxy at a pinned version
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
lint:
	$(GO) run $(STATICCHECK) ./...

## fuzz: every fuzz target for FUZZTIME each (the seeds alone run in make test)
FUZZTIME ?= 30s
FUZZ_TARGETS := internal/cloudtrail:FuzzDecode internal/policy:FuzzLoad internal/policy:FuzzParsePeerCIDR \
	internal/policy:FuzzParsePortRange internal/policy:FuzzDecodeRulesJSON internal/policy:FuzzCoverage \
	internal/iac:FuzzReadTemplate internal/iac:FuzzReadPlan
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "fuzz $${t#*:} in ./$${t%%:*} for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$${t#*:}$$" -fuzztime $(FUZZTIME) ./$${t%%:*}; \
	done

## iac-compare: sgwarden and trivy side by side over internal/iac's trap corpus (TRIVY=path to a trivy
## binary, built once outside the repo; see docs/iac.md); rewrites the table in docs/iac.md
TRIVY ?= trivy
iac-compare:
	TRIVY=$(TRIVY) $(GO) test -count=1 -run '^TestTrivyCompare$$' -v ./internal/iac -update

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

## bench: the headline figures beside their baselines, printed as a table; the tree stays clean
## (BENCHFLAGS=-write-docs also writes the table into docs/benchmarks.md; -quick for a short run)
bench:
	CGO_ENABLED=0 $(GO) run $(LAMBDA_FLAGS) ./cmd/sgwarden-bench $(BENCHFLAGS)

## synth: cdk synth offline, no credentials; template in infra/cdk/cdk.out (CDK_ARGS="-c mode=enforce ...")
synth: build infra/cdk/node_modules/.package-lock.json
	cd infra/cdk && ./node_modules/.bin/cdk synth --no-notices --quiet $(CDK_ARGS)

## deploy: cdk bootstrap (idempotent) then cdk deploy of every region's stack; see docs/deploy.md
## (deployment=organization: artifact buckets, then their code, then the central stack; docs/organizations.md)
deploy: build infra/cdk/node_modules/.package-lock.json
	cd infra/cdk && ./node_modules/.bin/cdk bootstrap --no-notices $(CDK_ARGS) \
		&& if [ -f cdk.out/sgwarden-artifacts/regions.txt ]; then \
			./node_modules/.bin/cdk deploy --no-notices --exclusively 'SgwardenArtifacts*' $(CDK_ARGS) && ./publish-artifacts.sh; fi \
		&& ./node_modules/.bin/cdk deploy --all --no-notices $(CDK_ARGS)

clean:
	rm -rf $(BUILD) bin
