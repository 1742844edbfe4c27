"""The user-facing API: summaries, short reprs, bundled datasets, model export, docstring examples."""

from __future__ import annotations

import doctest
import importlib
import logging
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import leanlearn as ll
from leanlearn.pls.summary import Summary

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT / "tests" / "reference" / "seminr"

# modules whose docstring examples are part of the test suite (the public API)
DOCTEST_MODULES = [
    "leanlearn",
    "leanlearn.pls.engine",
    "leanlearn.pls.bootstrap",
    "leanlearn.pls.result",  # PLSResult (re-exported by leanlearn.pls.engine)
    "leanlearn.pls.bootstrap_result",  # BootstrapResult (re-exported by leanlearn.pls.bootstrap)
    "leanlearn.pls.summary",
    "leanlearn.spec.model",
    "leanlearn.spec.export",
    "leanlearn.datasets.bundled",
    "leanlearn.extras",
]
# documents whose >>> examples run as doctests
DOCTEST_FILES = ["README.md", "docs/index.md"]
FLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS


@pytest.fixture(scope="module")
def corp():
    return ll.estimate(ll.datasets.load("corp_rep"), ll.datasets.model("corp_rep"), missing_value=-99)


@pytest.fixture(scope="module")
def corp_boot(corp):
    return ll.bootstrap(corp, resamples=300, seed=7)


