# The two commands of the quick start: `make run` and `make test`.
# Each installs what is missing first (Poetry in .tools/, the app in .venv/) and does
# nothing extra when it is already there.

PYTHON ?= python3
TOOLS := .tools
VENV := .venv
POETRY := $(TOOLS)/bin/poetry
POETRY_VERSION := 2.5.1
MIRROR_PLUGIN_VERSION := 0.6.5

# Poetry asks the same package index that pip uses (computed, never written down).
export POETRY_VIRTUALENVS_IN_PROJECT := true
export POETRY_PYPI_MIRROR_URL ?= $(shell $(PYTHON) -c 'from pip._internal.models.index import PyPI; print(PyPI.simple_url)' 2>/dev/null)

.PHONY: run migrate test test-fast bench bench-scale soak wrk install lock lint clean

# `make run WORKERS=4 PORT=9000 DATABASE_URL=...` passes these on to the service's settings.
export HOST PORT WORKERS DATABASE_URL

run: $(VENV)/.installed migrate
	$(VENV)/bin/python manage.py serve

migrate: $(VENV)/.installed
	$(VENV)/bin/python manage.py migrate

test: $(VENV)/.installed
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# `make test-fast`: everything but the tests marked slow (real server processes, kill -9,
# schemathesis, the broker, the race storm), on SQLite only: the loop while coding.
test-fast: $(VENV)/.installed
	TEST_DATABASE_URL= TEST_NATS_URL= $(VENV)/bin/pytest -m "not slow" $(PYTEST_ARGS)

# Benchmarks need PostgreSQL: BENCH_DATABASE_URL (default: the local server's "test" database).
BENCH_DATABASE_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/test
export BENCH_DATABASE_URL

# `make bench`: the HTTP benchmark (bench/http_bench.py, written to bench-results/http.md;
# sizes and durations from BENCH_* variables, see its docstring), then the outbox one.
# `make soak`: only the soak test (BENCH_SOAK_SECONDS, default 600), to bench-results/soak.md.
bench: $(VENV)/.installed wrk
	$(VENV)/bin/python -m bench.http_bench
	$(VENV)/bin/python -m bench.outbox

# `make bench-scale`: read latency at 10k and 1M books (BENCH_SCALE_BOOKS), to bench-results/scale.md;
# then an author of 10,000 books against one of 3 (bench/prolific.py), to bench-results/prolific.md.
bench-scale: $(VENV)/.installed wrk
	$(VENV)/bin/python -m bench.scale
	$(VENV)/bin/python -m bench.prolific

soak: $(VENV)/.installed wrk
	BENCH_SOAK_SECONDS=$${BENCH_SOAK_SECONDS:-600} $(VENV)/bin/python -m bench.http_bench --soak

# The load generator (Debian package `wrk`): installed when missing if make runs as root.
wrk:
	@command -v wrk >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get install -y wrk || { apt-get update && apt-get install -y wrk; }; \
	  else \
	    echo "wrk is missing: install it (apt-get install wrk, or brew install wrk)" >&2; \
	    exit 2; \
	  fi; }

install: $(VENV)/.installed

# `make lint`: the type checker, the architecture's import contracts, the linter and formatter.
lint: $(VENV)/.installed
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

lock: $(POETRY)
	$(POETRY) lock

$(POETRY):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check \
		"poetry==$(POETRY_VERSION)" "poetry-plugin-pypi-mirror==$(MIRROR_PLUGIN_VERSION)"

$(VENV)/.installed: pyproject.toml poetry.lock | $(POETRY)
	$(POETRY) install --no-root --no-interaction
	@touch $@

clean:
	rm -rf $(TOOLS) $(VENV) .pytest_cache
