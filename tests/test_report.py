"""Publication tables: numbers as in the results (rounded only through leanlearn.format),
thresholds with their sources from the config, absent stages "not run", and four writers."""

from __future__ import annotations

import csv
import html.parser
import io

import pandas as pd
import pytest

from leanlearn.measurement.assessment import SOURCES as MEASUREMENT_SOURCES
from leanlearn.cli import main
from leanlearn.format import num
from leanlearn.report.tables import (
    RESULT_FILES,
    SOURCES,
    TABLE_ORDER,
    NotRun,
    Table,
    build_tables,
    ci_cell,
    hypotheses_table,
    label,
    latex_escape,
    measurement_table,
    p_cell,
    structural_table,
    table_csv,
    table_html,
    table_latex,
    table_markdown,
)


# ---- small result tables with the pipeline's column contracts -----------------------------------
def _hypotheses():
    return pd.DataFrame([
        {"hypothesis": "H1", "statement": "Lean practices relate to the learning system.", "test": "path", "direction": "positive",
         "quantity": "LP -> LS", "estimate": 0.2750871, "std_error": 0.0628, "ci_lower": 0.1550902, "ci_upper": 0.3994197, "ci_level": 0.95,
         "p_value": 1.88e-05, "verdict": "supported", "explanation": "..."},
        {"hypothesis": "H4a", "statement": "No mediation of DIG.", "test": "indirect", "direction": "none", "quantity": "DIG -> LS -> OP",
         "estimate": 0.0231464, "std_error": 0.0297, "ci_lower": -0.0326348, "ci_upper": 0.0847402, "ci_level": 0.95, "p_value": 0.436,
         "verdict": "supported", "explanation": "..."},
        {"hypothesis": "H5", "statement": "DIG strengthens LP -> LS.", "test": "interaction", "direction": "positive", "quantity": "LP:DIG -> LS",
         "estimate": 0.1711775, "std_error": 0.0703, "ci_lower": 0.0261746, "ci_upper": 0.3011589, "ci_level": 0.95, "p_value": 0.0157315,
         "verdict": "supported", "explanation": "..."},
    ])


def _loadings():
    rows = []
    for c, items in (("LP", ["LP1", "LP2", "LP3"]), ("LS", ["LS1", "LS2"]), ("log_employees", ["log_employees"]), ("LP:DIG", ["LP:DIG"])):
        for k, i in enumerate(items):
            rows.append({"construct": c, "indicator": i, "estimate": 0.8 + 0.01 * k, "ci_lower": 0.7, "ci_upper": 0.9, "ci_level": 0.95})
    return pd.DataFrame(rows)


def _reliability():
    return pd.DataFrame({"construct": ["LP", "LS", "log_employees", "LP:DIG"], "cronbach_alpha": [0.9244, 0.8971, 1, 1], "rho_a": [0.9337, 0.8994, 1, 1],
                         "rho_c": [0.9377, 0.9214, 1, 1], "ave": [0.6533, 0.6620, 1, 1]})


def _paths():
    return pd.DataFrame([
        {"source": "LP", "target": "LS", "estimate": 0.275087, "ci_lower": 0.155, "ci_upper": 0.399, "ci_level": 0.95, "p_value": 1.9e-5},
        {"source": "LP:DIG", "target": "LS", "estimate": 0.171178, "ci_lower": 0.026, "ci_upper": 0.301, "ci_level": 0.95, "p_value": 0.0157},
        {"source": "firm_age", "target": "LS", "estimate": -0.06598, "ci_lower": -0.194, "ci_upper": 0.059, "ci_level": 0.95, "p_value": 0.311},
    ])


def _square(names, values):
    df = pd.DataFrame(values, columns=names)
    df.insert(0, "construct", names)
    return df


