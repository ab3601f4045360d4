# The single entrypoint (house style 22). `make demo` runs the main job, `make test` the suite.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SEED ?= 42
PER_REGION ?= 40

.PHONY: install infra-up infra-down migrate seed up down demo test unit e2e-docker lint fmt compose-check bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

infra-up:
	bash deploy/local/infra.sh up

infra-down:
	bash deploy/local/infra.sh down

migrate: install infra-up
	$(PY) -m services.national_hub migrate
	$(PY) -m services.insured_region migrate
	$(PY) -m services.treating_region migrate

seed: migrate
	$(PY) -m services.insured_region seed --seed $(SEED) --per-region $(PER_REGION)

up: seed
	bash deploy/local/services.sh up

down:
	bash deploy/local/services.sh down

DEMO_CARES ?= 2000

demo: install infra-up
	DEMO_CARES=$(DEMO_CARES) SEED=$(SEED) PER_REGION=$(PER_REGION) bash deploy/local/demo.sh

# the local suite, then the end-to-end suite again against the compose deployment in containers
test: install infra-up
	$(PY) -m pytest
	$(MAKE) e2e-docker

# builds the images (base images offline from Debian's packages), brings the compose stack up on
# ports away from the local suite's, runs `pytest -m e2e` against it, tears it all down
e2e-docker: install
	PY=$(PY) bash deploy/docker/e2e.sh

unit: install
	$(PY) -m pytest -m "not integration and not e2e"

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

fmt: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

compose-check: install
	PY=$(PY) bash deploy/local/compose_check.sh

bench: install infra-up
	$(PY) -m bench

clean:
	rm -rf .run .pytest_cache .mypy_cache .ruff_cache
