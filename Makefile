# The two set-up commands (see README.md):
#   make run   - create .venv, install leanlearn and the pinned pipeline dependencies, run the pipeline
#                on the bundled study (make run STUDY=studies/NAME/config.yaml runs another study folder)
#   make test  - the same set-up from the development lock, then lint, type checks, the docs build
#                and the test suite
# Dependencies are installed from hash-checked lock files (requirements/*.txt, see
# requirements/README.md); `make lock` refreshes them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CORES  ?= all
LOCK_RUN := requirements/pipeline.txt
LOCK_DEV := requirements/dev.txt
# The study to run: a study config file (default: the bundled study, studies/lean/config.yaml).
STUDY  ?=
SNAKEMAKE_ARGS := $(if $(STUDY),--configfile $(STUDY),)
# One BLAS thread per process: the bootstrap parallelises over processes, and two
# levels of threads fight on a 2-core machine (see the performance notes in README).
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1

.PHONY: run test test-slurm check install install-test lock lock-upgrade docs clean-results lint bench bench-inprocess verify

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Exactly the locked versions (--no-deps: nothing outside the lock), every file checked against
# its SHA-256; then leanlearn itself, built with the locked setuptools.
$(VENV)/.installed: $(BIN)/python $(LOCK_RUN) pyproject.toml src/leanlearn/pls/_kernel.c
	$(BIN)/python -m pip install --require-hashes --no-deps -r $(LOCK_RUN)
	$(BIN)/python -m pip install --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
	touch $@

$(VENV)/.installed-test: $(BIN)/python $(LOCK_DEV) pyproject.toml src/leanlearn/pls/_kernel.c
	$(BIN)/python -m pip install --require-hashes --no-deps -r $(LOCK_DEV)
	$(BIN)/python -m pip install --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

run: install
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/snakemake --cores $(CORES) $(SNAKEMAKE_ARGS)

# ruff (config in pyproject.toml), mypy with pandas-stubs, the documentation site with
# warnings as errors (never in quiet mode, which hides the warnings strict mode counts); then
# the tests (which include the docstring examples as doctests)
check: install-test
	$(BIN)/ruff check src tests benchmarks docs requirements
	$(BIN)/mypy
	$(BIN)/mkdocs build --strict --site-dir $(abspath $(VENV))/site

# in two processes (pytest-xdist), one test file per worker so that module- and session-scoped
# fixtures (one pipeline run shared by several tests) are built once; see tests/conftest.py
test: check
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m pytest -q -n 2 --dist loadfile

# the workflow through a real scheduler (tests/test_slurm.py, minutes): needs a running SLURM
# cluster, e.g. the single-node one of `sudo workflow/cluster/start-slurm.sh` (docs/cluster.md)
test-slurm: install-test
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m pytest -q -rs --slurm tests/test_slurm.py

docs: install-test
	$(BIN)/mkdocs build --strict --site-dir site

# Refresh the locks after changing dependencies in pyproject.toml (keeps every pin that still
# fits); `make lock-upgrade` moves every package to its newest release. Needs uv (in the
# dev lock). The pipeline lock is constrained by the dev lock, so both pin the same versions.
UV_COMPILE = $(BIN)/uv pip compile pyproject.toml requirements/build.in --universal \
	--python-version 3.11 --generate-hashes --custom-compile-command "make lock"
lock: install-test
	$(UV_COMPILE) $(UV_FLAGS) --extra test --extra docs --extra dev --extra cluster -o $(LOCK_DEV)
	$(UV_COMPILE) --extra pipeline -c $(LOCK_DEV) -o $(LOCK_RUN)
	$(BIN)/python requirements/conda_env.py $(LOCK_RUN) > environment.yml
	$(BIN)/python requirements/conda_env.py --no-self $(LOCK_RUN) > workflow/envs/leanlearn.yaml

lock-upgrade:
	$(MAKE) lock UV_FLAGS=--upgrade

lint: install
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/snakemake --lint

# What a user waits for: `leanlearn estimate ... --resamples 5000` as a whole process against the
# seminr port (in the development lock), the in-process bootstrap and the performance envelope
# (writes benchmarks/results/ and docs/img/envelope.png; see docs/speed.md). A few minutes on
# 2 cores; run it on an otherwise idle machine.
bench: install-test
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python benchmarks/bench_cli.py

# the older in-process comparison, with plspm on top of the development lock
bench-inprocess: install-test
	$(BIN)/python -m pip install --no-deps plspm==0.5.7
	$(BIN)/python benchmarks/bench_bootstrap.py

verify: install
	$(BIN)/leanlearn verify --manifest results/manifest.json

clean-results:
	rm -rf results/*/ results/*.md results/*.json logs/ .snakemake/
