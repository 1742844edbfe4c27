"""The config and codebook schemas: every typo, wrong type and out-of-range value is an error naming its key."""

from __future__ import annotations

import copy
import subprocess
import sys

import pytest
import yaml

from conftest import ROOT
from leanlearn.cli import main
from leanlearn.errors import SpecError
from leanlearn.spec.codebook import load_codebook
from leanlearn.spec.config import relative_paths, resolve_paths, schema, schema_path, validate_config

STUDY = ROOT / "studies" / "lean"
CONFIG = yaml.safe_load((STUDY / "config.yaml").read_text(encoding="utf-8"))
CODEBOOK = yaml.safe_load((STUDY / "codebook.yaml").read_text(encoding="utf-8"))


def _set(mapping: dict, path: tuple, value) -> dict:
    out = copy.deepcopy(mapping)
    node = out
    for key in path[:-1]:
        node = node.setdefault(key, {}) if isinstance(key, str) else node[key]
    node[path[-1]] = value
    return out


# (name, change, text the message must contain: key path, value, allowed values)
CONFIG_ERRORS = [
    ("unknown_section", lambda c: {**c, "bootstrp": {"resamples": 200}}, ["bootstrp: unknown key", "bootstrap", "estimation"]),
    ("unknown_key_in_section", lambda c: _set(c, ("estimation", "schem"), "centroid"),
     ["estimation.schem: unknown key", "allowed keys in estimation: consistent, interaction, max_iterations, scheme, tolerance"]),
    ("boolean_as_text", lambda c: _set(c, ("estimation", "consistent"), "no"), ["estimation.consistent: 'no' is not allowed", "true or false"]),
    ("boolean_as_number", lambda c: _set(c, ("screening", "require_finished"), 1), ["screening.require_finished: 1", "true or false"]),
    ("resamples_as_text", lambda c: _set(c, ("bootstrap", "resamples"), "many"), ["bootstrap.resamples: 'many'", "a whole number (>= 2)"]),
    ("resamples_negative", lambda c: _set(c, ("bootstrap", "resamples"), -5), ["bootstrap.resamples: -5", ">= 2"]),
    ("resamples_zero", lambda c: _set(c, ("bootstrap", "resamples"), 0), ["bootstrap.resamples: 0", ">= 2"]),
    ("ci_level_in_percent", lambda c: _set(c, ("bootstrap", "ci_level"), 95), ["bootstrap.ci_level: 95", "> 0", "< 1"]),
    ("max_iterations_negative", lambda c: _set(c, ("estimation", "max_iterations"), -1), ["estimation.max_iterations: -1", ">= 1"]),
    ("scheme_misspelt", lambda c: _set(c, ("estimation", "scheme"), "pth"), ["estimation.scheme: 'pth'", "one of path, centroid, factorial"]),
    ("interaction_unknown", lambda c: _set(c, ("estimation", "interaction"), "product"), ["estimation.interaction: 'product'", "two_stage"]),
    ("nested_unknown_key", lambda c: _set(c, ("robustness", "predict", "fold"), 5), ["robustness.predict.fold: unknown key", "folds"]),
    ("hypothesis_unknown_key", lambda c: _set(c, ("hypotheses", 0, "directon"), "positive"), ["hypotheses[0].directon: unknown key", "direction"]),
    ("hypothesis_direction", lambda c: _set(c, ("hypotheses", 1, "direction"), "up"), ["hypotheses[1].direction: 'up'", "positive, negative, nonzero, none"]),
    ("missing_treatment", lambda c: _set(c, ("missing", "treatment"), "median"), ["missing.treatment: 'median'", "mean, listwise, iterative"]),
    ("power_grid_text", lambda c: _set(c, ("power", "n_grid"), "100"), ["power.n_grid: '100'", "a list"]),
    ("bias_triangulation_key", lambda c: _set(c, ("bias", "triangulation"), [{"construct": "OP", "varible": "x"}]), ["bias.triangulation"]),
    ("seed_text", lambda c: {**c, "seed": "abc"}, ["seed: 'abc'", "a whole number"]),
    ("section_not_mapping", lambda c: {**c, "bootstrap": 200}, ["bootstrap: 200", "a mapping"]),
    ("resources_rule_misspelt", lambda c: _set(c, ("resources", "hypothesis"), {"mem_mb": 4000}),
     ["resources.hypothesis: unknown key", "hypotheses", "power_replicate", "default"]),
    ("resources_key_misspelt", lambda c: _set(c, ("resources", "multiverse"), {"memory": 4000}),
     ["resources.multiverse.memory: unknown key", "mem_mb, runtime, threads"]),
    ("resources_memory_too_small", lambda c: _set(c, ("resources", "default"), {"mem_mb": 50}), ["resources.default.mem_mb: 50", ">= 100"]),
    ("resources_runtime_text", lambda c: _set(c, ("resources", "power_replicate"), {"runtime": "1h"}),
     ["resources.power_replicate.runtime: '1h'", "a whole number"]),
]


