"""The `leanlearn estimate` CLI keeps its contract: files, columns, determinism, clear errors."""

from __future__ import annotations

import filecmp
import subprocess
import sys

import pandas as pd
import pytest

from conftest import MOBI_MODERATION, REF
from leanlearn.cli import main

POINT_FILES = {
    "paths.csv": ["source", "target", "estimate"],
    "outer_loadings.csv": ["construct", "indicator", "estimate"],
    "outer_weights.csv": ["construct", "indicator", "estimate"],
    "r_squared.csv": ["construct", "r_squared", "r_squared_adj"],
    "reliability.csv": ["construct", "cronbach_alpha", "rho_a", "rho_c", "ave"],
    "f_squared.csv": ["source", "target", "f_squared"],
    "vif_inner.csv": ["source", "target", "vif"],
    "vif_items.csv": ["construct", "indicator", "vif"],
    "effects.csv": ["source", "target", "direct", "indirect", "total"],
    "indirect_effects.csv": ["path", "estimate"],
    "fit.csv": ["srmr", "d_uls", "d_g"],
}
BOOT = ["std_error", "t_value", "p_value", "ci_lower", "ci_upper", "ci_level"]
CORP_MODEL = """COMP =~ comp_1 + comp_2 + comp_3
LIKE =~ like_1 + like_2 + like_3
CUSA =~ cusa
CUSL =~ cusl_1 + cusl_2 + cusl_3
CUSA ~ COMP + LIKE
CUSL ~ COMP + LIKE + CUSA
"""


@pytest.fixture(scope="module")
def corp_model(tmp_path_factory):
    p = tmp_path_factory.mktemp("m") / "corp.lav"
    p.write_text(CORP_MODEL)
    return p


def _est(tmp, model, out, *extra):
    return main(["estimate", str(REF / "corp_rep_data.csv"), str(model), "--out", str(out), "--missing-value", "-99", *extra])


def test_estimate_writes_exactly_the_documented_files_and_columns(tmp_path, corp_model):
    assert _est(tmp_path, corp_model, tmp_path / "out") == 0
    for name, cols in POINT_FILES.items():
        assert list(pd.read_csv(tmp_path / "out" / name).columns) == cols, name
    for name in ("htmt.csv", "fornell_larcker.csv"):
        sq = pd.read_csv(tmp_path / "out" / name)
        assert list(sq.columns) == ["construct", "COMP", "LIKE", "CUSA", "CUSL"]
        assert sq.construct.tolist() == ["COMP", "LIKE", "CUSA", "CUSL"]
    scores = pd.read_csv(tmp_path / "out" / "scores.csv")
    assert list(scores.columns) == ["case", "COMP", "LIKE", "CUSA", "CUSL"] and len(scores) == 344
    ind = pd.read_csv(tmp_path / "out" / "indirect_effects.csv")
    assert ind.path.tolist() == ["COMP -> CUSA -> CUSL", "LIKE -> CUSA -> CUSL"]


def test_bootstrapped_tables_gain_the_bootstrap_columns(tmp_path, corp_model):
    assert _est(tmp_path, corp_model, tmp_path / "out", "--resamples", "200", "--seed", "7") == 0
    for name in ("paths.csv", "outer_loadings.csv", "outer_weights.csv", "indirect_effects.csv"):
        assert list(pd.read_csv(tmp_path / "out" / name).columns) == POINT_FILES[name] + BOOT, name
    status = pd.read_csv(tmp_path / "out" / "bootstrap_status.csv").set_index("reason")["count"]
    assert status["valid"] + status["singular_or_undefined"] + status["not_converged"] == 200


def test_progress_bar_is_drawn_on_a_terminal_and_the_results_are_those_without_one(tmp_path, corp_model, monkeypatch):
    import io

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    assert _est(tmp_path, corp_model, tmp_path / "pipe", "--resamples", "50", "--seed", "7") == 0
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert _est(tmp_path, corp_model, tmp_path / "tty", "--resamples", "50", "--seed", "7") == 0
    assert "bootstrap" in terminal.getvalue() and "50/50" in terminal.getvalue()
    files = sorted(p.name for p in (tmp_path / "pipe").glob("*.csv"))
    match, mismatch, errors = filecmp.cmpfiles(tmp_path / "pipe", tmp_path / "tty", files, shallow=False)
    assert mismatch == [] and errors == [] and "bootstrap_status.csv" in match