def results_fixture() -> dict:
    """A minimal set of core results (as leanlearn.cli.report.load_results returns them)."""
    flow = pd.DataFrame([
        ("responses_in", "responses in the export", 260, 0, 260, 260),
        ("incomplete", "not finished", 260, 11, 249, 11),
        ("multiple_soft_flags", "soft flags from at least the required number of families", 249, 35, 214, 40),
        ("flagged_but_kept", "kept responses with at least one soft flag", 214, 0, 214, 46),
    ], columns=["step", "description", "n_before", "n_excluded", "n_after", "n_flagged"])
    names = ["LP", "LS"]
    return {
        "flow": flow,
        "hypotheses": _hypotheses(),
        "outer_loadings": _loadings(),
        "reliability": _reliability(),
        "htmt": _square(names, [[None, 0.27079], [0.27079, None]]),
        "htmt_upper_bounds": pd.DataFrame([{"construct_a": "LP", "construct_b": "LS", "estimate": 0.27079, "upper_bound": 0.38683, "quantile": 0.95}]),
        "fornell_larcker": _square(names, [[0.80825, None], [0.25755, 0.81363]]),
        "paths": _paths(),
        "settings": {"n_used": 210, "controls": ["firm_age"], "bootstrap_resamples": 200},
    }


CONFIG = {"measurement": {"loading_min": 0.75, "alpha_min": 0.7, "rho_a_min": 0.7, "rho_c_range": [0.7, 0.95], "ave_min": 0.5, "htmt_max": 0.85},
          "screening": {"seconds_per_item_hard": 1.0, "max_case_missing_share": 0.15, "exclude_if_n_flags_at_least": 2}}


# ---- formatting ----------------------------------------------------------------------------------
@pytest.mark.parametrize("p, text", [(1.9e-5, "< .001"), (0.0157, ".016"), (0.4364, ".436"), (float("nan"), "—"), (None, "—")])
def test_p_values_are_apa(p, text):
    assert p_cell(p) == text


def test_ci_cells_round_like_format_num():
    assert ci_cell(-0.0326348, 0.0847402) == f"[{num(-0.0326348)}, {num(0.0847402)}]" == "[-0.033, 0.085]"


@pytest.mark.parametrize("raw, shown", [("LP -> LS", "LP → LS"), ("LP:DIG -> LS", "LP × DIG → LS"), ("firm_age", "firm_age")])
def test_labels(raw, shown):
    assert label(raw) == shown


# ---- tables --------------------------------------------------------------------------------------
def test_hypotheses_table_cells_are_the_csv_numbers_rounded_by_format():
    hyp = _hypotheses()
    t = hypotheses_table(hyp)
    assert t.columns == ("Hypothesis", "Effect", "Predicted", "Estimate", "95% CI", "p", "Verdict")
    for row, r in zip(t.rows, hyp.itertuples()):
        assert row[3] == num(r.estimate)
        assert row[4] == f"[{num(r.ci_lower)}, {num(r.ci_upper)}]"
        assert row[6] == r.verdict
    assert t.rows[1][2] == "0" and t.rows[0][2] == "+"
    assert t.rows[2][1] == "LP × DIG → LS"


def test_measurement_table_prints_configured_thresholds_with_sources():
    t = measurement_table(_loadings(), _reliability(), thresholds=CONFIG["measurement"])
    assert "loading ≥ 0.75 (" + MEASUREMENT_SOURCES["loading"] + ")" in t.note
    assert "AVE ≥ 0.5 (" + MEASUREMENT_SOURCES["ave"] + ")" in t.note
    assert "ρC 0.7–0.95" in t.note
    # single items and interaction terms are not part of the measurement table
    assert {r[1] for r in t.rows} == {"LP1", "LP2", "LP3", "LS1", "LS2"}
    first_lp = t.rows[0]
    assert first_lp[0] == "LP" and first_lp[-1] == num(0.6533)
    assert t.rows[1][0] == "" and t.rows[1][-1] == ""


def test_structural_table_separates_controls_and_cites_thresholds():
    t = structural_table(_paths(), controls=["firm_age"], thresholds={"vif_max": 3.0})
    assert [p for _, p in t.panels] == ["Structural paths", "Controls"]
    assert t.rows[-1][0] == "firm_age → LS" and t.rows[-1][1] == "-0.066"
    assert "Inner VIF < 3 (" + SOURCES["vif_max"] + ")" in t.note
    assert "(" + SOURCES["f_squared_cutoffs"] + ")" in t.note


def test_every_table_says_not_run_when_its_stage_did_not_run():
    out = build_tables({}, {})
    assert list(out) == list(TABLE_ORDER)
    for name, t in out.items():
        assert isinstance(t, NotRun), name
        assert t.reason.startswith("not run:") and ".csv absent" in t.reason or "absent" in t.reason