@pytest.mark.parametrize("name,change,needles", CONFIG_ERRORS, ids=[e[0] for e in CONFIG_ERRORS])
def test_config_error_names_key_path_value_and_allowed_values(name, change, needles):
    with pytest.raises(SpecError) as info:
        validate_config(change(CONFIG), source="config.yaml")
    msg = str(info.value)
    assert msg.startswith("config.yaml: ")
    for needle in needles:
        assert needle in msg, (needle, msg)


@pytest.mark.parametrize("name,change,needles", CONFIG_ERRORS[:10], ids=[e[0] for e in CONFIG_ERRORS[:10]])
def test_every_verb_refuses_a_bad_config_with_exit_2_and_no_traceback(tmp_path, capsys, name, change, needles):
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(change(CONFIG)), encoding="utf-8")
    data = tmp_path / "data.csv"
    data.write_text("a\n1\n", encoding="utf-8")
    for argv in (
        ["screen", str(data), "--codebook", str(STUDY / "codebook.yaml"), "--config", str(path), "--out", str(tmp_path / "s")],
        ["hypotheses", str(data), str(STUDY / "model.lav"), "--config", str(path), "--out", str(tmp_path / "h"), "--tables", str(tmp_path / "h")],
        ["power", "summarize", "--config", str(path), "--out", str(tmp_path / "p"), str(data)],
    ):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert needles[0] in err and str(path) in err
        assert "Traceback" not in err
    assert not any(p.name in ("s", "h", "p") for p in tmp_path.iterdir())


def test_a_verb_run_as_a_program_reports_a_typo_without_traceback(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({**CONFIG, "bootstrp": {"resamples": 10}}), encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "leanlearn", "power", "summarize", "--config", str(path), "--out", str(tmp_path / "p"), "x.csv"],
                         capture_output=True, text=True)
    assert out.returncode == 2
    assert "bootstrp: unknown key" in out.stderr and "Traceback" not in out.stderr


def test_the_bundled_config_is_valid_and_defaults_are_filled_in():
    cfg = validate_config(CONFIG)
    assert cfg["bootstrap"]["resamples"] == 10000 and cfg["estimation"]["consistent"] is False
    sparse = validate_config({"survey": "s.csv", "estimation": {"scheme": "centroid"}})
    assert sparse["estimation"] == {"scheme": "centroid", "interaction": "two_stage", "consistent": False, "max_iterations": 300, "tolerance": 1e-7}
    assert sparse["bootstrap"] == {"resamples": 10000, "ci_level": 0.95, "workers": 1}
    assert sparse["seed"] == 0
    assert "archival" not in sparse  # optional inputs stay absent


def test_defaults_in_the_schema_equal_the_code_defaults():
    from leanlearn.cli._study import bootstrap_settings, estimation_settings

    filled = validate_config({})
    assert estimation_settings({}) == filled["estimation"]
    boot = bootstrap_settings({})
    assert {k: boot[k] for k in ("resamples", "ci_level", "workers")} == filled["bootstrap"]


def test_workflow_schemas_are_the_package_schemas():
    for name in ("config", "codebook"):
        assert (ROOT / "workflow" / "schemas" / f"{name}.schema.yaml").read_bytes() == schema_path(name).read_bytes(), name


def test_a_section_checked_by_its_stage_still_refuses_typos(tmp_path, capsys):
    """The power section is checked by the power stage itself (its messages name the key)."""
    assert schema("config")["properties"]["power"]["x-checked-by"] == "leanlearn power"
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"power": {"resampels": 200}}), encoding="utf-8")
    assert main(["power", "replicate", "--model", str(STUDY / "model.lav"), "--n", "50", "--block", "0",
                 "--out", str(tmp_path / "r.csv"), "--config", str(path)]) == 2
    assert "power.resampels" in capsys.readouterr().err


