"""The CLI pays only for what it uses: each verb imports its own module and dependencies alone.

Every check runs ``leanlearn`` in a fresh Python process and inspects ``sys.modules`` after
the verb has finished, because the test process itself has imported everything already.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import leanlearn
from leanlearn.cli import VERB_HELP, VERBS, build_parser

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT / "tests" / "reference"
SRC = str(Path(leanlearn.__file__).resolve().parents[1])

# heavy packages no verb below needs: importing any of them would cost seconds of start-up
NOT_NEEDED = ("scipy.stats", "scipy.optimize", "matplotlib", "semopy", "jinja2", "statsmodels", "sklearn", "yaml")

RUN_AND_LIST_MODULES = """
import json, sys
from leanlearn.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:  # --help exits through argparse
    code = exc.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _run_verb(args: list[str], cwd: Path) -> tuple[int, set[str]]:
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""), OPENBLAS_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", RUN_AND_LIST_MODULES, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    record = json.loads(out.stdout.strip().splitlines()[-1])
    return record["code"], set(record["modules"])


def _loaded(modules: set[str], package: str) -> bool:
    return any(m == package or m.startswith(package + ".") for m in modules)


def test_help_lists_every_verb_without_importing_a_verb_module_or_pandas(tmp_path, capsys):
    code, modules = _run_verb(["--help"], tmp_path)
    assert code == 0
    assert not _loaded(modules, "pandas") and not _loaded(modules, "numpy") and not _loaded(modules, "scipy")
    assert not [m for m in modules if m.startswith("leanlearn.cli.") and m.rsplit(".", 1)[1] in VERB_HELP]


def test_help_table_matches_the_help_each_verb_module_registers():
    parser = build_parser()  # every verb's full sub-parser, from its own module
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    registered = {action.dest: action.help for action in sub._choices_actions}
    assert registered == VERB_HELP
    assert list(registered) == list(VERBS)


def test_help_output_is_the_same_with_placeholders_as_with_every_verb_loaded():
    lazy = build_parser([]).format_help()
    full = build_parser().format_help()
    assert lazy == full


def test_estimate_with_bootstrap_imports_no_scipy_stats_matplotlib_or_semopy(tmp_path):
    model = REF / "models" / "corp_rep_extended.lav"
    data = REF / "seminr" / "corp_rep_data.csv"
    out = tmp_path / "out"
    code, modules = _run_verb(
        ["estimate", str(data), str(model), "--missing-value", "-99", "--resamples", "30", "--seed", "1", "--out", str(out)], tmp_path
    )
    assert code == 0
    assert (out / "paths.csv").is_file() and (out / "bca_intervals.csv").is_file()
    assert [p for p in NOT_NEEDED if _loaded(modules, p)] == []
    # only the estimate verb's module among the 24
    assert sorted(m for m in modules if m.startswith("leanlearn.cli.") and m.rsplit(".", 1)[1] in VERB_HELP) == ["leanlearn.cli.estimate"]
    assert not _loaded(modules, "leanlearn.datasets")  # the bundled data and the simulator are not needed
    # the BCa interval's normal quantile and distribution function come from the standard library
    assert not _loaded(modules, "scipy")
    # stderr is a pipe here: no progress bar to draw, so tqdm is not imported (only checked to be installed)
    assert not _loaded(modules, "tqdm")
    # reading a data file needs no codebook: the ingest package loads apply_codebook's part on first use
    assert "leanlearn.data.ingest.read" in modules and not _loaded(modules, "leanlearn.spec.codebook")
    assert "leanlearn.data.ingest.apply" not in modules
    # Φ⁻¹ of the BCa interval is CPython's C function behind statistics.NormalDist.inv_cdf, without the module
    assert "statistics" not in modules and "fractions" not in modules
    assert "html" not in modules  # the summary is written as text; html escaping is for to_html only


@pytest.mark.parametrize("name", ["estimate", "bootstrap", "PLSResult", "datasets", "parse_model", "to_seminr", "DataError"])
def test_public_names_resolve_lazily_to_the_library_objects(name):
    import importlib

    module_name, attr = leanlearn._PUBLIC[name]
    expected = importlib.import_module(module_name)
    assert getattr(leanlearn, name) is (expected if attr is None else getattr(expected, attr))
    assert name in dir(leanlearn) and name in leanlearn.__all__


def test_every_public_name_is_in_all_and_resolves():
    assert set(leanlearn.__all__) == set(leanlearn._PUBLIC) | {"__version__"}
    for name in leanlearn._PUBLIC:
        assert getattr(leanlearn, name) is not None


def test_ingest_names_resolve_lazily_to_their_modules_objects():
    import importlib

    import leanlearn.data.ingest as ingest

    for name in ingest.__all__:
        assert getattr(ingest, name) is getattr(importlib.import_module(ingest._PUBLIC[name]), name)
        assert name in dir(ingest)
    with pytest.raises(AttributeError, match="no attribute 'read_exprt'"):
        ingest.read_exprt  # noqa: B018


def test_unknown_public_name_raises_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'estimat'"):
        leanlearn.estimat  # noqa: B018


FREEZE_AND_REPORT = """
import gc, json, sys
from leanlearn.cli import main
code = main(sys.argv[2:], freeze_imports=sys.argv[1] == "1")
print(json.dumps({"code": code, "frozen": gc.get_freeze_count(), "enabled": gc.isenabled()}))
"""


def test_the_command_freezes_the_imports_for_the_garbage_collector_and_library_calls_do_not(tmp_path):
    """``leanlearn <verb>`` (run_command) imports the verb with the collector paused and freezes what the imports
    created; main() called as a library function leaves the collector alone. The results are the same."""
    model = REF / "models" / "corp_rep_extended.lav"
    data = REF / "seminr" / "corp_rep_data.csv"
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""), OPENBLAS_NUM_THREADS="1")
    records = {}
    for flag in ("1", "0"):
        args = ["estimate", str(data), str(model), "--missing-value", "-99", "--resamples", "20", "--seed", "1", "--out", str(tmp_path / flag)]
        out = subprocess.run([sys.executable, "-c", FREEZE_AND_REPORT, flag, *args], capture_output=True, text=True, env=env, timeout=600)
        assert out.returncode == 0, out.stderr[-2000:]
        records[flag] = json.loads(out.stdout.strip().splitlines()[-1])
    assert records["1"]["code"] == records["0"]["code"] == 0
    assert records["1"]["frozen"] > 50_000 and records["0"]["frozen"] == 0  # pandas and NumPy alone create more
    assert records["1"]["enabled"] and records["0"]["enabled"]
    for path in (tmp_path / "0").glob("*.csv"):
        assert (tmp_path / "1" / path.name).read_bytes() == path.read_bytes(), path.name


def test_the_command_entry_point_asks_main_to_freeze_the_imports(monkeypatch):
    import leanlearn.cli as cli

    calls = []
    monkeypatch.setattr(cli, "main", lambda argv=None, **kw: calls.append(kw) or 0)
    with pytest.raises(SystemExit) as info:
        cli.run_command()
    assert info.value.code == 0 and calls == [{"freeze_imports": True}]