def test_core_tables_are_built_and_optional_ones_are_not_run():
    out = build_tables(results_fixture(), CONFIG)
    for name in ("sample", "measurement", "htmt", "fornell_larcker", "structural", "hypotheses"):
        assert isinstance(out[name], Table), (name, out[name])
    for name in ("full_collinearity_vif", "harman", "cfa_fit", "predict", "power", "multiverse", "descriptives"):
        assert isinstance(out[name], NotRun), name
        assert RESULT_FILES[{"full_collinearity_vif": "full_collinearity_vif", "harman": "harman", "cfa_fit": "cfa_fit",
                             "predict": "predict_items", "power": "power", "multiverse": "multiverse_stability", "descriptives": "items"}[name]][0] in out[name].reason
    htmt = out["htmt"]
    assert htmt.rows[1][1] == f"{num(0.27079)} [{num(0.38683)}]"
    assert "threshold 0.85" in htmt.note
    sample = out["sample"]
    assert sample.rows[-1] == ("Archival controls missing (never imputed)", "0", "210")
    assert "fewer than 1 s per item on a page (" + SOURCES["seconds_per_item_hard"] + ")" in sample.note


def test_a_stage_that_could_not_run_gives_its_reason():
    res = results_fixture()
    res["marker_correction"] = pd.DataFrame([{"status": "not_possible", "reason": "the codebook has no marker construct"}])
    out = build_tables(res, CONFIG, names=["marker_correction"])
    assert isinstance(out["marker_correction"], NotRun)
    assert "no marker construct" in out["marker_correction"].reason


def test_a_changed_output_contract_is_reported_not_guessed():
    res = results_fixture()
    res["harman"] = pd.DataFrame({"method": ["principal_components"], "share": [0.3]})
    out = build_tables(res, CONFIG, names=["harman"])
    assert isinstance(out["harman"], NotRun) and "first_factor_share" in out["harman"].reason


def test_optional_bias_and_robustness_tables_render_when_present():
    res = results_fixture()
    res["full_collinearity_vif"] = pd.DataFrame({"construct": ["LP", "LS"], "r_squared": [0.146, 0.233], "vif": [1.1715, 1.3042],
                                                 "threshold": [3.3, 3.3], "exceeds": [False, False]})
    res["power"] = pd.DataFrame({"n": [100, 209, 100, 209], "parameter": ["a3", "a3", "b", "b"], "population_value": [0.25, 0.25, 0.5, 0.5],
                                 "power": [0.39, 0.85, 1.0, 1.0], "n_replications": [100] * 4})
    out = build_tables(res, CONFIG, names=["full_collinearity_vif", "power"])
    vif = out["full_collinearity_vif"]
    assert vif.rows[1] == ("LS", "0.233", "1.30", "no")
    assert "VIF ≤ 3.3 (" + SOURCES["full_collinearity_vif"] + ")" in vif.note
    power = out["power"]
    assert power.columns == ("Parameter", "Population value", "N = 100", "N = 209")
    assert power.rows[0] == ("a3", "0.250", "0.39", "0.85")


# ---- writers -------------------------------------------------------------------------------------
def _table():
    return Table("demo", "A & B: 50% of x_y", ("Path", "β"), (("LP → LS", "0.275"), ("LP × DIG → LS", "-0.066")),
                 note="Threshold ≥ 0.708 (Hair et al. 2019).", panels=((0, "Panel A"), (1, "Panel B")))


def test_markdown_writer_gives_a_pipe_table():
    md = table_markdown(_table(), number="Table 2")
    lines = md.splitlines()
    assert lines[0] == "**Table 2. A & B: 50% of x_y**"
    assert lines[2] == "| Path | β |" and lines[3] == "|:--|--:|"
    assert "| *Panel A* |  |" in lines
    assert lines[-1].startswith("*Note.* Threshold ≥ 0.708")


