# Cairn's two commands on a fresh machine: `make demo` and `make test`. Everything they need is installed here.
SHELL := /bin/bash
.DEFAULT_GOAL := demo

# chromium and chromium-driver: check_console.py drives the web console in headless Chromium.
APT_PACKAGES := libcurl4-openssl-dev libzstd-dev libsqlite3-dev libhnswlib-dev libroaring-dev curl flatbuffers-compiler \
	chromium chromium-driver
VENV := .venv
PYTHON := $(VENV)/bin/python
# The C++ shim (hnswlib) is compiled with optimisation even in debug builds: -O0 hnswlib is ~8x slower.
SWIFT_FLAGS ?= -Xcxx -O2
SWIFT_BUILD := swift build $(SWIFT_FLAGS)
CAIRN := .build/debug/cairn
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: deps deps-system deps-python build release dist dist-test demo test test-swift test-python tsan crashtest bench lint format clean

deps: deps-system deps-python

# apt-get update runs once, and only when a package is missing.
deps-system:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "deps: installing$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

deps-python: $(VENV)/.installed

$(VENV)/.installed: requirements-test.txt
	@test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install -q --disable-pip-version-check -r requirements-test.txt
	@touch $@

build: deps-system
	$(SWIFT_BUILD) --product cairn

release: deps-system
	swift build -c release --product cairn

# The release artifacts in dist/ (scripts/dist.sh): cairn-VERSION-linux-x86_64.tar.gz (the Swift runtime linked
# statically), the cairn_db wheel carrying the same binary, SHA256SUMS. `cairn --version` names the commit.
dist: APT_PACKAGES += patchelf binutils
dist: deps-system
	@bash scripts/dist.sh

# Both artifacts on a minimal Debian root without Swift, built with debootstrap into .dist-root/ the first time and
# reused after (scripts/dist-test.sh).
dist-test: APT_PACKAGES += debootstrap
dist-test: dist
	@bash scripts/dist-test.sh

demo: deps build
	$(CAIRN) demo --path demo-data

# Starts the local S3 server, runs every test (Swift, then the Python interoperability checks), and stops
# the server whatever happened.
test: deps
	@bash scripts/test.sh

# ThreadSanitizer run of the concurrency-heavy suites (also run at the end of `make test`).
tsan: deps-system
	@bash scripts/tsan.sh

# The crash tests alone (they also run in `make test`): kill -9 of a writing, compacting, collecting `cairn`
# at 20 random moments on a folder and on the local S3 server, and a crash at every store write of a compaction
# and of a garbage collection in-process.
crashtest: deps
	@CAIRN_TEST_FILTER='ProcessCrashTests|CrashTests' bash scripts/test.sh

bench: deps
	@bash scripts/bench.sh

lint:
	swift format lint --strict --recursive Sources Tests Benchmarks/Sources

format:
	swift format --in-place --recursive Sources Tests Benchmarks/Sources

clean:
	rm -rf .build demo-data .s3-test-server dist
