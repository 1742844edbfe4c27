"""`leanlearn init`: drafting a study folder from a survey export."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from leanlearn.data.ingest import read_export, read_info
from leanlearn.intake.draft import COLUMNS, classify_columns, draft_study, suspect_reverse
from leanlearn.spec.codebook import load_codebook
from leanlearn.spec.model import parse_model

ROOT = Path(__file__).resolve().parents[1]
EXPORT = ROOT / "studies" / "corp_rep" / "data" / "export.csv"


def _run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "leanlearn", *args], capture_output=True, text=True, cwd=cwd)


@pytest.fixture(scope="module")
def drafted(tmp_path_factory):
    out = tmp_path_factory.mktemp("draft") / "corp"
    proc = _run("init", str(EXPORT), "--out", str(out), "--name", "corp")
    assert proc.returncode == 0, proc.stderr
    return out, proc


def _survey(n=200, seed=3):
    rng = np.random.default_rng(seed)
    f = rng.normal(size=n)
    g = rng.normal(size=n)

    def item(latent, reverse=False):
        v = np.clip(np.round(4 + 1.3 * latent + rng.normal(scale=0.8, size=n)), 1, 7)
        return (8 - v if reverse else v).astype(int)

    df = pd.DataFrame({
        "CASE": np.arange(1, n + 1),
        "BF01_01": item(f), "BF01_02": item(f), "BF01_03": item(f, reverse=True), "BF01_04": item(f), "BF01_05": item(f, reverse=True),
        "BF02_01": item(g), "BF02_02": item(g), "BF02_03": item(g),
        "age": rng.integers(18, 70, n),
        "gender": rng.choice(["female", "male", "diverse"], n),
        "contact": [f"person{i}@mail.example" for i in range(n)],
        "who": [rng.choice(["Anna", "Jonas", "Mia", "Lukas", "Emma"]) + " " + rng.choice(["Schmidt", "Meyer", "Weber", "Fischer", "Wagner", "Becker"]) + f"{'' if i % 2 else 'a'}" for i in range(n)],
        "remarks": [f"I think the survey item {i} was quite long and a bit confusing" for i in range(n)],
        "STARTED": ["2024-01-01 10:00:00"] * n,
    })
    df.loc[::17, "BF01_02"] = -9  # a missing-value code
    return df


def test_the_draft_of_a_qualtrics_export_finds_item_groups_scales_paradata_personal_data_and_covariates(drafted):
    out, _ = drafted
    cols = pd.read_csv(out / "init_columns.csv")
    assert list(cols.columns)[: len(COLUMNS)] == list(COLUMNS)
    kind = dict(zip(cols.column, cols.kind))
    assert [c for c in cols.column if kind[c] == "item"] == ["Q1_1", "Q1_2", "Q1_3", "Q2_1", "Q2_2", "Q2_3", "Q3_1", "Q4_1", "Q4_2", "Q4_3"]
    assert kind["ResponseId"] == "identifier"
    assert kind["IPAddress"] == kind["RecipientEmail"] == "personal"
    assert {kind[c] for c in ("StartDate", "EndDate", "RecordedDate", "Progress", "Finished", "Duration (in seconds)")} == {"paradata"}
    assert kind["Q5"] == kind["Q6"] == "covariate"
    cb = yaml.safe_load((out / "codebook.yaml").read_text())
    assert cb["source_format"] == "qualtrics"
    assert set(cb["constructs"]) == {"Q1", "Q2", "Q3", "Q4"}
    assert cb["scales"] == {"scale_1_7": {"min": 1, "max": 7}}
    assert cb["constructs"]["Q1"]["stem"].startswith("Please tell us how much you agree")
    assert cb["constructs"]["Q1"]["items"][0]["text"] == "It is a top competitor in its market."
    assert {p["column"]: p["action"] for p in cb["personal_data"]} == {"IPAddress": "drop", "RecipientEmail": "drop"}
    assert cb["paradata"]["duration_seconds"] == "Duration (in seconds)"
    assert cb["covariates"]["Q6"]["type"] == "categorical"


def test_reverse_keyed_items_of_the_export_are_suggested_with_a_check_comment_never_silently(drafted):
    out, proc = drafted
    cols = pd.read_csv(out / "init_columns.csv")
    assert sorted(cols.column[cols.reverse_suspected]) == ["Q2_2", "Q4_2"]  # the two items make_export.py reversed
    text = (out / "codebook.yaml").read_text()
    flagged = [line for line in text.splitlines() if "reverse: true" in line]
    assert len(flagged) == 2 and all("CHECK" in line and "item-rest r = -" in line for line in flagged)
    assert "CHECK reverse-keyed? Q2_2" in proc.stdout and "CHECK reverse-keyed? Q4_2" in proc.stdout


def test_the_drafted_codebook_model_and_config_load_once_the_paths_are_written(drafted):
    out, _ = drafted
    cb = load_codebook(yaml.safe_load((out / "codebook.yaml").read_text()))
    assert cb.reverse_items == ("Q2_2", "Q4_2")
    model = (out / "model.lav").read_text()
    assert "TODO: write the structural paths" in model
    spec = parse_model(model + "\nQ4 ~ Q1 + Q2 + Q3\n")
    assert set(spec.items) == set(cb.item_ids)
    cfg = yaml.safe_load((out / "config.yaml").read_text())
    assert cfg["survey"].endswith("studies/corp_rep/data/export.csv")
    assert (out / cfg["survey"]).resolve() == EXPORT.resolve()
    assert cfg["codebook"] == "codebook.yaml" and cfg["model"] == "model.lav"


def test_the_drafted_config_passes_the_config_schema(drafted):
    config = pytest.importorskip("leanlearn.spec.config")
    out, _ = drafted
    cfg = yaml.safe_load((out / "config.yaml").read_text())
    config.validate_config(cfg, source="config.yaml")  # raises SpecError naming the key otherwise


def test_every_key_of_the_drafted_config_is_documented_by_a_comment(drafted):
    out, _ = drafted
    undocumented = []
    section = None
    for line in (out / "config.yaml").read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line.startswith(" ") and line.rstrip().endswith(":"):
            section = line.strip()
            continue
        if "#" not in line and not line.strip().endswith(":"):
            undocumented.append(f"{section} {line.strip()}")
    # keys without a comment must be self-explaining ones inside a documented block
    assert undocumented == []


def test_init_never_prints_or_writes_a_personal_value(drafted, tmp_path):
    raw = _survey()
    path = tmp_path / "export.csv"
    raw.to_csv(path, index=False)
    out = tmp_path / "study"
    proc = _run("init", str(path), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    written = proc.stdout + proc.stderr + "".join(p.read_text() for p in out.iterdir())
    for col in ("contact", "who", "remarks"):
        for value in raw[col].head(50):
            assert str(value) not in written
    assert "@mail.example" not in written


def test_personal_columns_are_found_by_content_when_the_name_says_nothing():
    raw = _survey().astype(str)
    cols = classify_columns(raw).set_index("column")
    assert (cols.loc["contact", "kind"], cols.loc["contact", "name"]) == ("personal", "email")
    assert (cols.loc["who", "kind"], cols.loc["who", "name"]) == ("personal", "name")
    assert (cols.loc["remarks", "kind"], cols.loc["remarks", "name"]) == ("personal", "free_text")
    assert (cols.loc[["contact", "who", "remarks"], "action"] == "drop").all()
    assert (cols.loc[["contact", "who", "remarks"], "codes"].fillna("") == "").all()
    assert cols.loc["STARTED", "name"] == "start" and cols.loc["CASE", "kind"] == "identifier"
    assert cols.loc["gender", "kind"] == "covariate" and cols.loc["age", "kind"] == "covariate"


def test_sosci_style_groups_missing_codes_and_two_reverse_items_are_recognised():
    raw = _survey().astype(str)
    d = draft_study(raw, name="sosci")
    cols = d.columns.set_index("column")
    assert set(cols.group[cols.kind == "item"]) == {"BF01", "BF02"}
    assert cols.loc["BF01_02", "codes"] == "1-7" and "code(s) -9 taken as missing" in cols.loc["BF01_02", "note"]
    assert sorted(cols.index[cols.reverse_suspected]) == ["BF01_03", "BF01_05"]
    cb = yaml.safe_load(d.codebook)
    assert cb["identifiers"]["respondent_id"] == "CASE"
    assert cb["covariates"]["age"]["type"] == "numeric" and cb["covariates"]["gender"]["type"] == "categorical"


def test_suspect_reverse_flips_nothing_in_a_consistently_keyed_scale():
    rng = np.random.default_rng(1)
    f = rng.normal(size=300)
    block = pd.DataFrame({f"x{i}": f + rng.normal(size=300) for i in range(4)})
    assert not suspect_reverse(block).suspected.any()


def test_spss_variable_and_value_labels_become_item_texts_and_scale_labels(tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    rng = np.random.default_rng(5)
    n = 120
    f = rng.normal(size=n)
    df = pd.DataFrame({"id": np.arange(n, dtype=float)})
    for i in range(1, 4):
        df[f"sat_{i}"] = np.clip(np.round(3 + f + rng.normal(scale=0.7, size=n)), 1, 5)
    df.loc[:4, "sat_2"] = 99.0
    labels = {1.0: "very dissatisfied", 3.0: "neutral", 5.0: "very satisfied", 99.0: "no answer"}
    path = tmp_path / "export.sav"
    pyreadstat.write_sav(df, str(path), column_labels=["id", "Satisfaction with pay", "Satisfaction with tasks", "Satisfaction with team"],
                         variable_value_labels={f"sat_{i}": labels for i in range(1, 4)})
    raw = read_export(path)
    d = draft_study(raw, read_info(raw), texts={c: v for c, v in read_info(raw)["column_labels"].items() if v}, name="spss")
    cb = yaml.safe_load(d.codebook)
    assert cb["scales"]["scale_1_5"] == {"min": 1, "max": 5, "labels": {1: "very dissatisfied", 3: "neutral", 5: "very satisfied"}}
    assert [it["text"] for it in cb["constructs"]["SAT"]["items"]] == ["Satisfaction with pay", "Satisfaction with tasks", "Satisfaction with team"]
    assert "code(s) 99 taken as missing" in d.columns.set_index("column").loc["sat_2", "note"]


def test_init_refuses_to_overwrite_an_existing_study(drafted):
    out, _ = drafted
    proc = _run("init", str(EXPORT), "--out", str(out))
    assert proc.returncode == 2
    assert "already exist" in proc.stderr and "--force" in proc.stderr
    assert "Traceback" not in proc.stderr