# ---- docstring and documentation examples -----------------------------------------------------
@pytest.mark.parametrize("name", DOCTEST_MODULES)
def test_docstring_examples_of_the_public_api_run(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    tests = [t for t in finder.find(module, name) if t.examples]
    for test in tests:
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0


@pytest.mark.parametrize("path", DOCTEST_FILES)
def test_examples_in_the_readme_and_docs_run_as_doctests(path):
    text = (ROOT / path).read_text(encoding="utf-8")
    parser = doctest.DocTestParser()
    test = parser.get_doctest(text, {}, path, str(ROOT / path), 0)
    assert test.examples, f"{path} has no >>> examples"
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


def test_the_public_api_documents_examples_for_every_entry_point():
    for obj in (ll.estimate, ll.bootstrap, ll.parse_model, ll.to_lavaan, ll.to_seminr, ll.datasets.load,
                ll.PLSResult.summary, ll.BootstrapResult.summary):
        assert "Examples\n" in (obj.__doc__ or ""), obj.__qualname__


# ---- reprs -------------------------------------------------------------------------------------
def test_reprs_of_results_are_short_and_name_the_essentials(corp, corp_boot):
    r, b = repr(corp), repr(corp_boot)
    assert len(r) < 300 and len(b) < 300
    assert r == "PLSResult(n=344, constructs=4, paths=5, scheme='path', converged=True, iterations=4)"
    assert b.startswith("BootstrapResult(resamples=300, valid=300, seed=7, ci_level=0.95, result=PLSResult(")
    assert len(repr(corp.summary())) < 300


# ---- bootstrap summary -------------------------------------------------------------------------
def test_bootstrap_summary_tables_carry_the_bootstrap_table_numbers(corp_boot):
    s = corp_boot.summary()
    assert isinstance(s, Summary)
    titles = [t for t, _ in s.tables]
    assert titles == [
        "Path coefficients", "Total indirect effects", "Specific indirect effects", "Total effects",
        "R-squared", "Outer loadings", "Outer weights", "HTMT",
    ]
    paths = dict(s.tables)["Path coefficients"]
    full = corp_boot.table("paths")
    cols = ["estimate", "bootstrap_mean", "std_error", "t_value", "p_value", "ci_lower", "ci_upper", "bca_lower", "bca_upper", "bca_p_value"]
    assert list(paths.columns) == ["source", "target", *cols]
    pd.testing.assert_frame_equal(paths[cols], full[cols])


def test_bootstrap_summary_notes_state_resamples_seed_and_interval_rules(corp_boot):
    notes = " ".join(corp_boot.summary().notes)
    assert "300 resamples requested, 300 valid; seed: 7" in notes
    assert "95% intervals: percentile" in notes and "bias-corrected and accelerated" in notes
    assert "bootstrap p matching the percentile interval" in notes and "resolution 1/B" in notes


def test_bootstrap_summary_renders_as_text_markdown_latex_and_html(corp_boot):
    s = corp_boot.summary()
    se = corp_boot.table("paths").std_error.iloc[0]
    cell = f"{se:.3f}"
    text, md, tex, html = s.to_text(), s.to_markdown(), s.to_latex(), s.to_html()
    for out in (text, md, tex, html):
        assert cell in out
    assert text.startswith("PLS-SEM bootstrap\n=================")
    assert "| source | target | estimate | bootstrap_mean |" in md
    assert tex.count("\\begin{tabular}") == len(s.tables) == tex.count("\\bottomrule")
    assert "bootstrap\\_mean" in tex and "COMP $\\rightarrow$ CUSA $\\rightarrow$ CUSL" in tex
    assert html.count("<table") == len(s.tables) and "<h1>PLS-SEM bootstrap</h1>" in html


def test_bootstrap_summary_reports_failed_resamples_by_reason():
    rng = np.random.default_rng(3)
    n = 30
    x = rng.normal(size=n)
    data = pd.DataFrame({"x1": x + rng.normal(scale=0.5, size=n), "x2": x + rng.normal(scale=0.5, size=n),
                         "y1": 0.5 * x + rng.normal(size=n), "d": np.r_[np.ones(2), np.zeros(n - 2)]})
    res = ll.estimate(data, "X =~ x1 + x2\nY =~ y1\nD =~ d\nY ~ X + D")
    boot = ll.bootstrap(res, resamples=200, seed=1)
    assert boot.n_failed > 0  # resamples without the two cases with d = 1 have a constant column
    first = boot.summary().notes[0]
    assert f"{boot.n_valid} valid (failed and dropped: singular or undefined: {boot.n_failed})" in first


def test_latex_escapes_special_characters():
    s = Summary("A & B", (("50% of x_1", pd.DataFrame({"name": ["a_b#"], "v": [1.0]})),), ("note $",))
    tex = s.to_latex(digits=1)
    assert "\\section*{A \\& B}" in tex and "\\caption{50\\% of x\\_1}" in tex
    assert "a\\_b\\# & 1.0 \\\\" in tex and "\\item note \\$" in tex


def test_estimation_summary_text_is_unchanged_by_the_latex_and_bootstrap_additions(corp):
    # the pipeline writes res.summary().to_text() to results/structural/summary.txt
    text = corp.summary().to_text()
    assert text.splitlines()[:3] == [
        "PLS-SEM estimation",
        "==================",
        "n = 344; inner weighting: path; interaction terms: two_stage; PLSc: no; missing data: mean",
    ]
    assert "Path coefficients\n-----------------\n  source target  estimate\n0   COMP   CUSA     0.162" in text


# ---- datasets ----------------------------------------------------------------------------------
def test_bundled_datasets_are_seminrs_data_unchanged():
    assert ll.datasets.load("corp_rep").equals(pd.read_csv(REF / "corp_rep_data.csv"))
    assert ll.datasets.load("mobi").equals(pd.read_csv(REF / "mobi.csv"))
    inf = ll.datasets.load("influencer")
    assert inf.shape == (222, 28) and inf.isna().sum().sum() == 0
    assert inf["influencer_group"].isin([0, 1]).all()


def test_dataset_listing_gives_shapes_and_missing_codes():
    info = ll.datasets.list_datasets().set_index("name")
    assert info.loc["corp_rep", ["rows", "columns"]].tolist() == [344, 50]
    assert info.loc["corp_rep", "missing_value"] == -99
    assert int((ll.datasets.load("corp_rep") == -99).sum().sum()) == 70
    assert pd.isna(info.loc["mobi", "missing_value"])


def test_unknown_dataset_name_lists_the_available_ones():
    with pytest.raises(KeyError, match="corp_rep, mobi, influencer"):
        ll.datasets.load("corp_rep_data")
    with pytest.raises(KeyError, match="models exist for: corp_rep, mobi"):
        ll.datasets.model("influencer")


def test_bundled_example_models_reproduce_the_seminr_reference_paths():
    import json

    for name, ref_file, missing in (("corp_rep", "corp_rep_simple.json", -99), ("mobi", "mobi_ecsi.json", None)):
        ref = json.loads((REF / ref_file).read_text())["results"]["path_coefficients"]
        res = ll.estimate(ll.datasets.load(name), ll.datasets.model(name), missing_value=missing)
        for row in res.path_coefficients.itertuples():
            assert row.estimate == pytest.approx(ref[row.source][row.target], abs=1e-6)


# ---- export ------------------------------------------------------------------------------------
MODERATED = ll.datasets.model("corp_rep") + "CUSL ~ COMP:LIKE\n"


def test_exported_lavaan_text_runs_in_semopy_and_matches_the_cbsem_step():
    """semopy on to_lavaan()'s text gives the estimates of leanlearn's CB-SEM step (fit_sem)."""
    semopy = pytest.importorskip("semopy")
    from leanlearn.cbsem import sem

    spec = ll.parse_model(MODERATED)
    text = ll.to_lavaan(spec, interactions="drop", single_items=True)
    assert "COMP:LIKE" not in text.split("\n", 1)[1]  # only named in the leading comment
    frame = ll.datasets.load("corp_rep").replace(-99, np.nan)[list(spec.items)].dropna().astype(float)
    model = semopy.Model(text)
    model.fit(frame, obj="MLW", solver="SLSQP", options={"maxiter": 10000, "ftol": 1e-12})
    est = model.inspect()
    ours = sem.fit_sem(frame, spec.without_interactions())
    loads = est[est.op == "~"].set_index(["rval", "lval"])["Estimate"].astype(float)
    for row in ours.loadings.itertuples():
        assert loads[(row.construct, row.indicator)] == pytest.approx(row.unstandardized, abs=1e-4)
    for row in ours.paths.itertuples():
        assert loads[(row.source, row.target)] == pytest.approx(row.unstandardized, abs=1e-4)
    assert len(ours.paths) == 5
    assert repr(ours).startswith(f"SEMResult(kind='sem', n={len(frame)}, constructs=4, indicators=10, converged=True, chi2=")
    assert len(repr(ours)) < 300


def test_semopy_cannot_read_the_interaction_that_to_lavaan_keeps_by_default():
    semopy = pytest.importorskip("semopy")
    text = ll.to_lavaan(MODERATED)
    assert "CUSL ~ COMP + LIKE + CUSA + COMP:LIKE" in text
    assert ll.parse_model(text) == ll.parse_model(MODERATED)  # leanlearn reads it back
    with pytest.raises(Exception):
        semopy.Model(text)


def test_to_lavaan_refuses_interactions_when_asked_and_keeps_formative_and_observed_terms():
    with pytest.raises(ll.SpecError, match="COMP:LIKE"):
        ll.to_lavaan(MODERATED, interactions="error")
    with pytest.raises(ValueError, match="interactions must be one of"):
        ll.to_lavaan(MODERATED, interactions="yes")
    text = ll.to_lavaan("F <~ f1 + f2\nY =~ y1 + y2\nY ~ F + size")
    assert text == "F <~ f1 + f2\nY =~ y1 + y2\nY ~ F + size\n"


def test_to_seminr_writes_constructs_interactions_and_estimation_settings():
    code = ll.to_seminr(MODERATED + "CUSL ~ size", interaction="product_indicator", consistent=True,
                        scheme="factorial", missing_value=-99, data="corp_rep_data")
    assert 'reflective("COMP", c("comp_1", "comp_2", "comp_3"))' in code
    assert 'composite("CUSA", single_item("cusa"))' in code
    assert 'composite("size", single_item("size"))' in code
    assert 'interaction_term(iv = "COMP", moderator = "LIKE", method = product_indicator)' in code
    assert 'paths(from = c("COMP", "LIKE", "CUSA", "COMP*LIKE", "size"), to = "CUSL")' in code
    assert "inner_weights = path_factorial" in code and "missing_value = -99" in code
    assert "data = corp_rep_data" in code
    assert code.count("(") == code.count(")")
    with pytest.raises(ValueError, match="no centroid|path, factorial"):
        ll.to_seminr(MODERATED, scheme="centroid")


def test_modelspec_to_lavaan_uses_the_export():
    spec = ll.parse_model(MODERATED)
    assert spec.to_lavaan() == ll.to_lavaan(spec)
    assert spec.to_lavaan(interactions=False) == ll.to_lavaan(spec, interactions="drop")


def test_no_file_claims_that_semopy_reads_the_model_file():
    for path in [ROOT / "studies" / "lean" / "model.lav", ROOT / "src" / "leanlearn" / "spec" / "model.py"]:
        text = path.read_text()
        assert "read by leanlearn and by semopy" not in text
        assert "feed leanlearn and semopy alike" not in text


# ---- global state ------------------------------------------------------------------------------
_LOGGING_PROBE = r"""
import logging, sys
import pandas as pd
import leanlearn as ll
from leanlearn.cbsem import sem
root = logging.getLogger()
before = (root.level, list(root.handlers), list(root.filters), logging.getLogger("semopy").level)
data = ll.datasets.load("corp_rep")
sem.fit_cfa(data, "COMP =~ comp_1 + comp_2 + comp_3\nLIKE =~ like_1 + like_2 + like_3\nLIKE ~ COMP")
after = (root.level, list(root.handlers), list(root.filters), logging.getLogger("semopy").level)
assert "semopy" in sys.modules
print(before == after, before)
"""


def test_cbsem_leaves_the_logging_configuration_as_it_found_it():
    """semopy's import and fit change no logger level, handler or filter (fresh process)."""
    proc = subprocess.run([sys.executable, "-c", _LOGGING_PROBE], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("True (30, [], []")
    assert "No graphviz" not in proc.stderr


def test_only_semopys_records_are_dropped_while_semopy_runs():
    from leanlearn.cbsem.sem import _quiet_semopy

    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            seen.append(record.getMessage())

    root = logging.getLogger()
    handler = Keep(level=logging.DEBUG)
    root.addHandler(handler)
    level = root.level
    try:
        spec = importlib.util.find_spec("semopy")
        semopy_file = str(Path(spec.origin).with_name("model.py")) if spec else None
        with _quiet_semopy():
            assert root.level == level
            logging.warning("from the caller")
            logging.getLogger("leanlearn.test").warning("from a named logger")
            if semopy_file:
                root.handle(root.makeRecord("root", logging.WARNING, semopy_file, 1, "from semopy", (), None))
        root.handle(root.makeRecord("root", logging.WARNING, semopy_file or "x.py", 1, "semopy after", (), None))
    finally:
        root.removeHandler(handler)
    assert "from the caller" in seen and "from a named logger" in seen
    assert "from semopy" not in seen and "semopy after" in seen


_GLOBAL_RANDOM = re.compile(r"\bnp\.random\.(?!default_rng\b|Generator\b|SeedSequence\b|PCG64\b|BitGenerator\b)[a-z_]+\s*\(|\brandom\.seed\s*\(|^\s*import random\b", re.M)


def test_no_code_uses_numpys_global_random_state():
    files = [p for d in ("src", "tests", "benchmarks", "notebooks", "workflow") for p in (ROOT / d).rglob("*")
             if p.suffix in (".py", ".ipynb", ".smk") and p.is_file()]
    files += [p for p in (ROOT / "Snakefile", ROOT / "workflow" / "Snakefile") if p.is_file()]
    offenders = [f"{p.relative_to(ROOT)}: {m.group(0).strip()}" for p in files for m in _GLOBAL_RANDOM.finditer(p.read_text())
                 if p.name != "test_api.py"]
    assert offenders == []
    assert _GLOBAL_RANDOM.search("x = np.random.normal(size=3)") and not _GLOBAL_RANDOM.search("np.random.default_rng(1)")


def test_api_reference_shows_sphinx_roles_as_code():
    import importlib.util

    spec = importlib.util.spec_from_file_location("griffe_sphinx_roles", ROOT / "docs" / "griffe_sphinx_roles.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.convert("see :class:`~leanlearn.pls.engine.PLSResult` and :func:`leanlearn.estimate`") == (
        "see `PLSResult` and `leanlearn.estimate`"
    )
    assert mod.convert(":mod:`leanlearn.spec.model` and :math:`f^2`") == "`leanlearn.spec.model` and `f^2`"
