# The two set-up commands (see README.md):
#   make run   - create .venv, install leanlearn and its dependencies, run the pipeline on the bundled data
#                (make run STUDY=studies/NAME/config.yaml runs another study folder)
#   make test  - the same set-up (plus test extras), then the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CORES  ?= all
# The study to run: a study config file (default: the bundled study, studies/lean/config.yaml).
STUDY  ?=
SNAKEMAKE_ARGS := $(if $(STUDY),--configfile $(STUDY),)
# One BLAS thread per process: the bootstrap parallelises over processes, and two
# levels of threads fight on a 2-core machine (see the performance notes in README).
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1

.PHONY: run test install install-test clean-results lint bench verify

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip setuptools wheel

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install -e ".[test]"
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

run: install
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/snakemake --cores $(CORES) $(SNAKEMAKE_ARGS)

test: install-test
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m pytest -q

lint: install
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/snakemake --lint

bench: install
	$(BIN)/python -m pip install -e ".[bench]"
	$(BIN)/python benchmarks/bench_bootstrap.py

verify: install
	$(BIN)/leanlearn verify --manifest results/manifest.json

clean-results:
	rm -rf results/*/ results/*.md results/*.json logs/ .snakemake/
