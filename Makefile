# esconnect — run `make` for the list of targets.

GO        ?= go
GOARCH    ?= arm64
GOOS      ?= linux
FUNCTIONS := kafka-es-sink pg-es-sync
DIST      := dist
# Lambda's provided.al2023 runtime and FC's custom runtime both run a static
# binary named bootstrap; lambda.norpc drops the legacy Go1.x RPC server.
BUILD_FLAGS := -tags lambda.norpc -trimpath -ldflags '-s -w'
TEST_FLAGS  ?= -race -count=1 -timeout 30m
BENCH_FLAGS ?= -run '^$$' -bench . -benchmem -count 1
ESCONNECT := $(GO) run ./cmd/esconnect
# On a fresh machine `make demo` is almost all its first build. The demo
# program links only what the demo uses, and is compiled without inlining:
# that takes about 40% off compiling the standard library, esapi and franz-go
# on a cold cache, and the demo handles five messages. The functions
# themselves (make build) are compiled with every optimisation.
DEMO      := $(GO) run -gcflags=all=-l ./cmd/esconnect-demo
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.DEFAULT_GOAL := help
.PHONY: help build test bench lint demo fmt clean $(addprefix build-,$(FUNCTIONS))

help: ## show this list
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_%-]+:.*## / {printf "  %-22s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: $(addprefix build-,$(FUNCTIONS)) ## build dist/<function>/bootstrap and dist/<function>.zip (GOARCH=arm64 by default)

$(addprefix build-,$(FUNCTIONS)): build-%:
	@mkdir -p $(DIST)/$*
	CGO_ENABLED=0 GOOS=$(GOOS) GOARCH=$(GOARCH) $(GO) build $(BUILD_FLAGS) -o $(DIST)/$*/bootstrap ./functions/$*
	cd $(DIST)/$* && rm -f ../$*.zip && $(GO) run ../../scripts/zipdir.go ../$*.zip bootstrap

# `sam build` runs `make build-<LogicalId>` (Metadata: BuildMethod: makefile)
# with ARTIFACTS_DIR set; each target reuses build-<function> so SAM builds
# with exactly the flags above, then hands SAM the bootstrap.
SAM_FUNCTIONS := KafkaEsSinkFunction:kafka-es-sink PgEsSyncFunction:pg-es-sync
SAM_TARGETS   := $(foreach f,$(SAM_FUNCTIONS),build-$(word 1,$(subst :, ,$(f))))
.PHONY: $(SAM_TARGETS)

$(SAM_TARGETS): build-%:
	@test -n "$(ARTIFACTS_DIR)" || { echo '$@ is run by sam build, which sets ARTIFACTS_DIR'; exit 1; }
	$(MAKE) build-$(patsubst $*:%,%,$(filter $*:%,$(SAM_FUNCTIONS)))
	mkdir -p "$(ARTIFACTS_DIR)"
	cp $(DIST)/$(patsubst $*:%,%,$(filter $*:%,$(SAM_FUNCTIONS)))/bootstrap "$(ARTIFACTS_DIR)/bootstrap"

test: ## every test: vet, the deployment files checked by AWS's and Serverless Devs' tools, the suite against the embedded doubles and the real servers (started and stopped here), fuzz
	./scripts/ensure-postgres.sh
	./scripts/fetch-chinook.sh
	$(GO) vet ./...
	./scripts/check-deploy.sh
	./scripts/realstack.sh run -- $(GO) test $(TEST_FLAGS) ./...
	./scripts/fuzz.sh 3

.PHONY: check-deploy
check-deploy: ## template.yaml and s.yaml checked by sam, the SAM translator, cfn-lint and the Serverless Devs CLI (docs/deploy.md)
	./scripts/check-deploy.sh

.PHONY: test-embedded realstack realstack-stop
test-embedded: ## the suite against the embedded doubles only (an explicit opt-out of the real servers)
	./scripts/ensure-postgres.sh
	./scripts/fetch-chinook.sh
	ESCONNECT_TEST_EMBEDDED_ONLY=1 $(GO) test $(TEST_FLAGS) ./...

realstack: ## start real Elasticsearch 8 and 7, OpenSearch 1, 2 and 3 and Kafka 4 on 127.0.0.1 and print their addresses
	./scripts/realstack.sh start

realstack-stop: ## stop the servers make realstack started
	./scripts/realstack.sh stop

# The functions ship as linux/arm64 (Graviton); the decode path uses
# arm64-specific code (segmentio/asm's NEON base64), so its packages are also
# tested as arm64 binaries under user-mode emulation (apt-get install qemu-user).
ARM64_PACKAGES := ./shared/kafkaevent/ ./shared/jsonstr/ ./shared/msgdoc/ ./shared/esbulk/
.PHONY: test-arm64
test-arm64: ## run the decode path's tests as linux/arm64 binaries under qemu-aarch64
	@command -v qemu-aarch64 >/dev/null || { echo 'test-arm64 needs qemu-aarch64 (apt-get install qemu-user)'; exit 1; }
	GOARCH=arm64 $(GO) test -count=1 -exec qemu-aarch64 $(ARM64_PACKAGES)

.PHONY: fuzz
FUZZTIME ?= 10
fuzz: ## run every fuzz target for FUZZTIME seconds each (default 10); a failing input is kept under testdata/fuzz
	./scripts/fuzz.sh $(FUZZTIME)

# esconnect-bench measures what users see against a reference in the same
# run, alternating the two (docs/performance.md); BENCH_ARGS passes flags
# such as -pairs 21 or -only whole,ready.
.PHONY: bench-packages
bench: ## whole-process, warm-invocation, start-up, CPU-path and size figures as ratios, each budget met or not (docs/performance.md)
	$(GO) run ./cmd/esconnect-bench $(BENCH_ARGS)

bench-packages: ## the packages' Go benchmarks (pg-es-sync's need PostgreSQL)
	./scripts/ensure-postgres.sh
	$(GO) test $(BENCH_FLAGS) ./...

.PHONY: soak
soak: ## reliability soak: SOAK_N records (default 200000) per id mode under esnode faults and consumer SIGKILLs (docs/soak.md)
	$(ESCONNECT) soak -n $(or $(SOAK_N),200000)

lint: ## gofmt, go vet and staticcheck (pinned version, fetched through the module proxy)
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo 'gofmt: files above need formatting'; exit 1; }
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

demo: ## run the whole pipeline on the embedded dev stack
	$(DEMO)

invoke-%: ## local invoke: make invoke-kafka-es-sink EVENT=events/aws-msk.json
	$(ESCONNECT) invoke $* --event $(EVENT) $(if $(PLATFORM),--platform $(PLATFORM))

fmt: ## format the Go sources
	gofmt -w $$(git ls-files '*.go')

clean: ## remove build output
	rm -rf $(DIST)
