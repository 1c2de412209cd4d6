# The two everyday commands are `make run` and `make test`; see README.md.
PYTHON ?= python3
VENV := .venv
# `make run` installs the runtime lock, `make test` the development lock (runtime included).
RUN_STAMP := $(VENV)/.installed-base
TEST_STAMP := $(VENV)/.installed-dev
# pip-compile runs from its own virtualenv, at a pinned version, so the lock does not depend on
# what the project's environment holds.
LOCK_TOOLS := var/lock-tools
PIP_TOOLS := pip-tools==7.6.2
# `make lock` keeps every pin that still fits the .in files; LOCK_ARGS=--upgrade moves them all,
# LOCK_ARGS="--upgrade-package NAME" one.
LOCK_ARGS ?=
PIP_COMPILE = CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_TOOLS)/bin/pip-compile --quiet \
	--generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
	--no-emit-find-links $(LOCK_ARGS)

.PHONY: run test lint format bench reset-var lock

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip

$(RUN_STAMP): requirements/base.txt | $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet --require-hashes -r requirements/base.txt
	touch $(RUN_STAMP)

$(TEST_STAMP): requirements/dev.txt | $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet --require-hashes -r requirements/dev.txt
	touch $(TEST_STAMP)

run: $(RUN_STAMP)
	$(VENV)/bin/python -m config.devstack run

test: $(TEST_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/python -m config.devstack test $(PYTEST_ARGS)

lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: $(TEST_STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Regenerates requirements/base.txt and dev.txt, with hashes, from the .in files beside them.
lock:
	test -x $(LOCK_TOOLS)/bin/pip-compile || ( $(PYTHON) -m venv $(LOCK_TOOLS) && \
		$(LOCK_TOOLS)/bin/pip install --quiet $(PIP_TOOLS) )
	$(PIP_COMPILE) --output-file requirements/base.txt requirements/base.in
	$(PIP_COMPILE) --output-file requirements/dev.txt requirements/dev.in

# One table of the desk's figures against their targets, on `make run`'s servers when they are
# up, else on its own (config/bench.py; BENCH_* variables size it).
bench: $(TEST_STAMP)
	$(VENV)/bin/python -m config.bench

reset-var:
	rm -rf var/
