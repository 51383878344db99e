# OpenMerit: every target does the set-up it needs, and skips what is already done.
#   make demo   deploy and wire everything on a local anvil chain, then stop it
#   make test   check the layers, lint, format and types, run slither on every contract, then every test suite
#   make bench  run the benchmarks (ratios against named peers, printed)

SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
SOLC_VERSION := $(shell node -p "require('./package.json').dependencies.solc" 2>/dev/null)
SOLC_DIR := .toolchain/solc
SOLC := $(SOLC_DIR)/.ready-$(SOLC_VERSION)

# What every command runs with: the adapter registered with py-solc-x, anvil on PATH.
export SOLCX_BINARY_PATH := $(CURDIR)/$(SOLC_DIR)
export PATH := $(CURDIR)/$(BIN):$(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: setup check slither test demo bench clean

setup: $(VENV)/.installed node_modules/.installed $(SOLC)

$(VENV)/.installed: requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(SOLC): tools/solc/solc tools/solc/solc-adapter.js node_modules/.installed
	@mkdir -p $(SOLC_DIR)
	@rm -f $(SOLC_DIR)/solc-v* $(SOLC_DIR)/.ready-*
	ln -s $(CURDIR)/tools/solc/solc $(SOLC_DIR)/solc-v$(SOLC_VERSION)
	@$(SOLC_DIR)/solc-v$(SOLC_VERSION) --version | grep -q "Version: $(SOLC_VERSION)" \
		|| { echo "the solc adapter does not answer version $(SOLC_VERSION)"; exit 1; }
	@touch $@

# js-ipfs, the real IPFS node the artifact store's kubo-backend tests run against. It has its own
# package.json (npm ci fails on one of its optional dependencies, so npm install), kept out of
# the root lock; installed once, and again only when that package.json changes.
IPFS_NODE := tests/ipfs-node/node_modules/.installed

$(IPFS_NODE): tests/ipfs-node/package.json
	cd tests/ipfs-node && npm install --no-audit --no-fund --loglevel=error
	@touch $@

# The layers (import-linter contracts in pyproject.toml), lint, format and types: part of `make test`.
check: setup
	$(BIN)/lint-imports
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# slither in an environment of its own (its pins clash with Brownie's), from a pinned lock;
# installed once, and again only when the lock changes.
SLITHER_VENV := .venv-slither

$(SLITHER_VENV)/.installed: requirements-slither.lock
	@test -x $(SLITHER_VENV)/bin/python || $(PYTHON) -m venv $(SLITHER_VENV)
	$(SLITHER_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-slither.lock
	@touch $@

# Every contract in one compilation through the solc adapter; fails on any high or medium
# finding in project code that tools/slither/triage.json does not explain.
slither: $(SLITHER_VENV)/.installed node_modules/.installed
	$(SLITHER_VENV)/bin/python tools/slither/check.py contracts

test: setup $(IPFS_NODE) check slither
	$(BIN)/python -m pytest

demo: setup
	$(BIN)/merit demo

bench: setup
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) $(SLITHER_VENV) node_modules .toolchain build reports .cache
