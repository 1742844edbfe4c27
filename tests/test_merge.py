"""Archival merge: matching, unmatched firms, derived controls, winsorising without imputation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from leanlearn.cli import main
from leanlearn.errors import DataError, SpecError
from leanlearn.data.ingest import read_export
from leanlearn.data.merge import industry_group, merge_archival, nace_division, winsorize

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def survey() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "respondent_id": ["R1", "R2", "R3", "R4"],
            "firm_id": ["F1", "F2", "F3", "F9"],
            "recorded": ["2023-05-01 10:00:00", "2024-01-03 08:00:00", "2023-06-01 10:00:00", "2023-07-01 10:00:00"],
            "LP1": [5.0, 6.0, 3.0, 4.0],
        }
    )


@pytest.fixture()
def archival() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "firm_id": ["F1", "F2", "F3", "F4"],
            "bvd_id": ["IN1", "IN2", "IN3", "IN4"],
            "country": ["India", "Brazil", "India", "Mexico"],
            "country_iso": ["IN", "BR", "IN", "MX"],
            "nace2": ["25", "2110", "C29", "10"],
            "employees": ["250", "0", "1200", "40"],
            "revenue_usd_th": ["5000", "", "120000", "800"],
            "founding_year": ["1990", "2001", "2030", "1975"],
        }
    )


def test_nace_division_and_technology_groups():
    assert [nace_division(c) for c in (25, "2511", "25.11", "C25", 5, "05")] == ["25", "25", "25", "25", "05", "05"]
    assert np.isnan(nace_division(None)) and np.isnan(nace_division("n.a."))
    assert [industry_group(d) for d in ("21", "26", "29", "25", "10", "32", "45")] == [
        "high", "high", "medium_high", "medium_low", "low", "low", "non_manufacturing"
    ]


def test_winsorize_clips_at_quantiles_and_keeps_missing():
    values = pd.Series(np.r_[np.arange(1.0, 101.0), np.nan])
    out, info = winsorize(values, limits=(0.01, 0.99))
    lo, hi = np.quantile(np.arange(1.0, 101.0), [0.01, 0.99])
    assert info["lower_bound"] == pytest.approx(lo) and info["upper_bound"] == pytest.approx(hi)
    assert info["n_clipped_low"] == 1 and info["n_clipped_high"] == 1 and info["n_missing"] == 1
    assert out.iat[0] == pytest.approx(lo) and out.iat[99] == pytest.approx(hi) and np.isnan(out.iat[100])
    assert out.iloc[1:99].equals(values.iloc[1:99])
    with pytest.raises(SpecError, match="archival_merge.winsorize"):
        winsorize(values, limits=(0.9, 0.1))


def test_merge_derives_controls_and_reports_unmatched(survey, archival):
    frame = pd.DataFrame({"firm_id": ["F1", "F2", "F3", "F4", "F5"]})
    res = merge_archival(survey, archival, frame=frame, winsorize_limits=(0.0, 1.0))
    d = res.data.set_index("respondent_id")
    assert d.at["R1", "log_employees"] == pytest.approx(np.log(250))
    assert np.isnan(d.at["R2", "log_employees"])  # 0 employees: not log-able, left missing
    assert d.at["R1", "firm_age"] == 33 and d.at["R2", "firm_age"] == 23  # survey year from RecordedDate
    assert np.isnan(d.at["R3", "firm_age"])  # founded after the survey: missing, reported
    assert d.loc[["R1", "R2", "R3"], "industry"].tolist() == ["25", "21", "29"]
    assert d.loc[["R1", "R2", "R3"], "industry_group"].tolist() == ["medium_low", "high", "medium_high"]
    assert d.at["R2", "country"] == "Brazil"
    assert np.isnan(d.at["R2", "revenue_usd_th"])  # never imputed
    assert d.loc["R4"].isna()[["employees", "country", "log_employees"]].all()
    assert res.unmatched.values.tolist() == [
        ["F9", "survey", "no archival record; its controls stay missing"],
        ["F9", "survey", "not in the sampling frame"],
        ["F4", "archival", "invited (in the sampling frame) but no kept survey response"],
    ]
    rep = res.report.set_index(["section", "variable", "quantity"])["value"]
    assert rep[("match", "", "n_matched_firms")] == 3
    assert rep[("controls", "firm_age", "n_negative_set_missing")] == 1
    assert rep[("controls", "log_employees", "n_employees_nonpositive_set_missing")] == 1
    assert rep[("winsorize", "revenue_usd_th", "n_missing")] == 2
    assert rep[("coverage", "revenue_usd_th", "n_missing")] == 2


def test_merge_keeps_survey_order_and_rows(survey, archival):
    res = merge_archival(survey.iloc[::-1], archival)
    assert res.data["respondent_id"].tolist() == ["R4", "R3", "R2", "R1"]
    assert res.unmatched.loc[res.unmatched["side"] == "archival", "reason"].tolist() == ["no kept survey response"]


def test_merge_errors(survey, archival, tmp_path):
    with pytest.raises(DataError, match="firm_id\\(s\\) F1 appear more than once"):
        merge_archival(survey, pd.concat([archival, archival.iloc[:1]]))
    with pytest.raises(DataError, match="orbis.csv: column\\(s\\) founding_year missing"):
        merge_archival(survey, archival.drop(columns=["founding_year"]), source="orbis.csv")
    bad = archival.copy()
    bad.loc[2, "employees"] = "about 1000"
    path = tmp_path / "orbis.csv"
    bad.to_csv(path, index=False)
    with pytest.raises(DataError) as info:
        merge_archival(survey, read_export(path), source=str(path))
    assert str(info.value).startswith(
        f"{path}: column 'employees' (archival number) has a non-numeric value (a text of 10 characters "
        "(letters, digits, spaces)) in row 4."
    )
    assert "about" not in str(info.value)


# ---- CLI ------------------------------------------------------------------------------------
def _args(tmp: Path, archival: Path) -> list[str]:
    return ["merge", "--survey", str(tmp / "clean.csv"), "--archival", str(archival), "--frame", str(tmp / "frame.csv"),
            "--config", str(ROOT / "studies" / "lean" / "config.yaml"), "--out", str(tmp / "screening"),
            "--merged", str(tmp / "processed" / "analysis.csv")]


def test_cli_merge_writes_tables_and_analysis_data(tmp_path, survey, archival):
    survey.to_csv(tmp_path / "clean.csv", index=False)
    archival.to_csv(tmp_path / "orbis.csv", index=False)
    pd.DataFrame({"firm_id": ["F1", "F2", "F3", "F4"]}).to_csv(tmp_path / "frame.csv", index=False)
    assert main(_args(tmp_path, tmp_path / "orbis.csv")) == 0
    assert sorted(p.name for p in (tmp_path / "screening").iterdir()) == ["merge_report.csv", "unmatched_firms.csv"]
    merged = pd.read_csv(tmp_path / "processed" / "analysis.csv")
    assert len(merged) == 4 and {"log_employees", "firm_age", "industry", "industry_group", "country"} <= set(merged)
    unmatched = pd.read_csv(tmp_path / "screening" / "unmatched_firms.csv")
    assert list(unmatched.columns) == ["firm_id", "side", "reason"]


def test_cli_merge_error_exits_2_and_writes_nothing(tmp_path, survey, archival, capsys):
    survey.to_csv(tmp_path / "clean.csv", index=False)
    archival.drop(columns=["employees"]).to_csv(tmp_path / "orbis.csv", index=False)
    pd.DataFrame({"firm_id": ["F1"]}).to_csv(tmp_path / "frame.csv", index=False)
    assert main(_args(tmp_path, tmp_path / "orbis.csv")) == 2
    assert "orbis.csv: column(s) employees missing from the archival file" in capsys.readouterr().err
    assert not (tmp_path / "screening").exists() and not (tmp_path / "processed").exists()


def test_cli_merge_rejects_unknown_config_key(tmp_path, survey, archival, capsys):
    survey.to_csv(tmp_path / "clean.csv", index=False)
    archival.to_csv(tmp_path / "orbis.csv", index=False)
    pd.DataFrame({"firm_id": ["F1"]}).to_csv(tmp_path / "frame.csv", index=False)
    cfg = yaml.safe_load((ROOT / "studies" / "lean" / "config.yaml").read_text())
    cfg["archival_merge"]["winsorise"] = [0.05, 0.95]
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    args = _args(tmp_path, tmp_path / "orbis.csv")
    args[args.index("--config") + 1] = str(tmp_path / "c.yaml")
    assert main(args) == 2
    assert "archival_merge.winsorise: unknown key" in capsys.readouterr().err
