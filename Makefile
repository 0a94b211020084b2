# The two commands of this project: `make run` (the whole system locally) and `make test`.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PYTHON ?= python3

.PHONY: run test test-dynamodb-local lint bench install clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
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
	$(VENV)/bin/pytest -n 2 --dist loadfile

# The integration and client suites on Amazon's DynamoDB Local (SQS stays on moto); each test
# process starts and stops its own engine. Java 17 is needed; the engine is fetched once into
# ~/.cache/watchtower.
test-dynamodb-local: install
	WATCHTOWER_DYNAMODB=dynamodb-local $(VENV)/bin/pytest -n 2 --dist loadfile tests/integration tests/clients

bench: install
	@for script in bench/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
