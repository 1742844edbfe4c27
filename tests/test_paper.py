"""The manuscript: every number from the results, a missing number fails, the HTML opens.

The end-to-end tests run the core pipeline verbs on the bundled (synthetic) data with 200
bootstrap resamples into a temporary folder (:func:`pipeline_results`, shared with
tests/test_notebooks.py), then ``leanlearn report`` and ``leanlearn paper``, and check the
rendered HTML against the result CSVs.
"""

from __future__ import annotations

import atexit
import base64
import html.parser
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import ROOT
from leanlearn.cli import main
from leanlearn.format import ci, num, pval
from leanlearn.report.paper import FigureRef, PlaceholderError, numbers_tex, paper_numbers, render, stages_run
from leanlearn.report.tables import NotRun, Table

RESAMPLES = 200
_CACHE: dict[str, Path] = {}


def pipeline_results() -> Path:
    """Run ingest → screen → merge → measurement → hypotheses → process → report → paper once per session.

    Returns the folder holding ``results/``, ``data/processed/`` and the config used.
    """
    if "root" in _CACHE:
        return _CACHE["root"]
    base = Path(tempfile.mkdtemp(prefix="leanlearn-paper-test-"))
    atexit.register(shutil.rmtree, base, True)
    cfg = yaml.safe_load((ROOT / "studies" / "lean" / "config.yaml").read_text())
    cfg["bootstrap"]["resamples"] = RESAMPLES
    cfg["bootstrap"]["workers"] = 1
    cfg["salt_file"] = str(base / ".salt")
    for key in ("survey", "archival", "sampling_frame", "codebook", "model", "manuscript"):  # relative to the study folder
        cfg[key] = str((ROOT / "studies" / "lean" / cfg[key]).resolve())
    config = base / "config.yaml"
    config.write_text(yaml.safe_dump(cfg, sort_keys=False))
    raw, codebook, model = ROOT / "data" / "raw", ROOT / "studies" / "lean" / "codebook.yaml", Path(cfg["model"])
    proc, res = base / "data" / "processed", base / "results"
    steps = [
        ["ingest", "--survey", str(raw / "survey_export.csv"), "--codebook", str(codebook), "--config", str(config), "--out", str(proc)],
        ["screen", str(proc / "survey_ingested.csv"), "--codebook", str(codebook), "--config", str(config),
         "--out", str(res / "screening"), "--clean", str(proc / "survey_clean.csv")],
        ["merge", "--survey", str(proc / "survey_clean.csv"), "--archival", str(raw / "orbis_firms.csv"), "--frame", str(raw / "sampling_frame.csv"),
         "--config", str(config), "--out", str(res / "screening"), "--merged", str(proc / "analysis.csv")],
        ["measurement", str(proc / "analysis.csv"), str(model), "--config", str(config), "--out", str(res / "measurement")],
        ["hypotheses", str(proc / "analysis.csv"), str(model), "--config", str(config), "--out", str(res / "hypotheses"),
         "--tables", str(res / "structural")],
        ["process", str(proc / "analysis.csv"), str(model), "--config", str(config), "--tables", str(res / "structural"),
         "--out", str(res / "hypotheses"), "--resamples", str(RESAMPLES)],
        ["report", "--results", str(res), "--config", str(config), "--out", str(res / "tables"), "--figures", str(res / "figures")],
        ["paper", "--results", str(res), "--config", str(config), "--source", str(ROOT / "studies" / "lean" / "manuscript.md"),
         "--out", str(res / "paper"), "--pdf", "never"],
    ]
    old = os.environ.get("LEANLEARN_SALT")
    os.environ["LEANLEARN_SALT"] = "paper-test-salt-0f1e2d3c4b5a6978"
    try:
        for argv in steps:
            assert main(argv) == 0, argv
    finally:
        if old is None:
            os.environ.pop("LEANLEARN_SALT", None)
        else:
            os.environ["LEANLEARN_SALT"] = old
    _CACHE["root"] = base
    return base


@pytest.fixture(scope="module")
def run_dir():
    return pipeline_results()


