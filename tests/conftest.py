"""Shared fixtures: the seminr reference data and models, and a random-data generator."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REF = Path(__file__).parent / "reference" / "seminr"
ROOT = Path(__file__).resolve().parents[1]


def model_text(spec: dict) -> str:
    """lavaan-style text of a seminr reference specification."""
    lines = []
    for c in spec["constructs"]:
        op = "<~" if c.get("mode") == "B" else "=~"
        lines.append(f"{c['name']} {op} {' + '.join(c['items'])}")
    by_target: dict[str, list[str]] = {}
    for p in spec["paths"]:
        by_target.setdefault(p["to"], []).append(p["from"])
    lines += [f"{t} ~ {' + '.join(s)}" for t, s in by_target.items()]
    return "\n".join(lines)


@pytest.fixture(scope="session")
def corp_rep() -> pd.DataFrame:
    return pd.read_csv(REF / "corp_rep_data.csv")


@pytest.fixture(scope="session")
def mobi() -> pd.DataFrame:
    return pd.read_csv(REF / "mobi.csv")


@pytest.fixture(scope="session")
def ref_corp_rep() -> dict:
    return json.loads((REF / "corp_rep_simple.json").read_text())


@pytest.fixture(scope="session")
def ref_mobi() -> dict:
    return json.loads((REF / "mobi_ecsi.json").read_text())


@pytest.fixture(scope="session")
def ref_boot_mobi() -> dict:
    return json.loads((REF / "bootstrap_mobi_ecsi.json").read_text())


CORP_REP_EXTENDED = (Path(__file__).parent / "reference" / "models" / "corp_rep_extended.lav").read_text()

MOBI_MODERATION = (Path(__file__).parent / "reference" / "models" / "mobi_moderation.lav").read_text()


def simulate_composites(n: int, rng: np.random.Generator, *, loadings=(0.9, 0.85, 0.8), beta=(0.4, 0.3)) -> pd.DataFrame:
    """Three reflective constructs X, W -> Y with normal items (for invariance tests)."""
    x = rng.standard_normal(n)
    w = 0.3 * x + np.sqrt(1 - 0.09) * rng.standard_normal(n)
    y = beta[0] * x + beta[1] * w
    y = y + np.sqrt(1 - y.var()) * rng.standard_normal(n)
    out = {}
    for name, eta in (("x", x), ("w", w), ("y", y)):
        for i, lam in enumerate(loadings, start=1):
            out[f"{name}{i}"] = lam * eta + np.sqrt(1 - lam**2) * rng.standard_normal(n)
    return pd.DataFrame(out)


@pytest.fixture(scope="session")
def front_half(tmp_path_factory):
    """ingest -> screen -> merge on the bundled raw files with the default config (a temp dir)."""
    from leanlearn.cli import main

    os.environ.setdefault("LEANLEARN_SALT", "test-suite-salt-0f1e2d3c4b5a6978")
    d = tmp_path_factory.mktemp("front")
    cfg, cb = str(ROOT / "studies" / "lean" / "config.yaml"), str(ROOT / "studies" / "lean" / "codebook.yaml")
    assert main(["ingest", "--survey", str(ROOT / "data/raw/survey_export.csv"), "--codebook", cb, "--config", cfg, "--out", str(d)]) == 0
    assert main(["screen", str(d / "survey_ingested.csv"), "--codebook", cb, "--config", cfg,
                 "--out", str(d / "screening"), "--clean", str(d / "clean.csv")]) == 0
    assert main(["merge", "--survey", str(d / "clean.csv"), "--archival", str(ROOT / "data/raw/orbis_firms.csv"),
                 "--frame", str(ROOT / "data/raw/sampling_frame.csv"), "--config", cfg,
                 "--out", str(d / "screening"), "--merged", str(d / "analysis.csv")]) == 0
    return d


@pytest.fixture(autouse=True)
def _crash_logs_in_tmp(tmp_path_factory, monkeypatch):
    """Internal-error logs of the CLI go to the test's temporary folder, not to logs/."""
    monkeypatch.setenv("LEANLEARN_LOG_DIR", str(tmp_path_factory.getbasetemp() / "crash-logs"))


# ---- the SLURM end-to-end test (tests/test_slurm.py) ----------------------------------------------
def pytest_addoption(parser):
    parser.addoption(
        "--slurm",
        action="store_true",
        default=False,
        help="run the tests marked 'slurm' (the workflow through a running SLURM cluster; minutes)",
    )


def pytest_collection_modifyitems(config, items):
    if os.environ.get("PYTEST_XDIST_WORKER"):  # see "running in parallel" below
        rank = {name: i for i, name in enumerate(_LONGEST_FIRST)}
        items.sort(key=lambda item: rank.get(_file_of(item.nodeid), len(rank)))  # stable: the rest keep their order
    if config.getoption("--slurm"):
        return
    skip = pytest.mark.skip(
        reason="runs the workflow through SLURM (minutes): opt in with `pytest --slurm tests/test_slurm.py` "
        "or `make test-slurm`, on a machine with a running cluster (`sudo workflow/cluster/start-slurm.sh`)"
    )
    for item in items:
        if item.get_closest_marker("slurm") is not None:
            item.add_marker(skip)


# ---- running in parallel (pytest-xdist; `make test` uses `-n 2 --dist loadfile`) ----------------
# With --dist loadfile every test file runs in one worker, so a module- or session-scoped fixture
# (one pipeline run, one bootstrap) is built once. Two files share one expensive run and go to the
# same worker: tests/test_notebooks.py reads the results that tests/test_paper.py and
# tests/test_corp_rep.py make (test_paper.pipeline_results, test_corp_rep.corp_rep_results). The files that take longest start first, so that one long file
# does not run alone at the end while the other worker waits.
_SAME_WORKER = {"test_notebooks.py": "test_paper.py", "test_corp_rep.py": "test_paper.py"}
_LONGEST_FIRST = ("test_workflow.py", "test_paper.py", "test_corp_rep.py", "test_notebooks.py")


def _file_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0].rsplit("/", 1)[-1]


def pytest_xdist_make_scheduler(config, log):
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class _SharedRunsScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            name = _file_of(nodeid)
            return super()._split_scope(nodeid).replace(name, _SAME_WORKER.get(name, name))

    config.option.loadscopereorder = False  # keep the collection order set below
    return _SharedRunsScheduling(config, log)
