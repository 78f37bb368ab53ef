# minirocks: `make demo` runs the flagship drill, `make test` runs the tests.
# Every target installs what it needs first (make setup).

SHELL         := /bin/bash
GO            ?= go
MINIO_VERSION := v0.0.0-20260212201848-7aac2a2c5b7c
TOOLS         := $(CURDIR)/.tools/bin
MINIO         := $(TOOLS)/minio
BIN           := $(CURDIR)/bin/minirocks
TEST_TIMEOUT  ?= 25m

export MINIROCKS_BIN   := $(BIN)
export MINIROCKS_MINIO := $(MINIO)

.PHONY: all setup build image test demo bench soak fuzz vet fmt clean

all: build

## setup: install the pinned MinIO server, the mysql client, curl and chromium (first time: a few minutes)
setup: $(MINIO) .tools/clients

$(MINIO):
	@echo ">> installing MinIO server $(MINIO_VERSION) into .tools/bin (about two minutes the first time)"
	@mkdir -p $(TOOLS)
	GOBIN=$(TOOLS) CGO_ENABLED=0 $(GO) install github.com/minio/minio@$(MINIO_VERSION)

.tools/clients: Makefile
	@mkdir -p .tools
	@if ! command -v mysql >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1; then \
		echo ">> installing the mysql command-line client (default-mysql-client), curl and headless chromium (renders report.html in the tests)"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq default-mysql-client curl chromium >/dev/null; \
	fi
	@touch $@

## build: compile bin/minirocks
build:
	CGO_ENABLED=0 $(GO) build -o $(BIN) ./cmd/minirocks

## image: the minirocks image for deploy/compose (FROM scratch, the static binary only; never pulled)
IMAGE ?= minirocks/minirocks:dev
image: build
	@ctx=$$(mktemp -d) && trap 'rm -rf "$$ctx"' EXIT && \
		cp $(BIN) deploy/compose/Dockerfile "$$ctx"/ && \
		docker build -q -t $(IMAGE) "$$ctx"

## test: unit and in-process tests with the race detector, then end-to-end tests against real
## processes (and containers where a Docker engine runs) and a real MinIO
E2E_PKGS  = ./harness ./harness/harnesstest ./scenarios
UNIT_PKGS = $(shell $(GO) list ./... | grep -v -x -e '.*/harness' -e '.*/harness/harnesstest' -e '.*/scenarios')
test: setup build
	$(GO) vet ./...
	CGO_ENABLED=1 $(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) $(UNIT_PKGS)
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) $(E2E_PKGS)

## demo: run the flagship drill on local processes and a local MinIO
demo: setup build
	$(BIN) demo

## fuzz: every fuzz target for FUZZTIME each (default 60s); `make test` runs their seed corpora.
## A new input's minimization is cut at 5 s so that a large seed does not take the whole run.
FUZZTIME ?= 60s
FUZZ_TARGETS := lake:FuzzReadSegment lake:FuzzDecodeBlock lake:FuzzDecodeMeta lake:FuzzDecodeTxnLog \
	fe/sql:FuzzParse fe/restore:FuzzParseConfig scenarios:FuzzParseDrill fe/journal:FuzzDecodeEntry \
	fe/journal:FuzzReadImageHeader fe/meta:FuzzRestoreImage conf:FuzzLoad fe/catalog:FuzzDecodeOp
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; fn=$${t##*:}; \
		echo ">> $$fn ($$pkg) for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s ./$$pkg/; \
	done

## bench: journal, MySQL-protocol, failover, join, cluster start, lake, snapshot, restore and drill benchmarks side by side; method in docs/benchmarks.md
BENCHTIME ?= 3s
# LAKE_MB is the size of the CSV the lake benchmark loads (1 GB by default).
LAKE_MB   ?= 1024
bench: setup build
	@echo ">> running benchmarks (about ten minutes; the lake phases print as they finish)"
	@set -o pipefail; { \
		$(GO) test -run '^$$' -bench 'RawRaftApply|JournalPropose' -benchtime $(BENCHTIME) ./fe/journal/ && \
		$(GO) test -run '^$$' -bench 'RawRaftReelection' -benchtime 8x ./fe/journal/ && \
		$(GO) test -run '^$$' -bench 'ImageAfterLoads' -benchtime 3x ./fe/meta/ && \
		$(GO) test -run '^$$' -bench 'CheckpointLatency' -benchtime 1x ./fe/meta/ && \
		$(GO) test -run '^$$' -bench 'MySQLDDL' -benchtime $(BENCHTIME) ./harness/ && \
		$(GO) test -run '^$$' -bench 'FEFailover' -benchtime 5x ./harness/ && \
		$(GO) test -run '^$$' -bench 'FEJoin' -benchtime 3x -timeout 30m ./harness/ && \
		$(GO) test -run '^$$' -bench 'ClusterStart' -benchtime 3x ./harness/ && \
		MINIROCKS_BENCH_MB=$(LAKE_MB) $(GO) test -run '^$$' -bench 'Lake' -benchtime 1x -timeout 60m ./harness/ && \
		MINIROCKS_SNAPSHOT_BENCH_MB=$(LAKE_MB) $(GO) test -run '^$$' -bench 'Snapshot|Restore|Drill' -benchtime 1x -timeout 60m ./harness/ ; \
	} | $(GO) run ./bench

## soak: seeded rounds of kill -9 (follower, compute node, leader, leader mid snapshot upload,
## a restore half-way) under loads and DDL, each round checked; not part of `make test`.
## SOAK_SEED (default: from the clock), SOAK_CRASH_POINTS (default 1000), SOAK_ROUNDS and
## SOAK_TIME (e.g. 30m) stop it at the first reached; method and results in docs/benchmarks.md
SOAK_SEED         ?= 0
SOAK_CRASH_POINTS ?= 1000
SOAK_ROUNDS       ?= 0
SOAK_TIME         ?= 0
SOAK_DIR          ?=
soak: setup build
	$(BIN) soak --seed $(SOAK_SEED) --crash-points $(SOAK_CRASH_POINTS) --rounds $(SOAK_ROUNDS) --time $(SOAK_TIME) $(if $(SOAK_DIR),--dir $(SOAK_DIR))

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
