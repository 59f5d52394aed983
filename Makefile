# Chaperone: build, run on embedded defaults, test.
#   make run    build and run Chaperone with a config in ./.chaperone (created on first run)
#   make test   install what the tests need, then gofmt-check, vet, test and fuzz briefly
#   make bench  run every benchmark script under bench/ and write bench/RESULTS.md
#   make reliability  the load test at full length (200 clients, 60 s) with the fault and attack tests

SHELL     := /bin/bash
GO        ?= go
BIN       := bin/chaperone
RUN_DIR   ?= .chaperone
FUZZTIME  ?= 10s
VERSION   ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)

.PHONY: build run test test-deps vet unit fuzz bench reliability clean

# chaperone-hook is the agent hook in a small binary; `chaperone install`
# writes it into agents' settings when it sits beside chaperone.
build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/chaperone
	$(GO) build -o $(dir $(BIN))chaperone-hook ./cmd/chaperone-hook

run: build
	@test -f $(RUN_DIR)/chaperone.yaml || ./$(BIN) init --dir $(RUN_DIR)
	./$(BIN) --config $(RUN_DIR)/chaperone.yaml serve

test: test-deps vet fuzz unit

# Everything the tests need beyond Go is installed here, so a fresh machine
# and CI run the same suite.
test-deps:
	@scripts/test-deps.sh

vet:
	@unformatted=$$(gofmt -l cmd internal bench); if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...

unit:
	$(GO) test -count=1 ./...

# Each fuzz target runs briefly; inputs that once failed live in the
# package's testdata/fuzz and run as ordinary tests in `unit`.
fuzz:
	@scripts/fuzz.sh $(FUZZTIME)

bench:
	@scripts/bench.sh

# The suite runs these too, with the load test in a 5-second mode.
RELIABILITY_TESTS := TestLoad|Fault|Killed|Locked|Unreachable|DiskFull|Smuggling|RevokedAndExpired|Tamper
reliability: test-deps
	CHAPERONE_LOAD_DURATION=$${CHAPERONE_LOAD_DURATION:-60s} $(GO) test -count=1 -v -timeout 30m -run '$(RELIABILITY_TESTS)' ./...

clean:
	rm -rf bin
