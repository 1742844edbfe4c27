"""Tests of leanlearn.robustness.endogeneity (Gaussian copula) and the ``leanlearn endogeneity`` verb.

Claims: the copula term is Φ⁻¹(rank/(n+1)); with a truly endogenous, non-normal regressor
(exponential X tied to the error by a Gaussian copula) the copula term is significant and
the corrected slope is near the truth while OLS is biased; an exogenous non-normal
regressor gives a copula term near zero; a normal regressor fails the precondition;
without copula terms the regressions reproduce the PLS paths; the bootstrap is seeded.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import leanlearn
from leanlearn.cli import main
from leanlearn.robustness.endogeneity import (
    copula_term,
    copula_terms_resampled,
    copula_test,
    gaussian_copula,
    normality_tests,
)
from leanlearn.errors import DataError
from leanlearn.robustness.power import DEFAULT_MODEL
from leanlearn.datasets.simulate import draw_items

FAST = dict(resamples=200, normality_mc_samples=199)


def test_copula_term_is_normal_quantile_of_rank_over_n_plus_one():
    np.testing.assert_allclose(copula_term([3.0, 1.0, 2.0]), stats.norm.ppf([0.75, 0.25, 0.5]))
    # ties share their average rank: ranks 1.5, 1.5, 3 of n = 3
    np.testing.assert_allclose(copula_term([1.0, 1.0, 2.0]), stats.norm.ppf([1.5 / 4, 1.5 / 4, 3 / 4]))
    # batched along the last axis
    np.testing.assert_allclose(copula_term(np.array([[3.0, 1.0, 2.0], [1.0, 2.0, 3.0]]))[1], stats.norm.ppf([0.25, 0.5, 0.75]))


@pytest.mark.parametrize("kind", ["continuous", "seven_point", "rounded_with_ties"])
def test_copula_terms_of_resamples_equal_copula_term_of_each_resample_bit_for_bit(kind):
    rng = np.random.default_rng(7)
    n = 301
    x = {
        "continuous": rng.normal(size=n),
        "seven_point": rng.integers(1, 8, n).astype(float),
        "rounded_with_ties": np.round(rng.exponential(size=n), 1),
    }[kind]
    idx = rng.integers(0, n, size=(64, n))
    assert np.array_equal(copula_terms_resampled(x, idx), copula_term(x[idx]))


def test_copula_terms_of_resamples_refuse_missing_values():
    with pytest.raises(DataError, match="missing"):
        copula_terms_resampled(np.array([1.0, np.nan, 2.0]), np.zeros((2, 3), dtype=int))


@pytest.fixture(scope="module")
def known():
    """Y = 1 + 0.5 X + e with X ~ Exp(1) endogenous (Gaussian copula, rho = 0.5, sd(e) = 1),
    Y2 = 1 + 0.5 Z + e2 with Z ~ Exp(1) exogenous, Y3 = 0.5 G + e3 with G normal."""
    rng = np.random.default_rng(20240209)
    n = 3000
    xi = rng.standard_normal(n)
    e = 0.5 * xi + np.sqrt(0.75) * rng.standard_normal(n)
    x = -np.log1p(-stats.norm.cdf(xi))  # exponential marginal, Gaussian copula with e
    z = rng.exponential(size=n)
    g = rng.standard_normal(n)
    data = pd.DataFrame(
        {
            "x": x,
            "y": 1 + 0.5 * x + e,
            "z": z,
            "y2": 1 + 0.5 * z + rng.standard_normal(n),
            "g": g,
            "y3": 0.5 * g + rng.standard_normal(n),
        }
    )
    return copula_test(data, {"y": ["x"], "y2": ["z"], "y3": ["g"]}, seed=1, **FAST)


def test_endogenous_non_normal_regressor_gives_significant_copula_and_corrected_slope(known):
    t = known.terms.set_index("target").loc["y"]
    assert t["significant"] and t["p_value"] < 1e-6
    assert t["estimate"] == pytest.approx(0.5, abs=0.1)  # rho * sd(e) = 0.5
    assert t["corrected_estimate"] == pytest.approx(0.5, abs=0.1)
    assert t["uncorrected_estimate"] > 0.8  # OLS is badly biased upwards
    assert t["corrected_ci_lower"] < 0.5 < t["corrected_ci_upper"]
    assert t["non_normal"]


def test_exogenous_non_normal_regressor_gives_copula_term_near_zero(known):
    t = known.terms.set_index("target").loc["y2"]
    assert abs(t["estimate"]) < 0.1
    assert not t["significant"]
    assert t["corrected_estimate"] == pytest.approx(0.5, abs=0.1)


def test_normal_regressor_fails_the_precondition(known):
    norm = known.normality.set_index("variable")
    assert not norm.loc["g", "non_normal"]
    assert norm.loc["g", "shapiro_p_value"] > 0.05 and norm.loc["g", "cvm_p_value"] > 0.05
    assert norm.loc["g", "corr_copula_term"] > 0.99  # the copula term is nearly X itself
    assert norm.loc["x", "non_normal"] and norm.loc["z", "non_normal"]
    assert not known.terms.set_index("target").loc["y3", "non_normal"]
    assert "not identified: g" in known.note
    assert "Becker, Proksch & Ringle (2022" in known.note


def test_normality_tests_columns():
    rng = np.random.default_rng(3)
    out = normality_tests(pd.DataFrame({"a": rng.exponential(size=300)}), mc_samples=99, seed=1)
    assert list(out.columns) == [
        "variable", "n", "skewness", "excess_kurtosis", "shapiro_w", "shapiro_p_value", "cvm_statistic", "cvm_p_value", "non_normal", "corr_copula_term",
    ]  # fmt: skip
    assert out["non_normal"].iloc[0]


# ---- on a PLS model ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def study_fit():
    data = draw_items(209, seed=11)
    model = DEFAULT_MODEL + "\nLS ~ log_employees\nOP ~ log_employees\n"
    return leanlearn.estimate(data, model, assess=False)


def test_regressions_without_copula_reproduce_the_pls_paths(study_fit):
    out = gaussian_copula(study_fit, seed=2, **FAST)
    base = out.coefficients[out.coefficients.combination == "none"]
    for rec in study_fit.path_coefficients.itertuples():
        got = base[(base.target == rec.target) & (base.term == rec.source)]["estimate"].iloc[0]
        assert got == pytest.approx(rec.estimate, abs=1e-10)
    roles = base.set_index(["target", "term"])["role"]
    assert roles[("LS", "log_employees")] == "control" and roles[("LS", "LP:DIG")] == "interaction"


def test_every_combination_of_candidate_regressors_is_estimated(study_fit):
    out = gaussian_copula(study_fit, seed=2, **FAST)
    combos = out.terms.groupby("target")["combination"].unique().to_dict()
    assert sorted(combos["LS"]) == sorted(["LP", "DIG", "LP+DIG"])
    assert len(combos["OP"]) == 7  # LP, DIG, LS and their pairs and triple
    assert len(out.terms) == 4 + 12
    assert not out.terms["predictor"].isin(["log_employees", "LP:DIG"]).any()
    assert set(out.normality["variable"]) == {"LP", "DIG", "LS"}
    assert (out.terms["n_resamples"] == 200).all()


def test_residualising_on_controls_changes_only_models_with_controls(study_fit):
    on = gaussian_copula(study_fit, seed=2, residualize=True, **FAST).terms
    off = gaussian_copula(study_fit, seed=2, residualize=False, **FAST).terms
    assert not np.allclose(on["estimate"], off["estimate"])
    free = gaussian_copula(study_fit, seed=2, controls=[], residualize=True, **FAST).terms
    free_off = gaussian_copula(study_fit, seed=2, controls=[], residualize=False, **FAST).terms
    np.testing.assert_allclose(free["estimate"], free_off["estimate"])


def test_bootstrap_is_seeded(study_fit):
    a = gaussian_copula(study_fit, seed=5, **FAST).terms
    b = gaussian_copula(study_fit, seed=5, **FAST).terms
    c = gaussian_copula(study_fit, seed=6, **FAST).terms
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["std_error"], c["std_error"])
    np.testing.assert_allclose(a["estimate"], c["estimate"])  # point estimates do not depend on the seed


def test_missing_variable_is_a_data_error():
    with pytest.raises(DataError, match="not in the data"):
        copula_test(pd.DataFrame({"y": np.arange(20.0)}), {"y": ["x"]}, **FAST)


# ---- CLI -------------------------------------------------------------------------------------------
def test_cli_writes_copula_tables_and_the_caveat(tmp_path):
    data = draw_items(209, seed=12)
    data.to_csv(tmp_path / "data.csv", index=False)
    (tmp_path / "model.lav").write_text(DEFAULT_MODEL)
    (tmp_path / "cfg.yaml").write_text("seed: 3\ncontrols: {variables: [log_employees], targets: [LS, OP]}\nrobustness: {copula_resamples: 100}\n")
    out = tmp_path / "endo"
    rc = main(["endogeneity", str(tmp_path / "data.csv"), str(tmp_path / "model.lav"), "--out", str(out), "--config", str(tmp_path / "cfg.yaml")])
    assert rc == 0
    terms = pd.read_csv(out / "copula.csv")
    assert list(terms.columns[:9]) == ["target", "combination", "predictor", "estimate", "std_error", "t_value", "p_value", "ci_lower", "ci_upper"]
    assert "corrected_estimate" in terms.columns and (terms["n_resamples"] == 100).all()
    assert (out / "copula_coefficients.csv").exists() and (out / "normality.csv").exists()
    assert (out / "preconditions.csv").exists() and (out / "copula_summary.csv").exists()
    assert {"specification", "counted", "vif_copula_term"} <= set(terms.columns)
    assert "weak diagnostic" in (out / "notes.txt").read_text()
    rec = json.loads((out / "settings.json").read_text())
    assert rec["seed"] == 3 and rec["control_terms"] == ["log_employees"] and rec["residualize"] is True
    coef = pd.read_csv(out / "copula_coefficients.csv")
    assert set(coef.loc[coef.role == "control", "term"]) == {"log_employees"}
    assert not terms["predictor"].eq("log_employees").any()
    # without controls: no control terms, and the run is recorded as such
    out2 = tmp_path / "endo2"
    assert main(["endogeneity", str(tmp_path / "data.csv"), str(tmp_path / "model.lav"), "--out", str(out2), "--config", str(tmp_path / "cfg.yaml"), "--no-controls"]) == 0
    assert not (pd.read_csv(out2 / "copula_coefficients.csv").role == "control").any()


# ---- preconditions, every specification, counting -------------------------------------------------
def test_preconditions_per_regressor_flag_normal_and_collinear_terms(known):
    pre = known.preconditions.set_index("variable")
    r = pre["corr_copula_term"]
    np.testing.assert_allclose(pre["vif_copula_term"], 1 / (1 - r**2))
    assert pre.loc["x", "preconditions_met"] and pre.loc["z", "preconditions_met"]  # exponential: r about 0.90
    assert not pre.loc["g", "preconditions_met"] and not pre.loc["g", "identified"]
    assert "not distinguishable from normal" in pre.loc["g", "reason"] and "nearly collinear" in pre.loc["g", "reason"]
    terms = known.terms.set_index("target")
    assert terms.loc["y", "counted"] and not terms.loc["y3", "counted"]
    assert known.informative


def test_a_non_normal_regressor_with_a_collinear_copula_term_is_shown_but_not_counted():
    rng = np.random.default_rng(4)
    n = 400
    x = rng.random(n)  # uniform: clearly non-normal, but corr(x, copula) about 0.98
    data = pd.DataFrame({"x": x, "y": 0.5 * x + rng.standard_normal(n)})
    strict = copula_test(data, {"y": ["x"]}, seed=1, max_vif=10, **FAST)
    assert strict.normality.set_index("variable").loc["x", "non_normal"]
    assert not strict.terms["counted"].iloc[0] and not strict.informative
    assert len(strict.terms) == 1  # shown
    assert "The copula test is uninformative for these data" in strict.note
    assert "nearly collinear with them" in strict.note and "x" in strict.note
    lenient = copula_test(data, {"y": ["x"]}, seed=1, max_vif=100, **FAST)
    assert lenient.terms["counted"].iloc[0] and lenient.informative
    assert "uninformative" not in lenient.note


def test_summary_covers_every_single_and_joint_specification(study_fit):
    out = gaussian_copula(study_fit, seed=2, **FAST)
    spec = out.summary.set_index(["target", "combination"])
    assert len(spec) == 3 + 7
    assert spec.loc[("OP", "LP+DIG+LS"), "specification"] == "joint" and spec.loc[("OP", "LS"), "specification"] == "single"
    assert spec["n_terms"].sum() == len(out.terms)
    assert (spec["n_counted"] + 0 <= spec["n_terms"]).all()
    sig = out.terms["significant"]
    assert spec["n_significant_counted"].sum() == int((sig & out.terms["counted"]).sum())
    assert spec["n_significant_not_counted"].sum() == int((sig & ~out.terms["counted"]).sum())
    assert set(out.terms["specification"]) == {"single", "joint"}
    assert f"Of {len(out.terms)} copula terms in all single and joint specifications" in out.note


def test_bootstrap_and_normality_streams_differ_from_the_raw_seed():
    from leanlearn.random import generator

    rng = np.random.default_rng(0)
    data = pd.DataFrame({"x": rng.exponential(size=50), "y": rng.standard_normal(50)})
    out = copula_test(data, {"y": ["x"]}, seed=3, **FAST)
    idx = generator(3, "bootstrap", "copula").integers(0, 50, size=(200, 50))
    x, y = data["x"].to_numpy(), data["y"].to_numpy()
    # recompute the copula coefficient's bootstrap SD from the documented stream
    draws = []
    for row in idx:
        xb, yb = x[row], y[row]
        D = np.column_stack([np.ones(50), xb, copula_term(xb)])
        draws.append(np.linalg.lstsq(D, yb, rcond=None)[0][2])
    assert out.terms["std_error"].iloc[0] == pytest.approx(np.std(draws, ddof=1), rel=1e-9)
