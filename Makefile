# helpdesk: the verbs a newcomer needs. `make run` and `make test` set everything up.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PORT ?= 3000
VENV := .venv
PY := $(VENV)/bin/python
TOOLS := .venv-tools
CHECKOV := .venv-checkov
SAM := .venv-sam
# the stack and its nested stacks (docs/design.md, "The 500-resource limit")
TEMPLATES := template.yaml $(sort $(wildcard stacks/*.yaml))
UV_VERSION := 0.13.8
export UV_PYTHON_DOWNLOADS := never
export PYTHONPATH := layers/shared:.
export AWS_DEFAULT_REGION ?= us-east-1
export SAM_CLI_TELEMETRY := 0

# The newest Python >= 3.11 on PATH (a pyenv shim that cannot run is skipped).
BASE_PY := $(shell for p in python3.13 python3.12 python3.11 python3; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; \
	then command -v $$p; break; fi; done)

.PHONY: help install tools run token outbox mail-in test lint typecheck events openapi openapi-check bench clean

help:
	@echo "make run     serve the API on http://127.0.0.1:$(PORT) (embedded moto backend)"
	@echo "make test    install, ruff, mypy, pytest"
	@echo "make token   USER=alice ROLE=agent ORG=acme: mint a local bearer token"
	@echo "make outbox  the latest mail the running runner captured (N=5: the last five)"
	@echo "make mail-in FILE=x.eml: mail a raw message to the running runner (as SES receives it)"
	@echo "make lint    ruff, mypy, cfn-lint (expanded template), sam validate --lint"
	@echo "make openapi regenerate docs/openapi.json (make openapi-check: fail if stale)"
	@echo "make bench   cold starts, warm overhead, round trips, scale; results in docs/benchmarks.md"

$(VENV)/.installed: requirements/dev.txt layers/shared/requirements.txt
	@test -n "$(BASE_PY)" || { echo "error: no Python >= 3.11 found on PATH"; exit 1; }
	@echo "make: using $(BASE_PY) ($$($(BASE_PY) --version 2>&1))"
	@test -x $(PY) || $(BASE_PY) -m venv $(VENV)
	@$(VENV)/bin/pip install -q --disable-pip-version-check uv==$(UV_VERSION) >/dev/null 2>&1 || true
	@if [ -x $(VENV)/bin/uv ]; then \
		$(VENV)/bin/uv pip install -q -p $(PY) -r requirements/dev.txt; \
	else \
		echo "make: uv unavailable, falling back to pip"; \
		$(VENV)/bin/pip install -q -r requirements/dev.txt; \
	fi
	@touch $@

install: $(VENV)/.installed

run: install
	$(PY) -m local.runner --port $(PORT)

USER ?= alice
ROLE ?= customer
ORG ?=
token: install
	@$(PY) -m local.devauth --user "$(USER)" --role "$(ROLE)" $(if $(ORG),--org "$(ORG)")

N ?= 1
outbox: install
	@$(PY) -m local.outbox --port $(PORT) -n $(N)

FILE ?=
mail-in: install
	@test -n "$(FILE)" || { echo "usage: make mail-in FILE=message.eml (e.g. tests/fixtures/mail/new_message.eml)"; exit 2; }
	@$(PY) -m local.mail_in --port $(PORT) "$(FILE)"

typecheck: install
	$(PY) -m mypy layers/shared/helpdesk functions local tests bench

# The template linters and the OpenAPI client generator (tests/contract/test_generated_client.py)
# live in their own venv (aws-sam-translator pins an older pydantic).
$(TOOLS)/.installed: requirements/tools.txt | $(VENV)/.installed
	@test -x $(TOOLS)/bin/python || $(BASE_PY) -m venv $(TOOLS)
	@$(VENV)/bin/uv pip install -q -p $(TOOLS)/bin/python -r requirements/tools.txt 2>/dev/null || \
		$(TOOLS)/bin/pip install -q -r requirements/tools.txt
	@touch $@

# checkov, the IaC scanner, in a third venv (it pins an older boto3).
$(CHECKOV)/.installed: requirements/checkov.txt | $(VENV)/.installed
	@test -x $(CHECKOV)/bin/python || $(BASE_PY) -m venv $(CHECKOV)
	@$(VENV)/bin/uv pip install -q -p $(CHECKOV)/bin/python -r requirements/checkov.txt 2>/dev/null || \
		$(CHECKOV)/bin/pip install -q -r requirements/checkov.txt
	@touch $@

tools: $(TOOLS)/.installed $(CHECKOV)/.installed

# SAM CLI (for `sam validate --lint` and `sam build`), optional, also apart.
$(SAM)/.installed:
	@test -x $(SAM)/bin/python || $(BASE_PY) -m venv $(SAM)
	@$(VENV)/bin/uv pip install -q -p $(SAM)/bin/python aws-sam-cli==1.170.0 && touch $@ || \
		echo "make: aws-sam-cli could not be installed; sam validate skipped"

CHROMIUM ?= /usr/bin/chromium

test: install tools
	$(PY) -m ruff check .
	$(PY) -m mypy layers/shared/helpdesk functions local tests bench
	@if [ -x "$(CHROMIUM)" ]; then echo "make: browser tests run in $(CHROMIUM)"; \
		else echo "make: SKIPPING the browser tests (tests/browser): no Chromium at $(CHROMIUM); apt-get install -y chromium"; fi
	$(PY) -m pytest -n 2 --dist loadgroup -q

lint: install tools $(SAM)/.installed
	$(PY) -m ruff check .
	$(PY) -m mypy layers/shared/helpdesk functions local tests bench
	$(TOOLS)/bin/python -m local.lint_template
	$(CHECKOV)/bin/checkov $(foreach t,$(TEMPLATES),-f $(t)) --config-file .checkov.yaml
	@if [ -x $(SAM)/bin/sam ]; then for t in $(TEMPLATES); do \
		$(SAM)/bin/sam validate --lint --template $$t || exit 1; done; \
		else echo "sam validate skipped (SAM CLI missing)"; fi

events: install
	$(PY) -m local.events

openapi: install
	$(PY) -m local.openapi

openapi-check: install
	$(PY) -m local.openapi --check

bench: install
	$(PY) -m bench.run

clean:
	rm -rf $(VENV) $(TOOLS) $(CHECKOV) $(SAM) .venv-runtime .aws-sam .local .pytest_cache .mypy_cache .ruff_cache
