# Developer entry points. Everything runs inside .venv (Python 3.12).
VENV := .venv
BIN  := $(VENV)/bin
# Exit 0 if the interpreter given as $1 is Python >= 3.12.
PY_OK = "$(1)" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1

.PHONY: venv run test check lint bench clean app golden start-states

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml scripts/fill_solara_cdn.py
	@if ! $(call PY_OK,$(BIN)/python); then \
	  for py in python3.12 "$$(pyenv which python3.12 2>/dev/null)" python3; do \
	    if [ -n "$$py" ] && $(call PY_OK,$$py); then break; fi; py=; \
	  done; \
	  if [ -z "$$py" ]; then \
	    echo "error: Python 3.12 not found (tried python3.12, pyenv which python3.12, python3)." >&2; \
	    echo "       Install it (e.g. pyenv install 3.12) or put python3.12 on PATH." >&2; \
	    exit 1; \
	  fi; \
	  echo "Creating $(VENV) with $$py ($$("$$py" -V))"; \
	  "$$py" -m venv --clear $(VENV); \
	fi
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e '.[dev]'
	$(BIN)/python scripts/fill_solara_cdn.py
	@# compile the model's equations once into Numba's on-disk cache (src/**/__pycache__),
	@# so that the first run, and every process of the test suite, loads them instead
	$(BIN)/python -c "import buffer_sim.core.preload"
	@# bytecode of the package, as pip writes it for an installed (not editable) one: where
	@# Python may not write it at import (PYTHONDONTWRITEBYTECODE, a read-only clone),
	@# every command would compile the ~40 modules it loads again (~0.15 s of CPU)
	$(BIN)/python -m compileall -q src/buffer_sim
	touch $@

run: venv
	$(BIN)/buffer-sim run

# Everything CI runs: the linters, then the whole suite (slow and browser tests too), on
# both cores (pytest-xdist). The slow tests' modules go first (tests/conftest.py) and a
# worker that runs out of tests takes half of the other's queue (worksteal), so that no
# long test starts last while the other worker idles.
test: lint
	$(BIN)/python -m pytest -q -n 2 --dist worksteal

# The quick loop while editing (well under 30 s): linters, then the tests not marked slow
# or browser.
check: lint
	$(BIN)/python -m pytest -q -n 2 --dist worksteal -m "not slow and not browser"

# ruff and mypy, as configured in pyproject.toml (which modules mypy checks: [tool.mypy]).
lint: venv
	$(BIN)/ruff check .
	$(BIN)/mypy

app: venv
	$(BIN)/buffer-sim app

# Regenerate the sub-period scenarios' start states (scenarios/start_states/) from the
# replay, after a change to the model; each file records the command that wrote it.
start-states: venv
	$(BIN)/buffer-sim start-state --regenerate

golden: venv
	$(BIN)/python -m buffer_sim.tools.golden --refresh

bench: venv
	$(BIN)/python benchmarks/bench_model.py
	$(BIN)/python benchmarks/bench_engines.py

clean:
	rm -rf out .pytest_cache .hypothesis test-results build src/*.egg-info
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
