# Dépêche: `make demo` runs the demo, `make test` runs every test. Both install what is missing.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
PORT ?= 8080
PARTNER_PORT ?= 8081
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
export CHROMEDRIVER ?= /usr/bin/chromedriver

.PHONY: demo test build collector size bench bench-widget fuzz npm setup-demo setup-build setup-test setup-bench setup-size setup-fuzz clean

# The publisher console's token: random unless given (expanded once, so the one printed is
# the one the collector gets).
ifndef PUBLISH_TOKEN
PUBLISH_TOKEN := $(shell head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
endif

# The token reaches the collector through the environment: on its command line `ps` would
# show it to every user of the machine. The widget is the committed pkg/ (`make build`
# rebuilds it): the demo compiles the collector only, unoptimised (Cargo.toml's demo profile:
# a third of the release build's CPU time).
demo: setup-demo
	cargo build --profile demo -p depeche-collector
	@mkdir -p .demo
	@echo "Publisher console token: $(PUBLISH_TOKEN)"
	DEPECHE_PUBLISH_TOKEN=$(PUBLISH_TOKEN) target/demo/depeche-collector --listen 127.0.0.1:$(PORT) --feed www/feed.json \
	  --source www/sources/alertes.rss \
	  --database sqlite:.demo/depeche.db --www www --pkg pkg \
	  --partner-listen 127.0.0.1:$(PARTNER_PORT) --allow-origin http://127.0.0.1:$(PARTNER_PORT)

# The end-to-end tests use the collector's debug build, made by the Rust tests (scripts/test.sh).
# scripts/test.sh rebuilds pkg/ beside that build, and fails if it differs from the committed one.
test: setup-test
	scripts/test.sh

build: setup-build
	scripts/build.sh

collector:
	cargo build --release -p depeche-collector

# The release tarball in target/release-tarball/ (scripts/release.sh): the collector as one
# static binary (musl), www/, pkg/, SHA256SUMS and SRI.txt; checked before it is kept.
.PHONY: release setup-release
release: setup-release build
	scripts/release.sh

# The npm package (depeche-widget), packed from pkg/ into target/npm/.
npm: build
	scripts/npm.sh

size: setup-size
	scripts/build.sh --named
	scripts/size.sh --breakdown

# The widget against a hand-written JS widget in Chromium (scripts/bench-widget.mjs; PAIRS=9).
bench-widget: setup-test build collector
	node scripts/bench-widget.mjs $(PAIRS)

bench: setup-bench collector
	scripts/bench.sh

FUZZ_SECONDS ?= 600
fuzz: setup-fuzz
	scripts/fuzz.sh $(FUZZ_SECONDS)

setup-demo:
	scripts/setup.sh demo

setup-build:
	scripts/setup.sh build

setup-test:
	scripts/setup.sh test

setup-bench:
	scripts/setup.sh bench

setup-size:
	scripts/setup.sh size

setup-release:
	scripts/setup.sh release

setup-fuzz:
	scripts/setup.sh fuzz

# pkg/ is committed: only the build's intermediates go.
clean:
	rm -rf pkg/depeche.js pkg/snippets .demo tests/e2e/artifacts
	cargo clean