class _Collector(html.parser.HTMLParser):
    """Numbers (span.num), images and tables of the rendered manuscript."""

    def __init__(self):
        super().__init__()
        self.numbers: list[tuple[str, str]] = []
        self.images: list[str] = []
        self.tables: dict[str, list[list[str]]] = {}
        self._key = None
        self._text = []
        self._table = None
        self._cell = None
        self._row = None
        self.stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag not in ("img", "meta", "br", "hr"):
            self.stack.append(tag)
        if tag == "span" and a.get("class") == "num":
            self._key, self._text = a["data-key"], []
        elif tag == "img":
            self.images.append(a["src"])
        elif tag == "figure" and (a.get("id") or "").startswith("table-"):
            self._table = a["id"][len("table-"):]
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()
        if tag == "span" and self._key is not None:
            self.numbers.append((self._key, "".join(self._text)))
            self._key = None
        elif tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "figure":
            self._table = None

    def handle_data(self, data):
        if self._key is not None:
            self._text.append(data)
        if self._cell is not None:
            self._cell.append(data)


@pytest.fixture(scope="module")
def rendered(run_dir):
    text = (run_dir / "results" / "paper" / "manuscript.html").read_text(encoding="utf-8")
    parser = _Collector()
    parser.feed(text)
    parser.close()
    return text, parser


def _csv(run_dir, rel):
    return pd.read_csv(run_dir / "results" / rel)


def test_every_number_in_the_paper_is_the_one_in_numbers_json(run_dir, rendered):
    _, doc = rendered
    numbers = json.loads((run_dir / "results" / "paper" / "numbers.json").read_text())
    assert len(doc.numbers) > 100
    for key, text in doc.numbers:
        assert numbers[key] == text, key


def test_numbers_in_the_paper_equal_the_result_csvs(run_dir, rendered):
    _, doc = rendered
    seen = dict(doc.numbers)
    hyp = _csv(run_dir, "hypotheses/hypotheses.csv").set_index("hypothesis")
    for h in ("H1", "H3", "H5", "H6b"):
        r = hyp.loc[h]
        assert seen[f"{h}.estimate"] == num(r.estimate)
        assert seen[f"{h}.ci"] == ci(r.ci_lower, r.ci_upper, r.ci_level)
    assert seen["H1.p"] == pval(hyp.loc["H1", "p_value"])
    flow = _csv(run_dir, "screening/flow.csv").set_index("step")
    assert seen["n_kept"] == str(int(flow.loc["multiple_soft_flags", "n_after"]))
    assert seen["n_responses"] == str(int(flow.loc["responses_in", "n_after"]))
    r2 = _csv(run_dir, "structural/r_squared.csv").set_index("construct")
    assert seen["r2.LS"] == num(r2.loc["LS", "r_squared"])
    mm = _csv(run_dir, "structural/moderated_mediation.csv").iloc[0]
    assert seen["imm.estimate"] == num(mm["index"])
    cie = _csv(run_dir, "structural/conditional_indirect_effects.csv")
    cie = cie[cie.path == cie.path.iloc[0]].set_index("moderator_value")  # the paper reports the first chain
    assert seen["cie.high.estimate"] == num(cie.loc[1, "estimate"])
    paths = _csv(run_dir, "structural/paths.csv").set_index(["source", "target"])
    assert seen["beta.LP_x_DIG_LS.estimate"] == num(paths.loc[("LP:DIG", "LS"), "estimate"])
    settings = json.loads((run_dir / "results" / "structural" / "settings.json").read_text())
    assert seen["boot.resamples"] == f"{RESAMPLES:,}" == f"{settings['bootstrap_resamples']:,}"
    assert seen["n_analysed"] == str(settings["n_used"])


def test_tables_in_the_paper_equal_the_result_csvs(run_dir, rendered):
    _, doc = rendered
    rows = doc.tables["hypotheses"]
    header, body = rows[0], rows[1:]
    hyp = _csv(run_dir, "hypotheses/hypotheses.csv")
    assert len(body) == len(hyp)
    col = {name: i for i, name in enumerate(header)}
    for cells, r in zip(body, hyp.itertuples()):
        assert cells[col["Hypothesis"]] == r.hypothesis
        assert cells[col["Estimate"]] == num(r.estimate)
        assert cells[col["95% CI"]] == f"[{num(r.ci_lower)}, {num(r.ci_upper)}]"
        assert cells[col["Verdict"]] == r.verdict
    structural = doc.tables["structural"]
    paths = _csv(run_dir, "structural/paths.csv")
    betas = {c[0]: c[1] for c in structural[1:] if len(c) > 2}
    assert betas["LP → LS"] == num(paths[(paths.source == "LP") & (paths.target == "LS")].estimate.iloc[0])
    # the written table files say the same as the paper
    written = pd.read_csv(run_dir / "results" / "tables" / "hypotheses.csv", dtype=str)
    assert list(written["Estimate"]) == [num(x) for x in hyp.estimate]


