"""Codebook validation: the study codebook loads, every error names its key path."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from leanlearn.spec.codebook import check_columns, load_codebook
from leanlearn.errors import DataError, SpecError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def mapping() -> dict:
    return yaml.safe_load((ROOT / "studies" / "lean" / "codebook.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def codebook(mapping):
    return load_codebook(mapping)


def test_study_codebook_loads_with_its_items_and_roles(codebook):
    assert codebook.source_format == "qualtrics"
    assert codebook.items_by_construct["LP"] == tuple(f"LP{i}" for i in range(1, 9))
    assert codebook.items_by_construct["OP"] == ("OP1", "OP2", "OP3", "OP4", "OP5")
    assert len(codebook.item_ids) == 28
    assert codebook.item_columns["LS4"] == "Q4_4"
    assert codebook.reverse_items == ("LS4", "OP5")
    assert codebook.marker_constructs == ("MARK",)
    assert "MARK1" not in codebook.substantive_items and "LP1" in codebook.substantive_items
    assert codebook.attention_ids == ("ATT1", "ATT2")


def test_item_scales_give_min_max_midpoint_and_item_level_override(codebook):
    scales = codebook.item_scales()
    assert scales["LP1"] == (1, 7, 4.0)
    assert codebook.item("OP5").scale == "agree7"  # item-level scale overrides compare7
    assert codebook.item("OP4").scale == "compare7"
    assert scales["ATT2"] == (1, 7, 4.0)


def test_canonical_names_map_export_columns(codebook):
    names = codebook.canonical_names()
    assert names["ResponseId"] == "respondent_id"
    assert names["Duration (in seconds)"] == "duration_seconds"
    assert names["Q2_timer_Page Submit"] == "page_seconds_1"
    assert names["Q1_know"] == "ki_knowledge"
    assert names["Q2_9"] == "ATT1"
    assert codebook.paradata.page_timers[0].items[-1] == "ATT1"


def _mutate(mapping: dict, fn) -> dict:
    m = copy.deepcopy(mapping)
    fn(m)
    return m


ERRORS = [
    (
        "item_in_two_constructs",
        lambda m: m["constructs"]["OP"]["items"].append({"id": "LS4", "column": "Q9_9"}),
        "constructs.OP.items[5]: item 'LS4' appears in constructs LS and OP (first at constructs.LS.items[3])",
    ),
    ("scale_without_max", lambda m: m["scales"]["agree7"].pop("max"), "scales.agree7: scale without 'max'"),
    ("scale_min_above_max", lambda m: m["scales"]["agree7"].update(min=7, max=1), "scales.agree7: min (7) must be below max (1)"),
    ("construct_unknown_scale", lambda m: m["constructs"]["DIG"].update(scale="extent9"),
     "constructs.DIG.scale: unknown scale 'extent9'"),
    ("item_unknown_scale", lambda m: m["constructs"]["OP"]["items"][4].update(scale="agree5"),
     "constructs.OP.items[4].scale: unknown scale 'agree5'"),
    ("reverse_on_construct", lambda m: m["constructs"]["LP"].update(reverse=True),
     "constructs.LP.reverse: a reverse-coded flag is only allowed on construct items"),
    ("reverse_on_attention_check", lambda m: m["attention_checks"][0].update(reverse=True),
     "attention_checks[0].reverse: a reverse-coded flag is only allowed on construct items"),
    ("reverse_on_key_informant", lambda m: m["key_informant"]["knowledge"].update(reverse=True),
     "key_informant.knowledge.reverse: a reverse-coded flag"),
    ("reverse_not_boolean", lambda m: m["constructs"]["LS"]["items"][3].update(reverse="yes"),
     "constructs.LS.items[3].reverse: expected true or false"),
    ("typo_in_item_key", lambda m: m["constructs"]["LS"]["items"][0].update(revers=True),
     "constructs.LS.items[0]: unknown key(s) revers"),
    ("duplicate_item_column", lambda m: m["constructs"]["LP"]["items"][1].update(column="Q2_1"),
     "constructs.LP.items[1].column: column 'Q2_1' is already used by constructs.LP.items[0].column"),
    ("attention_column_reuses_item", lambda m: m["attention_checks"][1].update(column="Q5_1"),
     "attention_checks[1].column: column 'Q5_1' is already used by constructs.OP.items[0].column"),
    ("attention_expected_outside_scale", lambda m: m["attention_checks"][0].update(expected=9),
     "attention_checks[0].expected: 9 is outside scale agree7 (1-7)"),
    ("attention_without_expected", lambda m: m["attention_checks"][0].pop("expected"),
     "attention_checks[0]: attention check without 'expected'"),
    ("page_timer_unknown_item", lambda m: m["paradata"]["page_timers"][1]["items"].append("DIG9"),
     "paradata.page_timers[1].items[6]: unknown item 'DIG9'"),
    ("personal_unknown_action", lambda m: m["personal_data"][0].update(action="encrypt"),
     "personal_data[0].action: unknown action 'encrypt'; use drop or hash"),
    ("missing_identifier", lambda m: m["identifiers"].pop("respondent_id"), "identifiers.respondent_id: missing"),
    ("unknown_role", lambda m: m["constructs"]["MARK"].update(role="control"), "constructs.MARK.role: unknown role 'control'"),
    ("unknown_paradata_key", lambda m: m["paradata"].update(speed="X"), "paradata.speed: unknown paradata key"),
    ("empty_construct", lambda m: m["constructs"]["DIG"].update(items=[]), "constructs.DIG.items: a construct needs at least one item"),
    ("bad_source_format", lambda m: m.update(source_format="surveymonkey"), "source_format: unknown format 'surveymonkey'"),
]


@pytest.mark.parametrize("name,fn,message", ERRORS, ids=[e[0] for e in ERRORS])
def test_codebook_error_names_key_path_and_problem(mapping, name, fn, message):
    with pytest.raises(SpecError) as info:
        load_codebook(_mutate(mapping, fn))
    assert str(info.value).startswith(message), str(info.value)


def test_check_columns_lists_every_missing_column_and_names_the_file(codebook):
    columns = [c for c in codebook.canonical_names() if c not in ("Q4_4", "Q2_9", "Q1_know")]
    with pytest.raises(DataError) as info:
        check_columns(codebook, columns, source="data/raw/survey_export.csv")
    msg = str(info.value)
    assert msg.startswith("data/raw/survey_export.csv: 3 codebook column(s) missing from the data file")
    assert "'Q4_4' (item LS4)" in msg and "'Q2_9' (attention check ATT1)" in msg
    assert "'Q1_know' (key_informant.knowledge, optional)" in msg
    assert "Rename the columns in the export, or correct the 'column:' entries" in msg


def test_check_columns_returns_missing_optional_columns(codebook):
    columns = [c for c in codebook.canonical_names() if not c.endswith("Page Submit")]
    missing = check_columns(codebook, columns, source="x.csv")
    assert len(missing) == 5 and all(c.endswith("Page Submit") for c in missing)
