# trustgate: `make run` starts the whole stack, `make test` runs every test.
# Both install what they need (the Temporal CLI into ./bin) on first use.

SHELL := /bin/bash
export GOTOOLCHAIN := local
export GOFLAGS := -buildvcs=false

TEMPORAL_CLI_VERSION := v1.5.1
BIN := $(CURDIR)/bin

.PHONY: run test vet build build-bench tools chromium fuzz bench load clean

run: build tools
	@./bin/trustgate dev

build:
	@echo "building trustgate"
	@go build -o bin/trustgate ./cmd/trustgate

# The benchmark and load harnesses are a command of their own, so that the
# product binary carries neither them nor the load generator.
build-bench: build
	@echo "building trustgate-bench"
	@go build -o bin/trustgate-bench ./cmd/trustgate-bench

tools: bin/temporal chromium

# The console's browser tests drive Debian's headless Chromium; it is
# installed once, only when it is not on PATH.
# A small Chinese font lets the Simplified Chinese screenshots show text
# rather than boxes (the pages themselves load no fonts).
chromium:
	@command -v chromium >/dev/null || { echo "installing chromium for the console's browser tests"; \
		apt-get update && apt-get install -y chromium; }
	@fc-list :lang=zh 2>/dev/null | grep -q . || { echo "installing a Chinese font for the screenshots"; \
		apt-get install -y fonts-wqy-microhei || { apt-get update && apt-get install -y fonts-wqy-microhei; } \
		|| echo "no Chinese font: the Chinese screenshots show boxes"; }

# The Temporal CLI is built from source once (about four minutes on two
# cores) and kept in ./bin; later runs reuse it.
bin/temporal:
	@echo "installing Temporal CLI $(TEMPORAL_CLI_VERSION) into ./bin (first time only, takes a few minutes)"
	@mkdir -p bin
	@GOBIN=$(BIN) go install -v github.com/temporalio/cli/cmd/temporal@$(TEMPORAL_CLI_VERSION) 2>&1 \
		| awk '{ n++; if (n % 25 == 0) printf "  ... %d packages compiled\n", n } END { print "  done" }'
	@test -x bin/temporal

STATICCHECK_VERSION := v0.8.2

# gofmt, go vet and staticcheck: the code reads one way everywhere.
vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './bin/*')); \
		if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	go vet ./...
	go run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

# Screenshots of the console's browser tests, desktop and 375 px wide.
ARTIFACTS ?= $(CURDIR)/.artifacts/console

# One PostgreSQL and one Temporal dev server for the whole run; every test
# package uses them through internal/testenv.
test: tools vet
	TRUSTGATE_ARTIFACTS=$(ARTIFACTS) go run ./internal/testenv/teststack -- go test -count=1 -timeout 20m ./...
	@echo "console screenshots: $(ARTIFACTS)"

# Each fuzz target of the scanner, then the plan machine against OPA's
# evaluator on generated policies, for FUZZTIME each (CI runs this after the
# tests).
FUZZTIME ?= 20s
fuzz:
	@for target in FuzzScan FuzzManifest FuzzJS FuzzWxapkg FuzzContentEvasion FuzzPrivacyDeclaration FuzzPolicyKinds; do \
		echo "fuzzing $$target for $(FUZZTIME)"; \
		go test ./scan -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) || exit 1; \
	done
	@echo "fuzzing FuzzPlanAgreesWithOPA for $(FUZZTIME)"
	@go test ./policies/vm -run '^$$' -fuzz '^FuzzPlanAgreesWithOPA$$' -fuzztime $(FUZZTIME)

# Benchmarks: the scanner, the policy engine, and a 2 MB package from upload
# to findings stored on the whole stack; then the load harness (throughput,
# latency, CPU per submission against a no-op workflow of the same shape),
# which writes .artifacts/bench/results.md. BENCH_FLAGS passes flags to it
# (--duration, --concurrency, --rate).
bench: build-bench tools
	go test ./scan -run '^$$' -bench 'ScanLibraries|ScanPackage2MB|ScanBuiltFlows2MB|Secrets' -cpu 1 -count 3
	go test ./policies -run '^$$' -bench 'DecideLatency' -count 3
	go run ./internal/testenv/teststack -- go test ./e2e -run '^$$' -bench UploadToFindings -benchtime 20x
	go run ./internal/testenv/teststack -- go test ./activities -run '^$$' -bench Simulate10kDecisions -benchtime 3x
	./bin/trustgate-bench bench $(BENCH_FLAGS)
	@$(MAKE) --no-print-directory load

# GET /v1/submissions/{id} at a constant offered rate (open model, vegeta)
# against a whole stack of its own (`trustgate dev` in a temp dir, loopback
# ports): LOAD_RUNS runs of LOAD_DURATION, each with a CPU profile of the
# server saved to the system temp dir. Prints p50/p95/p99/max, rates, errors.
LOAD_RATE ?= 5000
LOAD_DURATION ?= 10s
LOAD_RUNS ?= 3
load: build-bench tools
	./bin/trustgate-bench load --stack --trustgate bin/trustgate --rate $(LOAD_RATE) --duration $(LOAD_DURATION) --runs $(LOAD_RUNS) --cpuprofile

clean:
	rm -rf bin .dev examples/*.zip
