"""Item and construct descriptives (leanlearn.descriptives.describe) against scipy and hand calculations."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from leanlearn import estimate
from leanlearn.descriptives import describe
from leanlearn.errors import DataError
from leanlearn.datasets.simulate import draw_items

STUDY = """
LP  =~ LP1 + LP2 + LP3 + LP4 + LP5 + LP6 + LP7 + LP8
DIG =~ DIG1 + DIG2 + DIG3 + DIG4 + DIG5 + DIG6
LS  =~ LS1 + LS2 + LS3 + LS4 + LS5 + LS6
OP  =~ OP1 + OP2 + OP3 + OP4 + OP5
LS ~ LP + DIG + LP:DIG
OP ~ LP + DIG + LS
"""


@pytest.fixture(scope="module")
def likert() -> pd.DataFrame:
    return draw_items(209, seed=12)


@pytest.fixture(scope="module")
def pls(likert):
    return estimate(likert, STUDY)


def test_skewness_and_excess_kurtosis_are_the_bias_corrected_estimators():
    x = np.array([1, 2, 2, 3, 3, 3, 4, 7, 7, 6, np.nan])
    out = describe.item_descriptives(pd.DataFrame({"a": x}), {"A": ["a"]}).iloc[0]
    v = x[~np.isnan(x)]
    n = v.size
    assert out["skewness"] == pytest.approx(stats.skew(v, bias=False), rel=1e-12)
    assert out["excess_kurtosis"] == pytest.approx(stats.kurtosis(v, fisher=True, bias=False), rel=1e-12)
    # and by hand from the central moments (divisor n)
    m2, m3, m4 = (np.mean((v - v.mean()) ** k) for k in (2, 3, 4))
    g1, g2 = m3 / m2**1.5, m4 / m2**2 - 3
    assert out["skewness"] == pytest.approx(math.sqrt(n * (n - 1)) / (n - 2) * g1, rel=1e-12)
    assert out["excess_kurtosis"] == pytest.approx((n - 1) / ((n - 2) * (n - 3)) * ((n + 1) * g2 + 6), rel=1e-12)


def test_item_descriptives_count_missing_values_and_use_n_minus_1():
    df = pd.DataFrame({"a": [1.0, 2.0, np.nan, 4.0], "b": [5, 5, 6, 7]})
    out = describe.item_descriptives(df, {"X": ["a", "b"]}).set_index("item")
    assert list(out.columns) == describe.ITEM_COLUMNS[1:]
    assert out.loc["a", "n"] == 3 and out.loc["a", "share_missing"] == pytest.approx(0.25)
    assert out.loc["a", "sd"] == pytest.approx(np.std([1, 2, 4], ddof=1))
    assert out.loc["b", "min"] == 5 and out.loc["b", "max"] == 7
    assert out.loc["a", "construct"] == "X"
    assert np.isnan(out.loc["a", "excess_kurtosis"])  # needs 4 values
    with pytest.raises(DataError, match="no column c"):
        describe.item_descriptives(df, {"X": ["c"]})


def test_item_descriptives_follow_the_model_order(likert):
    out = describe.item_descriptives(likert, STUDY)
    assert len(out) == 25
    assert list(out["item"][:3]) == ["LP1", "LP2", "LP3"] and out["construct"].iloc[-1] == "OP"
    assert out["min"].min() >= 1 and out["max"].max() <= 7


def test_construct_means_lie_on_the_item_scale_and_keep_the_score_correlations(pls, likert):
    desc = describe.construct_descriptives(pls).set_index("construct")
    assert list(desc.index) == ["LP", "DIG", "LS", "OP"]  # interaction left out
    w = pls.outer_weights[pls.outer_weights.construct == "LS"].set_index("indicator")["estimate"]
    sd = likert[w.index].std(ddof=1)
    v = (w / sd) / (w / sd).sum()
    composite = likert[w.index] @ v
    assert v.sum() == pytest.approx(1.0)
    assert desc.loc["LS", "mean"] == pytest.approx(composite.mean())
    assert desc.loc["LS", "sd"] == pytest.approx(composite.std(ddof=1))
    assert np.corrcoef(composite, pls.scores["LS"])[0, 1] == pytest.approx(1.0, abs=1e-12)
    assert (desc["min"] >= 1 - 1e-9).all() and (desc["max"] <= 7 + 1e-9).all()  # convex combination of 1-7 items


def test_correlation_table_holds_score_correlations_in_the_lower_triangle(pls):
    table = describe.correlation_table(pls)
    names = ["LP", "DIG", "LS", "OP"]
    assert list(table.columns) == ["construct", "mean", "sd", *names]
    m = table.set_index("construct")[names]
    r = pls.scores[names].corr()
    assert m.loc["LS", "LP"] == pytest.approx(r.loc["LS", "LP"], abs=1e-12)
    assert m.loc["OP", "LS"] == pytest.approx(r.loc["OP", "LS"], abs=1e-12)
    assert np.isnan(m.loc["LP", "OP"])  # upper triangle empty
    assert np.allclose(np.diag(m.to_numpy()), 1.0)
    fl = describe.correlation_table(pls, diagonal="sqrt_ave").set_index("construct")[names]
    ave = pls.reliability.set_index("construct")["ave"]
    assert fl.loc["DIG", "DIG"] == pytest.approx(math.sqrt(ave["DIG"]))
    long = describe.score_correlations(pls).set_index(["construct_a", "construct_b"])
    assert long.loc[("LP", "LS"), "r"] == pytest.approx(r.loc["LP", "LS"], abs=1e-12)
    assert len(long) == 6


def test_observed_control_is_described_by_itself(likert):
    res = estimate(likert, STUDY + "OP ~ log_employees\n")
    desc = describe.construct_descriptives(res).set_index("construct")
    assert desc.loc["log_employees", "mean"] == pytest.approx(likert["log_employees"].mean())
    assert desc.loc["log_employees", "sd"] == pytest.approx(likert["log_employees"].std())


def test_describe_verb_writes_items_and_correlation_table(tmp_path, likert):
    from leanlearn.cli import main

    data = tmp_path / "analysis.csv"
    likert.to_csv(data, index=False)
    model = tmp_path / "study.lav"
    model.write_text(STUDY)
    codebook = tmp_path / "codebook.yaml"
    codebook.write_text((__import__("pathlib").Path(__file__).resolve().parents[1] / "studies" / "lean" / "codebook.yaml").read_text())
    out = tmp_path / "describe"
    assert main(["describe", str(data), str(model), "--codebook", str(codebook), "--out", str(out)]) == 0
    items = pd.read_csv(out / "items.csv")
    assert list(items.columns) == describe.ITEM_COLUMNS
    assert set(items["construct"]) == {"LP", "DIG", "LS", "OP", "MARK"}  # marker from the codebook
    corr = pd.read_csv(out / "construct_correlations.csv")
    assert list(corr.columns) == ["construct", "mean", "sd", "LP", "DIG", "LS", "OP"]


def test_item_descriptives_report_the_missing_cells_of_untreated_data():
    df = pd.DataFrame({"a": [1.0, np.nan, np.nan, 4.0], "b": [5.0, 5.0, 6.0, np.nan]})
    out = describe.item_descriptives(df, {"X": ["a", "b"]}).set_index("item")
    assert out.loc["a", "n_missing"] == 2 and out.loc["b", "n_missing"] == 1
    assert out.n_missing.sum() == int(df.isna().sum().sum())
    # after mean replacement the same table would claim nothing is missing
    treated = describe.item_descriptives(df.fillna(df.mean()), {"X": ["a", "b"]})
    assert treated.n_missing.sum() == 0


def test_response_rate_counts_distinct_units_after_duplicate_removal():
    from leanlearn.descriptives.response import response_counts

    flags = pd.DataFrame(
        {
            "firm_id": ["F1", "F1", "F2", "F3", "F4", "F5"],
            "dup_respondent_id": [False, False, False, False, False, False],
            "dup_answers": [False, False, False, False, True, False],  # F4's record copies another one
            "dup_firm": [False, True, False, False, False, False],  # F1's second response
        }
    )
    frame = [f"F{i}" for i in range(1, 11)]
    out = response_counts(flags, frame, kept_ids=["F1", "F2", "F3"], n_analysed=2).set_index("quantity")["value"]
    assert out["n_responses"] == 6 and out["n_duplicate_responses"] == 2
    assert out["n_responding_units"] == 4  # F1, F2, F3, F5
    assert out["response_rate"] == pytest.approx(0.4)  # not 6 / 10
    assert out["usable_response_rate"] == pytest.approx(0.3)
    assert out["analysed_response_rate"] == pytest.approx(0.2)
    with pytest.raises(DataError, match="not in the sampling frame"):
        response_counts(flags, ["F1", "F2"])