def test_every_mapping_in_the_schemas_is_closed():
    def walk(node, where):
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node and "x-checked-by" not in node:
                assert node.get("additionalProperties") is False, where
            for k, v in node.items():
                walk(v, f"{where}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{where}[{i}]")

    for name in ("config", "codebook"):
        walk(schema(name), name)


def test_the_snakemake_validator_accepts_the_bundled_config_and_rejects_a_typo():
    from snakemake.exceptions import WorkflowError
    from snakemake.utils import validate

    path = str(ROOT / "workflow" / "schemas" / "config.schema.yaml")
    validate(copy.deepcopy(CONFIG), path)
    with pytest.raises(WorkflowError):
        validate({**copy.deepcopy(CONFIG), "bootstrp": {}}, path)


# ---- codebook --------------------------------------------------------------------------------
CODEBOOK_ERRORS = [
    ("attention_check_singular", lambda c: {**c, "attention_check": c["attention_checks"]}, ["attention_check: unknown key", "attention_checks"]),
    ("personal_date", lambda c: {**c, "personal_date": c["personal_data"]}, ["personal_date: unknown key", "personal_data"]),
    ("acton_hash", lambda c: _set(c, ("personal_data", 1, "acton"), "hash"), ["personal_data[1].acton: unknown key", "action"]),
    ("unit_unknown_key", lambda c: {**c, "unit": {"name": "team", "plurl": "teams"}}, ["unit.plurl: unknown key", "plural"]),
    ("covariate_type", lambda c: {**c, "covariates": {"age": {"column": "Q8_age", "type": "number"}}}, ["covariates.age.type", "numeric, categorical"]),
    ("covariate_unknown_key", lambda c: {**c, "covariates": {"age": {"column": "Q8_age", "type": "numeric", "lable": "x"}}}, ["covariates.age.lable: unknown key"]),
    ("paradata_timer_key", lambda c: _set(c, ("paradata", "page_timers", 0, "item"), ["LP1"]), ["paradata.page_timers[0].item: unknown key"]),
    ("key_informant_key", lambda c: _set(c, ("key_informant", "role", "colum"), "x"), ["key_informant.role.colum: unknown key"]),
    ("scale_key", lambda c: _set(c, ("scales", "agree7", "lables"), {}), ["scales.agree7.lables: unknown key", "labels"]),
    ("construct_key", lambda c: _set(c, ("constructs", "LP", "lable"), "x"), ["constructs.LP.lable: unknown key", "label"]),
    ("source_format", lambda c: {**c, "source_format": "qualtrix"}, ["source_format", "qualtrics"]),
]


@pytest.mark.parametrize("name,change,needles", CODEBOOK_ERRORS, ids=[e[0] for e in CODEBOOK_ERRORS])
def test_codebook_error_names_key_path(name, change, needles):
    with pytest.raises(SpecError) as info:
        load_codebook(change(CODEBOOK))
    for needle in needles:
        assert needle in str(info.value), (needle, str(info.value))


def test_a_verb_refuses_a_codebook_typo_with_exit_2(tmp_path, capsys):
    path = tmp_path / "codebook.yaml"
    path.write_text(yaml.safe_dump({**CODEBOOK, "attention_check": []}), encoding="utf-8")
    data = tmp_path / "data.csv"
    data.write_text("a\n1\n", encoding="utf-8")
    assert main(["describe", str(data), str(STUDY / "model.lav"), "--codebook", str(path), "--out", str(tmp_path / "d")]) == 2
    err = capsys.readouterr().err
    assert f"{path}: attention_check: unknown key" in err and "Traceback" not in err
    assert not (tmp_path / "d").exists()


def test_codebook_unit_and_covariates():
    cb = load_codebook(CODEBOOK)
    assert (cb.unit.name, cb.unit.plural) == ("firm", "firms")
    person = {k: v for k, v in CODEBOOK.items() if k != "unit"}
    person["identifiers"] = {"respondent_id": "ResponseId"}
    person["covariates"] = {"gender": {"column": "D1", "type": "categorical", "labels": {1: "female", 2: "male"}},
                            "age": {"column": "D2", "type": "numeric"}}
    cb = load_codebook(person)
    assert (cb.unit.name, cb.unit.plural) == ("respondent", "respondents")
    assert cb.firm_id is None
    assert cb.covariate_names == ("gender", "age")
    assert cb.canonical_names()["D1"] == "gender" and "firm_id" not in cb.canonical_names().values()
    assert cb.required_columns()["D2"] == "covariate age"