def test_html_parses_and_every_image_is_there(run_dir, rendered):
    text, doc = rendered
    assert text.startswith("<!DOCTYPE html>")
    assert doc.stack == [], f"unclosed tags: {doc.stack}"
    assert "{{" not in text and "{%" not in text and "@@LL" not in text
    assert len(doc.images) >= 5
    for src in doc.images:
        if src.startswith("data:image/svg+xml;base64,"):
            assert base64.b64decode(src.split(",", 1)[1]).lstrip().startswith(b"<?xml")
        else:
            assert (run_dir / "results" / "paper" / src).resolve().is_file(), src
    for name in ("hypotheses", "measurement", "htmt", "structural", "mediation", "moderated_mediation", "sample"):
        assert name in doc.tables, name
    # the tables index also opens and links only existing files
    index = (run_dir / "results" / "tables" / "index.html").read_text()
    links = _Collector()
    links.feed(index)
    for src in links.images:
        assert (run_dir / "results" / "tables" / src).resolve().is_file(), src


def test_stages_that_did_not_run_say_so(run_dir):
    text = (run_dir / "results" / "paper" / "manuscript.md").read_text()
    assert "Bias diagnostics: not run" in text
    assert "Robustness checks: not run" in text


def test_paper_is_byte_reproducible(run_dir):
    res = run_dir / "results"
    names = ("manuscript.html", "manuscript.md", "numbers.json", "numbers.tex")
    before = {name: (res / "paper" / name).read_bytes() for name in names}
    argv = ["paper", "--results", str(res), "--config", str(run_dir / "config.yaml"), "--source", str(ROOT / "studies" / "lean" / "manuscript.md"),
            "--out", str(res / "paper"), "--figures", str(res / "figures"), "--pdf", "never"]
    assert main(argv) == 0
    for name in names:
        assert (res / "paper" / name).read_bytes() == before[name], name


def test_a_rebuild_keeps_numbers_json_when_the_previous_run_recorded_the_numbers_as_its_own(run_dir, tmp_path):
    # An older version wrote numbers.json inside the paper's atomic directory, so its record of the
    # paper verb's files lists them; with the manuscripts deleted (as Snakemake does before a
    # rerun) the folder then looks like "only this verb's previous files" and is swapped in whole.
    res = run_dir / "results"
    out = tmp_path / "results" / "paper"
    argv = ["paper", "--results", str(res), "--config", str(run_dir / "config.yaml"), "--source", str(ROOT / "studies" / "lean" / "manuscript.md"),
            "--out", str(out), "--figures", str(res / "figures"), "--pdf", "never"]
    assert main(argv) == 0
    registry = out.parent / ".leanlearn-written.log"
    record = json.loads(registry.read_text())
    record["paper/paper"] = ["manuscript.html", "manuscript.md", "numbers.json", "numbers.tex"]
    registry.write_text(json.dumps(record))
    for name in ("manuscript.html", "manuscript.md", "numbers.json", "numbers.tex"):
        (out / name).unlink()
    assert main(argv) == 0
    for name in ("manuscript.html", "manuscript.md", "numbers.json", "numbers.tex"):
        assert (out / name).is_file(), name
        assert (out / name).stat().st_mode & 0o044, name  # readable by others like every other output
    assert json.loads((out / "numbers.json").read_text())["H1.estimate"]


def test_a_missing_number_fails_the_build_naming_the_placeholder(run_dir, tmp_path, capsys):
    source = tmp_path / "manuscript.md"
    source.write_text("# T\n\nFine: {{ H1.estimate }}.\n\nBroken: {{ H1.estimat }}.\n")
    res = run_dir / "results"
    code = main(["paper", "--results", str(res), "--config", str(run_dir / "config.yaml"), "--source", str(source),
                 "--out", str(tmp_path / "out"), "--figures", str(res / "figures"), "--pdf", "never"])
    assert code == 2
    err = capsys.readouterr().err
    assert "H1.estimat" in err and "line 5" in err
    # numbers.json is written also when the build fails (so that the user sees every key); the manuscript is not
    assert json.loads((tmp_path / "out" / "numbers.json").read_text())["H1.estimate"]
    assert not (tmp_path / "out" / "manuscript.html").exists()


