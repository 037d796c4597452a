# Ringfence — every target bootstraps what it needs: a fresh clone with
# Python 3.11, Node/npm, git and make runs `make demo` or `make test` directly.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
MAMUSHI_VERSION := 0.1.2

# The pinned tools (ape, vyper, pytest, ruff, mamushi) and the pinned anvil
# come first on PATH for every recipe.
export PATH := $(CURDIR)/$(VENV)/bin:$(CURDIR)/node_modules/.bin:$(PATH)
export PYTHONDONTWRITEBYTECODE := 1

PY_SOURCES := ringfence oracle keeper scripts tests conftest.py
VY_SOURCES := contracts

.PHONY: help setup test test-unit test-integration lint format node clean bench backtest demo fuzz fuzz-long fuzz-bs

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

# --- environment ------------------------------------------------------------

$(PY_STAMP): pyproject.toml requirements.lock
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "make: $(PYTHON) not found (Ringfence needs Python 3.11; set PYTHON=...)"; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || { echo "make: $(PYTHON) is not Python 3.11"; exit 1; }
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev]'
	@# mamushi 0.1.2 pins click==8.1.3, which would break Ape: it runs on click 8.1.8.
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps mamushi==$(MAMUSHI_VERSION)
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "make: npm not found (needed for the local anvil node)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@node_modules/.bin/anvil --version | head -n1
	@touch $@

setup: $(PY_STAMP) $(NODE_STAMP)  ## create .venv with the pinned packages and install anvil
	@# ape-vyper keys its build cache on each contract's own source, not on the modules and
	@# interfaces it imports: drop the cache whenever any contract file is newer than it.
	@if [ -f .build/__local__.json ] && [ -n "$$(find contracts -newer .build/__local__.json -print -quit)" ]; then \
		echo "contracts changed since the last ape build: removing .build"; rm -rf .build; fi

# --- quality ------------------------------------------------------------------

# The titanoboa half runs on JOBS processes (pytest-xdist; every test is independent).
JOBS ?= 2

test: setup  ## run the whole test suite (unit on titanoboa, integration on anvil)
	$(VENV)/bin/python -m pytest -p no:ape_test -n $(JOBS) tests/unit tests/fuzz
	$(VENV)/bin/ape test tests/integration --network ethereum:local:foundry

test-unit: setup  ## only the titanoboa unit tests (JOBS=n processes, default 2)
	$(VENV)/bin/python -m pytest -p no:ape_test -n $(JOBS) tests/unit tests/fuzz

test-integration: setup  ## only the Ape + anvil integration tests
	$(VENV)/bin/ape test tests/integration --network ethereum:local:foundry

bench: setup  ## gas, accuracy and throughput figures -> reports/bench.json
	$(VENV)/bin/python -m ringfence.bench $(SECTIONS)

backtest: setup  ## margin backtest -> reports/backtest (QUICK=1 for a small run; ARGS="--params ...")
	$(VENV)/bin/python -m ringfence.tools.backtest $(if $(QUICK),--quick) $(ARGS)

lint: setup  ## ruff check + ruff format --check + import layers (Python), mamushi --check + NatSpec (Vyper)
	$(VENV)/bin/ruff check $(PY_SOURCES)
	$(VENV)/bin/ruff format --check $(PY_SOURCES)
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mamushi --check $(VY_SOURCES)
	$(VENV)/bin/python scripts/check_natspec.py $(VY_SOURCES)

format: setup  ## rewrite Python and Vyper sources in the house style
	$(VENV)/bin/ruff check --fix $(PY_SOURCES)
	$(VENV)/bin/ruff format $(PY_SOURCES)
	$(VENV)/bin/mamushi $(VY_SOURCES)

FUZZ_EVM = $(if $(EVM),--evm $(EVM))

fuzz: setup  ## bounded invariant campaign (a few minutes; EVM=pyevm for titanoboa's py-evm)
	RINGFENCE_FUZZ_EVM=$(or $(EVM),revm) $(VENV)/bin/python -m pytest -p no:ape_test tests/fuzz -q
	$(VENV)/bin/ringfence-fuzz --steps 200000 --seconds 240 --seed $(or $(SEED),0) $(FUZZ_EVM)

fuzz-long: setup  ## long campaign within SECONDS: make fuzz-long STEPS=... SECONDS=... SEED=... [PARAMS=deploy/x.yaml] [EVM=pyevm]
	$(VENV)/bin/ringfence-fuzz --steps $(or $(STEPS),1000000) --seconds $(or $(SECONDS),3600) --seed $(or $(SEED),0) $(if $(PARAMS),--params $(PARAMS)) $(FUZZ_EVM)

fuzz-bs: setup  ## Black-Scholes properties at depth (100,000 examples each; not time-bounded)
	HYPOTHESIS_PROFILE=long $(VENV)/bin/python -m pytest -p no:ape_test tests/fuzz/test_fuzz_black_scholes.py -q

# --- demo -----------------------------------------------------------------------

SCENARIO ?= crash

demo: setup  ## whole stack on a local anvil through a market scenario (SCENARIO=crash|vol-spike|bleed-to-expiry|gap)
	$(VENV)/bin/python -m ringfence.demo --scenario $(SCENARIO)

# --- local chain ----------------------------------------------------------------

node: $(NODE_STAMP)  ## anvil on 127.0.0.1:8545 in the foreground (Ctrl-C stops it)
	anvil --host 127.0.0.1 --port 8545

clean:  ## remove the environment, node modules, build output and reports
	rm -rf $(VENV) node_modules .build reports .pytest_cache .hypothesis .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