def test_a_covariate_name_may_not_shadow_an_item():
    bad = {**CODEBOOK, "covariates": {"LP1": {"column": "D1", "type": "numeric"}}}
    with pytest.raises(SpecError, match="covariates.LP1"):
        load_codebook(bad)


def test_ingest_keeps_covariates_and_uses_the_respondent_as_case_without_firm_id():
    import pandas as pd

    from leanlearn.data.ingest import apply_codebook

    cb = {k: v for k, v in CODEBOOK.items() if k not in ("attention_checks", "key_informant", "paradata", "personal_data")}
    cb["source_format"] = "plain"
    cb["identifiers"] = {"respondent_id": "ResponseId"}
    cb["covariates"] = {"gender": {"column": "D1", "type": "categorical", "labels": {1: "female", 2: "male"}},
                        "age": {"column": "D2", "type": "numeric"}}
    book = load_codebook(cb)
    raw = pd.DataFrame({"ResponseId": ["R1", "R2", "R3"], "D1": ["1", "2", ""], "D2": ["34", "51", "29"]})
    for it in book.items:
        raw[it.column] = ["4", "5", "3"]
    out = apply_codebook(raw, book, source="export.csv").data
    assert out["gender"].tolist()[:2] == ["female", "male"] and pd.isna(out["gender"].iat[2])
    assert out["age"].tolist() == [34, 51, 29]
    assert out["firm_id"].tolist() == out["respondent_id"].tolist() == ["R1", "R2", "R3"]


# ---- paths -----------------------------------------------------------------------------------
def test_paths_are_relative_to_the_config_files_folder(tmp_path):
    cfg = {"survey": "data/s.csv", "codebook": "codebook.yaml", "archival": None, "model": "/abs/m.lav", "seed": 1}
    out = resolve_paths(cfg, tmp_path / "studies" / "x", start=tmp_path)
    assert out["survey"] == "studies/x/data/s.csv" and out["codebook"] == "studies/x/codebook.yaml"
    assert out["archival"] is None and out["model"] == "/abs/m.lav" and out["seed"] == 1
    back = relative_paths(out, "results", start=tmp_path)
    assert back["survey"] == "../studies/x/data/s.csv"
    assert resolve_paths(back, tmp_path / "results", start=tmp_path)["survey"] == "studies/x/data/s.csv"


def test_read_config_resolves_paths_and_validates(tmp_path):
    from leanlearn.cli._io import UserError, read_config

    study = tmp_path / "study"
    study.mkdir()
    (study / "config.yaml").write_text("survey: export.csv\nbootstrap: {resamples: 50}\n", encoding="utf-8")
    cfg = read_config(study / "config.yaml")
    assert cfg["bootstrap"]["resamples"] == 50
    assert (tmp_path / "x" / ".." / cfg["survey"]).resolve() == (study / "export.csv").resolve() or cfg["survey"].endswith("study/export.csv")
    (study / "config.yaml").write_text("bootstrap: {resamples: 0}\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"config.yaml: bootstrap.resamples: 0 is not allowed; expected a whole number \(>= 2\)"):
        read_config(study / "config.yaml")


def test_command_line_overrides_get_yaml_types_but_no_yes_no_booleans():
    from leanlearn.spec.config import command_line_scalars

    got = command_line_scalars({"bootstrap": {"resamples": "200", "ci_level": "0.9"}, "estimation": {"consistent": "true"},
                                "power": {"n_grid": ["100", "209"]}, "survey": "data/x.csv", "seed": 5})
    assert got == {"bootstrap": {"resamples": 200, "ci_level": 0.9}, "estimation": {"consistent": True},
                   "power": {"n_grid": [100, 209]}, "survey": "data/x.csv", "seed": 5}
    assert command_line_scalars({"consistent": "no"}) == {"consistent": "no"}
    with pytest.raises(SpecError, match="estimation.consistent: 'no' is not allowed"):
        validate_config(command_line_scalars({"estimation": {"consistent": "no"}}))
