# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DB ?= data/partnership.duckdb
PORT ?= 8501
# Local mode (no sign-in configured) serves this machine only; another address needs sign-in (docs/access.md).
ADDRESS ?= 127.0.0.1

.PHONY: setup run load-sample test test-slow test-e2e test-all browser bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Loads the committed synthetic extracts only when the database does not exist yet.
load-sample: setup
	@test -f $(DB) || $(PY) -m pipelines load --db $(DB) sample_data/*.csv

run: load-sample
	PM_DB=$(DB) $(PY) -m dashboard.serve --server.port $(PORT) --server.address $(ADDRESS) --server.headless true

# Browser tests use Debian's chromium (never a downloaded browser build) and axe-core from the npm
# registry (package-lock.json pins it), which they inject into every page to check WCAG 2.1 AA.
AXE := node_modules/axe-core/axe.min.js

browser: $(AXE)
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium missing: sudo apt-get install chromium"; exit 1; fi; }

$(AXE): package.json $(wildcard package-lock.json)
	@command -v npm >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null; \
	  else echo "npm missing: sudo apt-get install nodejs npm"; exit 1; fi; }
	if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
	touch $@

# Three tiers (pyproject's markers): `make test` is the fast one, run all the time (under 10 minutes);
# the slow tier (long crash-safety, attacks on larger extracts) and the browser tier run in CI (.ci/run).
# The first two use every core (pytest-xdist; the slow tier a file per worker, so each file's costly
# fixtures are built once); the browser tier runs one test at a time. --durations keeps the slowest
# tests in sight in every run.
PYTEST := $(PY) -m pytest -q --durations=15

test: setup
	$(PYTEST) -n auto -m "not slow and not e2e"

test-slow: setup
	$(PYTEST) -n auto --dist loadfile -m "slow and not e2e"

test-e2e: setup browser
	$(PYTEST) -m e2e

test-all: test test-slow test-e2e

bench: setup
	$(PY) -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) data tests/artifacts bench/data
