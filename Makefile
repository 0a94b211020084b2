# The two commands of this project: `make run` (the whole system locally) and `make test`.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PYTHON ?= python3

.PHONY: run test test-dynamodb-local test-browser screenshots lint bench install clean lock template package check-deploy
# Downloads, installed layers and the SAM CLI live outside the checkout, so reruns (and CI) reuse them.
export WATCHTOWER_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/watchtower
SAM_VERSION := 1.170.0
SAM := $(WATCHTOWER_CACHE)/deploy/sam-$(SAM_VERSION)/bin/sam
export SAM_CLI_TELEMETRY := 0
# The browser test's tools live outside the checkout: Debian's Chromium (apt) and axe-core (npm).
AXE_VERSION := 4.14.1
AXE_DIR ?= $(WATCHTOWER_CACHE)/axe-core-$(AXE_VERSION)
AXE_JS := $(AXE_DIR)/node_modules/axe-core/axe.min.js

PIP := $(PY) -m pip --disable-pip-version-check
DEV_LOCK := infra/requirements-dev.lock

# The development environment is exactly the lock (`make lock` refreshes it), so every machine
# installs what CI tested; `pip check` fails when the lock lacks something this platform needs.
$(STAMP): pyproject.toml $(DEV_LOCK)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --no-deps -r $(DEV_LOCK)
	$(PIP) install --quiet --no-deps --no-build-isolation -e .
	$(PIP) check
	touch $(STAMP)

install: $(STAMP)

# Data is kept in .local/data between runs; `make run FRESH=1` starts empty.
run: install
	FRESH=$(FRESH) $(PY) -m local

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/cfn-lint infra/template.yaml

test: lint
	$(VENV)/bin/pytest -n 2 --dist loadfile --ignore=tests/browser

$(AXE_JS):
	npm install --silent --no-audit --no-fund --prefix $(AXE_DIR) axe-core@$(AXE_VERSION)

# The web pages in headless Chromium (selenium), with axe-core on every page.
test-browser: install $(AXE_JS)
	command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
		(apt-get update -qq && apt-get install -y -qq chromium chromium-driver)
	AXE_CORE_JS=$(AXE_JS) $(VENV)/bin/pytest tests/browser -p no:xdist

# The README's pictures of the pages, taken by the browser test.
screenshots:
	WEB_SCREENSHOTS=docs $(MAKE) test-browser

# The integration and client suites on Amazon's DynamoDB Local (SQS stays on moto); each test
# process starts and stops its own engine. Java 17 is needed; the engine is fetched once into
# ~/.cache/watchtower.
test-dynamodb-local: install
	WATCHTOWER_DYNAMODB=dynamodb-local $(VENV)/bin/pytest -n 2 --dist loadfile tests/integration tests/clients

# Pin [project.dependencies] for the template's runtime and architecture (infra/requirements.lock),
# then the development environment for this machine's Python (infra/requirements-dev.lock).
lock: install
	$(PY) -m infra.package lock

# Write infra/template.yaml from infra/template.src.yaml and infra/access.yaml (policies, route twins,
# alarms); a test fails when the committed template is not current.
template: install
	$(PY) -m infra.template

# Build the dependencies layer and one zip per function into build/ (the template's CodeUri/ContentUri).
package: install
	$(PY) -m infra.package build

$(SAM):
	$(PYTHON) -m venv $(dir $(SAM))..
	$(dir $(SAM))pip install --quiet --disable-pip-version-check aws-sam-cli==$(SAM_VERSION)

# What deploying needs beyond `make test`: SAM's own validation and the built artifacts checked.
check-deploy: package $(SAM)
	$(SAM) validate --lint -t infra/template.yaml
	$(VENV)/bin/pytest tests/artifact tests/unit/test_dependency_lock.py
	$(PY) -m infra.upload_check $(SAM)

bench: install
	@for script in bench/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
