"""Packaging: licence, citation, one version, optional extras, the locks, package data, the reference README."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

import leanlearn
from leanlearn.extras import DISTRIBUTION, EXTRA_OF, MissingDependencyError, require

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "leanlearn"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
LOCKS = {name: ROOT / "requirements" / f"{name}.txt" for name in ("pipeline", "dev")}


def _name(req: str) -> str:
    return re.match(r"^\s*([A-Za-z0-9_.\-]+)", req).group(1).lower().replace("_", "-")


def _extra_packages(extra: str, seen=None) -> set[str]:
    """Distribution names an extra installs, following leanlearn[...] self-references."""
    seen = set() if seen is None else seen
    out = set()
    for req in PROJECT["optional-dependencies"][extra]:
        m = re.match(r"^leanlearn\[([^\]]+)\]", req)
        if m:
            for sub in m.group(1).split(","):
                if sub not in seen:
                    seen.add(sub)
                    out |= _extra_packages(sub.strip(), seen)
        else:
            out.add(_name(req))
    return out


def _pins(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)", line)
        if m:
            out[m.group(1).lower().replace("_", "-")] = m.group(2)
    return out


# ---- licence, citation, version -------------------------------------------------------------------
def test_licence_is_an_spdx_string_with_the_gpl3_text_in_license():
    assert PROJECT["license"] == "GPL-3.0-or-later"
    assert PROJECT["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert text.lstrip().startswith("GNU GENERAL PUBLIC LICENSE") and "Version 3, 29 June 2007" in text
    assert "END OF TERMS AND CONDITIONS" in text and len(text) > 30_000


def test_the_version_is_written_once_and_citation_agrees():
    assert "version" not in PROJECT and PROJECT["dynamic"] == ["version"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "leanlearn.__version__"}
    cff = (ROOT / "CITATION.cff").read_text()
    assert re.search(r"^version: (\S+)$", cff, re.M).group(1) == leanlearn.__version__
    assert re.search(r"^license: (\S+)$", cff, re.M).group(1) == PROJECT["license"]
    assert re.search(r"^cff-version: 1\.2\.0$", cff, re.M) and "doi: 10.1016/j.ijpe.2024.109192" in cff
    hits = [p for p in SRC.rglob("*.py") if re.search(r"^__version__\s*=", p.read_text(), re.M)]
    assert hits == [SRC / "__init__.py"]


# ---- extras ---------------------------------------------------------------------------------------
def test_the_engine_depends_on_numpy_scipy_pandas_and_threadpoolctl_only():
    assert sorted(_name(r) for r in PROJECT["dependencies"]) == ["numpy", "pandas", "scipy", "threadpoolctl"]
    assert _extra_packages("pipeline") >= {"snakemake", "matplotlib", "pyreadstat", "openpyxl", "semopy"}
    assert {"nbclient", "ipykernel", "nbformat"} <= _extra_packages("notebooks")
    assert _extra_packages("io") == {"pyreadstat", "openpyxl"} and _extra_packages("figures") == {"matplotlib"}


def test_every_optional_module_is_provided_by_the_extra_that_its_error_names():
    for module, extra in EXTRA_OF.items():
        assert DISTRIBUTION.get(module, module) in _extra_packages(extra), (module, extra)


def _module_level_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out = set()
    for node in tree.body:  # module level only: imports inside functions are lazy
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


def test_optional_packages_are_imported_lazily_inside_the_functions_that_need_them():
    offenders = {
        str(p.relative_to(SRC)): sorted(_module_level_imports(p) & set(EXTRA_OF))
        for p in SRC.rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


CORE_IMPORTS = {"numpy", "pandas", "scipy", "threadpoolctl"}


def test_every_third_party_import_in_the_package_is_core_or_in_a_pipeline_extra():
    """So `make run` (the pipeline lock) has every package the library imports, eagerly or lazily."""
    found: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top != "leanlearn":
                    found.setdefault(top, set()).add(str(path.relative_to(SRC)))
    for call in re.finditer(r'require\("([a-z_0-9]+)', "".join(p.read_text() for p in SRC.rglob("*.py"))):
        found.setdefault(call.group(1), set()).add("require()")
    pipeline = _extra_packages("pipeline")
    unknown = {m: sorted(f) for m, f in found.items()
               if m not in CORE_IMPORTS and DISTRIBUTION.get(m, m) not in pipeline}
    assert unknown == {}
    assert {"semopy", "matplotlib", "statsmodels"} <= set(found)


_BLOCKER = r"""
import importlib.abc, sys
BLOCKED = {blocked!r}
class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None
sys.meta_path.insert(0, Blocker())
"""

_ENGINE_ONLY = r"""
import sys
import leanlearn as ll
data = ll.datasets.load("corp_rep")
res = ll.estimate(data, ll.datasets.model("corp_rep"), missing_value=-99)
boot = ll.bootstrap(res, resamples=50, seed=1)
text = res.summary().to_text() + boot.summary().to_latex() + ll.to_lavaan(res.spec) + ll.to_seminr(res.spec)
loaded = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
print("OK", loaded)
"""


def _blocked_python(code: str, blocked: set[str]) -> subprocess.CompletedProcess:
    blocked = set(blocked) | {"pytest", "hypothesis", "seminr", "plspm", "mkdocs"}
    return subprocess.run([sys.executable, "-c", _BLOCKER.format(blocked=sorted(blocked)) + code],
                          capture_output=True, text=True, timeout=300)


def test_the_engine_runs_with_every_optional_package_missing():
    """estimate, bootstrap, summaries, datasets and export with only numpy/scipy/pandas/threadpoolctl."""
    optional = set(EXTRA_OF) | {"statsmodels", "sklearn", "pingouin"}
    proc = _blocked_python(_ENGINE_ONLY, optional)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "OK []"


def test_a_missing_optional_package_raises_an_error_naming_its_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyreadstat", None)  # makes `import pyreadstat` fail
    with pytest.raises(MissingDependencyError, match=r"pip install 'leanlearn\[io\]'") as info:
        require("pyreadstat", "reading an SPSS or Stata export")
    assert "reading an SPSS or Stata export needs the optional package pyreadstat" in str(info.value)
    assert isinstance(info.value, ImportError)
    with pytest.raises(ValueError, match="not an optional dependency"):
        require("numpy", "anything")


def test_the_command_line_names_the_extra_and_exits_2_when_a_package_is_missing(tmp_path):
    data = tmp_path / "survey.csv"
    leanlearn.datasets.load("mobi").to_csv(data, index=False)
    model = tmp_path / "m.lav"
    model.write_text(leanlearn.datasets.model("mobi"))
    code = (
        "from leanlearn.cli import main\n"
        f"raise SystemExit(main(['estimate', {str(data)!r}, {str(model)!r}, '--out', {str(tmp_path / 'out')!r}, '--resamples', '20']))\n"
    )
    proc = _blocked_python(code, {"tqdm"})
    assert proc.returncode == 2, proc.stderr
    assert "the optional package tqdm, which is not installed; install it with: pip install 'leanlearn[stages]'" in proc.stderr
    assert "Traceback" not in proc.stderr


# ---- locks ----------------------------------------------------------------------------------------
def test_every_locked_package_is_pinned_with_hashes():
    for path in LOCKS.values():
        text = path.read_text()
        blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
        for block in blocks:
            first = block.splitlines()[0]
            assert re.match(r"^[A-Za-z0-9_.\-]+==\S+", first), first
            assert "--hash=sha256:" in block, first


def test_the_locks_agree_and_cover_every_declared_dependency():
    pipeline, dev = _pins(LOCKS["pipeline"]), _pins(LOCKS["dev"])
    assert {k: v for k, v in pipeline.items() if dev.get(k) != v} == {}
    declared_run = {_name(r) for r in PROJECT["dependencies"]} | _extra_packages("pipeline") | {"setuptools", "wheel"}
    assert declared_run - set(pipeline) == set()
    declared_dev = declared_run | _extra_packages("test") | _extra_packages("docs") | _extra_packages("dev")
    assert declared_dev - set(dev) == set()


def test_make_installs_from_the_locks_with_hash_checking():
    makefile = (ROOT / "Makefile").read_text()
    assert "LOCK_RUN := requirements/pipeline.txt" in makefile and "LOCK_DEV := requirements/dev.txt" in makefile
    assert makefile.count("pip install --require-hashes --no-deps -r $(LOCK_") == 2
    assert "pip install --no-deps --no-build-isolation -e ." in makefile
    assert re.search(r"^lock: ", makefile, re.M) and "--generate-hashes" in makefile
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_environment_yml_is_generated_from_the_pipeline_lock():
    sys.path.insert(0, str(ROOT / "requirements"))
    try:
        import conda_env
    finally:
        sys.path.pop(0)
    assert (ROOT / "environment.yml").read_text() == conda_env.render(LOCKS["pipeline"])
    pins = _pins(LOCKS["pipeline"])
    env = (ROOT / "environment.yml").read_text()
    assert f"  - numpy={pins['numpy']}\n" in env and f"  - snakemake={pins['snakemake']}\n" in env


def test_the_manifest_records_the_sha256_of_the_locks():
    from leanlearn.report.provenance import LOCK_FILES, build_manifest, sha256_bytes

    assert set(LOCK_FILES) == {f"requirements/{n}.txt" for n in LOCKS}
    lock = {rel: sha256_bytes((ROOT / rel).read_bytes()) for rel in LOCK_FILES}
    m = build_manifest(results={}, inputs={}, workflow={}, config={}, configfile="c.yaml", versions={},
                       commit="x", dirty=False, excluded={}, lock=lock)
    assert m["lock"] == dict(sorted(lock.items()))
    assert "lock=" in (SRC / "cli" / "manifest.py").read_text()


def test_mypy_checks_the_whole_package_so_py_typed_is_honest():
    # py.typed (PEP 561) tells type checkers the package's annotations are checked: only true if
    # `make test`'s mypy run covers every module, as [tool.mypy] files does
    assert PYPROJECT["tool"]["mypy"]["files"] == ["src/leanlearn"]
    assert (SRC / "py.typed").exists()
    assert "py.typed" in PYPROJECT["tool"]["setuptools"]["package-data"]["leanlearn"]
    assert "Typing :: Typed" in PROJECT["classifiers"]


# ---- package data ---------------------------------------------------------------------------------
def test_every_package_data_pattern_matches_files():
    patterns = PYPROJECT["tool"]["setuptools"]["package-data"]["leanlearn"]
    for pattern in patterns:
        assert list(SRC.glob(pattern)), pattern


@pytest.mark.slow
def test_the_wheel_carries_the_datasets_the_licence_and_the_metadata(tmp_path):
    import shutil

    # build from a clean copy: a stale build/ folder in the checkout would leak old files
    src = tmp_path / "src_copy"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "site", "results", "logs", ".snakemake", "*.egg-info", ".*_cache", "__pycache__"))
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(src)],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    wheel = next(tmp_path.glob("leanlearn-*.whl"))
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        meta = z.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    for f in ("corp_rep_data.csv", "mobi.csv", "influencer_data.csv", "README.md"):
        assert f"leanlearn/datasets/data/{f}" in names
    assert "leanlearn/py.typed" in names  # every module passes mypy (see [tool.mypy])
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert f"Version: {leanlearn.__version__}" in meta and "License-Expression: GPL-3.0-or-later" in meta
    core = [line for line in meta.splitlines() if line.startswith("Requires-Dist:") and "extra ==" not in line]
    assert sorted(_name(line.split(":", 1)[1]) for line in core) == ["numpy", "pandas", "scipy", "threadpoolctl"]


# ---- reference values -----------------------------------------------------------------------------
def test_the_seminr_reference_readme_says_how_the_values_were_made():
    ref = ROOT / "tests" / "reference" / "seminr"
    text = (ref / "README.md").read_text()
    meta = json.loads((ref / "corp_rep_simple.json").read_text())["meta"]
    assert "not in this repository" in text
    assert "ae2524aae5f4f0bda3eb87faf80378af5baccea1" in meta["seminr_source"] and "ae2524aae5f4f0bda3eb87faf80378af5baccea1" in text
    assert "R 4.2.2 Patched (2022-11-10 r83330)" in text and meta["R_version"].endswith("(2022-11-10 r83330)")
    boot = json.loads((ref / "bootstrap_mobi_ecsi.json").read_text())["bootstrap"]["function_call"]
    assert boot.replace("seminr_model, ", "seminr_model, ") in text
    for readme in ref.glob("README*.md"):
        assert "../datasets/" not in readme.read_text(), readme.name


def test_the_reconstructed_seminr_calls_match_the_recorded_specifications():
    ref = ROOT / "tests" / "reference" / "seminr"
    text = (ref / "README.md").read_text()
    for case in ("corp_rep_simple.json", "mobi_ecsi.json"):
        spec = json.loads((ref / case).read_text())["specification"]
        for c in spec["constructs"]:
            items = c["items"]
            expected = (f'composite("{c["name"]}", single_item("{items[0]}"))' if len(items) == 1 else
                        f'composite("{c["name"]}", c({", ".join(chr(34) + i + chr(34) for i in items)}), weights = mode_{c["mode"]})')
            assert expected in text, expected
        for group in spec["path_groups_as_specified"]:
            q = lambda xs: ", ".join(f'"{x}"' for x in xs)  # noqa: E731
            assert f"paths(from = c({q(group['from'])}), to = c({q(group['to'])}))" in text
        assert spec["inner_weighting"] == "path_weighting" and spec["stop_criterion"] == 7
    assert "missing = mean_replacement, missing_value = -99" in text


# ---- documentation site ---------------------------------------------------------------------------
def _nav_pages(node) -> set[str]:
    if isinstance(node, str):
        return {node}
    if isinstance(node, list):
        return set().union(*(_nav_pages(n) for n in node)) if node else set()
    if isinstance(node, dict):
        return set().union(*(_nav_pages(v) for v in node.values()))
    return set()


def test_every_docs_page_is_in_the_site_navigation_and_the_build_is_strict():
    yaml = pytest.importorskip("yaml")
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    pages = {p.relative_to(ROOT / "docs").as_posix() for p in (ROOT / "docs").rglob("*.md")}
    assert pages - _nav_pages(config["nav"]) == set()
    assert _nav_pages(config["nav"]) - pages == set()
    makefile = (ROOT / "Makefile").read_text()
    build = [line for line in makefile.splitlines() if "mkdocs build" in line]
    assert build and all("--strict" in line and "--quiet" not in line and " -q" not in line for line in build)