def test_latex_writer_uses_booktabs_and_escapes():
    tex = table_latex(_table())
    for token in (r"\toprule", r"\midrule", r"\bottomrule", r"\begin{tabular}{lr}", r"\label{tab:demo}"):
        assert token in tex
    assert r"A \& B: 50\% of x\_y" in tex
    assert r"LP $\rightarrow$ LS" in tex and r"$\geq$ 0.708" in tex
    assert r"\multicolumn{2}{l}{\textit{Panel B}}" in tex
    assert latex_escape("−0.1 × α²") == r"$-$0.1 $\times$ $\alpha$$^{2}$".replace("$$", "")


class _Tags(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.open, self.cells, self.caption = [], [], ""
        self._in = None

    def handle_starttag(self, tag, attrs):
        self.open.append(tag)
        self._in = tag

    def handle_endtag(self, tag):
        assert self.open.pop() == tag
        self._in = None

    def handle_data(self, data):
        if self._in in ("td", "th") and data.strip():
            self.cells.append(data)
        if self._in in ("figcaption", "span"):
            self.caption += data


def test_html_writer_is_well_formed_and_escaped():
    text = table_html(_table(), number="Table 2")
    p = _Tags()
    p.feed(text)
    assert p.open == []
    assert "A &amp; B" in text
    assert "Table 2." in p.caption
    assert ["Path", "β", "Panel A", "LP → LS", "0.275"] == p.cells[:5]


def test_csv_writer_round_trips_the_printed_cells():
    df = pd.read_csv(io.StringIO(table_csv(_table())), dtype=str, keep_default_na=False)
    assert list(df.columns) == ["panel", "Path", "β"]
    assert list(df["β"]) == ["0.275", "-0.066"]
    assert list(df["panel"]) == ["Panel A", "Panel B"]


def test_rows_must_match_columns():
    with pytest.raises(ValueError, match="cells"):
        Table("x", "X", ("a", "b"), (("1",),))


# ---- the verb ------------------------------------------------------------------------------------
def _write_results(root):
    res = results_fixture()
    for key, df in res.items():
        if key == "settings":
            import json

            path = root / RESULT_FILES[key][0]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(df))
            continue
        path = root / RESULT_FILES[key][0]
        path.parent.mkdir(parents=True, exist_ok=True)
        df.to_csv(path, index=False)


def test_report_verb_writes_four_formats_figures_and_an_index(tmp_path):
    import yaml

    results = tmp_path / "results"
    _write_results(results)
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    argv = ["report", "--results", str(results), "--config", str(config), "--out", str(results / "tables"),
            "--figures", str(results / "figures"), "--figure-formats", "png,svg"]
    assert main(argv) == 0
    for ext in ("csv", "md", "tex", "html"):
        assert (results / "tables" / f"hypotheses.{ext}").is_file()
    assert not (results / "tables" / "harman.csv").exists()
    index = (results / "tables" / "index.md").read_text()
    assert "Harman's single-factor test: not run: bias/harman.csv absent" in index
    written = list(csv.reader(io.StringIO((results / "tables" / "hypotheses.csv").read_text())))
    assert written[1][3] == num(_hypotheses().estimate.iloc[0])
    # every figure file exists (placeholders for absent inputs), PNG and SVG as asked
    for name in ("path_diagram", "htmt", "forest", "simple_slopes", "floodlight", "conditional_indirect"):
        assert (results / "figures" / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (results / "figures" / f"{name}.svg").is_file()
        assert not (results / "figures" / f"{name}.pdf").exists()
    # rerun: byte-identical outputs
    before = {p.name: p.read_bytes() for p in (results / "tables").iterdir()} | {p.name: p.read_bytes() for p in (results / "figures").iterdir()}
    assert main(argv) == 0
    after = {p.name: p.read_bytes() for p in (results / "tables").iterdir()} | {p.name: p.read_bytes() for p in (results / "figures").iterdir()}
    assert before == after


def test_report_verb_rejects_unknown_figure_formats(tmp_path, capsys):
    results = tmp_path / "results"
    _write_results(results)
    config = tmp_path / "config.yaml"
    config.write_text("seed: 1\n")
    assert main(["report", "--results", str(results), "--config", str(config), "--out", str(tmp_path / "t"), "--figures", str(tmp_path / "f"),
                 "--figure-formats", "png,gif"]) == 2
    assert "gif" in capsys.readouterr().err
