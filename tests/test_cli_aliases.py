"""The old option spellings (--boot, --data/--model) are hidden aliases: same results, absent from --help."""

from __future__ import annotations

import filecmp

import pytest

from conftest import REF
from leanlearn.cli import build_parser, main

DATA = REF / "corp_rep_data.csv"


@pytest.fixture(scope="module")
def model():
    return REF.parent / "models" / "corp_rep_extended.lav"


def _same_files(a, b) -> None:
    names = sorted(p.name for p in a.iterdir())
    assert names and names == sorted(p.name for p in b.iterdir())
    match, mismatch, errors = filecmp.cmpfiles(a, b, names, shallow=False)
    assert mismatch == [] and errors == [], mismatch


def _help(verb: str) -> str:
    parser = build_parser([verb])
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return sub.choices[verb].format_help()


def test_estimate_with_boot_writes_byte_identical_files_to_estimate_with_resamples(tmp_path, model):
    common = ["estimate", str(DATA), str(model), "--missing-value", "-99", "--seed", "5"]
    assert main([*common, "--resamples", "40", "--out", str(tmp_path / "new")]) == 0
    assert main([*common, "--boot", "40", "--out", str(tmp_path / "old")]) == 0
    _same_files(tmp_path / "new", tmp_path / "old")
    assert (tmp_path / "new" / "bootstrap_status.csv").exists()


def test_describe_with_data_and_model_options_writes_byte_identical_files_to_positional_data_model(tmp_path, model):
    assert main(["describe", str(DATA), str(model), "--out", str(tmp_path / "new")]) == 0
    assert main(["describe", "--data", str(DATA), "--model", str(model), "--out", str(tmp_path / "old")]) == 0
    _same_files(tmp_path / "new", tmp_path / "old")


@pytest.mark.parametrize("verb,new,old", [
    ("estimate", "--resamples", "--boot"), ("hypotheses", "--resamples", "--boot"), ("measurement", "--resamples", "--boot"),
    ("process", "--resamples", "--boot"), ("multiverse", "--resamples", "--boot"),
    ("bias", "data model", "--data"), ("cfa", "data model", "--model"), ("describe", "data model", "--data"),
    ("multiverse", "data model", "--ingested"), ("screen", "data", "--data"),
])
def test_help_shows_the_new_spelling_and_not_the_old_one(verb, new, old):
    text = _help(verb)
    assert new in " ".join(text.split()) and old not in text


def test_an_old_option_mixed_with_the_positional_arguments_is_refused_with_exit_2(tmp_path, model, capsys):
    code = main(["describe", str(DATA), "--model", str(model), "--out", str(tmp_path / "o")])
    assert code == 2
    assert "positional arguments DATA MODEL" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_a_missing_model_is_refused_with_exit_2_naming_it(tmp_path, capsys):
    assert main(["cfa", str(DATA), "--out", str(tmp_path / "o")]) == 2
    assert "MODEL are required" in capsys.readouterr().err


def test_report_without_config_reads_the_effective_config_of_its_results_directory(tmp_path, capsys):
    assert main(["summary", "--results", str(tmp_path / "none"), "--out", str(tmp_path / "s.md")]) == 2
    err = capsys.readouterr().err
    assert "config.yaml: not found" in err and "studies" not in err
