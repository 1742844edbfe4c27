"""`leanlearn check`: a study folder is validated as a whole before anything runs."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from leanlearn.intake.check import PROBLEM_COLUMNS, check_study, hypothesis_problems
from leanlearn.spec.model import parse_model

ROOT = Path(__file__).resolve().parents[1]
STUDY = ROOT / "studies" / "corp_rep"


def _run(*args):
    return subprocess.run([sys.executable, "-m", "leanlearn", *args], capture_output=True, text=True)


@pytest.fixture
def study(tmp_path):
    dest = tmp_path / "corp_rep"
    shutil.copytree(STUDY, dest)
    return dest


def _edit(path: Path, fn):
    data = yaml.safe_load(path.read_text())
    fn(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_the_bundled_person_level_example_passes_the_check_with_a_summary():
    proc = _run("check", str(STUDY))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("OK: ")
    assert "344 rows (respondents)" in proc.stdout
    assert "4 construct(s), 5 path(s)" in proc.stdout
    assert "archival absent (skipped)" in proc.stdout


def test_every_problem_of_config_codebook_model_and_data_is_listed_at_once(study):
    def config(c):
        c["bootstrp"] = {"resamples": 100}                 # typo of a section
        c["estimation"]["consistent"] = "no"               # a string, not a boolean
        c["controls"]["variables"] = ["age", "income"]     # income is no covariate
        c["controls"]["targets"] = ["CUSA", "COMP"]        # COMP is exogenous
        c["robustness"]["groups"] = {"column": "region"}   # no such covariate
        c["hypotheses"][0]["source"] = "LIKEX"             # no such construct
        c["hypotheses"][2]["target"] = "COMP"              # no path CUSA -> COMP
        c["hypotheses"][3]["path"] = ["LIKE", "CUSL", "CUSA"]  # no path CUSL -> CUSA
    _edit(study / "config.yaml", config)

    def codebook(cb):
        cb["constructs"]["COMP"]["items"][2]["column"] = "Q1_9"   # not in the export
    _edit(study / "codebook.yaml", codebook)
    (study / "model.lav").write_text((study / "model.lav").read_text().replace("CUSL ~ COMP", "CUSL ~ foo_1 + COMP"))
    proc = _run("check", str(study))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    out = proc.stdout
    expected = [
        "bootstrp", "estimation.consistent", "controls.variables[1]: 'income'", "controls.targets[1]: 'COMP'",
        "robustness.groups.column: 'region'", "hypotheses[0] (H1).source: 'LIKEX'", "no path CUSA -> COMP",
        "needs the path CUSL -> CUSA", "'Q1_9' (item comp_3)", "indicator(s) foo_1",
    ]
    missing = [e for e in expected if e not in out]
    assert missing == [], out
    assert f"{len(out.splitlines()) - 1} error(s)" in out.splitlines()[-1]
    assert "customer0001@example.com" not in out


def test_a_scale_that_does_not_fit_the_codes_is_an_error_and_a_few_stray_codes_a_note(study):
    _edit(study / "codebook.yaml", lambda cb: cb["scales"].update(agree7={"min": 1, "max": 5}))
    proc = _run("check", str(study))
    assert proc.returncode == 2
    assert "outside scale agree7 (1-5)" in proc.stdout and "looks wrong" in proc.stdout

    raw = pd.read_csv(STUDY / "data" / "export.csv", dtype=str, keep_default_na=False)
    raw.loc[5, "Q1_1"] = "-99"
    with open(study / "data" / "export.csv", "w", newline="") as fh:
        raw.to_csv(fh, index=False)
    shutil.copy(STUDY / "codebook.yaml", study / "codebook.yaml")
    proc = _run("check", str(study))
    assert proc.returncode == 0, proc.stdout
    assert "note" in proc.stdout and "1 of 344 filled cell(s) outside scale agree7 (1-7)" in proc.stdout


def test_a_missing_study_file_is_named_without_a_traceback(study):
    (study / "model.lav").unlink()
    proc = _run("check", str(study))
    assert proc.returncode == 2
    assert "model.lav  (file): model file not found" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_hypotheses_are_checked_against_the_model_s_paths_chains_and_interactions():
    spec = parse_model("X =~ x1 + x2\nM =~ m1 + m2\nW =~ w1 + w2\nY =~ y1 + y2\nM ~ X + W + X:W\nY ~ M + X\n")
    hyps = [
        {"id": "A", "test": "path", "source": "X", "target": "M"},
        {"id": "B", "test": "path", "source": "W", "target": "Y"},
        {"id": "C", "test": "indirect", "path": ["X", "M", "Y"]},
        {"id": "D", "test": "moderated_mediation", "path": ["X", "M", "Y"], "moderator": "W"},
        {"id": "E", "test": "conditional_indirect", "path": ["X", "M", "Y"], "moderator": "Y", "at": 1},
        {"id": "F", "test": "interaction", "interaction": "W:X", "target": "M"},
        {"id": "G", "test": "interaction", "interaction": "X:Y", "target": "M"},
        {"id": "A", "test": "indirect_difference", "path": ["X", "M", "Y"], "versus": ["W", "Y", "M"]},
    ]
    rows = pd.DataFrame(hypothesis_problems(hyps, spec), columns=list(PROBLEM_COLUMNS))
    bad = sorted({re.sub(r" \(\w+\)", "", w) for w in rows["where"]})
    assert bad == ["hypotheses[1]", "hypotheses[4].moderator", "hypotheses[6].interaction", "hypotheses[7]", "hypotheses[7].versus"]


def test_check_study_returns_an_empty_table_for_a_consistent_study():
    cfg = yaml.safe_load((STUDY / "config.yaml").read_text())
    cb = yaml.safe_load((STUDY / "codebook.yaml").read_text())
    from leanlearn.data.ingest import read_export

    table = check_study(cfg, cb, (STUDY / "model.lav").read_text(), read_export(STUDY / "data" / "export.csv"))
    assert list(table.columns) == list(PROBLEM_COLUMNS)
    assert (table.severity == "error").sum() == 0


# ---- TODO placeholders of a `leanlearn init` draft -------------------------------------------------
def test_todo_placeholders_of_an_init_draft_are_listed_with_file_line_and_what_to_do(tmp_path):
    out = tmp_path / "draft"
    proc = _run("init", str(STUDY / "data" / "export.csv"), "--out", str(out), "--name", "corp")
    assert proc.returncode == 0, proc.stderr
    proc = _run("check", str(out))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    lines = proc.stdout.splitlines()
    codebook_lines = (out / "codebook.yaml").read_text().splitlines()
    todo_lines = [k for k, line in enumerate(codebook_lines, start=1) if "TODO" in line.split("#")[0]]
    assert todo_lines  # the draft has placeholders to fill in
    for k in todo_lines:  # every placeholder value is an error naming its file and line
        assert any(line.startswith("error") and f"codebook.yaml  line {k}:" in line and "placeholder of the `leanlearn init` draft" in line
                   for line in lines), (k, proc.stdout)  # fmt: skip
    study_line = next(k for k, line in enumerate(codebook_lines, start=1) if line.startswith("study:"))
    assert any(f"line {study_line}: 'study' is still the placeholder" in line and "write one sentence on what the study is about" in line for line in lines)
    label = next(line for line in lines if "'label' is still the placeholder" in line)
    assert "write the construct's name" in label
    model_line = next(k for k, line in enumerate((out / "model.lav").read_text().splitlines(), start=1) if "TODO" in line)
    assert any(line.startswith("note") and f"model.lav  line {model_line}:" in line and "delete the comment" in line for line in lines)


def test_placeholders_in_values_are_errors_and_in_comments_notes():
    from leanlearn.intake.check import placeholder_problems

    texts = {
        "codebook.yaml": 'study: "A survey of bakers."\nrespondent_id: "TODO"   # CHECK: no id column\nconstructs: {}  # TODO: add them\n'
                         'note: "a TODO-list app was studied"\n',
        "manuscript.md": "# Results\n\nTODO: discuss the limitations.\n",
        "model.lav": "X =~ x1 + x2\nY =~ y1 + y2\nY ~ X\n",
    }  # fmt: skip
    rows = pd.DataFrame(placeholder_problems(texts, comments=["codebook.yaml", "model.lav"]))
    assert list(zip(rows.severity, rows.file, rows["where"])) == [
        ("error", "codebook.yaml", "line 2"), ("note", "codebook.yaml", "line 3"), ("error", "manuscript.md", "line 3")]  # fmt: skip
    assert "'respondent_id'" in rows.problem[0] and "name the column that identifies each case" in rows.problem[0]
    assert "(add them)" in rows.problem[1] and "discuss the limitations" in rows.problem[2]  # "TODO-list" (line 4) is a word
    assert placeholder_problems({"model.lav": texts["model.lav"]}, comments=["model.lav"]) == []
