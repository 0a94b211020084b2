# The two commands of this project: `make run` (the whole system locally) and `make test`.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PYTHON ?= python3

# The browser test's tools live outside the checkout: Debian's Chromium (apt) and axe-core (npm).
AXE_VERSION := 4.14.1
AXE_DIR ?= $(HOME)/.cache/watchtower/axe-core-$(AXE_VERSION)
AXE_JS := $(AXE_DIR)/node_modules/axe-core/axe.min.js
BROWSER_STAMP := $(VENV)/.browser-stamp

.PHONY: run test test-browser screenshots lint bench install clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(PY) -m local

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/cfn-lint infra/template.yaml

test: lint
	$(VENV)/bin/pytest -n 2 --dist loadfile --ignore=tests/browser

$(BROWSER_STAMP): $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev,browser]'
	touch $(BROWSER_STAMP)

$(AXE_JS):
	npm install --silent --no-audit --no-fund --prefix $(AXE_DIR) axe-core@$(AXE_VERSION)

# The web pages in headless Chromium (selenium), with axe-core on every page.
test-browser: $(BROWSER_STAMP) $(AXE_JS)
	command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
		(apt-get update -qq && apt-get install -y -qq chromium chromium-driver)
	AXE_CORE_JS=$(AXE_JS) $(VENV)/bin/pytest tests/browser -p no:xdist

# The README's pictures of the pages, taken by the browser test.
screenshots:
	WEB_SCREENSHOTS=docs $(MAKE) test-browser

bench: install
	@for script in bench/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
