# Everything a fresh clone needs: `make run` starts the service, `make test` runs every check.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000
# Test processes: one a core (pytest-xdist, whole modules to a process so module fixtures
# are built once); JOBS=1 runs them in this process.
JOBS   ?= $(shell nproc 2>/dev/null || echo 1)
XDIST  := $(if $(filter 1,$(JOBS)),,-n $(JOBS) --dist loadfile)

.PHONY: run test test-fast lint typecheck install clean benchmark browser

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/pedall serve --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(VENV)/bin/mypy

# Debian's Chromium for the browser tests (Playwright drives it; it never downloads a browser).
browser:
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium)
	@test -f node_modules/axe-core/axe.min.js || npm ci --no-audit --no-fund  # axe-core, test-only

test: lint typecheck browser
	$(VENV)/bin/pytest $(XDIST)

# The tests not marked slow (no service, browser, worker processes, pyshacl or owlrl run):
# under a minute (README, "Two commands"). `make test` runs them all.
test-fast: $(STAMP)
	$(VENV)/bin/pytest $(XDIST) -m "not slow"

benchmark: $(STAMP)
	$(PY) -m benchmarks.run

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