# ---- render() on hand-made inputs ---------------------------------------------------------------
NUMBERS = {"n_kept": "214", "H1.estimate": "0.275", "H1.ci": "95% CI [0.155, 0.399]"}


def test_render_marks_numbers_in_html_and_not_in_markdown():
    src = "N = {{ n_kept }}, β = {{ H1.estimate }} ({{ H1.ci }})."
    assert render(src, NUMBERS, mode="markdown").strip() == "N = 214, β = 0.275 (95% CI [0.155, 0.399])."
    out = render(src, NUMBERS, mode="html")
    assert '<span class="num" data-key="H1.estimate">0.275</span>' in out


@pytest.mark.parametrize(
    "source, needle",
    [
        ("a\n{{ n_kep }}", "n_kep"),
        ("{{ H2.estimate }}", "H2.estimate"),
        ("{{ H1.estimate.x }}", "H1.estimate.x"),
        ("{{ table:nope }}", "table:nope"),
        ("{{ figure:nope }}", "figure:nope"),
        ("{{ block:nope }}", "block:nope"),
        ("{% if ran.nope %}x{% endif %}", "ran.nope"),
    ],
)
def test_render_names_the_unresolved_placeholder(source, needle):
    with pytest.raises(PlaceholderError, match=needle.replace(".", r"\.")):
        render(source, NUMBERS, tables={}, figures={}, ran={}, mode="html")


def test_unresolved_placeholder_error_gives_the_line():
    with pytest.raises(PlaceholderError, match="line 3"):
        render("one\ntwo {{ n_kept }}\nthree {{ H9.estimate }}\n", NUMBERS, mode="markdown")


def test_tables_and_figures_are_numbered_in_order_and_absent_ones_say_not_run():
    t = Table("hypotheses", "Hypothesis tests", ("H", "Estimate"), (("H1", "0.275"),))
    figs = {"forest": FigureRef("forest", "Forest", "Caption.", "forest.svg"), "path_diagram": FigureRef("path_diagram", "Paths", "C.", "p.svg", False)}
    src = "See {{ ref:table:hypotheses }} and {{ ref:figure:forest }}.\n\n{{ table:bias }}\n\n{{ table:hypotheses }}\n\n{{ figure:path_diagram }}\n\n{{ figure:forest }}\n"
    out = render(src, {}, tables={"hypotheses": t, "bias": NotRun("bias", "Bias checks", "not run: bias/harman.csv absent")}, figures=figs, mode="markdown")
    assert "See Table 1 and Figure 1." in out
    assert "*Bias checks: not run: bias/harman.csv absent.*" in out
    assert "**Table 1. Hypothesis tests**" in out
    assert "Paths: not available" in out
    assert "![Figure 1. Caption.](forest.svg)" in out


def test_conditional_text_follows_the_stages_that_ran():
    src = "{% if ran.bias %}VIF {{ n_kept }}{% else %}not run{% endif %}"
    assert render(src, NUMBERS, ran={"bias": False}, mode="markdown").strip() == "not run"
    assert render(src, NUMBERS, ran={"bias": True}, mode="markdown").strip() == "VIF 214"


def test_text_can_depend_on_a_verdict():
    src = '{% if H1.verdict == "supported" %}holds{% else %}fails{% endif %}'
    assert render(src, {"H1.verdict": "supported"}, mode="html").strip() == "holds"
    assert render(src, {"H1.verdict": "not supported"}, mode="html").strip() == "fails"


def test_numbers_tex_has_one_macro_per_number():
    tex = numbers_tex({"H1.estimate": "0.275", "H1.ci": "95% CI [0.155, 0.399]", "r2.LS": "0.128"})
    assert r"\providecommand{\llnum}" in tex
    assert tex.count(r"\expandafter\def\csname llnum@") == 3
    assert r"llnum@H1.ci\endcsname{95\% CI [0.155, 0.399]}" in tex


