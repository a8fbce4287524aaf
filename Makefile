# labdb: `make run` to set up and start the app, `make test` to set up and run the tests.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
HOST ?= 127.0.0.1

.PHONY: run test lint bench chaos install dev migrate worker clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt $(VENV)/.installed
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
dev: $(VENV)/.dev-installed

migrate: install
	$(PY) manage.py migrate --noinput

## run: create the venv, install, migrate, load the demo study and serve on $(HOST):$(PORT)
run: migrate
	$(PY) manage.py demo
	@echo ""
	@echo "  labdb is starting at http://$(HOST):$(PORT)/"
	@echo "  log in as demo / demo"
	@echo ""
	$(PY) manage.py runserver $(HOST):$(PORT)

## test: create the venv, install with dev tools, run the test suite
# PYTEST_ARGS: both cores by default (pytest-xdist); PYTEST_ARGS= runs in one process
PYTEST_ARGS ?= -n 2
test: dev
	$(PY) -m pytest -p no:cacheprovider $(PYTEST_ARGS)

# bandit (docs/security.md): every finding fixed or marked `# nosec <test>: <reason>`. Skipped:
# B101 everywhere (asserts state invariants and narrow types, never guard access; nothing runs
# with python -O); in analysis/, B404/B603/B607 (it runs one fixed program, mdb-export, with an
# argument list and no shell; shell=True, B602, is still reported).
lint: dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/bandit -q -r labdb harvester --skip B101
	$(VENV)/bin/bandit -q -r analysis --skip B101,B404,B603,B607

## bench: every benchmark at full size (bench/versions.py, which compares two revisions, is a tool)
# bench/scale.py and bench/workers.py run on the PostgreSQL server of DATABASE_URL (it says so and skips without one)
BENCHMARKS ?= cycling readers eis shorts chaos api web scale workers fuzz load growing live
bench: dev
	@for b in $(BENCHMARKS); do echo "== bench/$$b.py"; $(PY) bench/$$b.py || exit 1; done

## fuzz: atheris on every reader, 60 s each (FUZZ_ARGS="--quick" for 3 s each)
.PHONY: fuzz
fuzz: dev
	$(PY) bench/fuzz.py $(FUZZ_ARGS)

## chaos: the fault scenarios (own PostgreSQL, Redis, gunicorn and workers on 127.0.0.1)
chaos: dev
	$(PY) -m pytest -p no:cacheprovider tests/chaos

## worker: a Celery worker (needs CELERY_BROKER_URL); QUEUES=ingest,fitting,exports,celery
## (comma-separated, default all) and CONCURRENCY=2 choose what and how much (docs/scale-out.md)
QUEUES ?=
CONCURRENCY ?= 2
worker: install
	$(VENV)/bin/celery -A labdb worker --loglevel=INFO --concurrency=$(CONCURRENCY) $(if $(QUEUES),-Q $(QUEUES))

clean:
	rm -rf $(VENV) var staticfiles
