# The two commands a newcomer needs:
#   make run    set up, then run confide on the embedded default: the demo, then the API
#   make test   set up, then run every check CI runs: ruff, mypy --strict, the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test setup browser lint typecheck pytest bench screenshots clean

run: setup
	$(BIN)/confide demo
	$(BIN)/confide serve

test: setup browser lint typecheck pytest

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "confide needs Python 3.11 or newer; set PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@touch $(STAMP)

# The browser tests drive Debian's chromium (never a downloaded browser). Installed here when
# missing and apt-get is at hand (as root, or through sudo); otherwise the browser tests say
# how to install it, and CI (CI=true) fails rather than skip them.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if ! command -v apt-get >/dev/null 2>&1; then \
	    echo "chromium not found and no apt-get: install chromium for the browser tests"; \
	  elif [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  fi; }

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

# The README's screenshots, taken from the demo practice in Debian's chromium
screenshots: setup browser
	$(BIN)/python -m tests.browser.screenshots docs/screenshots

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