def test_paper_numbers_only_exist_for_results_that_exist():
    hyp = pd.DataFrame([{"hypothesis": "H1", "statement": "s", "test": "path", "direction": "positive", "quantity": "LP -> LS",
                         "estimate": 0.2751, "std_error": 0.06, "ci_lower": 0.1551, "ci_upper": 0.3994, "ci_level": 0.95, "p_value": 1.9e-5,
                         "verdict": "supported", "explanation": "e"}])
    n = paper_numbers({"hypotheses": hyp}, {"seed": 7}, versions={"leanlearn": "0.1.0"})
    assert n["H1.estimate"] == "0.275" and n["H1.p"] == "p < .001" and n["H1.verdict"] == "supported"
    assert n["H1.quantity"] == "LP → LS"
    assert "n_kept" not in n and "imm.estimate" not in n
    ran = stages_run({"hypotheses": hyp})
    assert ran["hypotheses"] and not ran["bias"] and not ran["robustness"]


def test_screening_thresholds_left_out_of_the_config_are_filled_with_the_ones_the_screen_step_applied():
    # A config without screening thresholds (e.g. a new study) still fills the template's
    # screening sentences, with the defaults the screen step used; configured ones win.
    n = paper_numbers({}, {"seed": 7}, versions={"leanlearn": "0.1.0"})
    assert n["screen.max_case_missing_share"] == "15%" and n["screen.exclude_if_n_flags_at_least"] == "2"
    assert n["screen.mahalanobis_alpha"] == "0.001"
    m = paper_numbers({}, {"seed": 7, "screening": {"max_case_missing_share": 0.1, "exclude_if_n_flags_at_least": 3}},
                      versions={"leanlearn": "0.1.0"})
    assert m["screen.max_case_missing_share"] == "10%" and m["screen.exclude_if_n_flags_at_least"] == "3"


def test_pdf_is_skipped_without_latex(monkeypatch):
    from leanlearn.cli import paper as cli_paper

    monkeypatch.setattr(cli_paper.shutil, "which", lambda name: None)
    note = cli_paper.build_pdf("# x\n", Path(tempfile.gettempdir()) / "never.pdf", title="x")
    assert note and "PDF skipped" in note and "pandoc" in note


@pytest.mark.skipif(not (shutil.which("chromium") or shutil.which("chromium-browser")), reason="chromium not installed (optional)")
def test_manuscript_renders_in_a_headless_browser(run_dir, tmp_path):
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    shot = tmp_path / "manuscript.png"
    page = (run_dir / "results" / "paper" / "manuscript.html").resolve()
    proc = subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                           "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}", "--hide-scrollbars", "--window-size=1000,3000",
                           f"--screenshot={shot}", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert shot.stat().st_size > 50_000  # a rendered page, not a blank one


@pytest.mark.skipif(not (shutil.which("pandoc") and shutil.which("pdflatex")), reason="pandoc and pdflatex not installed (optional)")
def test_pdf_builds_when_pandoc_and_latex_are_there(tmp_path):
    from leanlearn.cli.paper import build_pdf
    from leanlearn.report.tables import table_latex

    t = Table("demo", "Paths: LP → LS", ("Path", "β"), (("LP × DIG → LS", "0.171"),), note="α ≥ 0.7; 50% & more.")
    note = build_pdf("# Title\n\nβ = 0.275, 95% CI [0.155, 0.399], p < .001; −1 SD.\n\n" + table_latex(t), tmp_path / "m.pdf", title="Title")
    assert note is None, note
    assert (tmp_path / "m.pdf").read_bytes().startswith(b"%PDF")


# ---- every missing placeholder at once; the generic template; the study's words -------------------
def test_a_build_lists_every_missing_placeholder_with_its_line_at_once():
    src = "# T\n{{ n_kept }} {{ H9.estimate }}\n\n{{ beta.X_Y.ci }}\n{% if ran.nope %}x{% endif %} {{ table:nope }}\n"
    with pytest.raises(PlaceholderError) as exc:
        render(src, NUMBERS, tables={}, figures={}, ran={}, mode="markdown")
    msg = str(exc.value)
    assert "4 placeholder(s) without a value" in msg
    for needle in ("line 2: {{ H9.estimate }}", "line 4: {{ beta.X_Y.ci }}", "line 5: {{ ran.nope }}", "line 5: {{ table:nope }}"):
        assert needle in msg, msg


