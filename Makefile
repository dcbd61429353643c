# poolload — see README.md. Every target works from a clean clone.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
BIN     := bin/poolload
PKGS    := ./...

.PHONY: build test unit db tools lint bench demo fuzz clean

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/poolload
	$(GO) build -o bin/pooldemo ./cmd/pooldemo

# The whole suite, with the race detector, against the local MariaDB and
# PostgreSQL (started here when they are down; tests that need them never
# skip).
# The packages whose tests hold the emulated link and the scheduler to a
# fraction of a millisecond run first, one at a time: on two cores the
# end-to-end runs of cmd/poolload beside them can make their goroutines
# wake milliseconds late. Each of those tests judges against a baseline
# it measures in the same run, takes a reading again when outside load
# made it worse, and skips saying so if every reading was taken on a
# starved VM or beside other processes hogging the CPU
# (clock/clocktest). The rest then run in parallel. CI runs the timed
# packages twice (TIMED_COUNT=2), so that a test that passes by luck is
# caught before it lands.
TIMED := clock network engine runner
TIMED_COUNT ?= 1
# Files tests keep for a person to look at (the HTML report's screenshot
# and PDF) land under bin/test-output.
test: db tools
	$(GO) vet $(PKGS)
	$(GO) test -race -count=$(TIMED_COUNT) -p 1 -timeout 10m $(addprefix ./,$(TIMED))
	@mkdir -p bin/test-output
	$(GO) test -race -count=1 -timeout 15m -artifacts -outputdir=$(CURDIR)/bin/test-output $$($(GO) list $(PKGS) | grep -v -x $(foreach p,$(TIMED),-e '.*/$(p)'))
# deploy/ is a module of its own (k8s.io stays out of poolload's): its
# test decodes poolload k8s's manifests with the Kubernetes API types.
	cd deploy && $(GO) test -count=1 ./...

# Only what needs no database, quickly.
unit:
	$(GO) test -short -count=1 $(PKGS)

db:
	@bash .ci/ensure-mariadb
	@bash .ci/ensure-postgres

# Debian's chromium (the HTML report's test) and prometheus (the live
# metrics' test), installed when missing.
tools:
	@bash .ci/ensure-chromium
	@bash .ci/ensure-prometheus

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	cd deploy && $(GO) vet ./...

# Each parser of user input, 30 s apiece.
fuzz:
	$(GO) test -run=NONE -fuzz=FuzzParse -fuzztime=30s ./scenario/
	$(GO) test -run=NONE -fuzz=FuzzParse -fuzztime=30s ./driver/gen/
	$(GO) test -run=NONE -fuzz=FuzzParsePrometheus -fuzztime=30s ./driver/http/
	$(GO) test -run=NONE -fuzz=FuzzParseBandwidth -fuzztime=30s ./units/

# The harness's own cost (README: "The harness's own cost").
bench: build
	$(GO) test -run=NONE -bench=. -benchmem -count=1 ./collector/ ./engine/
	$(GO) run ./bench/harness
	$(GO) run ./bench/live --poolload $(BIN)
	$(GO) run ./bench/wait
	$(GO) run ./bench/proxy
	$(GO) run ./bench/peers
	$(GO) run ./bench/merge

demo: build
	./$(BIN) run scenarios/quickstart.yaml

clean:
	rm -rf bin