def test_same_seed_gives_byte_identical_csvs_with_one_and_two_workers(tmp_path):
    model = tmp_path / "mod.lav"
    model.write_text(MOBI_MODERATION)
    for w in ("1", "2"):
        assert main(["estimate", str(REF / "mobi.csv"), str(model), "--out", str(tmp_path / w), "--resamples", "600", "--seed", "3", "--workers", w]) == 0
    files = sorted(p.name for p in (tmp_path / "1").glob("*.csv"))
    assert "simple_slopes.csv" in files
    match, mismatch, errors = filecmp.cmpfiles(tmp_path / "1", tmp_path / "2", files, shallow=False)
    assert mismatch == [] and errors == []


def test_moderated_mediation_files_have_the_documented_columns(tmp_path):
    model = tmp_path / "mod.lav"
    model.write_text(MOBI_MODERATION + "Loyalty =~ CUSL1 + CUSL2 + CUSL3\nLoyalty ~ Satisfaction + Image\n")
    assert main(["estimate", str(REF / "mobi.csv"), str(model), "--out", str(tmp_path / "o"), "--resamples", "200", "--seed", "1"]) == 0
    o = tmp_path / "o"
    assert list(pd.read_csv(o / "conditional_indirect_effects.csv").columns) == [
        "path", "moderator", "moderator_value", "estimate", "std_error", "ci_lower", "ci_upper", "ci_level", "p_value"]
    assert list(pd.read_csv(o / "moderated_mediation.csv").columns) == [
        "path", "moderator", "index", "std_error", "ci_lower", "ci_upper", "ci_level", "p_value"]
    ss = pd.read_csv(o / "simple_slopes.csv")
    assert ss.moderator_value.tolist() == [-1, 0, 1] and ss.interaction.unique().tolist() == ["Image:Expectation"]


@pytest.mark.parametrize(
    "model_text,message",
    [
        ("COMP =~ comp_1 + comp_2\nCUSA ~~ COMP\n", "line 2: '~~'"),
        ("COMP =~ comp_1 + nope_1\nCUSA =~ cusa\nCUSA ~ COMP\n", "not columns of the data: nope_1"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message_and_writes_nothing(tmp_path, capsys, model_text, message):
    model = tmp_path / "bad.lav"
    model.write_text(model_text)
    out = tmp_path / "out"
    assert main(["estimate", str(REF / "corp_rep_data.csv"), str(model), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and "error:" in err
    assert not out.exists()


def test_missing_data_file_is_named(tmp_path, corp_model, capsys):
    assert main(["estimate", str(tmp_path / "nope.csv"), str(corp_model), "--out", str(tmp_path / "o")]) == 2
    assert "nope.csv: file not found" in capsys.readouterr().err


def test_python_dash_m_entry_point_lists_the_verbs():
    out = subprocess.run([sys.executable, "-m", "leanlearn", "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    for verb in ("simulate", "ingest", "screen", "merge", "estimate", "hypotheses", "summary"):
        assert verb in out.stdout


def test_write_csv_writes_the_bytes_of_pandas_to_csv_on_its_fast_path_and_off_it(tmp_path):
    import numpy as np

    from leanlearn.cli._io import FLOAT_FORMAT, _csv_cells, write_csv

    rng = np.random.default_rng(3)
    special = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e300, 5e-324, 1 / 3, 123456789012345.0, 1e16, 0.1, 1.0]
    n = 40
    frame = pd.DataFrame({
        "estimate": rng.normal(size=n) * 10.0 ** rng.integers(-20, 20, size=n),
        "special": rng.choice(special, size=n),
        "n_resamples": rng.integers(-10**12, 10**12, size=n),
        "meets": rng.random(n) < 0.5,
        "label": pd.Series(rng.choice(np.array(["a", "b,c", 'q"x', "", "line\nbreak", None, np.nan, "é"], dtype=object), size=n), dtype=object),
        "text": pd.Series(rng.choice(np.array(["a", "b;c", 'q"x', "", None, "é"], dtype=object), size=n), dtype="str"),
    })  # fmt: skip
    mixed = frame.assign(label=pd.Series([1, "x", 2.5] * 13 + [None], dtype=object))  # not a text column: to_csv
    assert _csv_cells(frame) is not None and _csv_cells(mixed) is None
    for df in (frame, mixed, frame.iloc[:0], frame[["label"]]):
        write_csv(df, tmp_path / "fast.csv")
        df.to_csv(tmp_path / "pandas.csv", index=False, float_format=FLOAT_FORMAT, lineterminator="\n", encoding="utf-8")
        assert (tmp_path / "fast.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()
