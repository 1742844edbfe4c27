"""CVPAT: case losses are the squared out-of-sample errors of PLSpredict, the t statistic follows
its formula, the bootstrap p value matches the normal approximation in large samples, a model
compared with itself shows no difference, a model without its key path predicts worse, and the
CLI keeps its contract."""

from __future__ import annotations

import filecmp

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from conftest import REF
from leanlearn.cli import main
from leanlearn.robustness.cvpat import case_losses, cvpat, loss_test
from leanlearn.robustness.predict import pls_predict

CORP_MODEL = """COMP =~ comp_1 + comp_2 + comp_3
LIKE =~ like_1 + like_2 + like_3
CUSA =~ cusa
CUSL =~ cusl_1 + cusl_2 + cusl_3
CUSA ~ COMP + LIKE
CUSL ~ COMP + LIKE + CUSA
"""
NO_CUSA_PATH = CORP_MODEL.replace("CUSL ~ COMP + LIKE + CUSA", "CUSL ~ COMP + LIKE")


@pytest.fixture(scope="module")
def corp():
    return pd.read_csv(REF / "corp_rep_data.csv")


def test_case_losses_are_mean_squared_errors_over_each_constructs_indicators(corp):
    pred = pls_predict(corp, CORP_MODEL, folds=5, repetitions=2, seed=1, technique="direct", benchmark="antecedents", missing_value=-99)
    L = case_losses(pred.cases)
    c = pred.cases
    first = c[c.case == c.case.iloc[0]]
    cusl = first[first.construct == "CUSL"]
    assert L["pls"].iloc[0]["CUSL"] == pytest.approx(np.mean((cusl.actual - cusl.predicted_pls) ** 2), abs=1e-12)
    assert L["ia"].iloc[0]["overall"] == pytest.approx(np.mean((first.actual - first.predicted_mean) ** 2), abs=1e-12)
    assert L["lm"].iloc[0]["CUSA"] == pytest.approx(float((first[first.construct == "CUSA"].actual - first[first.construct == "CUSA"].predicted_lm).iloc[0] ** 2))
    # overall weighs every indicator equally: (1 * CUSA + 3 * CUSL) / 4
    assert L["pls"].overall.to_numpy() == pytest.approx((L["pls"].CUSA + 3 * L["pls"].CUSL).to_numpy() / 4, abs=1e-12)
    assert L["n_indicators"].iloc[0].tolist() == [1, 3, 4]


def test_t_statistic_follows_its_formula():
    D = np.array([1.0, 2.0, 3.0, 4.0])
    idx = np.random.default_rng(0).integers(0, 4, (200, 4))
    t, se, p = loss_test(D, idx, "less")
    assert se == pytest.approx(np.std(D, ddof=1) / 2, abs=1e-12)
    assert t == pytest.approx(2.5 / se, abs=1e-12)
    assert p > 0.9  # a positive mean difference gives no evidence that a is better


def test_bootstrap_p_value_agrees_with_the_normal_approximation_in_large_samples():
    rng = np.random.default_rng(7)
    n = 2000
    D = rng.normal(-0.045, 1.0, n)
    idx = rng.integers(0, n, (4000, n))
    t, _, p_less = loss_test(D, idx, "less")
    _, _, p_two = loss_test(D, idx, "two-sided")
    assert p_less == pytest.approx(stats.norm.cdf(t), abs=0.015)
    assert p_two == pytest.approx(2 * stats.norm.cdf(-abs(t)), abs=0.02)


def test_a_model_compared_with_itself_shows_no_difference(corp):
    r = cvpat(corp, CORP_MODEL, CORP_MODEL, folds=5, repetitions=1, seed=2, resamples=200, missing_value=-99)
    ab = r.table[r.table.comparison == "a_vs_b"]
    assert (ab.difference == 0).all() and ab.t_value.isna().all() and ab.p_value.isna().all()


def test_dropping_the_key_path_predicts_worse(corp):
    r = cvpat(corp, CORP_MODEL, NO_CUSA_PATH, folds=10, repetitions=2, seed=3, resamples=2000, missing_value=-99)
    t = r.table.set_index(["comparison", "construct"])
    assert t.loc[("a_vs_b", "overall"), "difference"] < 0 and t.loc[("a_vs_b", "overall"), "p_value"] < 0.01
    assert t.loc[("pls_vs_ia", "overall"), "p_value"] < 0.01  # PLS beats the training means
    assert list(r.table.columns) == ["comparison", "construct", "loss_a", "loss_b", "difference", "t_value", "p_value"]
    assert list(dict.fromkeys(r.table.comparison)) == ["pls_vs_ia", "pls_vs_lm", "pls_b_vs_ia", "pls_b_vs_lm", "a_vs_b"]
    d = r.details.set_index(["comparison", "construct"])
    assert d.loc[("a_vs_b", "overall"), "alternative"] == "two-sided" and d.loc[("pls_vs_lm", "CUSL"), "alternative"] == "less"


def test_models_are_compared_on_the_constructs_both_predict(corp):
    other = CORP_MODEL.replace("CUSA ~ COMP + LIKE\n", "")  # CUSA exogenous in model b
    r = cvpat(corp, CORP_MODEL, other, folds=5, repetitions=1, seed=4, resamples=200, missing_value=-99)
    ab = r.table[r.table.comparison == "a_vs_b"]
    assert ab.construct.tolist() == ["CUSL", "overall"]
    assert ab.set_index("construct").loc["overall", "loss_a"] == pytest.approx(ab.set_index("construct").loc["CUSL", "loss_a"])


def test_cvpat_cli_is_reproducible_and_keeps_its_contract(tmp_path):
    a, b = tmp_path / "a.lav", tmp_path / "b.lav"
    a.write_text(CORP_MODEL)
    b.write_text(NO_CUSA_PATH)
    for out in ("o1", "o2"):
        args = ["cvpat", str(REF / "corp_rep_data.csv"), str(a), str(b), "--out", str(tmp_path / out), "--missing-value", "-99",
                "--folds", "5", "--repetitions", "2", "--resamples", "300", "--seed", "11"]
        assert main(args) == 0
    for name in ("cvpat.csv", "cvpat_details.csv", "cvpat_losses.csv"):
        assert filecmp.cmp(tmp_path / "o1" / name, tmp_path / "o2" / name, shallow=False)
    t = pd.read_csv(tmp_path / "o1" / "cvpat.csv")
    assert list(t.columns) == ["comparison", "construct", "loss_a", "loss_b", "difference", "t_value", "p_value"]
    losses = pd.read_csv(tmp_path / "o1" / "cvpat_losses.csv")
    assert losses.case.min() == 1 and set(losses.predictor) == {"pls", "ia", "lm"}


def test_cvpat_cli_refuses_bad_options(tmp_path, capsys):
    a = tmp_path / "a.lav"
    a.write_text(CORP_MODEL)
    base = ["cvpat", str(REF / "corp_rep_data.csv"), str(a), "--out", str(tmp_path / "o"), "--missing-value", "-99"]
    assert main(base + ["--resamples", "1"]) == 2
    assert "--resamples" in capsys.readouterr().err
    assert main(base + ["--consistent"]) == 2
    assert "PLSc" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
