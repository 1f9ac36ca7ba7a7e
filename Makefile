# The two commands a newcomer needs:
#   make run    set up, then run confide on the embedded default: the demo, then the API
#   make test   set up, then run every check CI runs: ruff, mypy --strict, the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test setup lint typecheck pytest bench clean

run: setup
	$(BIN)/confide demo
	$(BIN)/confide serve

test: setup lint typecheck pytest

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "confide needs Python 3.11 or newer; set PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@touch $(STAMP)

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: setup
	$(BIN)/mypy

pytest: setup
	$(BIN)/python -m pytest -q

# The full-size benchmarks (not part of the test suite): python -m bench NAME
bench: setup
	$(BIN)/python -m bench decision
	$(BIN)/python -m bench store
	$(BIN)/python -m bench audit
	$(BIN)/python -m bench http

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