def _generic(run_dir, tmp_path, codebook):
    res = run_dir / "results"
    cb = tmp_path / "codebook.yaml"
    cb.write_text(yaml.safe_dump(codebook, sort_keys=False))
    out = tmp_path / "paper"
    generic = ROOT / "src" / "leanlearn" / "report" / "templates" / "manuscript.md"  # the lean study names its own template
    code = main(["paper", "--results", str(res), "--config", str(run_dir / "config.yaml"), "--codebook", str(cb),
                 "--source", str(generic), "--out", str(out), "--figures", str(res / "figures"), "--pdf", "never"])
    assert code == 0
    return (out / "manuscript.md").read_text(), json.loads((out / "numbers.json").read_text())


def test_the_generic_template_writes_a_complete_paper_in_the_study_s_words(run_dir, tmp_path):
    codebook = yaml.safe_load((ROOT / "studies" / "lean" / "codebook.yaml").read_text())
    codebook["unit"] = {"name": "plant", "plural": "plants"}
    text, numbers = _generic(run_dir, tmp_path, codebook)
    assert "{{" not in text and "{%" not in text
    assert f"**N = {numbers['n_analysed']}** plants" in text
    assert "Lean practices → Learning system: β = " + numbers["beta.LP_LS.estimate"] in text
    for h in ("H1", "H2", "H3", "H5", "H6"):
        assert f"**{h}** (" in text and numbers[f"{h}.estimate"] in text
    hyp = pd.read_csv(run_dir / "results" / "hypotheses" / "hypotheses.csv")
    assert f"Of the {len(hyp)} hypotheses, {int((hyp.verdict == 'supported').sum())} are supported" in text
    summary = text.split("## Summary")[1].split("## 1 ")[0]
    assert f"data from {numbers['n_analysed']} plants" in summary and "firm" not in summary


def test_checks_that_did_not_run_are_not_mentioned(run_dir, tmp_path):
    codebook = yaml.safe_load((ROOT / "studies" / "lean" / "codebook.yaml").read_text())
    codebook["attention_checks"] = []
    codebook["paradata"].pop("page_timers")
    codebook.pop("key_informant")
    text, _ = _generic(run_dir, tmp_path, codebook)
    screening = next(p for p in text.split("\n\n") if p.startswith("Of the "))
    assert "attention check" not in screening and "per item on a page" not in screening and "page times" not in screening
    ran = stages_run({}, codebook)
    assert (ran["attention"], ran["page_times"], ran["key_informant"], ran["merge"], ran["frame"]) == (False,) * 5


def test_paper_numbers_carry_the_unit_and_construct_labels():
    words = paper_numbers({}, {}, versions={}, codebook={"unit": {"name": "firm"}, "constructs": {"LP": {"label": "Lean practices"}, "X": {}}})
    assert (words["unit.name"], words["unit.plural"], words["unit.Plural"]) == ("firm", "firms", "Firms")
    assert (words["label.LP"], words["label.X"]) == ("Lean practices", "X")
    assert paper_numbers({}, {}, versions={})["unit.plural"] == "respondents"


def test_the_sample_table_leaves_out_rules_that_were_not_applied_and_names_the_unit():
    from leanlearn.report.tables import sample_table

    flow = pd.DataFrame({
        "step": ["responses_in", "incomplete", "duplicates", "attention", "speed", "missingness"],
        "description": ["responses in the export", "not finished", "duplicate respondent id, identical answers or second response of a firm",
                        "failed attention check(s)", "below the hard seconds-per-item floor on a page", "case missing share above the maximum"],
        "n_before": [100, 100, 98, 97, 97, 97], "n_excluded": [0, 2, 1, 0, 0, 3], "n_after": [100, 98, 97, 97, 97, 94], "n_flagged": [0] * 6,
    })
    notes = pd.DataFrame({"index": ["attention", "page_time"],
                          "note": ["no attention-check columns; the rule was not applied", "the data have no page timers; the page-time speed index was not computed"]})
    t = sample_table(flow, settings={"n_used": 93, "controls": ["age"]}, excluded_cases=pd.DataFrame({"row": [4]}),
                     screening={"attention_fail_hard": True, "seconds_per_item_hard": 1.0}, screening_notes=notes,
                     unit="respondent", plural="respondents", covariates=("age",))
    steps = [r[0] for r in t.rows]
    assert not any("attention" in s.lower() or "seconds-per-item" in s for s in steps)
    assert "Duplicate respondent id, identical answers or second response of the same respondent" in steps
    assert t.rows[-1] == ("Control variables missing (never imputed)", "1", "93")
    assert "attention" not in t.note and "speeders" not in t.note and "firm" not in t.note
