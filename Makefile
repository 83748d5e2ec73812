# One-command entry points. `make demo` and `make test` set up .venv on a fresh machine.
PY      ?= python3.11
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
PIP     := $(BIN)/pip install --quiet --disable-pip-version-check

.PHONY: setup demo test bench lint clean

setup: $(STAMP)

# Install order matters (../shared/SETUP.md): numpy first, then pyBKT compiled against it
# without build isolation (otherwise it silently falls back to pure Python), then the rest.
$(STAMP): pyproject.toml src/adaptive/tracing/_bkt_filter.c
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) "numpy==2.3.5" "scikit-learn==1.7.2" "pandas>=2.2" pyarrow scipy wheel setuptools
	$(PIP) --no-binary pybkt --no-build-isolation "pybkt==1.4.3"
	$(PIP) "torch==2.13.0"
	$(PIP) -e ".[dev]"
	$(BIN)/python -c "import pyBKT.fit.E_step as e; assert e.__file__.endswith('.so'), 'pyBKT is not the compiled build'"
	touch $(STAMP)

demo: setup
	$(BIN)/adaptive demo

test: setup
	$(BIN)/python -m pytest -n 2 -q

bench: setup
	$(BIN)/python -m experiments.run_all

lint: setup
	$(BIN)/ruff check src tests experiments
	$(BIN)/ruff format --check src tests experiments

clean:
	rm -rf $(VENV) .pytest_cache
