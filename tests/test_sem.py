"""CB-SEM / CFA (leanlearn.cbsem.sem) against lavaan, hand derivations and simulated truth.

Reference values: lavaan 0.6-14 (R 4.2.2, Debian bookworm r-cran-lavaan) on the corporate
reputation data of tests/reference/seminr (N = 344; -99 = missing, listwise -> 336
cases), fitted with the syntax that :func:`leanlearn.cbsem.sem.lavaan_syntax` renders::

    library(lavaan)
    d <- read.csv("tests/reference/seminr/corp_rep_data.csv"); d[d == -99] <- NA
    f1 <- cfa(CFA_SYNTAX, data = d, estimator = "ML", missing = "listwise", fixed.x = FALSE)
    f2 <- sem(SEM_SYNTAX, data = d, estimator = "ML", missing = "listwise", fixed.x = FALSE)
    fitMeasures(f1, c("chisq", "df", "cfi", "tli", "rmsea", "rmsea.ci.lower",
                      "rmsea.ci.upper", "rmsea.pvalue", "srmr", "logl", "aic", "bic"))
    standardizedSolution(f1, type = "std.all")   # est.std and its delta-method se
    parameterEstimates(f1)                       # unstandardised loadings and se

(values printed with ``sprintf("%.10g")``). Tolerances: 1e-5 for estimates and standard
errors (semopy's optimiser stops at ftol 1e-12; agreement seen is about 1e-6), 1e-6
relative for the fit statistics.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from leanlearn.cbsem import sem
from leanlearn.errors import DataError, SpecError
from leanlearn.datasets.simulate import PopulationModel, draw_items

from conftest import REF

CORP_REP = """
COMP =~ comp_1 + comp_2 + comp_3
LIKE =~ like_1 + like_2 + like_3
CUSA =~ cusa
CUSL =~ cusl_1 + cusl_2 + cusl_3
CUSA ~ COMP + LIKE
CUSL ~ COMP + LIKE + CUSA
"""

LAVAAN_CFA_FIT = dict(
    n_parameters=25, chi2=105.1210282, df=30, p_value=2.83653212e-10, baseline_chi2=1737.185858, baseline_df=45,
    cfi=0.9556071055, tli=0.9334106583, rmsea=0.08632776471, rmsea_ci_lower=0.06872526552,
    rmsea_ci_upper=0.1045713208, rmsea_close_p_value=0.0005376789683, srmr=0.05882145298, log_likelihood=-5420.923937,
    aic=10891.84787, bic=10987.27565,
)  # fmt: skip
# construct, indicator, std.all, se(std.all), unstandardised, se
LAVAAN_CFA_LOADINGS = [
    ("COMP", "comp_1", 0.70338461, 0.03547218, 1.0, None),
    ("COMP", "comp_2", 0.73858405, 0.03345068, 1.01109789, 0.08913547),
    ("COMP", "comp_3", 0.77057064, 0.03174585, 1.11070395, 0.09537109),
    ("LIKE", "like_1", 0.81859586, 0.02432082, 1.0, None),
    ("LIKE", "like_2", 0.78092983, 0.02685129, 1.14534232, 0.07588901),
    ("LIKE", "like_3", 0.76055041, 0.02828436, 1.13118568, 0.07728305),
    ("CUSA", "cusa", 1.0, None, 1.0, None),
    ("CUSL", "cusl_1", 0.73815491, 0.02888089, 1.0, None),
    ("CUSL", "cusl_2", 0.90037072, 0.01832639, 1.41237249, 0.09024799),
    ("CUSL", "cusl_3", 0.75868535, 0.02738330, 1.13096204, 0.08351365),
]
LAVAAN_CFA_CORRELATIONS = {
    ("COMP", "LIKE"): (0.76577705, 0.03762644),
    ("COMP", "CUSA"): (0.44153648, 0.05119227),
    ("COMP", "CUSL"): (0.48059803, 0.05387699),
    ("LIKE", "CUSA"): (0.58527667, 0.04138025),
    ("LIKE", "CUSL"): (0.71380733, 0.03744100),
    ("CUSA", "CUSL"): (0.73970974, 0.02922110),
}
LAVAAN_SEM_FIT = dict(
    n_parameters=30, chi2=129.0079371, df=36, cfi=0.9455555751, tli=0.9168210175, rmsea=0.08768778841,
    rmsea_ci_lower=0.07163506246, rmsea_ci_upper=0.1042794805, srmr=0.05711757579, log_likelihood=-5651.733284,
    aic=11363.46657, bic=11477.9799,
)  # fmt: skip
# source, target, std.all, se, unstandardised, se  (control: servicetype on CUSA and CUSL)
LAVAAN_SEM_PATHS = [
    ("COMP", "CUSA", -0.01116686, 0.10325210, -0.01304607, 0.12063250),
    ("LIKE", "CUSA", 0.59287968, 0.09645916, 0.55541057, 0.09802404),
    ("servicetype", "CUSA", 0.03559958, 0.04683428, 0.08715407, 0.11468964),
    ("COMP", "CUSL", -0.15079162, 0.08957013, -0.16583048, 0.09955788),
    ("LIKE", "CUSL", 0.54365003, 0.09619337, 0.47940819, 0.09298781),
    ("CUSA", "CUSL", 0.48705701, 0.05030667, 0.45847774, 0.05448755),
    ("servicetype", "CUSL", 0.01259325, 0.04020486, 0.02902145, 0.09266143),
]
LAVAAN_SEM_R2 = {"CUSA": 0.3439282525, "CUSL": 0.6761496179}


@pytest.fixture(scope="module")
def corp_rep_na() -> pd.DataFrame:
    return pd.read_csv(REF / "corp_rep_data.csv").replace(-99, np.nan)


@pytest.fixture(scope="module")
def corp_cfa(corp_rep_na):
    return sem.fit_cfa(corp_rep_na, CORP_REP)


@pytest.fixture(scope="module")
def corp_sem(corp_rep_na):
    return sem.fit_sem(corp_rep_na, CORP_REP, controls=["servicetype"])


@pytest.fixture(scope="module")
def big_continuous() -> pd.DataFrame:
    return draw_items(4000, seed=11, likert=False, method_factor=False)


STUDY = """
LP  =~ LP1 + LP2 + LP3 + LP4 + LP5 + LP6 + LP7 + LP8
DIG =~ DIG1 + DIG2 + DIG3 + DIG4 + DIG5 + DIG6
LS  =~ LS1 + LS2 + LS3 + LS4 + LS5 + LS6
OP  =~ OP1 + OP2 + OP3 + OP4 + OP5
LS ~ LP + DIG + LP:DIG
OP ~ LP + DIG + LS
"""


# ---- lavaan reference --------------------------------------------------------------------------
def test_cfa_loadings_and_standard_errors_match_lavaan(corp_cfa):
    got = corp_cfa.loadings.set_index(["construct", "indicator"])
    assert len(got) == len(LAVAAN_CFA_LOADINGS)
    for c, i, std, std_se, raw, raw_se in LAVAAN_CFA_LOADINGS:
        row = got.loc[(c, i)]
        assert row["estimate"] == pytest.approx(std, abs=1e-5)
        assert row["unstandardized"] == pytest.approx(raw, abs=1e-5)
        if std_se is None:
            assert np.isnan(row["std_error"])
        else:
            assert row["std_error"] == pytest.approx(std_se, abs=1e-5)
            assert row["p_value"] == pytest.approx(2 * stats.norm.sf(std / std_se), abs=1e-8)
        if raw_se is None:
            assert np.isnan(row["unstandardized_std_error"])
        else:
            assert row["unstandardized_std_error"] == pytest.approx(raw_se, abs=1e-5)


def test_cfa_factor_correlations_match_lavaan(corp_cfa):
    got = corp_cfa.construct_correlations.set_index(["construct_a", "construct_b"])
    for (a, b), (est, se) in LAVAAN_CFA_CORRELATIONS.items():
        row = got.loc[(a, b)] if (a, b) in got.index else got.loc[(b, a)]
        assert row["estimate"] == pytest.approx(est, abs=1e-5)
        assert row["std_error"] == pytest.approx(se, abs=1e-5)


def test_cfa_fit_indices_match_lavaan(corp_cfa):
    fit = corp_cfa.fit.iloc[0]
    assert corp_cfa.n == 336
    for key, value in LAVAAN_CFA_FIT.items():
        assert fit[key] == pytest.approx(value, rel=1e-6, abs=1e-9), key


def test_sem_paths_r_squared_and_fit_match_lavaan_with_an_observed_control(corp_sem):
    got = corp_sem.paths.set_index(["source", "target"])
    assert len(got) == len(LAVAAN_SEM_PATHS)
    for s, t, std, std_se, raw, raw_se in LAVAAN_SEM_PATHS:
        row = got.loc[(s, t)]
        assert row["estimate"] == pytest.approx(std, abs=1e-5)
        assert row["std_error"] == pytest.approx(std_se, abs=1e-5)
        assert row["unstandardized"] == pytest.approx(raw, abs=1e-5)
        assert row["unstandardized_std_error"] == pytest.approx(raw_se, abs=1e-5)
    r2 = corp_sem.r_squared.set_index("construct")["r_squared"]
    for c, value in LAVAAN_SEM_R2.items():
        assert r2[c] == pytest.approx(value, abs=1e-6)
    fit = corp_sem.fit.iloc[0]
    for key, value in LAVAAN_SEM_FIT.items():
        assert fit[key] == pytest.approx(value, rel=1e-6, abs=1e-9), key


# ---- independent derivations -------------------------------------------------------------------
def test_chi2_equals_n_times_f_ml_computed_from_the_implied_covariance(corp_cfa, corp_rep_na):
    items = list(corp_cfa.implied_covariance.index)
    x = corp_rep_na[items].dropna().to_numpy()
    n, p = x.shape
    s = np.cov(x, rowvar=False, ddof=0)
    sig = corp_cfa.implied_covariance.to_numpy()
    f_ml = np.log(np.linalg.det(sig)) + np.trace(s @ np.linalg.inv(sig)) - np.log(np.linalg.det(s)) - p
    fit = corp_cfa.fit.iloc[0]
    assert np.allclose(corp_cfa.sample_covariance.to_numpy(), s)
    assert fit["chi2"] == pytest.approx(n * f_ml, rel=1e-10)
    assert fit["df"] == p * (p + 1) // 2 - fit["n_parameters"]
    # baseline (independence) model and the incremental indices from their textbook formulas
    t0 = n * (np.sum(np.log(np.diag(s))) - np.log(np.linalg.det(s)))
    df0 = p * (p - 1) / 2
    t, df = n * f_ml, fit["df"]
    assert fit["baseline_chi2"] == pytest.approx(t0, rel=1e-10)
    assert fit["cfi"] == pytest.approx(1 - (t - df) / (t0 - df0), rel=1e-10)
    assert fit["tli"] == pytest.approx((t0 / df0 - t / df) / (t0 / df0 - 1), rel=1e-10)
    assert fit["rmsea"] == pytest.approx(math.sqrt((t - df) / (df * n)), rel=1e-10)
    d = np.sqrt(np.diag(s))
    resid = ((s - sig) / np.outer(d, d))[np.triu_indices(p)]
    assert fit["srmr"] == pytest.approx(math.sqrt(np.mean(resid**2)), rel=1e-10)


def test_rmsea_interval_bounds_solve_the_noncentral_chi2_quantile_equations():
    t, df, n = 105.1210282, 30, 336
    lo, hi = sem.rmsea_ci(t, df, n, level=0.90)
    assert lo < math.sqrt((t - df) / (df * n)) < hi
    assert stats.ncx2.cdf(t, df, lo**2 * df * n) == pytest.approx(0.95, abs=1e-8)
    assert stats.ncx2.cdf(t, df, hi**2 * df * n) == pytest.approx(0.05, abs=1e-8)
    # a statistic below its df puts the lower bound at zero
    assert sem.rmsea_ci(20.0, 30, 336)[0] == 0.0


def test_standardized_path_between_two_single_items_is_r_with_its_asymptotic_standard_error():
    # y ~ x between single-item constructs: the standardised path is the correlation r and
    # its delta-method SE must equal the normal-theory asymptotic SE (1 - r^2) / sqrt(N)
    rng = np.random.default_rng(3)
    n = 400
    x = rng.standard_normal(n)
    y = 0.5 * x + math.sqrt(0.75) * rng.standard_normal(n)
    res = sem.fit_sem(pd.DataFrame({"x": x, "y": y}), "X =~ x\nY =~ y\nY ~ X")
    r = np.corrcoef(x, y)[0, 1]
    row = res.paths.iloc[0]
    assert row["estimate"] == pytest.approx(r, abs=1e-7)
    assert row["std_error"] == pytest.approx((1 - r**2) / math.sqrt(n), rel=1e-5)
    assert res.fit.iloc[0]["df"] == 0


# ---- known truth from simulated data ---------------------------------------------------------------
def test_cfa_recovers_population_loadings_and_fits_a_correct_model_almost_perfectly(big_continuous):
    res = sem.fit_cfa(big_continuous, STUDY)
    truth = PopulationModel().loading_map
    err = (res.loadings["estimate"] - res.loadings["indicator"].map(truth)).abs()
    assert err.max() < 0.03
    pop_r = PopulationModel().latent_covariance()
    corr = res.construct_correlations.set_index(["construct_a", "construct_b"])["estimate"]
    assert corr[("LP", "LS")] == pytest.approx(pop_r.loc["LP", "LS"], abs=0.04)
    fit = res.fit.iloc[0]
    assert fit["cfi"] > 0.995
    assert fit["tli"] > 0.995
    assert fit["rmsea"] < 0.015
    assert fit["srmr"] < 0.02
    assert res.converged and not res.messages


def test_a_misspecified_cfa_fits_clearly_worse(big_continuous):
    # LP and LS items forced onto one factor
    wrong = """
    LPLS =~ LP1 + LP2 + LP3 + LP4 + LP5 + LP6 + LP7 + LP8 + LS1 + LS2 + LS3 + LS4 + LS5 + LS6
    DIG =~ DIG1 + DIG2 + DIG3 + DIG4 + DIG5 + DIG6
    OP  =~ OP1 + OP2 + OP3 + OP4 + OP5
    OP ~ LPLS + DIG
    """
    right = sem.fit_cfa(big_continuous, STUDY).fit
    bad = sem.fit_cfa(big_continuous, wrong).fit
    assert bad.at[0, "cfi"] < 0.90 < right.at[0, "cfi"]
    assert bad.at[0, "rmsea"] > 0.08 > right.at[0, "rmsea"]
    assert bad.at[0, "srmr"] > 0.08
    assert bad.at[0, "chi2"] - bad.at[0, "df"] > 10 * (right.at[0, "chi2"] - right.at[0, "df"])
    flags = sem.fit_table(bad).set_index("index")["meets"]
    assert not flags["cfi"] and not flags["rmsea"] and not flags["srmr"]
    assert sem.fit_table(right).set_index("index")["meets"][["cfi", "tli", "rmsea", "srmr"]].all()


def test_cbsem_interaction_approximation_has_the_right_sign_and_is_attenuated(big_continuous):
    res = sem.fit_sem(big_continuous, STUDY)
    paths = res.paths.set_index(["source", "target"])
    true_std = PopulationModel().standardized_interaction_path()
    est = paths.loc[("LP:DIG", "LS"), "estimate"]
    assert 0.6 * true_std < est < true_std + 0.02
    assert paths.loc[("LP:DIG", "LS"), "p_value"] < 1e-6
    assert paths.loc[("LS", "OP"), "estimate"] == pytest.approx(0.5, abs=0.05)
    assert "not latent moderated structural equations" in res.interaction_note
    assert "LP_x_DIG" in res.syntax


def test_factor_scores_track_the_true_scores_and_bartlett_refuses_single_items(big_continuous, corp_cfa, corp_rep_na):
    df = draw_items(1500, seed=5, likert=False, method_factor=False, include_latent=True)
    res = sem.fit_cfa(df, STUDY)
    for method in ("regression", "bartlett"):
        scores = sem.factor_scores(df, res, method=method)
        assert list(scores.columns) == ["LP", "DIG", "LS", "OP"]
        assert np.corrcoef(scores["LS"], df["true_LS"])[0, 1] > 0.9
    # Bartlett scores are conditionally unbiased: slope on the true score = loading scale of the marker item
    b = sem.factor_scores(df, res, method="bartlett")["LP"]
    slope = np.polyfit(df["true_LP"], b, 1)[0]
    assert slope == pytest.approx(PopulationModel().loading_map["LP1"], abs=0.05)
    with pytest.raises(DataError, match="Bartlett"):
        sem.factor_scores(corp_rep_na.dropna(subset=["cusa", "cusl_1", "cusl_2", "cusl_3"]), corp_cfa, method="bartlett")


# ---- syntax, options and errors -------------------------------------------------------------------
def test_lavaan_syntax_frees_exogenous_covariances_and_fixes_single_item_error_variance():
    text = sem.lavaan_syntax(CORP_REP, controls=["servicetype"])
    lines = text.splitlines()
    assert "cusa ~~ 0*cusa" in lines
    assert "servicetype ~~ servicetype" in lines
    assert "COMP ~~ LIKE + servicetype" in lines
    assert "CUSL ~ COMP + LIKE + CUSA + servicetype" in lines
    cfa_text = sem.lavaan_syntax(CORP_REP, structural=False)
    assert not any(" ~ " in line for line in cfa_text.splitlines())


def test_formative_constructs_are_refused_with_a_spec_error():
    with pytest.raises(SpecError, match="formative"):
        sem.lavaan_syntax("A <~ a1 + a2\nB =~ b1 + b2\nB ~ A")


def test_missing_items_and_listwise_deletion_are_reported(corp_cfa, corp_rep_na):
    assert any("dropped listwise" in m for m in corp_cfa.messages)
    with pytest.raises(DataError, match="no column"):
        sem.fit_cfa(corp_rep_na.drop(columns=["comp_2"]), CORP_REP)
    mean_filled = sem.fit_cfa(corp_rep_na, CORP_REP, missing="mean")
    assert mean_filled.n == len(corp_rep_na)


def test_results_hold_no_semopy_objects(corp_sem):
    from dataclasses import fields

    for f in fields(corp_sem):
        value = getattr(corp_sem, f.name)
        assert "semopy" not in type(value).__module__, f.name
        if isinstance(value, pd.DataFrame):
            for col in value.columns:
                assert all("semopy" not in type(v).__module__ for v in value[col].head(3)), (f.name, col)


def test_fit_thresholds_read_the_config_and_name_their_source():
    th = {t.index: t for t in sem.fit_thresholds({"robustness": {"cfa": {"rmsea_max": 0.05, "cfi_min": 0.9}}})}
    assert th["rmsea"].threshold == 0.05 and "robustness.cfa.rmsea_max" in th["rmsea"].source
    assert th["cfi"].threshold == 0.9
    assert th["srmr"].threshold == 0.08 and th["srmr"].source == sem.FIT_SOURCE
    fit = pd.DataFrame([{c: np.nan for c in sem.FIT_COLUMNS} | {"rmsea": 0.055, "cfi": 0.93, "srmr": 0.07, "tli": 0.96}])
    table = sem.fit_table(fit, tuple(th.values())).set_index("index")
    assert not table.loc["rmsea", "meets"] and table.loc["rmsea", "meets_acceptable"]
    assert table.loc["cfi", "meets"] and table.loc["srmr", "meets"]
    assert pd.isna(table.loc["chi2", "meets"])
    with pytest.raises(SpecError, match="robustness.cfa.srmr_max"):
        sem.fit_thresholds({"robustness": {"cfa": {"srmr_max": "low"}}})


# ---- CLI --------------------------------------------------------------------------------------------
def test_cfa_and_cbsem_verbs_write_their_tables(tmp_path):
    from leanlearn.cli import main

    df = draw_items(209, seed=21)
    data = tmp_path / "analysis.csv"
    df.to_csv(data, index=False)
    model = tmp_path / "study.lav"
    model.write_text(STUDY)
    assert main(["cfa", str(data), str(model), "--out", str(tmp_path / "m")]) == 0
    loadings = pd.read_csv(tmp_path / "m" / "cfa_loadings.csv")
    assert list(loadings.columns[:6]) == ["construct", "indicator", "estimate", "std_error", "z_value", "p_value"]
    assert len(loadings) == 25
    fit = pd.read_csv(tmp_path / "m" / "cfa_fit.csv")
    assert {"index", "value", "threshold", "meets", "source"} <= set(fit.columns)
    assert set(fit.dropna(subset=["threshold"])["index"]) == {"cfi", "tli", "rmsea", "srmr"}

    out = tmp_path / "r"
    assert main(["cbsem", str(data), str(model), "--out", str(out), "--controls", "log_employees"]) == 0
    comp = pd.read_csv(out / "pls_plsc_cbsem_paths.csv")
    assert list(comp.columns) == ["source", "target", "pls", "plsc", "cbsem", "cbsem_std_error", "cbsem_p_value"]
    assert ("LP:DIG", "LS") in set(zip(comp.source, comp.target))
    assert ("log_employees", "OP") in set(zip(comp.source, comp.target))
    assert comp[["pls", "plsc", "cbsem"]].notna().all().all()
    # the three estimators agree on the big paths
    ls_op = comp.set_index(["source", "target"]).loc[("LS", "OP")]
    assert abs(ls_op["pls"] - ls_op["cbsem"]) < 0.15 and abs(ls_op["plsc"] - ls_op["cbsem"]) < 0.1
    assert (out / "cbsem_paths.csv").exists() and (out / "cbsem_fit.csv").exists()


# ---- inadmissible solutions are detected and reported, never printed as if fine ---------------------
def _improper_inputs(**over):
    """The pieces _improper reads, for a small admissible solution; ``over`` replaces some."""
    names = ["A", "B"]
    base = dict(
        theta=pd.DataFrame(np.diag([0.3, 0.4]), index=["a1", "b1"], columns=["a1", "b1"]),
        latent_cov=pd.DataFrame([[1.0, 0.5], [0.5, 1.0]], index=names, columns=names),
        sigma=np.array([[1.3, 0.5], [0.5, 1.4]]),
        loadings=pd.DataFrame({"indicator": ["a1", "b1"], "estimate": [0.88, 0.85]}),
        paths=pd.DataFrame({"source": ["A"], "target": ["B"], "estimate": [0.5], "std_error": [0.06]}),
        correlations=pd.DataFrame({"construct_a": ["A"], "construct_b": ["B"], "estimate": [0.5]}),
        r2=pd.DataFrame({"construct": ["B"], "r_squared": [0.25]}),
        disturbance={"B": 0.75},
        cov_x=np.eye(3) * 0.01,
    )
    base.update(over)
    return base


def test_an_admissible_solution_has_no_problems():
    assert sem._improper(**_improper_inputs()) == []


@pytest.mark.parametrize(
    "over, expected",
    [
        ({"theta": pd.DataFrame(np.diag([-0.1, 0.4]), index=["a1", "b1"], columns=["a1", "b1"])}, "negative error variance for a1 (Heywood case)"),
        ({"loadings": pd.DataFrame({"indicator": ["a1", "b1"], "estimate": [1.04, 0.85]})}, "standardised loading above 1 for a1"),
        ({"latent_cov": pd.DataFrame([[1.0, 1.0], [1.0, 1.0]], index=["A", "B"], columns=["A", "B"])},
         "covariance matrix of the constructs is not positive definite"),
        ({"sigma": np.array([[1.0, 1.2], [1.2, 1.0]])}, "covariance matrix of the observed variables is not positive definite"),
        ({"r2": pd.DataFrame({"construct": ["B"], "r_squared": [-18.9]})}, "R² of B = -18.9 lies outside [0, 1]"),
        ({"disturbance": {"B": -0.2}}, "negative disturbance variance of B"),
        ({"paths": pd.DataFrame({"source": ["A"], "target": ["B"], "estimate": [2829.06], "std_error": [np.nan]})},
         "standardised path(s) outside [-1, 1]: A -> B = 2.83e+03"),
        ({"correlations": pd.DataFrame({"construct_a": ["A"], "construct_b": ["B"], "estimate": [1.2]})}, "construct correlation(s) outside [-1, 1]"),
        ({"cov_x": np.full((3, 3), np.nan)}, "information matrix could not be inverted"),
        ({"cov_x": np.diag([0.01, -1e-9, 0.01])}, "non-positive variances"),
        ({"paths": pd.DataFrame({"source": ["A"], "target": ["B"], "estimate": [0.5], "std_error": [np.nan]})}, "no valid standard error for the path(s) A -> B"),
    ],
)
def test_each_kind_of_inadmissible_solution_is_named(over, expected):
    problems = sem._improper(**_improper_inputs(**over))
    assert any(expected in p for p in problems), problems


def test_a_solution_the_first_optimiser_leaves_inadmissible_is_refitted_and_says_so(monkeypatch, corp_rep_na):
    # SLSQP cut off after two iterations cannot converge; the fit must not be reported as it is:
    # the second optimiser's admissible solution is, with a note, and equals the normal fit
    real = sem._semopy_fit
    normal = sem.fit_sem(corp_rep_na, CORP_REP, controls=["servicetype"])

    def crippled(text, frame, solver="SLSQP"):
        if solver != "SLSQP":
            return real(text, frame, solver=solver)
        semopy = sem.require("semopy", "test")
        with sem._quiet_semopy():
            model = semopy.Model(text)
            model.fit(frame, obj="MLW", solver="SLSQP", options={"maxiter": 2})
        fitted = real(text, frame, solver=solver)
        return sem._Fitted(x=np.array(model.param_vals, dtype=float), cov_x=fitted.cov_x, matrices=fitted.matrices, observed=fitted.observed,
                           inner=fitted.inner, latent=fitted.latent, converged=False, message="Iteration limit reached")  # fmt: skip

    monkeypatch.setattr(sem, "_semopy_fit", crippled)
    res = sem.fit_sem(corp_rep_na, CORP_REP, controls=["servicetype"])
    assert res.status == "ok" and res.proper
    assert any("SLSQP stopped at an inadmissible point" in m and "L-BFGS-B" in m for m in res.messages)
    assert np.allclose(res.paths.estimate, normal.paths.estimate, atol=1e-3)


def test_when_no_optimiser_finds_an_admissible_solution_the_result_says_not_converged(monkeypatch, corp_rep_na):
    real = sem._semopy_fit

    def never(text, frame, solver="SLSQP"):
        fitted = real(text, frame, solver=solver)
        return sem._Fitted(x=fitted.x, cov_x=fitted.cov_x, matrices=fitted.matrices, observed=fitted.observed, inner=fitted.inner,
                           latent=fitted.latent, converged=False, message="Iteration limit reached")  # fmt: skip

    monkeypatch.setattr(sem, "_semopy_fit", never)
    with pytest.warns(sem.ConvergenceWarning, match="did not converge"):
        res = sem.fit_sem(corp_rep_na, CORP_REP, controls=["servicetype"])
    assert res.status == "not_converged" and not res.proper
    assert any("found no admissible solution either" in m for m in res.messages)


def test_the_estimators_table_shows_no_cbsem_number_for_an_inadmissible_solution():
    from leanlearn.report.tables import estimators_table

    cmp = pd.DataFrame({"source": ["COMP"], "target": ["CUSA"], "pls": [0.12], "plsc": [0.01], "cbsem": [2829.06], "cbsem_p_value": [np.nan]})
    ok = estimators_table(cmp)
    assert "2829" in ok.rows[0][3]
    bad = estimators_table(cmp, pd.DataFrame({"status": ["improper"], "problems": ["R² of CUSA = -18.9 lies outside [0, 1]"]}))
    assert bad.rows[0][3] == "improper" and bad.rows[0][4] == "—" and "2829" not in " ".join(bad.rows[0])
    assert "not interpreted" in bad.note and "R² of CUSA = -18.9" in bad.note
