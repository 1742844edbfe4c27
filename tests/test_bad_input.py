"""Bad input is never misread, never leaked, never half-done (issue 13).

Every test builds its input from the bundled export (data/raw/survey_export.csv) or the
bundled archival file, corrupts a copy in tmp_path, runs the verb as a user would
(``leanlearn.cli.main``) and checks the promise in its name: exit code, the culprit named,
no personal value in the message, nothing misread, nothing stale.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from leanlearn.cli import main
from leanlearn.data.ingest import apply_codebook, read_export, read_info
from leanlearn.errors import DataError, SpecError
from leanlearn.spec.codebook import load_codebook
from leanlearn.spec.model import parse_model

ROOT = Path(__file__).resolve().parents[1]
EXPORT = ROOT / "data" / "raw" / "survey_export.csv"
ORBIS = ROOT / "data" / "raw" / "orbis_firms.csv"
CODEBOOK = ROOT / "studies" / "lean" / "codebook.yaml"
REF = Path(__file__).parent / "reference" / "seminr"
MODERATION = (Path(__file__).parent / "reference" / "models" / "mobi_moderation.lav").read_text()


# ---- helpers --------------------------------------------------------------------------------
def export_rows() -> list[list[str]]:
    with open(EXPORT, newline="", encoding="utf-8-sig") as fh:
        return list(csv.reader(fh))


def write_rows(path: Path, rows: list[list[str]], delimiter: str = ",") -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, delimiter=delimiter).writerows(rows)
    return path


def col(rows: list[list[str]], name: str) -> int:
    return rows[0].index(name)


def ingest(tmp: Path, survey: Path, *extra: str, codebook: Path = CODEBOOK) -> int:
    cfg = tmp / "config.yaml"
    if not cfg.exists():
        cfg.write_text(yaml.safe_dump({"salt_file": str(tmp / "salt")}))
    return main(["ingest", "--survey", str(survey), "--codebook", str(codebook), "--config", str(cfg),
                 "--out", str(tmp / "processed"), *extra])


def codebook_with(tmp: Path, **changes) -> Path:
    cb = yaml.safe_load(CODEBOOK.read_text())
    cb.update(changes)
    path = tmp / "codebook.yaml"
    path.write_text(yaml.safe_dump(cb, sort_keys=False))
    return path


def last_error(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


# ---- 1. personal data never in a message -----------------------------------------------------
@pytest.mark.parametrize("column,value", [
    ("Q2_3", "call me: someone@example.org"),
    ("Duration (in seconds)", "Ahmad Ismail, ahmad.ismail@nova-foods.example"),
    ("Q1_tenure", "Maria Gonzalez"),
])
def test_a_non_numeric_cell_is_named_by_file_row_and_column_never_quoted(tmp_path, capsys, column, value):
    rows = export_rows()
    rows[10][col(rows, column)] = value
    survey = write_rows(tmp_path / "survey.csv", rows)
    assert ingest(tmp_path, survey) == 2
    err = last_error(capsys)
    assert f"column '{column}'" in err and "row 11" in err and str(survey) in err
    assert f"a text of {len(value)} characters" in err
    for part in value.replace(",", " ").replace(":", " ").split():
        if len(part) > 3:
            assert part not in err
    assert not (tmp_path / "processed").exists()


def test_a_bad_date_is_named_by_row_and_never_quoted(tmp_path, capsys):
    rows = export_rows()
    rows[5][col(rows, "StartDate")] = "ask Maria Gonzalez"
    assert ingest(tmp_path, write_rows(tmp_path / "s.csv", rows)) == 2
    err = last_error(capsys)
    assert "column 'StartDate'" in err and "row 6" in err and "Gonzalez" not in err


def test_a_bad_archival_number_is_named_but_not_quoted(tmp_path):
    arch = pd.read_csv(ORBIS, dtype=str)
    arch.loc[3, "employees"] = "ask j.doe@orbis.example"
    path = tmp_path / "orbis.csv"
    arch.to_csv(path, index=False)
    from leanlearn.data.merge import merge_archival

    survey = pd.DataFrame({"respondent_id": ["R1"], "firm_id": [arch.firm_id.iat[0]], "recorded": ["2023-05-01 10:00:00"]})
    with pytest.raises(DataError) as err:
        merge_archival(survey, read_export(path), source=str(path))
    assert "column 'employees'" in str(err.value) and "row 5" in str(err.value)
    assert "doe" not in str(err.value)


# ---- 2. no silent misreading --------------------------------------------------------------------
def test_day_first_dates_are_refused_without_the_codebook_date_format(tmp_path, capsys):
    rows = export_rows()
    for r in rows[3:]:
        for name in ("StartDate", "EndDate", "RecordedDate"):
            ts = pd.Timestamp(r[col(rows, name)])
            r[col(rows, name)] = ts.strftime("%d/%m/%Y %H:%M")
    survey = write_rows(tmp_path / "s.csv", rows)
    assert ingest(tmp_path, survey) == 2
    err = last_error(capsys)
    assert "column 'StartDate'" in err and "date_format" in err and "does not guess" in err


def test_day_first_dates_are_read_day_first_with_the_codebook_date_format(tmp_path):
    rows = export_rows()
    original = [r[col(rows, "StartDate")] for r in rows[3:]]
    for r in rows[3:]:
        for name in ("StartDate", "EndDate", "RecordedDate"):
            r[col(rows, name)] = pd.Timestamp(r[col(rows, name)]).strftime("%d/%m/%Y %H:%M:%S")
    survey = write_rows(tmp_path / "s.csv", rows)
    cb = codebook_with(tmp_path, date_format="%d/%m/%Y %H:%M:%S")
    assert ingest(tmp_path, survey, codebook=cb) == 0
    data = pd.read_csv(tmp_path / "processed" / "survey_ingested.csv", dtype=str)
    assert data["start"].tolist() == original


def test_a_bad_codebook_date_format_is_a_spec_error_naming_the_key():
    cb = yaml.safe_load(CODEBOOK.read_text())
    cb["date_format"] = "%H:%M"
    with pytest.raises(SpecError, match="^date_format: "):
        load_codebook(cb)


def test_every_line_is_field_counted_not_only_the_first_50(tmp_path, capsys):
    rows = export_rows()
    rows[200] = rows[200][:30]
    survey = write_rows(tmp_path / "s.csv", rows)
    assert ingest(tmp_path, survey) == 2
    err = last_error(capsys)
    assert "row 201 has 30" in err and f"({len(rows[0])})" in err


def test_thousands_comma_in_a_comma_delimited_archival_file_is_1234_never_1_234(tmp_path):
    from leanlearn.data.merge import merge_archival

    arch = pd.read_csv(ORBIS, dtype=str)
    arch.loc[0, "employees"] = "1,234"
    path = tmp_path / "orbis.csv"
    arch.to_csv(path, index=False)
    survey = pd.DataFrame({"respondent_id": ["R1"], "firm_id": [arch.firm_id.iat[0]], "recorded": ["2023-05-01 10:00:00"]})
    res = merge_archival(survey, read_export(path), source=str(path), financials=[])
    assert res.data["employees"].iat[0] == 1234
    notes = res.report.loc[res.report["section"] == "read", "value"].tolist()
    assert notes == ["column 'employees': 1 cell(s) read with ',' as thousands separator (e.g. 1,391.5 = 1391.5) "
                     "(comma-delimited file (decimal-point locale))"]


def test_thousands_dot_in_a_semicolon_duration_is_1391_never_1_391(tmp_path):
    rows = export_rows()
    keep = [c for c in range(len(rows[0])) if not rows[0][c].endswith("timer_Page Submit")
            and rows[0][c] not in ("LocationLatitude", "LocationLongitude")]
    rows = [[r[c] for c in keep] for r in rows]
    d = col(rows, "Duration (in seconds)")
    rows[3][d] = "1.391"
    survey = write_rows(tmp_path / "s.csv", rows, delimiter=";")
    cb = yaml.safe_load(CODEBOOK.read_text())
    cb["paradata"].pop("page_timers")
    cb["personal_data"] = [p for p in cb["personal_data"] if not p["column"].startswith("Location")]
    (tmp_path / "cb.yaml").write_text(yaml.safe_dump(cb))
    assert ingest(tmp_path, survey, codebook=tmp_path / "cb.yaml") == 0
    data = pd.read_csv(tmp_path / "processed" / "survey_ingested.csv")
    assert data["duration_seconds"].iat[0] == 1391
    report = json.loads((tmp_path / "processed" / "ingest_report.json").read_text())
    assert report["number_format"]["decimal"] == "," and report["delimiter"] == ";"
    assert any("'.' as thousands separator" in n and "Duration" in n for n in report["notes"])


def test_thousands_dot_in_a_semicolon_file_that_writes_decimal_points_is_refused(tmp_path, capsys):
    rows = export_rows()
    rows[3][col(rows, "Duration (in seconds)")] = "1.391"
    survey = write_rows(tmp_path / "s.csv", rows, delimiter=";")  # timers and latitudes use decimal points
    assert ingest(tmp_path, survey) == 2
    err = last_error(capsys)
    assert "does not guess" in err and "thousands" in err


def test_a_column_using_the_dot_both_ways_is_refused(tmp_path):
    from leanlearn.data.ingest import coerce_numeric

    df = pd.DataFrame({"x": ["1.5", "1.391", "2"]}).astype(object)
    with pytest.raises(DataError, match="'x'.*both as decimal and as thousands separator") as err:
        coerce_numeric(pd.DataFrame({"x": ["1.5", "1.234,5", "1.391"]}).astype(object), "x", what="n", source="f", fix="")
    assert coerce_numeric(df, "x", what="n", source="f", fix="").tolist() == [1.5, 1.391, 2.0]
    assert "1.391" not in str(err.value)


def _split_workbook(path: Path, header_b: list[str] | None = None) -> Path:
    rows = export_rows()
    header, body = rows[0], rows[3:]
    with pd.ExcelWriter(path) as xl:
        pd.DataFrame(body[:150], columns=header).to_excel(xl, sheet_name="responses", index=False)
        pd.DataFrame(body[150:], columns=header_b or header).to_excel(xl, sheet_name="responses (2)", index=False)
    return path


def test_a_workbook_split_over_two_sheets_is_stacked_and_said_so(tmp_path):
    survey = _split_workbook(tmp_path / "s.xlsx")
    raw = read_export(survey)
    assert len(raw) == 260 and read_info(raw)["sheets"] == ["responses", "responses (2)"]
    assert any("stacked them as one table" in n and "(110 rows)" in n for n in read_info(raw)["notes"])
    assert ingest(tmp_path, survey) == 0
    report = json.loads((tmp_path / "processed" / "ingest_report.json").read_text())
    assert report["n_responses"] == 260 and report["sheets"] == ["responses", "responses (2)"]


def test_a_workbook_with_different_sheets_needs_the_sheet_named(tmp_path, capsys):
    header = export_rows()[0]
    survey = _split_workbook(tmp_path / "s.xlsx", header_b=[h + "_b" for h in header])
    assert ingest(tmp_path, survey) == 2
    assert "--sheet" in last_error(capsys)
    assert ingest(tmp_path, survey, "--sheet", "responses") == 0
    assert json.loads((tmp_path / "processed" / "ingest_report.json").read_text())["n_responses"] == 150
    (tmp_path / "processed" / "survey_ingested.csv").unlink()
    assert ingest(tmp_path, survey, codebook=codebook_with(tmp_path, sheet="responses")) == 0
    assert json.loads((tmp_path / "processed" / "ingest_report.json").read_text())["sheets"] == ["responses"]
    with pytest.raises(DataError, match="no sheet named 'nope'"):
        read_export(survey, sheet="nope")


def test_merged_excel_header_cells_are_named(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["ResponseId", "Q2", None, "firm_id"])
    ws.append(["R1", 1, 2, "F1"])
    ws.merge_cells("B1:C1")
    wb.save(tmp_path / "m.xlsx")
    with pytest.raises(DataError, match=r"header cells B1:C1 are merged"):
        read_export(tmp_path / "m.xlsx")


def test_legacy_qualtrics_layout_is_recognised_and_renamed(tmp_path):
    rows = export_rows()
    meta = ["StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)", "Finished",
            "RecordedDate", "ResponseId"]
    legacy_header = [f"V{k + 1}" if h in meta else h for k, h in enumerate(rows[0])]
    legacy = [legacy_header, [h if h in meta else t for h, t in zip(rows[0], rows[1])]] + rows[3:]
    raw = read_export(write_rows(tmp_path / "legacy.csv", legacy))
    info = read_info(raw)
    assert info["layout"] == "qualtrics-legacy" and info["first_data_row"] == 3
    assert list(raw.columns) == rows[0] and len(raw) == 260
    assert any("legacy Qualtrics layout" in n for n in info["notes"])
    assert ingest(tmp_path, tmp_path / "legacy.csv") == 0  # IPAddress is recognised and dropped
    out = pd.read_csv(tmp_path / "processed" / "survey_ingested.csv")
    assert "IPAddress" not in out.columns and len(out) == 260


def test_current_qualtrics_layout_is_reported(tmp_path):
    raw = read_export(EXPORT)
    assert read_info(raw)["layout"] == "qualtrics" and read_info(raw)["header_rows_dropped"] == ["question text", "ImportId"]


def test_duplicated_qualtrics_header_rows_get_a_clear_message(tmp_path, capsys):
    rows = export_rows()
    doubled = rows[:3] + rows[:3] + rows[3:]
    assert ingest(tmp_path, write_rows(tmp_path / "s.csv", doubled)) == 2
    err = last_error(capsys)
    assert "row 4, row 6 repeat the header" in err and "second block of header rows" in err


def test_a_header_with_a_trailing_space_gets_a_hint(tmp_path, capsys):
    rows = export_rows()
    rows[0][col(rows, "Q2_1")] = "Q2_1 "
    assert ingest(tmp_path, write_rows(tmp_path / "s.csv", rows)) == 2
    err = last_error(capsys)
    assert "'Q2_1'" in err and "the file has 'Q2_1 ' for 'Q2_1' (spaces around the name)" in err


def _sav(tmp: Path, missing_ranges=None) -> Path:
    import re

    import pyreadstat

    raw = read_export(EXPORT)
    df = raw.drop(columns=["Q7_comments"]).copy()
    for c in df.columns:
        num = pd.to_numeric(df[c], errors="coerce")
        if num.notna().sum() == df[c].notna().sum():
            df[c] = num
    df.columns = [re.sub(r"[^A-Za-z0-9_]", "_", c) for c in df.columns]  # as Qualtrics' SPSS export names them
    path = tmp / "s.sav"
    pyreadstat.write_sav(df, str(path), missing_ranges=missing_ranges or {})
    return path


def test_spss_export_missing_a_codebook_column_is_an_error_with_the_spss_name_hint(tmp_path):
    import re

    def spss(name: str) -> str:
        return re.sub(r"[^A-Za-z0-9_]", "_", name)

    path = _sav(tmp_path)
    raw = read_export(path)
    cb = load_codebook(yaml.safe_load(CODEBOOK.read_text()))
    with pytest.raises(DataError) as err:
        apply_codebook(raw, cb, source=str(path))
    msg = str(err.value)
    assert "'Duration (in seconds)' (paradata.duration_seconds, optional)" in msg
    assert "the file has 'Duration__in_seconds_'" in msg and "SPSS" in msg
    assert spss("Duration (in seconds)") == "Duration__in_seconds_"


def test_spss_user_missing_codes_become_missing_and_are_counted(tmp_path):
    path = _sav(tmp_path, missing_ranges={"Q2_1": [9, 99]})
    import pyreadstat

    df, _ = pyreadstat.read_sav(str(path), user_missing=True)
    df.loc[[0, 1], "Q2_1"] = 99.0
    df.loc[2, "Q2_1"] = 9.0
    pyreadstat.write_sav(df, str(path), missing_ranges={"Q2_1": [9, 99]})
    raw = read_export(path)
    info = read_info(raw)
    assert info["user_missing"] == {"Q2_1": 3}
    assert raw["Q2_1"].iloc[:3].isna().all() and raw["Q2_1"].iloc[3:].notna().any()
    assert any("3 user-defined missing code(s) set to missing: Q2_1 (3)" in n for n in info["notes"])


# ---- 4. zero is an error ----------------------------------------------------------------------
def test_an_export_with_a_header_and_no_responses_is_an_error(tmp_path, capsys):
    survey = write_rows(tmp_path / "s.csv", export_rows()[:3])
    assert ingest(tmp_path, survey) == 2
    err = last_error(capsys)
    assert "0 responses" in err and "2 extra header row(s)" in err
    assert not (tmp_path / "processed").exists()


def test_zero_responses_kept_after_screening_says_why_with_counts(tmp_path, capsys):
    assert ingest(tmp_path, EXPORT) == 0
    cfg = yaml.safe_load((ROOT / "studies" / "lean" / "config.yaml").read_text())
    cfg["screening"]["seconds_per_item_hard"] = 10000.0
    cfg["screening"]["seconds_per_item_flag"] = 10001.0
    (tmp_path / "cfg.yaml").write_text(yaml.safe_dump(cfg))
    code = main(["screen", str(tmp_path / "processed" / "survey_ingested.csv"), "--codebook", str(CODEBOOK),
                 "--config", str(tmp_path / "cfg.yaml"), "--out", str(tmp_path / "screening"),
                 "--clean", str(tmp_path / "clean.csv")])
    assert code == 2
    err = last_error(capsys)
    assert "0 of 260 responses kept: excluded" in err and " speed (" in err
    assert "no observed value" not in err
    assert not (tmp_path / "screening").exists() and not (tmp_path / "clean.csv").exists()


def test_zero_firms_matched_in_merge_is_an_error_with_the_counts(tmp_path, capsys):
    survey = pd.DataFrame({"respondent_id": ["R1", "R2"], "firm_id": ["X1", "X2"], "recorded": ["2023-05-01"] * 2})
    survey.to_csv(tmp_path / "clean.csv", index=False)
    (tmp_path / "cfg.yaml").write_text("seed: 1\n")
    code = main(["merge", "--survey", str(tmp_path / "clean.csv"), "--archival", str(ORBIS), "--config",
                 str(tmp_path / "cfg.yaml"), "--out", str(tmp_path / "o"), "--merged", str(tmp_path / "m.csv")])
    assert code == 2
    err = last_error(capsys)
    n_arch = len(pd.read_csv(ORBIS))
    assert f"0 firms matched: none of the 2 firm id(s) of the 2 survey response(s) is among the {n_arch}" in err
    assert "X1" not in err and not (tmp_path / "m.csv").exists()


# ---- 3 / 6. validation first, exit codes, no tracebacks ---------------------------------------
def test_one_indicator_in_two_constructs_is_a_spec_error_naming_both_and_the_line():
    text = "A =~ a1 + a2\nB =~ b1 + a2\nB ~ A\n"
    with pytest.raises(SpecError) as err:
        parse_model(text)
    assert str(err.value).startswith("line 2: indicator 'a2' is in construct B here and in construct A on line 1")


@pytest.mark.parametrize("text,message", [
    ("A =~ a1\nB =~ b1\nB ~ A + A:A\n", "line 3: interaction A:A multiplies A with itself"),
    ("A =~ a1\nW =~ w1\nB =~ b1\nB ~ A + W + A:W + W:A\n", "interaction W:A is the same term as A:W"),
    ("A =~ a1 + a2\nB =~ b1\nB ~ A + a2\n", "'a2' is used as an observed variable in a structural equation but it is an indicator of construct A"),
    ("A =~ a1\nB =~ b1\nB ~ A\nA ~ B\n", "feedback loop"),
    ("A =~ a1\nB =~ b1\nC =~ c1\nB ~ A\n", "construct C is in no structural path"),
])
def test_identification_problems_are_spec_errors_with_the_line(text, message):
    with pytest.raises(SpecError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_model(text)


def test_cli_shared_indicator_exits_2_without_traceback(tmp_path, capsys):
    model = tmp_path / "m.lav"
    model.write_text("Image =~ IMAG1 + IMAG2\nValue =~ PERV1 + IMAG2\nValue ~ Image\n")
    assert main(["estimate", str(REF / "mobi.csv"), str(model), "--out", str(tmp_path / "o")]) == 2
    err = last_error(capsys)
    assert "indicator 'IMAG2' is in construct Value here and in construct Image on line 1" in err
    assert "LinAlgError" not in err


@pytest.mark.parametrize("option,message", [
    (["--resamples", "-5"], "--resamples must be a whole number, 0 (no bootstrap) or at least 2 (got -5)"),
    (["--resamples", "1"], "--resamples must be a whole number"),
    (["--ci-level", "95"], "write 0.95 for 95 %"),
    (["--workers", "0"], "--workers must be a whole number of at least 1"),
    (["--max-iterations", "-1"], "--max-iterations must be a whole number of at least 1"),
])
def test_bad_engine_options_exit_2_with_the_option_named(tmp_path, capsys, option, message):
    model = tmp_path / "m.lav"
    model.write_text(MODERATION)
    assert main(["estimate", str(REF / "mobi.csv"), str(model), "--out", str(tmp_path / "o"), *option]) == 2
    err = last_error(capsys)
    assert message in err
    assert not (tmp_path / "o").exists()


def test_an_internal_error_exits_1_with_a_private_log_holding_the_traceback(tmp_path, capsys, monkeypatch):
    import leanlearn.cli.estimate as verb

    def broken(*a, **k):
        raise RuntimeError("a bug")

    monkeypatch.setenv("LEANLEARN_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setattr(verb, "check_options", broken)
    model = tmp_path / "m.lav"
    model.write_text(MODERATION)
    assert main(["estimate", str(REF / "mobi.csv"), str(model), "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "internal error" in err and "Traceback" not in err
    logs = list((tmp_path / "logs").glob("leanlearn-estimate-*.log"))
    assert len(logs) == 1 and str(logs[0]) in err
    assert "Traceback" in logs[0].read_text() and "RuntimeError: a bug" in logs[0].read_text()
    assert stat.S_IMODE(os.stat(logs[0]).st_mode) == 0o600


def test_a_mistyped_input_path_fails_before_anything_is_written(tmp_path, capsys):
    assert ingest(tmp_path, tmp_path / "survey_exprot.csv") == 2
    assert "survey_exprot.csv: file not found" in last_error(capsys)
    assert not (tmp_path / "processed").exists() and not (tmp_path / "salt").exists()


# ---- 5. outputs all-or-nothing --------------------------------------------------------------
def test_a_rerun_into_the_same_out_never_mixes_files_of_two_runs(tmp_path):
    out = tmp_path / "o"
    model = tmp_path / "m.lav"
    model.write_text(MODERATION + "Loyalty =~ CUSL1 + CUSL2 + CUSL3\nLoyalty ~ Satisfaction + Image\n")
    assert main(["estimate", str(REF / "mobi.csv"), str(model), "--out", str(out), "--resamples", "30", "--seed", "1"]) == 0
    first = {p.name for p in out.iterdir()}
    assert {"moderated_mediation.csv", "simple_slopes.csv", "floodlight.csv"} <= first
    plain = tmp_path / "plain.lav"
    plain.write_text("\n".join(l for l in model.read_text().splitlines() if ":" not in l).replace(
        "Satisfaction ~ Image + Expectation + Value + Image:Expectation", "") + "\nSatisfaction ~ Image + Expectation + Value\n")
    assert main(["estimate", str(REF / "mobi.csv"), str(plain), "--out", str(out), "--resamples", "30", "--seed", "1"]) == 0
    second = {p.name for p in out.iterdir()}
    assert not second & {"moderated_mediation.csv", "simple_slopes.csv", "floodlight.csv", "johnson_neyman.csv",
                         "conditional_indirect_effects.csv"}
    assert second < first
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name or ".old-" in p.name]


def test_a_shared_out_keeps_other_verbs_files_and_drops_only_own_stale_ones(tmp_path):
    from leanlearn.cli import _io

    out = tmp_path / "shared"
    try:
        _io.set_verb("one")
        with _io.atomic_dir(out) as tmp:
            (tmp / "a.csv").write_text("1")
            (tmp / "stale.csv").write_text("1")
        _io.set_verb("two")
        with _io.atomic_dir(out) as tmp:
            (tmp / "b.csv").write_text("2")
        _io.set_verb("one")
        with _io.atomic_dir(out) as tmp:
            (tmp / "a.csv").write_text("3")
    finally:
        _io.set_verb(None)
    assert sorted(p.name for p in out.iterdir()) == ["a.csv", "b.csv"]
    assert (out / "a.csv").read_text() == "3"


def test_a_failing_verb_leaves_the_previous_complete_result(tmp_path):
    from leanlearn.cli import _io

    out = tmp_path / "o"
    with _io.atomic_dir(out) as tmp:
        (tmp / "x.csv").write_text("old")
    with pytest.raises(RuntimeError):
        with _io.atomic_dir(out) as tmp:
            (tmp / "x.csv").write_text("new")
            (tmp / "y.csv").write_text("new")
            raise RuntimeError("killed")
    assert sorted(p.name for p in out.iterdir()) == ["x.csv"] and (out / "x.csv").read_text() == "old"
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]


def _children(pid: int) -> list[int]:
    kids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                kids.append(int(d.name))
    return kids


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _start_bootstrap(tmp: Path, out: Path) -> subprocess.Popen:
    model = tmp / "m.lav"
    model.write_text(MODERATION)
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    return subprocess.Popen(
        [sys.executable, "-m", "leanlearn", "estimate", str(REF / "mobi.csv"), str(model), "--out", str(out),
         "--resamples", "200000", "--seed", "1", "--workers", "2"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp,
    )


def _wait_for_workers(proc: subprocess.Popen, n: int = 1, timeout: float = 60) -> list[int]:
    # --workers 2: the parent runs blocks itself beside one worker process
    end = time.time() + timeout
    while time.time() < end:
        kids = _children(proc.pid)
        if len(kids) >= n:
            time.sleep(0.5)
            return _children(proc.pid)
        time.sleep(0.2)
    proc.kill()
    pytest.fail("bootstrap workers did not start")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc")
def test_bootstrap_workers_die_with_a_killed_parent(tmp_path):
    proc = _start_bootstrap(tmp_path, tmp_path / "o")
    workers = _wait_for_workers(proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    end = time.time() + 10
    while time.time() < end and any(_alive(w) for w in workers):
        time.sleep(0.2)
    assert not [w for w in workers if _alive(w)]
    assert not (tmp_path / "o").exists()


def test_a_bootstrap_worker_ends_on_sigterm_even_under_the_cli_handler_it_inherits():
    # A forked worker inherits the CLI's raising SIGTERM handler; the pool would catch the
    # exception and run the next chunk. The worker initialiser restores the default action.
    code = ("import os, signal, time\n"
            "def raising(signum, frame):\n    raise RuntimeError('caught')\n"
            "signal.signal(signal.SIGTERM, raising)\n"
            "from leanlearn.pls.bootstrap import _default_signals\n"
            "_default_signals()\n"
            "assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN\n"
            "os.kill(os.getpid(), signal.SIGTERM)\n"
            "time.sleep(10)\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, timeout=60)
    assert proc.returncode == -signal.SIGTERM, proc.stderr.decode()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc")
def test_sigterm_stops_the_verb_cleans_up_and_keeps_the_previous_result(tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    (out / "paths.csv").write_text("previous\n")
    proc = _start_bootstrap(tmp_path, out)
    workers = _wait_for_workers(proc)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143 and b"Traceback" not in err
    assert (out / "paths.csv").read_text() == "previous\n" and sorted(p.name for p in out.iterdir()) == ["paths.csv"]
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]
    end = time.time() + 10
    while time.time() < end and any(_alive(w) for w in workers):
        time.sleep(0.2)
    assert not [w for w in workers if _alive(w)]


# ---- 6. personal data -----------------------------------------------------------------------
def test_a_salt_shorter_than_16_random_bytes_is_refused_with_how_to_make_one(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LEANLEARN_SALT", "1")
    assert ingest(tmp_path, EXPORT) == 2
    err = last_error(capsys)
    assert "$LEANLEARN_SALT" in err and 'secrets.token_hex(32)' in err
    assert not (tmp_path / "processed").exists()


def test_every_processed_file_of_ingest_has_mode_0600(tmp_path):
    assert ingest(tmp_path, EXPORT) == 0
    modes = {p.name: stat.S_IMODE(os.stat(p).st_mode) for p in (tmp_path / "processed").iterdir()}
    assert modes and set(modes.values()) == {0o600}, modes


def test_an_email_used_as_respondent_id_is_refused_before_anything_is_written(tmp_path, capsys):
    cb = yaml.safe_load(CODEBOOK.read_text())
    cb["identifiers"]["respondent_id"] = "RecipientEmail"
    cb["personal_data"] = [p for p in cb["personal_data"] if p["column"] != "RecipientEmail"]
    (tmp_path / "cb.yaml").write_text(yaml.safe_dump(cb))
    assert ingest(tmp_path, EXPORT, codebook=tmp_path / "cb.yaml") == 2
    err = last_error(capsys)
    assert "'respondent_id' (email" in err and "personal_data" in err
    assert "@" not in err.split("error:", 1)[1]
    assert not (tmp_path / "processed").exists()


def test_the_pattern_scan_finds_email_ip_and_phone_in_any_column():
    from leanlearn.data.privacy import pattern_leaks

    df = pd.DataFrame({"a": ["x", "reach me at j.doe@firm.example"], "b": ["10.0.0.12", "3.5"],
                       "c": ["+49 30 1234 5678", "2023-03-06 02:40:18"], "d": [1.5, 2.0]})
    hits = pattern_leaks(df)
    assert hits.values.tolist() == [["a", 1, "email"], ["b", 0, "ip_address"], ["c", 0, "phone"]]
    clean = pd.read_csv(EXPORT, skiprows=[1, 2], dtype=str).drop(
        columns=["IPAddress", "RecipientEmail", "RecipientFirstName", "RecipientLastName", "Q7_comments"])
    assert pattern_leaks(clean).empty


def test_a_failed_verify_leaves_no_copy_of_the_raw_data(tmp_path, monkeypatch, capsys):
    import leanlearn.cli.verify as verify
    from leanlearn.cli._io import UserError

    repo = tmp_path / "repo"
    (repo / "data" / "raw").mkdir(parents=True)
    (repo / "data" / "raw" / "survey_export.csv").write_bytes(EXPORT.read_bytes())
    (repo / "Snakefile").write_text("# empty\n")
    from leanlearn.report.provenance import sha256_bytes

    manifest = {"results": {"x.csv": "0"}, "inputs": {"survey": {
        "path": "data/raw/survey_export.csv", "sha256": sha256_bytes(EXPORT.read_bytes())}}}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    seen = {}

    def failing_rerun(workdir, **kw):
        seen["copied"] = (workdir / "data" / "raw" / "survey_export.csv").is_file()
        (workdir / "data" / "processed").mkdir(parents=True)
        (workdir / "data" / "processed" / "survey_ingested.csv").write_text("x")
        raise UserError("the rerun failed (exit 1)")

    monkeypatch.setattr(verify, "rerun", failing_rerun)
    work = tmp_path / "work"
    code = main(["verify", "--manifest", str(tmp_path / "manifest.json"), "--repo", str(repo), "--workdir", str(work)])
    assert code == 2 and seen["copied"]
    assert not (work / "data" / "raw").exists() and not (work / "data" / "processed").exists()
    assert not list(work.rglob("survey_export.csv"))


def test_a_value_error_raised_by_a_leanlearn_check_is_a_user_error_naming_the_module(tmp_path, capsys, monkeypatch):
    import leanlearn.cli.estimate as verb
    from leanlearn.pls import bootstrap as boot_module

    monkeypatch.setattr(verb, "check_options", lambda args: None)  # let the engine see the bad value
    model = tmp_path / "m.lav"
    model.write_text(MODERATION)
    assert main(["estimate", str(REF / "mobi.csv"), str(model), "--out", str(tmp_path / "o"), "--resamples", "1"]) == 2
    err = last_error(capsys)
    assert "resamples must be at least 2" in err and "leanlearn.pls.bootstrap" in err
    assert boot_module.__name__ == "leanlearn.pls.bootstrap"


def test_a_value_error_from_inside_a_library_is_an_internal_error(tmp_path, capsys, monkeypatch):
    import leanlearn.cli.estimate as verb

    def numpy_fails(args):
        np.array([1, 2]).reshape(3)

    monkeypatch.setattr(verb, "check_options", numpy_fails)
    model = tmp_path / "m.lav"
    model.write_text(MODERATION)
    assert main(["estimate", str(REF / "mobi.csv"), str(model), "--out", str(tmp_path / "o")]) == 1
    assert "internal error" in capsys.readouterr().err


def test_stata_extended_missing_codes_become_missing_and_are_counted(tmp_path):
    import pyreadstat

    df = pd.DataFrame({"ResponseId": ["R1", "R2", "R3", "R4"], "Q2_1": [1.0, "a", 3.0, "b"]})
    pyreadstat.write_dta(df, str(tmp_path / "s.dta"), missing_user_values={"Q2_1": ["a", "b"]})
    raw = read_export(tmp_path / "s.dta")
    assert read_info(raw)["user_missing"] == {"Q2_1": 2}
    assert raw["Q2_1"].tolist()[::2] == [1.0, 3.0] and raw["Q2_1"].isna().sum() == 2


def test_estimate_reads_a_semicolon_files_thousands_dot_as_thousands(tmp_path):
    mobi = pd.read_csv(REF / "mobi.csv")
    model = tmp_path / "m.lav"
    model.write_text(MODERATION)
    assert main(["estimate", str(REF / "mobi.csv"), str(model), "--out", str(tmp_path / "a")]) == 0
    text = mobi.astype(object)
    # IMAG1 x 250 (a linear rescaling, which leaves standardised estimates unchanged) written with a
    # thousands dot from 1000 on (8 -> 2.000); read as decimals, only those cells would shrink 1000-fold
    big = (mobi["IMAG1"] * 250).astype(int)
    text["IMAG1"] = [f"{v // 1000}.{v % 1000:03d}" if v >= 1000 else str(v) for v in big]
    assert (big >= 1000).any() and (big < 1000).any()
    text.to_csv(tmp_path / "semi.csv", sep=";", index=False)
    assert main(["estimate", str(tmp_path / "semi.csv"), str(model), "--out", str(tmp_path / "b")]) == 0
    a = pd.read_csv(tmp_path / "a" / "paths.csv")
    b = pd.read_csv(tmp_path / "b" / "paths.csv")
    assert np.allclose(a["estimate"], b["estimate"], atol=1e-10)  # standardised: a rescaled item changes nothing


# ---- an explicit decimal separator (codebook decimal_separator) -------------------------------------
def test_an_ambiguous_separator_refused_without_the_key_is_read_as_the_codebook_declares(tmp_path, capsys):
    # a semicolon file (decimal-comma locale) whose timers and latitudes write decimal points and
    # whose Duration holds 1.391: refused without the key; read as 1.391 s with decimal_separator '.'
    rows = export_rows()
    rows[3][col(rows, "Duration (in seconds)")] = "1.391"
    survey = write_rows(tmp_path / "s.csv", rows, delimiter=";")
    assert ingest(tmp_path, survey) == 2
    assert "does not guess" in last_error(capsys)
    assert ingest(tmp_path, survey, codebook=codebook_with(tmp_path, decimal_separator=".")) == 0
    data = pd.read_csv(tmp_path / "processed" / "survey_ingested.csv")
    assert data["duration_seconds"].iat[0] == pytest.approx(1.391)
    report = json.loads((tmp_path / "processed" / "ingest_report.json").read_text())
    assert report["number_format"]["decimal"] == "." and report["number_format"]["basis"] == "codebook decimal_separator '.'"


def test_a_declared_separator_that_the_cells_contradict_is_refused_naming_the_key(tmp_path, capsys):
    rows = export_rows()
    rows[3][col(rows, "Duration (in seconds)")] = "1391.5"
    rows[4][col(rows, "Duration (in seconds)")] = "12.5"  # a decimal point, only a decimal point
    survey = write_rows(tmp_path / "s.csv", rows, delimiter=";")
    assert ingest(tmp_path, survey, codebook=codebook_with(tmp_path, decimal_separator=",")) == 2
    err = last_error(capsys)
    assert "'Duration (in seconds)'" in err and "2 cell(s) such as row 4" in err
    assert "the codebook declares decimal_separator ','" in err and "write '.' as the decimal separator" in err
    assert "12.5" not in err and "1391.5" not in err


def test_read_export_reads_ambiguous_cells_by_the_declared_separator(tmp_path):
    from leanlearn.data.ingest import coerce_numeric

    path = tmp_path / "x.csv"
    path.write_text("a;b\n1.391;5.47\n2;3.5\n1,391;4.25\n")
    raw = read_export(path)
    with pytest.raises(DataError, match="does not guess"):  # 1.391 in a semicolon file with decimal points elsewhere
        coerce_numeric(raw, "a", what="n", source="x.csv", fix="")
    notes: list[str] = []
    dot = read_export(path, decimal=".")
    assert coerce_numeric(dot, "a", what="n", source="x.csv", fix="", notes=notes).tolist() == [1.391, 2.0, 1391.0]
    assert coerce_numeric(dot, "b", what="n", source="x.csv", fix="").tolist() == [5.47, 3.5, 4.25]
    assert notes == ["column 'a': 1 cell(s) read with ',' as thousands separator (e.g. 1,391.5 = 1391.5) (codebook decimal_separator '.')"]
    comma = read_export(path, decimal=",")
    assert coerce_numeric(comma, "a", what="n", source="x.csv", fix="").tolist() == [1391.0, 2.0, 1.391]
    with pytest.raises(DataError, match=r"'b'.*3 cell\(s\) such as row 2 write '\.' as the decimal separator"):
        coerce_numeric(comma, "b", what="n", source="x.csv", fix="")
    with pytest.raises(DataError, match="must be '.' or ','"):
        read_export(path, decimal=";")


def test_the_codebook_key_accepts_only_a_point_or_a_comma():
    cb = yaml.safe_load(CODEBOOK.read_text())
    assert load_codebook({**cb, "decimal_separator": ","}).decimal_separator == ","
    assert load_codebook(cb).decimal_separator is None
    with pytest.raises(SpecError, match="decimal_separator"):
        load_codebook({**cb, "decimal_separator": "dot"})


def test_prefixed_errors_name_the_input_once_and_keep_their_type():
    from leanlearn.errors import DataError, SpecError, prefixed

    with pytest.raises(DataError, match=r"^survey\.csv: column x is empty$"):
        with prefixed("survey.csv"):
            raise DataError("column x is empty")
    with pytest.raises(SpecError, match=r"^model\.lav: line 3: bad$"):
        with prefixed("model.lav"):
            raise SpecError("model.lav: line 3: bad")  # already named: not prefixed twice
    with pytest.raises(DataError, match=r"^no source$"):
        with prefixed(None):
            raise DataError("no source")
