"""Reading exports (encodings, delimiters, Qualtrics header rows, xlsx/sav/dta) and applying the codebook."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from leanlearn.cli import main
from leanlearn.spec.codebook import load_codebook
from leanlearn.errors import DataError
from leanlearn.data.ingest import apply_codebook, read_export, read_info, reverse_score

CODEBOOK = {
    "source_format": "qualtrics",
    "identifiers": {"respondent_id": "ResponseId", "firm_id": "firm_id"},
    "personal_data": [
        {"column": "RecipientEmail", "action": "hash", "kind": "email"},
        {"column": "RecipientLastName", "action": "drop", "kind": "name"},
        {"column": "Q7_comments", "action": "drop", "kind": "free_text"},
    ],
    "paradata": {
        "recorded": "RecordedDate",
        "progress": "Progress",
        "finished": "Finished",
        "page_timers": [{"column": "Q2_timer_Page Submit", "items": ["A1", "A2", "A3", "A4", "ATT1"]}],
    },
    "scales": {"agree7": {"min": 1, "max": 7, "labels": {1: "Strongly disagree", 7: "Strongly agree"}}},
    "constructs": {
        "A": {
            "scale": "agree7",
            "items": [
                {"id": "A1", "column": "Q2_1"},
                {"id": "A2", "column": "Q2_2"},
                {"id": "A3", "column": "Q2_3"},
                {"id": "A4", "column": "Q2_4", "reverse": True},
            ],
        }
    },
    "attention_checks": [{"id": "ATT1", "column": "Q2_5", "expected": 3, "scale": "agree7"}],
    "key_informant": {"knowledge": {"column": "Q1_know", "scale": "agree7"}},
}
COLUMNS = [
    "ResponseId", "RecordedDate", "Progress", "Finished", "Status", "RecipientLastName", "RecipientEmail",
    "Q1_know", "Q2_1", "Q2_2", "Q2_3", "Q2_4", "Q2_5", "Q2_timer_Page Submit", "Q7_comments", "firm_id",
]
ITEM_COLUMNS = ["Q2_1", "Q2_2", "Q2_3", "Q2_4"]


@pytest.fixture(scope="module")
def codebook():
    return load_codebook(CODEBOOK)


def make_rows(n: int = 5, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        r = {
            "ResponseId": f"R_{i:03d}",
            "RecordedDate": f"2023-06-{i + 1:02d} 09:30:00",
            "Progress": "100",
            "Finished": "1",
            "Status": "0",
            "RecipientLastName": f"Name{i}",
            "RecipientEmail": f"person{i}@firm{i}.example",
            "Q1_know": "6",
            "Q2_5": "3",
            "Q2_timer_Page Submit": "25.5",
            "Q7_comments": "",
            "firm_id": f"F{i:03d}",
        }
        for c in ITEM_COLUMNS:
            r[c] = str(int(rng.integers(1, 8)))
        rows.append(r)
    return rows


def write_export(path: Path, rows: list[dict], *, delimiter=",", encoding="utf-8", qualtrics=True) -> Path:
    with open(path, "w", newline="", encoding=encoding) as fh:
        w = csv.writer(fh, delimiter=delimiter)
        w.writerow(COLUMNS)
        if qualtrics:
            w.writerow([f"Question text of {c}, with a comma" for c in COLUMNS])
            w.writerow([json.dumps({"ImportId": c}) for c in COLUMNS])
        for r in rows:
            w.writerow([r[c] for c in COLUMNS])
    return path


# ---- reading ---------------------------------------------------------------------------------
@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_read_export_sniffs_the_delimiter(tmp_path, delimiter):
    rows = make_rows()
    df = read_export(write_export(tmp_path / "s.csv", rows, delimiter=delimiter))
    assert read_info(df)["delimiter"] == delimiter
    assert list(df.columns) == COLUMNS
    assert df["Q2_1"].tolist() == [r["Q2_1"] for r in rows]


def test_qualtrics_header_rows_are_detected_dropped_and_recorded(tmp_path):
    df = read_export(write_export(tmp_path / "s.csv", make_rows(3)))
    info = read_info(df)
    assert info["header_rows_dropped"] == ["question text", "ImportId"]
    assert info["first_data_row"] == 4
    assert len(df) == 3 and df["ResponseId"].iat[0] == "R_000"
    assert any("dropped 2 extra header row(s)" in n for n in info["notes"])


def test_plain_export_keeps_every_row(tmp_path):
    df = read_export(write_export(tmp_path / "s.csv", make_rows(3), qualtrics=False))
    assert read_info(df)["header_rows_dropped"] == [] and read_info(df)["first_data_row"] == 2
    assert len(df) == 3


def test_question_text_row_without_import_ids_is_dropped(tmp_path):
    path = tmp_path / "s.csv"
    write_export(path, make_rows(3), qualtrics=False)
    lines = path.read_text().splitlines()
    lines.insert(1, ",".join(f"Text {c}" for c in COLUMNS))
    path.write_text("\n".join(lines) + "\n")
    df = read_export(path)
    assert read_info(df)["header_rows_dropped"] == ["question text"] and len(df) == 3


def test_utf8_bom_is_removed(tmp_path):
    df = read_export(write_export(tmp_path / "s.csv", make_rows(2), encoding="utf-8-sig"))
    assert read_info(df)["encoding"] == "utf-8-sig"
    assert df.columns[0] == "ResponseId"


def test_latin1_file_is_decoded_with_a_note(tmp_path):
    rows = make_rows(2)
    rows[0]["RecipientLastName"] = "Müller-Ça"
    df = read_export(write_export(tmp_path / "s.csv", rows, encoding="latin-1"))
    info = read_info(df)
    assert info["encoding"] in ("cp1252", "latin-1")
    assert df["RecipientLastName"].iat[0] == "Müller-Ça"
    assert any("not valid UTF-8" in n for n in info["notes"])


def test_file_that_is_not_utf8_or_latin1_is_refused_naming_the_encodings(tmp_path):
    path = write_export(tmp_path / "s.csv", make_rows(2), encoding="utf-16")
    with pytest.raises(DataError) as info:
        read_export(path)
    assert str(info.value).startswith(
        f"{path}: cannot decode the file as text; tried UTF-8 (with and without BOM), cp1252 (Windows Latin-1) "
        "and Latin-1. It contains NUL bytes, so it is probably UTF-16"
    )
    assert "Save or export it as 'CSV UTF-8'" in str(info.value)


def test_duplicate_column_names_are_refused(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("ResponseId,Q2_1,Q2_1\nR1,1,2\n")
    with pytest.raises(DataError, match=r"duplicate column name\(s\) 'Q2_1'"):
        read_export(path)


@pytest.mark.parametrize("name,message", [("s.json", "unsupported file type '.json'"), ("none.csv", "file not found")])
def test_unsupported_or_absent_file(tmp_path, name, message):
    path = tmp_path / name
    if name.endswith(".json"):
        path.write_text("{}")
    with pytest.raises(DataError, match=message):
        read_export(path)


def test_excel_export_with_qualtrics_rows_reads_like_csv(tmp_path):
    rows = make_rows(3)
    header = pd.DataFrame([[f"Q {c}" for c in COLUMNS], [json.dumps({"ImportId": c}) for c in COLUMNS]], columns=COLUMNS)
    body = pd.DataFrame(rows)[COLUMNS]
    for c in ["Progress", "Finished", "Q1_know", *ITEM_COLUMNS, "Q2_5"]:
        body[c] = body[c].astype(int)
    pd.concat([header, body.astype(object)]).to_excel(tmp_path / "s.xlsx", index=False)
    df = read_export(tmp_path / "s.xlsx")
    assert read_info(df)["first_data_row"] == 4
    assert df["Q2_1"].tolist() == [r["Q2_1"] for r in rows]


@pytest.mark.parametrize("suffix", [".sav", ".dta"])
def test_spss_and_stata_keep_codes_and_value_labels(tmp_path, codebook, suffix):
    import pyreadstat

    rows = make_rows(4)
    df = pd.DataFrame(rows)[COLUMNS].drop(columns=["RecordedDate"])
    for c in ["Progress", "Finished", "Q1_know", *ITEM_COLUMNS, "Q2_5", "Q2_timer_Page Submit"]:
        df[c] = df[c].astype(float)
    df = df.rename(columns={"Q2_timer_Page Submit": "Q2_timer"})
    df.loc[1, "Q2_2"] = 99.0
    labels = {"Q2_1": {1.0: "Strongly disagree", 7.0: "Strongly agree"}}
    path = tmp_path / f"s{suffix}"
    writer = pyreadstat.write_sav if suffix == ".sav" else pyreadstat.write_dta
    writer(df, str(path), variable_value_labels=labels)
    raw = read_export(path)
    info = read_info(raw)
    assert info["value_labels"]["Q2_1"] == {1: "Strongly disagree", 7: "Strongly agree"}
    assert info["row_label"] == "case"
    book = dict(CODEBOOK, paradata={"progress": "Progress", "finished": "Finished"})
    result = apply_codebook(raw, load_codebook(book), source=str(path))
    assert result.data["A1"].tolist() == [float(r["Q2_1"]) for r in rows]
    log = result.out_of_range
    assert log[["row", "item", "value"]].values.tolist() == [[2, "A2", "99.0"]]


# ---- applying the codebook ------------------------------------------------------------------
def test_apply_codebook_renames_to_canonical_columns(tmp_path, codebook):
    raw = read_export(write_export(tmp_path / "s.csv", make_rows()))
    data = apply_codebook(raw, codebook, source="s.csv").data
    assert list(data.columns) == [
        "respondent_id", "firm_id", "recorded", "progress", "finished", "page_seconds_1", "ki_knowledge",
        "A1", "A2", "A3", "A4", "ATT1",
    ]
    assert data["page_seconds_1"].iat[0] == 25.5
    result = apply_codebook(raw, codebook, source="s.csv")
    dropped = result.columns.loc[result.columns["action"] == "dropped_not_in_codebook", "column"].tolist()
    assert dropped == ["Status", "RecipientLastName", "RecipientEmail", "Q7_comments"]


def test_reverse_item_is_recoded(tmp_path, codebook):
    rows = make_rows(2)
    rows[0]["Q2_4"], rows[1]["Q2_4"] = "2", "7"
    data = apply_codebook(read_export(write_export(tmp_path / "s.csv", rows)), codebook, source="s").data
    assert data["A4"].tolist() == [6.0, 1.0]


@given(st.lists(st.integers(1, 7), min_size=1, max_size=30), st.integers(-3, 3), st.integers(1, 9))
def test_reverse_scoring_twice_is_the_identity(values, lo, width):
    x = np.array(values, dtype=float) + lo - 1
    once = reverse_score(x, minimum=lo, maximum=lo + width)
    np.testing.assert_array_equal(reverse_score(once, minimum=lo, maximum=lo + width), x)
    assert reverse_score(pd.Series([np.nan]), minimum=1, maximum=7).isna().all()


@pytest.mark.parametrize("qualtrics,row", [(True, 6), (False, 4)])
def test_non_numeric_item_cell_names_file_column_row_and_fix_but_not_the_value(tmp_path, codebook, qualtrics, row):
    rows = make_rows()
    rows[2]["Q2_3"] = "x"
    path = write_export(tmp_path / "s.csv", rows, qualtrics=qualtrics)
    with pytest.raises(DataError) as info:
        apply_codebook(read_export(path), codebook, source=str(path))
    assert str(info.value) == (
        f"{path}: column 'Q2_3' (item A3) has a non-numeric value (a text of 1 character (letters)) in row {row}. "
        "Answers must be numeric "
        "codes; fix the cell in the export (or set it empty if unanswered)."
    )


def test_label_text_in_item_cell_suggests_numeric_export(tmp_path, codebook):
    rows = make_rows()
    rows[0]["Q2_1"] = "Strongly agree"
    rows[3]["Q2_1"] = "Agree"
    path = write_export(tmp_path / "s.csv", rows)
    with pytest.raises(DataError) as info:
        apply_codebook(read_export(path), codebook, source=str(path))
    msg = str(info.value)
    assert "'Strongly agree' in row 4 (and 1 more non-numeric cell(s) in this column)" in msg
    assert "export numeric codes ('numeric values'), not choice text" in msg


def test_out_of_range_codes_are_missing_counted_and_logged(tmp_path, codebook):
    rows = make_rows()
    rows[0]["Q2_1"], rows[1]["Q2_2"], rows[2]["Q2_4"], rows[3]["Q1_know"], rows[4]["Q2_1"] = "0", "8", "99", "3.5", "99"
    path = write_export(tmp_path / "s.csv", rows)
    result = apply_codebook(read_export(path), codebook, source=str(path))
    log = result.out_of_range
    assert log[["respondent_id", "row", "column", "item", "value"]].values.tolist() == [
        ["R_003", 7, "Q1_know", "ki_knowledge", "3.5"],
        ["R_000", 4, "Q2_1", "A1", "0"],
        ["R_004", 8, "Q2_1", "A1", "99"],
        ["R_001", 5, "Q2_2", "A2", "8"],
        ["R_002", 6, "Q2_4", "A4", "99"],
    ]
    assert log["reason"].tolist()[:2] == ["not a whole number", "outside the scale 1-7"]
    counts = result.out_of_range_counts.set_index("item")["n_out_of_range"].to_dict()
    assert counts == {"ki_knowledge": 1, "A1": 2, "A2": 1, "A3": 0, "A4": 1, "ATT1": 0}
    d = result.data
    assert np.isnan(d.at[0, "A1"]) and np.isnan(d.at[2, "A4"]) and np.isnan(d.at[3, "ki_knowledge"])


def _frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows)[COLUMNS].astype(object)


@settings(max_examples=40, deadline=None)
@given(
    answers=st.lists(st.lists(st.integers(1, 7), min_size=5, max_size=5), min_size=2, max_size=6),
    where=st.tuples(st.integers(0, 5), st.integers(0, 4)),
    code=st.sampled_from(["0", "8", "99", "-1", "2.5", "100"]),
)
def test_adding_an_out_of_range_code_changes_no_other_cell(codebook, answers, where, code):
    rows = make_rows(len(answers))
    for r, a in zip(rows, answers):
        for c, v in zip([*ITEM_COLUMNS, "Q2_5"], a):
            r[c] = str(v)
    before = apply_codebook(_frame(rows), codebook, source="s")
    i, j = where[0] % len(rows), where[1]
    column = [*ITEM_COLUMNS, "Q2_5"][j]
    rows[i][column] = code
    after = apply_codebook(_frame(rows), codebook, source="s")
    name = ["A1", "A2", "A3", "A4", "ATT1"][j]
    changed = ~((before.data == after.data) | (before.data.isna() & after.data.isna()))
    assert changed.to_numpy().sum() == 1 and bool(changed.at[i, name])
    assert np.isnan(after.data.at[i, name])
    assert len(after.out_of_range) == len(before.out_of_range) + 1


def test_finished_true_false_and_bad_date(tmp_path, codebook):
    rows = make_rows(3)
    rows[0]["Finished"], rows[1]["Finished"] = "True", "False"
    data = apply_codebook(read_export(write_export(tmp_path / "s.csv", rows)), codebook, source="s").data
    assert data["finished"].tolist() == [1.0, 0.0, 1.0]
    rows[2]["RecordedDate"] = "yesterday"
    path = write_export(tmp_path / "t.csv", rows)
    with pytest.raises(DataError, match=r"column 'RecordedDate' has 1 value\(s\) that are not dates in the form "
                       r"YYYY-MM-DD HH:MM:SS, the first in row 6 \(a text of 9 characters \(letters\)\)") as err:
        apply_codebook(read_export(path), codebook, source=str(path))
    assert "yesterday" not in str(err.value)


def test_empty_respondent_id_is_refused(tmp_path, codebook):
    rows = make_rows(3)
    rows[1]["ResponseId"] = ""
    path = write_export(tmp_path / "s.csv", rows)
    with pytest.raises(DataError, match=r"column 'ResponseId' \(respondent id\) is empty in row\(s\) 5"):
        apply_codebook(read_export(path), codebook, source=str(path))


def test_missing_column_error_names_the_file(tmp_path, codebook):
    path = tmp_path / "s.csv"
    pd.DataFrame(make_rows(2)).drop(columns=["Q2_3"]).to_csv(path, index=False)
    with pytest.raises(DataError, match=rf"^{path}: 1 codebook column\(s\) missing from the data file: 'Q2_3' \(item A3\)"):
        apply_codebook(read_export(path), codebook, source=str(path))


# ---- CLI ------------------------------------------------------------------------------------
@pytest.fixture()
def cli_files(tmp_path, monkeypatch):
    monkeypatch.setenv("LEANLEARN_SALT", "pepper-for-tests-0f1e2d3c4b5a6978")
    (tmp_path / "codebook.yaml").write_text(yaml.safe_dump(CODEBOOK))
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({"salt_file": str(tmp_path / ".salt")}))
    return tmp_path


def _args(tmp: Path, survey: Path, out: Path) -> list[str]:
    return ["ingest", "--survey", str(survey), "--codebook", str(tmp / "codebook.yaml"),
            "--config", str(tmp / "config.yaml"), "--out", str(out)]


def test_cli_ingest_writes_outputs(cli_files):
    tmp = cli_files
    rows = make_rows()
    rows[1]["Q2_2"] = "99"
    survey = write_export(tmp / "survey.csv", rows)
    out = tmp / "processed"
    assert main(_args(tmp, survey, out)) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "ingest_columns.csv", "ingest_out_of_range.csv", "ingest_out_of_range_counts.csv",
        "ingest_personal_data.csv", "ingest_report.json", "survey_ingested.csv",
    ]
    data = pd.read_csv(out / "survey_ingested.csv")
    assert "RecipientEmail_sha256" in data.columns and "RecipientLastName" not in data.columns
    report = json.loads((out / "ingest_report.json").read_text())
    assert report["header_rows_dropped"] == ["question text", "ImportId"]
    assert report["encoding"] == "utf-8" and report["n_out_of_range_cells"] == 1
    assert len(report["inputs"]["survey"]["sha256"]) == 64
    assert pd.read_csv(out / "ingest_out_of_range.csv")["row"].tolist() == [5]


def test_cli_ingest_error_exits_2_with_one_message_and_writes_nothing(cli_files, capsys):
    tmp = cli_files
    rows = make_rows()
    rows[0]["Q2_4"] = "seven"
    survey = write_export(tmp / "survey.csv", rows)
    out = tmp / "processed"
    assert main(_args(tmp, survey, out)) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err == (
        f"leanlearn ingest: error: {survey}: column 'Q2_4' (item A4) has a non-numeric value (a text of 5 characters "
        "(letters)) in row 4. "
        "Answers must be numeric codes; fix the cell in the export (or set it empty if unanswered)."
    )
    assert not out.exists()
    assert not any(p.name.startswith(".processed") for p in tmp.iterdir())


def test_cli_ingest_codebook_error_is_prefixed_with_the_codebook_path(cli_files, capsys):
    tmp = cli_files
    bad = json.loads(json.dumps(CODEBOOK))
    bad["attention_checks"][0]["expected"] = 8
    (tmp / "codebook.yaml").write_text(yaml.safe_dump(bad))
    survey = write_export(tmp / "survey.csv", make_rows())
    assert main(_args(tmp, survey, tmp / "out")) == 2
    err = capsys.readouterr().err
    assert f"{tmp / 'codebook.yaml'}: attention_checks[0].expected: 8 is outside scale agree7 (1-7)" in err
    assert not (tmp / "out").exists()


def test_cli_ingest_failure_while_writing_leaves_old_outputs_untouched(cli_files, monkeypatch):
    import leanlearn.cli.ingest as verb

    tmp = cli_files
    out = tmp / "processed"
    out.mkdir()
    (out / "survey_ingested.csv").write_text("old\n")
    calls = []

    def failing(df, path, **kw):
        calls.append(path)
        if len(calls) == 2:
            raise OSError("disk full")
        df.to_csv(path, index=False)

    monkeypatch.setattr(verb, "write_csv", failing)
    assert main(_args(tmp, write_export(tmp / "survey.csv", make_rows()), out)) == 1  # internal error, logged
    assert (out / "survey_ingested.csv").read_text() == "old\n"
    assert sorted(p.name for p in out.iterdir()) == ["survey_ingested.csv"]


def test_coerce_numeric_reads_mixed_cells_each_distinct_value_once_as_the_cell_loop_did():
    from leanlearn.data.ingest import coerce_numeric

    cells = [" 1", 2, True, None, np.nan, "", "4.5", pd.NA, " 1", 2.5, "1,391.5", np.int64(3), "  "]
    raw = pd.DataFrame({"x": pd.Series(cells, dtype=object)})
    notes: list[str] = []
    out = coerce_numeric(raw, "x", what="number", source="f.csv", fix="", notes=notes)
    expected = [1.0, 2.0, 1.0, np.nan, np.nan, np.nan, 4.5, np.nan, 1.0, 2.5, 1391.5, 3.0, np.nan]
    np.testing.assert_array_equal(out.to_numpy(), np.array(expected))
    assert notes == ["column 'x': 1 cell(s) read with ',' as thousands separator (e.g. 1,391.5 = 1391.5)"]
    raw.loc[5, "x"] = "seven"
    with pytest.raises(DataError, match=r"column 'x' \(number\) has a non-numeric value .* in row 7"):
        coerce_numeric(raw, "x", what="number", source="f.csv", fix="")


def test_coerce_numeric_refuses_a_not_a_time_cell_as_text_as_the_cell_loop_did():
    from leanlearn.data.ingest import coerce_numeric

    raw = pd.DataFrame({"x": pd.Series([1, 2.5, pd.NaT, "3", None], dtype=object)})
    with pytest.raises(DataError, match=r"column 'x' \(number\) has a non-numeric value .* in row 4"):
        coerce_numeric(raw, "x", what="number", source="f.csv", fix="")
    unhashable = pd.DataFrame({"x": pd.Series([1, "2", None, [3]], dtype=object)})
    with pytest.raises(DataError, match=r"in row 5"):
        coerce_numeric(unhashable, "x", what="number", source="f.csv", fix="")
