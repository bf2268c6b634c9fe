# The two commands of the README: `make run` and `make test`. Each installs what it needs.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: compose-test lock run test test-fast bench-analytics bench-lab bench-explain bench-console bench-leak bench bench-load faults lint format install clean

$(STAMP): pyproject.toml package.json
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	npm install --no-audit --no-fund --loglevel=error
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	PATH="$(CURDIR)/node_modules/.bin:$(CURDIR)/$(BIN):$$PATH" $(BIN)/ainative up

test: $(STAMP)
	PATH="$(CURDIR)/node_modules/.bin:$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

# The research loader on 1,000,000 interactions, against pandas.read_sql (tests/bench)
bench-analytics: $(STAMP)
	PATH="$(CURDIR)/node_modules/.bin:$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m tests.bench $(BENCH_ARGS)

# The platform under a lab's load (tests/bench/lab); e.g. BENCH_ARGS="--scenario burst --env WORKER_CONCURRENCY=200"
bench-lab: $(STAMP)
	PATH="$(CURDIR)/node_modules/.bin:$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m tests.bench.lab $(BENCH_ARGS)

# The kernel's explanation of a failed cell, timed on the case set (tests/bench/explain.py)
bench-explain: $(STAMP)
	$(BIN)/python -m tests.bench.explain $(BENCH_ARGS)

# The staff console's pages for 300 students and 20,000 interactions, through the hub (tests/bench/console_pages.py)
bench-console: $(STAMP)
	PATH="$(CURDIR)/node_modules/.bin:$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m tests.bench.console_pages $(BENCH_ARGS)

# The leak scorer's cost per answer on the labelled set (tests/bench/leak_score.py)
bench-leak: $(STAMP)
	$(BIN)/python -m tests.bench.leak_score $(BENCH_ARGS)

# The old names of the two benchmarks.
bench:
	@echo "make bench is now: make bench-analytics" >&2
	@$(MAKE) --no-print-directory bench-analytics

bench-load:
	@echo "make bench-load is now: make bench-lab" >&2
	@$(MAKE) --no-print-directory bench-lab

# Every fault scenario in full (tests/faults) and its table; then the full fuzzing run when
# tests/integration/test_schemathesis.py exists. `make test` runs one short variant per family.
faults: $(STAMP)
	PATH="$(CURDIR)/node_modules/.bin:$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m tests.faults $(FAULTS_ARGS); \
	status=$$?; \
	if [ -f tests/integration/test_schemathesis.py ]; then \
		FUZZ_FULL=1 $(BIN)/python -m pytest tests/integration/test_schemathesis.py || status=1; \
	fi; \
	exit $$status

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The images' pinned dependencies (deploy/requirements/*.lock, Python 3.11 on Linux x86_64),
# resolved by uv (the dev extra) from pyproject.toml; run it after changing a dependency.
# Pins already in a lock are kept; LOCK_ARGS=--upgrade moves every pin to the newest allowed.
LOCK := $(BIN)/uv pip compile pyproject.toml --quiet --python-version 3.11 \
	--python-platform x86_64-manylinux_2_28 --generate-hashes $(LOCK_ARGS)
lock: $(STAMP)
	$(LOCK) --extra api --extra worker --extra flower --extra console -o deploy/requirements/platform.lock
	$(LOCK) --extra hub --extra notebook --extra deploy -o deploy/requirements/hub.lock

clean:
	rm -rf $(VENV) node_modules .data tests/output

# The whole stack in containers on this machine, checked through nginx (deploy/compose-test).
# Installs Docker from Debian when missing; needs root. Build logs: tests/output/compose/.
compose-test:
	bash deploy/compose-test/run.sh
