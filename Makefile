# Proativo — every command a developer or CI needs. Each target builds .venv itself when it is missing.
SHELL := /bin/bash
# The first Python 3.13 that really runs (a pyenv shim may exist without the version being active).
PYTHON_313 := $(shell for c in python3.13 $$(ls -d /root/.pyenv/versions/3.13*/bin/python3.13 $$HOME/.pyenv/versions/3.13*/bin/python3.13 /usr/local/bin/python3.13 /usr/bin/python3.13 2>/dev/null); do "$$c" -c 'import sys; assert sys.version_info[:2] == (3, 13)' >/dev/null 2>&1 && { command -v "$$c"; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
# checkov pins its own boto3 (older than ours): it lives in a virtualenv of its own.
CHECKOV_VENV := .venv-checkov
CHECKOV_VERSION := 3.3.30
PORT ?= 3000
export AWS_DEFAULT_REGION ?= us-east-1
export AWS_ACCESS_KEY_ID ?= local
export AWS_SECRET_ACCESS_KEY ?= local
export SAM_CLI_TELEMETRY := 0
# sam build looks for python3.13 on PATH; give it ours.
export PATH := $(abspath $(BIN)):$(dir $(PYTHON_313)):$(PATH)

.PHONY: help venv browser test lint checkov demo serve post invoke bench validate build events clean

help:
	@echo "make demo | test | serve [PORT=3000] | post EVENT=<events/...json> | invoke FN=<function> EVENT=<events/...json> | bench | validate | build | events"

$(BIN)/.installed: pyproject.toml layers/shared/requirements.txt
	@test -n "$(PYTHON_313)" || { echo "Python 3.13 not found: install it (e.g. pyenv install 3.13) and retry" >&2; exit 1; }
	$(PYTHON_313) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

venv: $(BIN)/.installed

$(CHECKOV_VENV)/bin/.installed: Makefile
	@test -n "$(PYTHON_313)" || { echo "Python 3.13 not found: install it (e.g. pyenv install 3.13) and retry" >&2; exit 1; }
	$(PYTHON_313) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/pip install --quiet checkov==$(CHECKOV_VERSION)
	@touch $@

# Every finding is fixed in template.yaml or skipped there, on its resource, with the reason (Metadata: checkov).
# Offline: nothing is downloaded from any platform of checkov's vendor.
checkov: $(CHECKOV_VENV)/bin/.installed
	$(CHECKOV_VENV)/bin/checkov --file template.yaml --framework cloudformation --skip-download --compact --quiet

lint: venv checkov
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/cfn-lint template.yaml

# The report page is tested in a real headless Chromium, Debian's package (Playwright drives it; its own browser
# download needs the internet). Installed here when the machine allows it; elsewhere that one test says it skipped.
browser:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || command -v google-chrome >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Chromium (Debian package) for the report page's browser test"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Chromium not found and not installable here: the browser test will skip (install chromium to run it)"; fi; }

test: lint browser
	$(BIN)/pytest -n auto

demo: venv
	$(BIN)/python -m infra.local demo --out demo-output

serve: venv
	$(BIN)/python -m infra.local serve --port $(PORT) $(if $(START),--start $(START))

invoke: venv
	@test -n "$(FN)" -a -n "$(EVENT)" || { echo "usage: make invoke FN=<function> EVENT=<file in events/>" >&2; exit 2; }
	$(BIN)/python -m infra.local invoke $(FN) $(EVENT)

post: venv
	@test -n "$(EVENT)" || { echo "usage: make post EVENT=<file in events/> [PORT=3000]" >&2; exit 2; }
	$(BIN)/python -m infra.local post $(EVENT) --url http://127.0.0.1:$(PORT)

bench: venv
	$(BIN)/python -m bench

events: venv
	$(BIN)/python -m infra.local sign-events

validate: venv
	$(BIN)/sam validate --lint

build: venv
	$(BIN)/sam build

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) .aws-sam demo-output .mypy_cache .pytest_cache .ruff_cache
