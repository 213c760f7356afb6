# Two commands set everything up on a fresh machine: `make run` and `make test`.
# Everything else is installed here, pinned: uv from PyPI, then the locked environment from uv.lock.

PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
STAMP := $(VENV)/.synced
# `make run` gets an environment of its own with only what running needs: the runtime dependencies and the
# `local` extra (the emulator, the front, the console); no dev, infra or ml group.
RUN_VENV := .venv-run
RUN_STAMP := $(RUN_VENV)/.synced

# uv may only use the interpreter that is already here; there is no network for Python downloads.
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))
# jsii (behind aws-cdk-lib) nags about the Node.js version on every synth.
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1

STAGE ?= dev
CDK := infra/node_modules/.bin/cdk
# The CDK CLI and a supported Node.js (22) come from npm, pinned in infra/package-lock.json.
CDK_ENV := PATH="$(abspath infra/node_modules/.bin):$$PATH" CDK_DISABLE_CLI_TELEMETRY=true

# Where the public labelled datasets are (never copied into the repository).
DATA ?= ../shared/data

.PHONY: run test lint typecheck unit functional contract e2e infra bench train eval package synth diff deploy destroy \
	sizes clean help soak mutate keys smoke bootstrap web browser screenshots audit

# The command center (web/): built with Vite from npm packages pinned in web/package-lock.json into
# services/respond/static, which respond serves. The browser tests drive Debian's Chromium (never a downloaded one).
WEB_BUILT := services/respond/static/index.html
WEB_DEPS := web/node_modules/.package-lock.json
WEB_SOURCES := $(shell find web/src -type f 2>/dev/null) web/index.html web/wall.html web/vite.config.ts web/tsconfig.json
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

help:
	@echo "make run    install what is needed and start the local stack (hark up)"
	@echo "make test   install what is needed and run lint, type checks and the offline suite"
	@echo "make bench  run the benchmarks (not part of make test)"
	@echo "make soak   SOAK_COUNT deliveries (10000) at SOAK_RATE a second (5) through make run's stack; docs/reliability.md"
	@echo "make eval   score the local analyzer on the public datasets (DATA=../shared/data), write docs/evaluation.md"
	@echo "make train  retrain the local analyzer's models from the public datasets into services/classify/models"
	@echo "make mutate plant each listed bug (tools/mutants.py) in a scratch copy and check the tests notice"
	@echo "make audit  pip-audit over the locked dependencies, where a vulnerability database is reachable"
	@echo "make fuzz   the property-based and schemathesis suites with many more examples (not part of make test)"
	@echo "make package  build the Lambda packages without Docker (cached in build/lambda), print their sizes"
	@echo "make synth  synthesise the CloudFormation template (STAGE=dev), cfn-lint it"
	@echo "make diff / deploy / destroy  compare with, deploy to, or delete the stack in your AWS account"
	@echo "             (STAGE=dev, ALARM_EMAIL=you@example.com; credentials from the usual AWS variables or profile)"
	@echo "make bootstrap  once per AWS account and region, before the first deploy"
	@echo "make keys   register the secret's API keys with API Gateway's usage plans (STAGE=..., DRY_RUN=1)"
	@echo "make smoke URL=<ApiUrl>  send a signed test delivery and follow it to its task (docs/deployment.md)"
	@echo "make sizes  measure the run and test environments"
	@echo "make web    build the command center (web/) into services/respond/static"
	@echo "make browser  run only the browser tests (headless Chromium); make screenshots refreshes docs/images/"

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# The test environment: runtime, the `local` extra and the default groups (dev, infra).
$(STAMP): pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --extra local --python $(PYTHON)
	@touch $@

$(RUN_STAMP): pyproject.toml uv.lock | $(UV)
	UV_PROJECT_ENVIRONMENT=$(abspath $(RUN_VENV)) $(UV) sync --frozen --no-default-groups --extra local \
		--python $(PYTHON)
	@touch $@

run: $(RUN_STAMP) $(WEB_BUILT)
	$(RUN_VENV)/bin/hark up

$(WEB_DEPS): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	@touch $@

$(WEB_BUILT): $(WEB_DEPS) $(WEB_SOURCES)
	cd web && npx tsc --noEmit -p . && npx vite build --logLevel warn

web: $(WEB_BUILT)

$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core

browser: $(STAMP) $(WEB_BUILT) $(CHROMIUM)
	$(VENV)/bin/pytest tests/browser

# The README's tour: screenshots of the main views on a local stack with the demo stream (not part of make test).
screenshots: $(STAMP) $(WEB_BUILT) $(CHROMIUM)
	$(VENV)/bin/python -m tests.browser.screenshots docs/images

# bandit over the code that ships or runs the stack (tests are not scanned); its skips are in pyproject.toml and
# each line it would flag says why not. Its notes on stderr ("nosec encountered") are shown only when it fails.
BANDIT_DIRS := services shared devstack infra tools

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/bandit -q -c pyproject.toml -r $(BANDIT_DIRS) 2>$(VENV)/bandit.log || { cat $(VENV)/bandit.log >&2; exit 1; }

# pip-audit over every locked dependency where a vulnerability database answers; says so and exits 0 where none
# does (these build machines reach a package index only). Not part of make test.
audit: $(STAMP)
	$(VENV)/bin/python -m tools.audit

