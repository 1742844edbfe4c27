"""Missing data: reports, EM, Little's MCAR test, treatments."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from leanlearn.errors import DataError, SpecError
from leanlearn.data.missing import (
    MissingDataWarning,
    em_mean_cov,
    little_mcar,
    missing_config,
    missingness_cases,
    missingness_items,
    treat_missing,
)


@pytest.fixture()
def small() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "respondent_id": ["a", "b", "c", "d"],
            "x1": [1.0, np.nan, 3.0, 4.0],
            "x2": [np.nan, np.nan, 2.0, 5.0],
            "x3": [1.0, 2.0, 3.0, 4.0],
        }
    )


def test_missingness_per_item_and_case(small):
    items = missingness_items(small, items=["x1", "x2", "x3"], max_share=0.3)
    assert items["n_missing"].tolist() == [1, 2, 0]
    assert items["share_missing"].tolist() == [0.25, 0.5, 0.0]
    assert items["exceeds_limit"].tolist() == [False, True, False]
    cases = missingness_cases(small, items=["x1", "x2", "x3"])
    assert cases["respondent_id"].tolist() == ["a", "b", "c", "d"]
    assert cases["n_missing"].tolist() == [1, 2, 0, 0]
    np.testing.assert_allclose(cases["share_missing"], [1 / 3, 2 / 3, 0, 0])


def _mvn(n: int, rho: float, rng: np.random.Generator, p: int = 2) -> np.ndarray:
    cov = np.full((p, p), rho) + (1 - rho) * np.eye(p)
    return rng.multivariate_normal(np.zeros(p), cov, size=n)


def test_em_on_complete_data_is_sample_mean_and_ml_covariance():
    x = _mvn(50, 0.5, np.random.default_rng(1), p=3)
    em = em_mean_cov(x)
    np.testing.assert_allclose(em.mean, x.mean(axis=0), atol=1e-12)
    np.testing.assert_allclose(em.cov, np.cov(x.T, bias=True), atol=1e-12)
    assert em.converged


def _monotone(n: int = 200, m: int = 140, seed: int = 3) -> tuple[np.ndarray, dict]:
    """Bivariate data, y2 missing for the last n - m cases; Anderson's (1957) closed-form ML estimates."""
    x = _mvn(n, 0.6, np.random.default_rng(seed)) + [1.0, 2.0]
    x[m:, 1] = np.nan
    y1, c = x[:, 0], x[:m]
    mu1, s11 = y1.mean(), y1.var()
    cc = np.cov(c.T, bias=True)
    beta = cc[0, 1] / cc[0, 0]
    mu2 = c[:, 1].mean() + beta * (mu1 - c[:, 0].mean())
    s12 = beta * s11
    s22 = cc[1, 1] + beta**2 * (s11 - cc[0, 0])
    return x, {"mean": np.array([mu1, mu2]), "cov": np.array([[s11, s12], [s12, s22]])}


def test_em_matches_closed_form_ml_for_monotone_bivariate_data():
    x, ml = _monotone()
    em = em_mean_cov(x, tol=1e-12)
    np.testing.assert_allclose(em.mean, ml["mean"], atol=1e-8)
    np.testing.assert_allclose(em.cov, ml["cov"], atol=1e-8)


def test_little_statistic_equals_hand_computation_on_monotone_data():
    x, ml = _monotone()
    m = 140
    mu, sigma = ml["mean"], ml["cov"]
    d_complete = x[:m].mean(axis=0) - mu
    d_partial = x[m:, 0].mean() - mu[0]
    hand = m * d_complete @ np.linalg.solve(sigma, d_complete) + (200 - m) * d_partial**2 / sigma[0, 0]
    out = little_mcar(pd.DataFrame(x, columns=["y1", "y2"])).iloc[0]
    assert out["df"] == 1 and out["n_patterns"] == 2
    assert out["statistic"] == pytest.approx(hand, rel=1e-7)
    assert out["p_value"] == pytest.approx(stats.chi2.sf(hand, 1), rel=1e-6)


def test_little_statistic_is_zero_for_complete_data():
    x = _mvn(40, 0.3, np.random.default_rng(0), p=3)
    out = little_mcar(pd.DataFrame(x)).iloc[0]
    assert out["statistic"] == pytest.approx(0.0, abs=1e-10)
    assert out["df"] == 0 and np.isnan(out["p_value"])


