# frontdesk: one-command demo and tests on a machine with python3, pip and make.
#   make demo   install into .venv (once), migrate, seed the demo clinic, serve it
#   make test   lint (ruff, mypy, import contracts) and the whole test suite

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Lint and type-check only the folders that hold Python yet.
PY_DIRS := $(strip $(foreach d,core edge frontdesk bot ivr partners tests testkit bench migrations,$(if $(wildcard $(d)/*.py),$(d))))

# The dashboard's browser tests drive Debian's chromium; installed once, as root.
CHROMIUM := /usr/bin/chromium

.PHONY: venv demo test lint bench migrate clean distclean chromium

venv: $(STAMP)

# Reinstalled only when pyproject.toml changes (the stamp is older than it).
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -e '.[dev]'
	touch $(STAMP)

demo: venv
	$(BIN)/frontdesk demo

# The suite in one process per core (pytest-xdist); `TEST_WORKERS=0 make test` for one.
TEST_WORKERS ?= 2

test: venv lint chromium
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal

chromium: $(CHROMIUM)

$(CHROMIUM):
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy $(PY_DIRS)
	$(BIN)/lint-imports

bench: venv
	$(BIN)/python -m bench.run --backend both

migrate: venv
	$(BIN)/frontdesk migrate

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache build *.egg-info test-artifacts
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