typecheck: $(STAMP) $(WEB_DEPS)
	$(VENV)/bin/mypy
	cd web && npx tsc --noEmit -p .

test: lint typecheck $(WEB_BUILT) $(CHROMIUM)
	$(VENV)/bin/pytest

unit functional contract e2e infra: $(STAMP)
	$(VENV)/bin/pytest tests/$@

$(CDK): infra/package.json infra/package-lock.json
	cd infra && npm ci --no-audit --no-fund
	@touch $@

# Lambda packages: the locked runtime dependencies as manylinux wheels for the functions' architecture (no
# Docker), cached by the lock's hash; the code of each service on its own.
package: $(STAMP) $(WEB_BUILT)
	$(VENV)/bin/python -m infra.package --uv $(UV)

ALARM_EMAIL ?=
CDK_ARGS := --no-notices -c stage=$(STAGE) $(if $(ALARM_EMAIL),--parameters AlarmEmail=$(ALARM_EMAIL))

synth: package $(CDK)
	$(CDK_ENV) cdk synth --no-notices --quiet -c stage=$(STAGE) --output cdk.out
	$(VENV)/bin/cfn-lint cdk.out/Hark-$(STAGE).template.json

# Once per account and region: the staging bucket and roles `cdk deploy` uses.
bootstrap: $(STAMP) $(CDK)
	$(CDK_ENV) cdk bootstrap --no-notices

diff: package $(CDK)
	$(CDK_ENV) cdk diff --no-notices -c stage=$(STAGE)

# Deploys, writes the stack outputs (ApiUrl, SecretName, ...) to cdk.out/outputs-<stage>.json, then registers the
# secret's API keys with API Gateway (hark keys sync).
deploy: package $(CDK)
	$(CDK_ENV) cdk deploy $(CDK_ARGS) --require-approval broadening --outputs-file cdk.out/outputs-$(STAGE).json
	$(VENV)/bin/hark keys sync --stage $(STAGE)
	@echo "Next: make smoke URL=$$($(VENV)/bin/python -c 'import json,sys; d=json.load(open(sys.argv[1])); print(next(iter(d.values()))["ApiUrl"])' cdk.out/outputs-$(STAGE).json)"

# The secret's API keys onto API Gateway's usage plans (after editing the secret); DRY_RUN=1 changes nothing.
keys: $(STAMP)
	$(VENV)/bin/hark keys sync --stage $(STAGE) $(if $(DRY_RUN),--dry-run)

# After a deploy: a signed test delivery followed to its task. URL is the ApiUrl output (or hark up's address);
# KEY and SECRET default to what the stack's secret holds; PLATFORM=github signs as GitHub.
URL ?=
PLATFORM ?= generic
smoke: $(STAMP)
	@test -n "$(URL)" || { echo "usage: make smoke URL=<the stack's ApiUrl output> [STAGE=...] [PLATFORM=github]"; exit 2; }
	$(VENV)/bin/hark smoke --url "$(URL)" --platform $(PLATFORM) \
		$(if $(filter command line environment,$(origin STAGE)),--stage $(STAGE)) \
		$(if $(KEY),--key "$(KEY)") $(if $(SECRET),--secret "$(SECRET)")

destroy: $(STAMP) $(CDK)
	$(CDK_ENV) cdk destroy --no-notices -c stage=$(STAGE)

sizes: $(STAMP) $(RUN_STAMP)
	du -sh $(RUN_VENV) $(VENV)

# Bounded: every part has its own count and time limits, and the whole run (one process group) at most 30 min.
bench: $(STAMP)
	timeout --kill-after=10 1800 $(VENV)/bin/python -m bench

# A bounded stream through the stack `make run` starts (its own process): mixed platforms, 5 % redeliveries, 1 %
# hostile; lost, duplicated, webhook-to-task latency, peak memory; docs/reliability.md gets the numbers.
SOAK_COUNT ?= 10000
SOAK_RATE ?= 5
soak: $(STAMP) $(RUN_STAMP)
	SOAK_HARK=$(RUN_VENV)/bin/hark timeout --kill-after=30 7200 $(VENV)/bin/python -m bench.soak \
		--count $(SOAK_COUNT) --rate $(SOAK_RATE)

mutate: $(STAMP)
	$(VENV)/bin/python -m tools.mutate

# The hostile-input suites with many more examples than make test runs (hypothesis' `fuzz` profile: 600 per
# property and platform; schemathesis' coverage phase and 100 examples per operation). Tens of minutes.
fuzz: $(STAMP)
	$(VENV)/bin/pytest --hypothesis-profile=fuzz tests/unit/test_fuzz_webhooks.py tests/e2e/test_api_schema.py

# The ml group is added to the test environment on demand (`uv run` does not remove what is not in the group).
train: $(STAMP)
	$(UV) run --frozen --extra local --group ml python -m ml.train --data $(DATA)

eval: $(STAMP)
	$(UV) run --frozen --extra local --group ml python -m ml.evaluate --data $(DATA)

clean:
	rm -rf $(VENV) $(RUN_VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache .hark cdk.out build infra/node_modules \
		web/node_modules services/respond/static
