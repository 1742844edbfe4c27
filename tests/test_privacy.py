"""Personal data: salted hashes, dropped columns, the leak scan, the salt file."""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
import os
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from leanlearn.cli import main
from leanlearn.spec.codebook import load_codebook
from leanlearn.errors import SpecError
from leanlearn.data.privacy import hash_value, personal_values, protect, scan_personal

CODEBOOK = {
    "identifiers": {"respondent_id": "ResponseId", "firm_id": "firm_id"},
    "personal_data": [
        {"column": "IPAddress", "action": "drop", "kind": "ip_address"},
        {"column": "RecipientEmail", "action": "hash", "kind": "email"},
        {"column": "RecipientLastName", "action": "drop", "kind": "name"},
        {"column": "Q7_comments", "action": "hash", "kind": "free_text"},
        {"column": "LocationLatitude", "action": "drop", "kind": "location"},
    ],
    "scales": {"s": {"min": 1, "max": 5}},
    "constructs": {"A": {"scale": "s", "items": [{"id": f"A{i}", "column": f"Q{i}"} for i in range(1, 4)]}},
}
PEOPLE = [
    ("R_1", "F1", "192.168.0.11", "Ann.Lee@Plant.example", "Lee", "Ask Ann Lee about kaizen", "51.5"),
    ("R_2", "F2", "10.1.2.3", "bo@firm.example", "Okafor", "", "-1.2"),
    ("R_3", "F3", "", "", "Sánchez", "no comment", ""),
]


@pytest.fixture()
def raw() -> pd.DataFrame:
    rows = []
    for rid, firm, ip, email, name, comment, lat in PEOPLE:
        rows.append({"ResponseId": rid, "firm_id": firm, "IPAddress": ip or np.nan, "RecipientEmail": email or np.nan,
                     "RecipientLastName": name, "Q1": "1", "Q2": "2", "Q3": "3", "Q7_comments": comment or np.nan,
                     "LocationLatitude": lat or np.nan})
    return pd.DataFrame(rows).astype(object)


@pytest.fixture(scope="module")
def codebook():
    return load_codebook(CODEBOOK)


SALT = "5e" * 16  # 32 hex digits = 16 bytes, the shortest accepted salt
PEPPER = "pepper-0123456789abcdef"


def test_hash_is_keyed_hmac_sha256_hex():
    assert hash_value("bo@firm.example", salt=SALT) == hmac.new(
        SALT.encode(), b"bo@firm.example", hashlib.sha256
    ).hexdigest()
    assert hash_value("bo@firm.example", salt=SALT) != hashlib.sha256(SALT.encode() + b"bo@firm.example").hexdigest()
    # RFC 4231 test case 2 is for a 4-byte key; case 1 uses a 20-byte key of 0x0b
    assert hash_value("Hi There", salt=b"\x0b" * 20) == (
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
    )
    assert hash_value("x", salt=b"a" * 16) != hash_value("x", salt=b"b" * 16)
    assert hash_value(" A@B.org ", salt=SALT, kind="email") == hash_value("a@b.org", salt=SALT, kind="email")
    assert len(hash_value("x", salt=SALT)) == 64


def test_empty_salt_is_refused():
    with pytest.raises(SpecError, match="empty"):
        hash_value("x", salt="")


@pytest.mark.parametrize("salt", ["1", "s3cret", "5e" * 15, "aaaaaaaaaaaaaaaaaaaaaaaa", b"short"])
def test_salt_shorter_than_16_random_bytes_is_refused_with_how_to_make_one(salt):
    with pytest.raises(SpecError) as err:
        hash_value("x", salt=salt)
    assert "secrets.token_hex(32)" in str(err.value)