def test_little_p_values_are_roughly_uniform_under_mcar():
    rng = np.random.default_rng(2024)
    pvals = []
    for _ in range(120):
        x = _mvn(150, 0.5, rng, p=3)
        x[rng.random(150) < 0.2, 1] = np.nan
        x[rng.random(150) < 0.2, 2] = np.nan
        pvals.append(little_mcar(pd.DataFrame(x)).at[0, "p_value"])
    pvals = np.array(pvals)
    assert stats.kstest(pvals, "uniform").pvalue > 0.01
    assert 0.0 <= (pvals < 0.05).mean() <= 0.12


def test_little_rejects_under_strong_mar():
    rng = np.random.default_rng(7)
    x = _mvn(300, 0.7, rng, p=3)
    x[x[:, 0] > 0.3, 1] = np.nan  # y2 missing when y1 is high
    out = little_mcar(pd.DataFrame(x)).iloc[0]
    assert out["p_value"] < 1e-6
    assert out["df"] == 2  # patterns: {1,2,3} and {1,3}: 3 + 2 - 3


def test_em_refuses_a_variable_without_values():
    x = np.array([[1.0, np.nan], [2.0, np.nan], [3.0, np.nan]])
    with pytest.raises(DataError, match="no observed values"):
        em_mean_cov(x)


# ---- treatments -----------------------------------------------------------------------------
@pytest.fixture()
def items_df() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    x = np.clip(np.round(4 + 1.5 * _mvn(60, 0.6, rng, p=4)), 1, 7)
    df = pd.DataFrame(x, columns=["i1", "i2", "i3", "i4"])
    df.loc[[0, 5, 9], "i1"] = np.nan  # 5 %
    df.loc[[2], "i3"] = np.nan
    df.insert(0, "respondent_id", [f"r{i}" for i in range(60)])
    return df


ITEMS = ["i1", "i2", "i3", "i4"]


def test_listwise_drops_incomplete_cases(items_df):
    out, report = treat_missing(items_df, items=ITEMS, method="listwise")
    assert len(out) == 56 and not out[ITEMS].isna().any().any()
    assert (report["n_cases_dropped"] == 4).all() and (report["n_imputed"] == 0).all()


def test_mean_replacement_fills_item_means_and_reports_counts(items_df):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out, report = treat_missing(items_df, items=ITEMS, method="mean", max_item_missing=0.05)
    assert out.at[0, "i1"] == pytest.approx(items_df["i1"].mean())
    assert report.set_index("item")["n_imputed"].to_dict() == {"i1": 3, "i2": 0, "i3": 1, "i4": 0}
    assert out["respondent_id"].equals(items_df["respondent_id"])


def test_mean_replacement_warns_above_limit_and_refuses_when_strict(items_df):
    items_df.loc[[1, 2, 3], "i1"] = np.nan  # 10 %
    with pytest.warns(MissingDataWarning, match=r"i1 \(10.0%\)"):
        _, report = treat_missing(items_df, items=ITEMS, method="mean", max_item_missing=0.05)
    assert report.set_index("item").at["i1", "note"] == "above the 5% limit for mean replacement"
    with pytest.raises(DataError, match="Refused because missing.strict is true"):
        treat_missing(items_df, items=ITEMS, method="mean", max_item_missing=0.05, strict=True)


def test_iterative_imputation_is_seeded_and_within_bounds(items_df):
    bounds = {i: (1, 7) for i in ITEMS}
    a, report = treat_missing(items_df, items=ITEMS, method="iterative", seed=11, bounds=bounds)
    b, _ = treat_missing(items_df, items=ITEMS, method="iterative", seed=11, bounds=bounds)
    pd.testing.assert_frame_equal(a, b)
    assert not a[ITEMS].isna().any().any()
    assert a[ITEMS].min().min() >= 1 and a[ITEMS].max().max() <= 7
    observed = items_df[ITEMS].notna()
    assert (a[ITEMS][observed] == items_df[ITEMS][observed]).sum().sum() == observed.sum().sum()
    assert report["n_imputed"].sum() == 4


def test_treatment_errors():
    df = pd.DataFrame({"a": [1.0, np.nan]})
    with pytest.raises(SpecError, match="unknown treatment 'median'"):
        treat_missing(df, items=["a"], method="median")
    with pytest.raises(SpecError, match="needs a seed"):
        treat_missing(df, items=["a"], method="iterative")


def test_missing_config_validation():
    assert missing_config({"treatment": "iterative"}).treatment == "iterative"
    with pytest.raises(SpecError, match="missing.tretment: unknown key"):
        missing_config({"tretment": "mean"})
    with pytest.raises(SpecError, match="missing.alternative: unknown treatment 'hotdeck'"):
        missing_config({"alternative": "hotdeck"})
