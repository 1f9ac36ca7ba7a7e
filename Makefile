# The two commands a newcomer needs:
#   make run    set up, then run confide on the embedded default: the demo, then the API
#   make test   set up, then run every check CI runs: ruff, mypy --strict, bandit, semgrep,
#               the test suite, and beside it the fuzzers and the web scanner
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test setup browser lint typecheck pytest bench screenshots clean scan fuzz webscan attacks

run: setup
	$(BIN)/confide demo
	$(BIN)/confide serve

# The test suite uses one core; the fuzzers and the web scanner run beside it on the other.
# Their report (kept in .attacks.log meanwhile) follows the tests'; either failing fails.
test: setup browser lint typecheck scan
	@echo "the fuzzers and the web scanner run beside the tests; their report follows"
	@$(MAKE) --no-print-directory attacks > .attacks.log 2>&1 & attacks=$$!; \
	$(MAKE) --no-print-directory pytest; tests=$$?; \
	wait $$attacks; attacked=$$?; \
	echo "--- the fuzzers and the web scanner ---"; cat .attacks.log; \
	exit $$(( tests || attacked ))

attacks: fuzz webscan

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
	$(BIN)/ruff check src tests bench fuzz
	$(BIN)/ruff format --check src tests bench fuzz

typecheck: setup
	$(BIN)/mypy

pytest: setup
	$(BIN)/python -m pytest -q --durations=15

# Static analysis (decision 0019): bandit over src, then semgrep with the project's own rules
# only (.semgrep/, no registry, no metrics), then semgrep's tests of those rules. semgrep pins
# its own dependencies, so it lives in a virtual environment of its own.
TOOLS           := .venv-tools
SEMGREP_VERSION := 1.185.0
TOOLS_STAMP     := $(TOOLS)/.semgrep-$(SEMGREP_VERSION)
SEMGREP         := $(CURDIR)/$(TOOLS)/bin/semgrep scan --metrics=off --disable-version-check

# semgrep --test skips hidden directories, so it runs from inside .semgrep/.
scan: setup $(TOOLS_STAMP)
	$(BIN)/bandit -q -c pyproject.toml -r src
	$(SEMGREP) --config .semgrep/ --error --quiet src
	cd .semgrep && $(SEMGREP) --test --quiet .

$(TOOLS_STAMP):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --upgrade pip
	$(TOOLS)/bin/python -m pip install --quiet 'semgrep==$(SEMGREP_VERSION)'
	@touch $(TOOLS_STAMP)

# Coverage-guided fuzzing of every parser of outside input (atheris), FUZZ_SECONDS per target,
# each target in its own process; a crash is saved under fuzz/crashes/ and fails the run.
# A longer run: make fuzz FUZZ_SECONDS=600
FUZZ_SECONDS ?= 10
fuzz: setup
	$(BIN)/python -m fuzz --seconds $(FUZZ_SECONDS)

# An automated web scanner (wapiti) against the served demo practice: signed out, signed in as
# three roles, and every API operation with a token; any finding fails. Bounded in CI to
# WEBSCAN_SECONDS per scan and the CI modules; every module without a time limit:
# make webscan WEBSCAN_ARGS=--full
WAPITI_VENV     := .venv-wapiti
WAPITI_VERSION  := 3.2.3
WAPITI_STAMP    := $(WAPITI_VENV)/.wapiti-$(WAPITI_VERSION)
WEBSCAN_SECONDS ?= 20
webscan: setup $(WAPITI_STAMP)
	$(BIN)/python -m tests.webscan --wapiti $(WAPITI_VENV)/bin/wapiti --seconds $(WEBSCAN_SECONDS) $(WEBSCAN_ARGS)

$(WAPITI_STAMP):
	$(PYTHON) -m venv $(WAPITI_VENV)
	$(WAPITI_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(WAPITI_VENV)/bin/python -m pip install --quiet 'wapiti3==$(WAPITI_VERSION)'
	@touch $(WAPITI_STAMP)

# The full-size benchmarks (not part of the test suite): python -m bench NAME
bench: setup
	$(BIN)/python -m bench decision
	$(BIN)/python -m bench store
	$(BIN)/python -m bench audit
	$(BIN)/python -m bench http
	$(BIN)/python -m bench scale

# The README's screenshots, taken from the demo practice in Debian's chromium
screenshots: setup browser
	$(BIN)/python -m tests.browser.screenshots docs/screenshots

clean:
	rm -rf $(VENV) $(TOOLS) $(WAPITI_VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