def test_protect_drops_and_hashes_per_codebook(raw, codebook):
    data, report = protect(raw, codebook, salt=PEPPER)
    assert list(data.columns) == ["ResponseId", "firm_id", "RecipientEmail_sha256", "Q1", "Q2", "Q3"]
    assert data["RecipientEmail_sha256"].iat[1] == hash_value("bo@firm.example", salt=PEPPER, kind="email")
    assert pd.isna(data["RecipientEmail_sha256"].iat[2])
    r = report.set_index("column")
    assert r.at["Q7_comments", "action"] == "drop"  # free text is always dropped
    assert r.at["RecipientEmail", "output_column"] == "RecipientEmail_sha256"
    assert r.at["IPAddress", "n_values"] == 2


def test_scan_finds_personal_values_in_any_cell(raw, codebook):
    known = personal_values(raw, codebook)
    assert "Lee" in known and "192.168.0.11" in known
    leaks = scan_personal(raw[["ResponseId", "Q7_comments"]], {"Ann.Lee@plant.example", "Lee"})
    assert leaks[["column", "row", "match"]].values.tolist() == [["Q7_comments", 0, "lee"]]
    data, _ = protect(raw, codebook, salt=PEPPER)
    assert scan_personal(data, known).empty


def test_scan_exact_mode_and_column_names():
    df = pd.DataFrame({"Lee": ["Leeds", "lee"]})
    hits = scan_personal(df, ["Lee"], substring=False)
    assert hits[["column", "row"]].values.tolist() == [["Lee", -1], ["Lee", 1]]


# ---- CLI: salt and no personal data in any output -------------------------------------------
def _write_survey(path: Path) -> None:
    cols = ["ResponseId", "firm_id", "IPAddress", "RecipientEmail", "RecipientLastName", "Q1", "Q2", "Q3",
            "Q7_comments", "LocationLatitude"]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        for rid, firm, ip, email, name, comment, lat in PEOPLE:
            w.writerow([rid, firm, ip, email, name, "1", "9", "3", comment, lat])


def _run(tmp: Path) -> int:
    return main(["ingest", "--survey", str(tmp / "s.csv"), "--codebook", str(tmp / "cb.yaml"),
                 "--config", str(tmp / "config.yaml"), "--out", str(tmp / "out")])


def test_cli_creates_a_private_salt_file_and_reuses_it(tmp_path, monkeypatch):
    monkeypatch.delenv("LEANLEARN_SALT", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cb.yaml").write_text(yaml.safe_dump(CODEBOOK))
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({"salt_file": ".leanlearn_salt"}))
    _write_survey(tmp_path / "s.csv")
    assert _run(tmp_path) == 0
    salt_file = tmp_path / ".leanlearn_salt"
    salt = salt_file.read_text().strip()
    assert len(salt) == 64 and int(salt, 16) >= 0
    assert stat.S_IMODE(os.stat(salt_file).st_mode) == 0o600
    first = pd.read_csv(tmp_path / "out" / "survey_ingested.csv")
    assert first["RecipientEmail_sha256"].iat[0] == hash_value("ann.lee@plant.example", salt=salt)
    assert _run(tmp_path) == 0
    second = pd.read_csv(tmp_path / "out" / "survey_ingested.csv")
    assert first["RecipientEmail_sha256"].equals(second["RecipientEmail_sha256"])


def test_cli_outputs_contain_no_personal_value(tmp_path, monkeypatch):
    monkeypatch.setenv("LEANLEARN_SALT", PEPPER)
    (tmp_path / "cb.yaml").write_text(yaml.safe_dump(CODEBOOK))
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({"salt_file": str(tmp_path / "salt")}))
    _write_survey(tmp_path / "s.csv")
    assert _run(tmp_path) == 0
    assert not (tmp_path / "salt").exists()  # the environment variable wins
    known = {v for p in PEOPLE for v in p[2:6] if v} | {"51.5"}
    for path in (tmp_path / "out").iterdir():
        if path.suffix == ".csv":
            table = pd.read_csv(path, dtype=str, keep_default_na=False)
        else:
            table = pd.DataFrame({"text": [json.dumps(json.loads(path.read_text()))]})
        leaks = scan_personal(table, known)
        assert leaks.empty, (path.name, leaks)
