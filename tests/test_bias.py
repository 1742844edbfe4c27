"""Bias diagnostics (leanlearn.bias.checks) against hand-worked examples, scipy, statsmodels and pingouin."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
import yaml
from scipy import stats

from leanlearn.bias import checks as bias
from leanlearn.spec.codebook import load_codebook
from leanlearn.errors import DataError, SpecError
from leanlearn.datasets.simulate import draw_items
from leanlearn.spec.model import parse_model

ROOT = Path(__file__).resolve().parents[1]
STUDY = (ROOT / "studies" / "lean" / "model.lav").read_text()


def _with_correlation(r: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """Data whose sample correlation matrix is exactly r (whitened draws re-coloured)."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, r.shape[0]))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False))).T
    return z @ np.linalg.cholesky(r).T


@pytest.fixture(scope="module")
def codebook():
    return load_codebook(yaml.safe_load((ROOT / "studies" / "lean" / "codebook.yaml").read_text()))


# ---- full-collinearity VIF -----------------------------------------------------------------------
def test_full_collinearity_vif_matches_statsmodels_variance_inflation_factor():
    from statsmodels.stats.outliers_influence import variance_inflation_factor

    rng = np.random.default_rng(1)
    x = rng.standard_normal((150, 4))
    x[:, 1] += 0.9 * x[:, 0]
    x[:, 3] += 0.5 * x[:, 1] - 0.4 * x[:, 2]
    scores = pd.DataFrame(x + 5, columns=["LP", "DIG", "LS", "OP"])
    got = bias.full_collinearity_vif(scores).set_index("construct")["vif"]
    design = np.column_stack([np.ones(len(x)), x])
    for k, c in enumerate(scores.columns, start=1):
        assert got[c] == pytest.approx(variance_inflation_factor(design, k, standardize=False), rel=1e-10)


def test_full_collinearity_vif_flags_constructs_above_the_threshold():
    rng = np.random.default_rng(2)
    a = rng.standard_normal(300)
    scores = pd.DataFrame({"A": a, "B": a + 0.3 * rng.standard_normal(300), "C": rng.standard_normal(300)})
    out = bias.full_collinearity_vif(scores, threshold=3.3).set_index("construct")
    assert out.loc["A", "exceeds"] and out.loc["B", "exceeds"] and not out.loc["C", "exceeds"]
    assert out.loc["A", "vif"] == pytest.approx(1 / (1 - out.loc["A", "r_squared"]))
    assert (out["threshold"] == 3.3).all()


# ---- marker variable -----------------------------------------------------------------------------
def test_lindell_whitney_adjustment_by_hand():
    # r_U = .40, r_M = .10, N = 100: r_A = .30 / .90 = 1/3; t = (1/3) / sqrt((1 - 1/9) / 97)
    r_a, t, p = bias.lindell_whitney(0.40, 0.10, 100)
    assert r_a == pytest.approx(1 / 3, abs=1e-15)
    t_hand = (1 / 3) / math.sqrt((8 / 9) / 97)
    assert t == pytest.approx(t_hand, rel=1e-12)
    assert p == pytest.approx(2 * stats.t.sf(t_hand, 97), rel=1e-12)


def _marker_scores(marker_r: list[float], n: int = 120) -> pd.DataFrame:
    r = np.array(
        [
            [1.0, 0.5, 0.3, marker_r[0]],
            [0.5, 1.0, 0.4, marker_r[1]],
            [0.3, 0.4, 1.0, marker_r[2]],
            [marker_r[0], marker_r[1], marker_r[2], 1.0],
        ]
    )
    return pd.DataFrame(_with_correlation(r, n), columns=["A", "B", "C", "MARK"])


def test_marker_correction_uses_the_smallest_positive_marker_correlation():
    scores = _marker_scores([0.12, -0.05, 0.08])
    out = bias.marker_correction(scores, marker="MARK")
    assert set(out["r_m"].round(12)) == {0.08}
    assert set(out["r_m_source"]) == {"C"}
    ab = out.set_index(["construct_a", "construct_b"]).loc[("A", "B")]
    assert ab["r_u"] == pytest.approx(0.5, abs=1e-12)
    assert ab["r_a"] == pytest.approx((0.5 - 0.08) / (1 - 0.08), abs=1e-12)
    assert ab["df"] == 117
    assert ab["t_value"] == pytest.approx(ab["r_a"] / math.sqrt((1 - ab["r_a"] ** 2) / 117), rel=1e-12)
    second = bias.marker_correction(scores, marker="MARK", rule="second_smallest")
    assert second["r_m"].iloc[0] == pytest.approx(0.12, abs=1e-12)
    assert len(out) == 3  # A-B, A-C, B-C


def test_marker_correction_without_positive_marker_correlations_does_not_correct():
    scores = _marker_scores([-0.1, -0.05, -0.2])
    out = bias.marker_correction(scores, marker="MARK")
    assert (out["r_m"] == 0).all()
    assert (out["r_a"] == out["r_u"]).all()
    assert out["note"].str.contains("no positive marker correlation").all()


def test_equal_weight_marker_score_is_standardised_mean_of_z_scores():
    df = pd.DataFrame({"m1": [1, 2, 3, 4, 5.0], "m2": [2, 2, 4, 4, 6.0]})
    s = bias.equal_weight_score(df, ["m1", "m2"])
    z = (df - df.mean()) / df.std()
    expect = z.mean(axis=1)
    expect = (expect - expect.mean()) / expect.std()
    assert np.allclose(s, expect)
    assert s.std() == pytest.approx(1.0)


# ---- Harman ----------------------------------------------------------------------------------------
def test_harman_principal_component_share_is_first_eigenvalue_over_p():
    # compound symmetry, rho = .3, p = 5: first eigenvalue 1 + 4 * .3 = 2.2, share .44
    p, rho = 5, 0.3
    r = np.full((p, p), rho)
    np.fill_diagonal(r, 1.0)
    items = pd.DataFrame(_with_correlation(r, 200), columns=[f"x{i}" for i in range(p)])
    out = bias.harman_single_factor(items).set_index("method")
    assert out.loc["principal_components", "first_eigenvalue"] == pytest.approx(2.2, abs=1e-10)
    assert out.loc["principal_components", "first_factor_share"] == pytest.approx(0.44, abs=1e-10)
    assert not out.loc["principal_components", "exceeds"]
    # one common factor with loadings sqrt(.3): principal axes give the common-factor share .3
    assert out.loc["principal_axis", "n_factors"] == 1
    assert out.loc["principal_axis", "first_factor_share"] == pytest.approx(0.3, abs=1e-6)
    assert (out["caveat"] == bias.HARMAN_CAVEAT).all()
    assert "weak evidence" in bias.HARMAN_CAVEAT and "Aguirre-Urreta & Hu 2019" in bias.HARMAN_CAVEAT


def test_principal_axis_factoring_recovers_the_loadings_of_a_one_factor_model():
    lam = np.array([0.9, 0.8, 0.7, 0.6, 0.5])
    r = np.outer(lam, lam)
    np.fill_diagonal(r, 1.0)
    loadings, converged = bias.principal_axis_factoring(r, 1, tol=1e-12, max_iter=20000)
    assert converged
    assert np.allclose(loadings[:, 0], lam, atol=1e-5)


def test_harman_flags_a_dominant_first_factor():
    p = 6
    r = np.full((p, p), 0.7)
    np.fill_diagonal(r, 1.0)
    items = pd.DataFrame(_with_correlation(r, 300, seed=3), columns=list("abcdef"))
    out = bias.harman_single_factor(items, threshold=0.5).set_index("method")
    assert out.loc["principal_components", "first_factor_share"] == pytest.approx((1 + 5 * 0.7) / 6)
    assert out["exceeds"].all()


# ---- non-response ----------------------------------------------------------------------------------
def test_nonresponse_bias_formula_by_hand():
    frame = pd.DataFrame(
        {
            "firm_id": [f"F{i}" for i in range(10)],
            "log_employees": [5.0, 6.0, 7.0, 8.0, 4.0, 5.0, 5.5, 6.5, 4.5, 5.0],
            "country": ["BR", "BR", "IN", "IN", "BR", "IN", "BR", "BR", "BR", "IN"],
        }
    )
    groups = bias.frame_groups(frame, ["F0", "F1", "F2", "F3"])
    out = bias.nonresponse_bias(frame, groups, continuous=["log_employees"], categorical=["country"])
    row = out.set_index(["variable", "level"]).loc[("log_employees", "")]
    y_r, y_nr = np.mean([5, 6, 7, 8]), np.mean([4, 5, 5.5, 6.5, 4.5, 5])
    assert row["nonresponse_share"] == pytest.approx(0.6)
    assert row["bias"] == pytest.approx(0.6 * (y_r - y_nr), abs=1e-12)
    assert row["bias"] == pytest.approx(y_r - frame["log_employees"].mean(), abs=1e-12)  # = ybar_r - Ybar
    br = out.set_index(["variable", "level"]).loc[("country", "BR")]
    assert br["mean_respondents"] == pytest.approx(0.5) and br["mean_nonrespondents"] == pytest.approx(4 / 6)
    assert br["bias"] == pytest.approx(0.6 * (0.5 - 4 / 6))


def test_frame_groups_refuse_respondents_missing_from_the_frame():
    frame = pd.DataFrame({"firm_id": ["F1", "F2"]})
    with pytest.raises(DataError, match="not in the frame"):
        bias.frame_groups(frame, ["F1", "F9"])
    prepared = bias.prepare_frame(pd.DataFrame({"firm_id": ["F1"], "employees": [100], "nace2": [2511]}))
    assert prepared.loc[0, "log_employees"] == pytest.approx(math.log(100))
    assert prepared.loc[0, "industry"] == "25"


def _two_groups(seed=4):
    rng = np.random.default_rng(seed)
    xa = rng.normal(5.0, 1.0, 60)
    xb = rng.normal(5.1, 1.3, 45)
    data = pd.DataFrame({"y": np.concatenate([xa, xb])})
    groups = pd.Series(["early"] * 60 + ["late"] * 45)
    return data, groups, xa, xb


def test_tost_agrees_with_pingouin_and_with_two_one_sided_welch_tests_by_hand():
    data, groups, xa, xb = _two_groups()
    out = bias.compare_groups(data, groups, continuous=["y"], margin_sd=0.5, seed=1).iloc[0]
    na, nb = len(xa), len(xb)
    sp = math.sqrt(((na - 1) * xa.var(ddof=1) + (nb - 1) * xb.var(ddof=1)) / (na + nb - 2))
    margin = 0.5 * sp
    assert out["tost_margin"] == pytest.approx(margin)
    # by hand: Welch SE and df, H0a: d <= -margin, H0b: d >= +margin
    va, vb = xa.var(ddof=1) / na, xb.var(ddof=1) / nb
    se = math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (na - 1) + vb**2 / (nb - 1))
    d = xb.mean() - xa.mean()
    p_hand = max(stats.t.sf((d + margin) / se, df), stats.t.cdf((d - margin) / se, df))
    assert out["tost_p_value"] == pytest.approx(p_hand, rel=1e-10)
    ref = pg.tost(xb, xa, bound=margin, correction=True)
    assert out["tost_p_value"] == pytest.approx(float(ref.iloc[0, -1]), rel=1e-10)
    assert out["equivalent"] == (p_hand < 0.05)


def test_welch_mann_whitney_and_hedges_g_match_their_formulas():
    data, groups, xa, xb = _two_groups(seed=7)
    out = bias.compare_groups(data, groups, continuous=["y"], ci_level=0.90).iloc[0]
    welch = stats.ttest_ind(xb, xa, equal_var=False)
    assert out["t_value"] == pytest.approx(welch.statistic) and out["t_p_value"] == pytest.approx(welch.pvalue)
    assert out["u_value"] == pytest.approx(stats.mannwhitneyu(xb, xa).statistic)
    na, nb = len(xa), len(xb)
    sp = math.sqrt(((na - 1) * xa.var(ddof=1) + (nb - 1) * xb.var(ddof=1)) / (na + nb - 2))
    j = 1 - 3 / (4 * (na + nb) - 9)
    g = j * (xb.mean() - xa.mean()) / sp
    assert out["hedges_g"] == pytest.approx(g, rel=1e-12)  # Hedges' approximate J, as pingouin
    se = math.sqrt((na + nb) / (na * nb) + g**2 / (2 * (na + nb)))
    crit = stats.t.ppf(0.95, na + nb - 2)
    assert out["g_ci_lower"] == pytest.approx(g - crit * se, rel=1e-12)
    assert out["g_ci_upper"] == pytest.approx(g + crit * se, rel=1e-12)
    assert out["difference"] == pytest.approx(xb.mean() - xa.mean())
    assert out["ci_level"] == 0.90


def test_categorical_comparison_gives_chi_square_cramers_v_and_a_permutation_p_value():
    data = pd.DataFrame({"country": ["BR"] * 30 + ["IN"] * 10 + ["BR"] * 10 + ["IN"] * 30})
    groups = pd.Series(["early"] * 40 + ["late"] * 40)
    out = bias.compare_groups(data, groups, categorical=["country"], permutations=999, seed=1).iloc[0]
    table = np.array([[30, 10], [10, 30]])
    ref = stats.chi2_contingency(table)
    assert out["chi2"] == pytest.approx(ref.statistic) and out["chi2_df"] == 1
    assert out["chi2_p_value"] == pytest.approx(ref.pvalue)
    raw = stats.chi2_contingency(table, correction=False).statistic
    assert out["cramers_v"] == pytest.approx(math.sqrt(raw / 80))
    assert out["chi2_p_value_permutation"] < 0.01
    assert out["min_expected"] == 20 and out["n_levels"] == 2
    assert np.isnan(out["t_value"])


def test_early_late_split_by_wave_and_by_submission_time_quartiles():
    times = pd.date_range("2023-03-01", periods=8, freq="D").astype(str)
    df = pd.DataFrame({"wave": [1, 1, 1, 1, 2, 2, 2, 3], "recorded": times})
    split = bias.early_late_split(df)
    assert split.method == "wave"
    assert list(split.groups.fillna("-")) == ["early"] * 4 + ["-"] * 3 + ["late"]
    by_time = bias.early_late_split(df.drop(columns="wave"), quantile=0.25)
    assert by_time.method == "quartile"
    # quantiles of 8 equally spaced days: q25 at day 2.75, q75 at day 6.25 (linear)
    assert list(by_time.groups.fillna("-")) == ["early"] * 2 + ["-"] * 4 + ["late"] * 2
    with pytest.raises(DataError, match="fewer than two waves"):
        bias.early_late_split(df.assign(wave=1), method="wave")


# ---- key informants, config, remedies ---------------------------------------------------------------
def test_key_informant_summary_counts_roles_and_informants_below_the_midpoint():
    df = pd.DataFrame(
        {
            "ki_role": [1, 2, 2, 4, np.nan],
            "ki_tenure_years": [3, 10, 5, 1, 8],
            "ki_knowledge": [7, 3, 4, 2, 6],
        }
    )
    out = bias.key_informant_summary(df, role_labels={1: "CEO", 2: "Plant manager", 3: "Quality", 4: "Other"})
    t = out.set_index(["variable", "statistic", "level"])["value"]
    assert t[("role", "count", "Plant manager")] == 2 and t[("role", "share", "Plant manager")] == pytest.approx(0.4)
    assert t[("role", "count", "missing")] == 1
    assert ("role", "count", "Quality") not in t.index
    assert t[("tenure_years", "mean", "")] == pytest.approx(5.4)
    assert t[("knowledge", "n_below_midpoint", "")] == 2  # 3 and 2 are below 4; 4 is not
    assert t[("knowledge", "share_below_midpoint", "")] == pytest.approx(0.4)


def test_bias_config_reads_defaults_and_rejects_bad_values():
    assert bias.bias_config(None) == bias.BiasConfig()
    cfg = bias.bias_config({"full_collinearity_vif_max": 5, "early_late": "quartile", "archival_variables": ["x"]})
    assert cfg.full_collinearity_vif_max == 5.0 and cfg.early_late == "quartile" and cfg.archival_variables == ("x",)
    assert bias.bias_config({"bias": {"tost_margin_sd": 0.2}}).tost_margin_sd == 0.2
    with pytest.raises(SpecError, match="bias.marker_rule"):
        bias.bias_config({"marker_rule": "largest"})
    with pytest.raises(SpecError, match="bias.vif_max"):
        bias.bias_config({"vif_max": 3})


def test_procedural_remedies_are_computed_from_the_codebook_and_model(codebook):
    df = draw_items(50, seed=1)
    df["firm_id"] = [f"F{i}" for i in range(50)]
    df["revenue_usd_th"] = 1.0
    out = bias.procedural_remedies(codebook, parse_model(STUDY), columns=df.columns, ids=df["firm_id"])
    t = out.set_index("remedy")["available"]
    assert t["marker_variable"] and t["reverse_keyed_items"] and t["archival_triangulation"]
    assert not t["archival_outcome"] and not t["separate_sources"] and not t["multiple_informants"]
    # an archival outcome measured outside the survey changes the verdict
    archival_model = STUDY.replace("OP  =~ OP1 + OP2 + OP3 + OP4 + OP5", "OP  =~ revenue_usd_th")
    out2 = bias.procedural_remedies(
        codebook, parse_model(archival_model), columns=df.drop(columns=["MARK1"]).columns, ids=["F1", "F1", "F2"]
    ).set_index("remedy")
    assert out2.loc["archival_outcome", "available"] and out2.loc["separate_sources", "available"]
    assert "LS -> OP" in out2.loc["separate_sources", "evidence"]
    assert not out2.loc["marker_variable", "available"]
    assert out2.loc["multiple_informants", "available"]
    no_fin = bias.procedural_remedies(codebook, parse_model(STUDY), columns=draw_items(5, seed=1).columns)
    assert not no_fin.set_index("remedy").loc["archival_triangulation", "available"]


# ---- CLI ---------------------------------------------------------------------------------------------
def _analysis_data(n: int = 160) -> pd.DataFrame:
    df = draw_items(n, seed=8)
    rng = np.random.default_rng(8)
    df.insert(0, "firm_id", [f"F{i:04d}" for i in range(n)])
    df["wave"] = np.where(np.arange(n) < n * 0.6, 1, 2)
    df["recorded"] = pd.date_range("2023-03-01", periods=n, freq="6h").astype(str)
    df["ki_role"] = rng.integers(1, 5, n)
    df["ki_tenure_years"] = rng.integers(1, 30, n)
    df["ki_knowledge"] = rng.integers(2, 8, n)
    df["industry"] = rng.choice(["10", "25", "28"], n)
    df["country"] = rng.choice(["BR", "IN", "MX"], n)
    df["revenue_usd_th"] = np.exp(rng.normal(9, 1, n))
    return df


def test_bias_verb_writes_every_table_with_and_without_a_frame(tmp_path):
    from leanlearn.cli import main

    df = _analysis_data()
    data = tmp_path / "analysis.csv"
    df.to_csv(data, index=False)
    n_frame = 400
    rng = np.random.default_rng(9)
    frame = pd.DataFrame(
        {
            "firm_id": [f"F{i:04d}" for i in range(n_frame)],
            "employees": np.round(np.exp(rng.normal(6, 1, n_frame))).astype(int),
            "nace2": rng.choice([10, 25, 28], n_frame),
            "country": rng.choice(["Brazil", "India"], n_frame),
        }
    )
    frame_path = tmp_path / "frame.csv"
    frame.to_csv(frame_path, index=False)
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"seed": 1, "bias": {"permutations": 200}}))
    args = ["bias", str(data), str(ROOT / "studies/lean/model.lav"), "--config", str(config),
            "--codebook", str(ROOT / "studies/lean/codebook.yaml")]  # fmt: skip
    out = tmp_path / "bias"
    assert main([*args, "--frame", str(frame_path), "--out", str(out)]) == 0
    expected = {
        "nonresponse_early_late.csv", "nonresponse_frame.csv", "nonresponse_bias.csv", "key_informants.csv",
        "full_collinearity_vif.csv", "marker_correction.csv", "harman.csv", "procedural_remedies.csv",
    }  # fmt: skip
    assert expected <= {p.name for p in out.iterdir()}
    el = pd.read_csv(out / "nonresponse_early_late.csv")
    assert set(el["variable"]) == {"LP", "DIG", "LS", "OP", "log_employees", "firm_age", "revenue_usd_th", "industry", "country"}
    assert el["split"].str.contains("wave").all()
    assert (el.loc[el.kind == "continuous", "n_a"] == 96).all()
    fr = pd.read_csv(out / "nonresponse_frame.csv")
    assert set(fr["variable"]) == {"log_employees", "industry", "country"}
    assert set(fr["group_b"]) == {"respondent"}
    mc = pd.read_csv(out / "marker_correction.csv")
    assert set(mc["marker"]) == {"MARK"} and len(mc) == 6
    vif = pd.read_csv(out / "full_collinearity_vif.csv")
    assert list(vif["construct"]) == ["LP", "DIG", "LS", "OP"]
    assert pd.read_csv(out / "harman.csv")["n_items"].eq(25).all()
    assert len(pd.read_csv(out / "marker_correlations.csv")) == 4 and len(pd.read_csv(out / "marker_paths.csv")) == 6
    mf = pd.read_csv(out / "method_factor.csv")
    assert list(mf.model) == ["baseline", "method_c", "method_u"] and set(mf.technique) == {"cfa_marker"}
    # no bias.triangulation in this config: nothing is triangulated, and the remedies table says so
    assert pd.read_csv(out / "archival_triangulation.csv").loc[0, "status"] == "not_possible"
    rem = pd.read_csv(out / "procedural_remedies.csv").set_index("remedy")
    assert not rem.loc["archival_triangulation", "available"] and "no triangulation done" in rem.loc["archival_triangulation", "evidence"]

    # no frame, no wave: the time quartiles are used; no time either: the table says why not
    df.drop(columns=["wave"]).to_csv(data, index=False)
    out2 = tmp_path / "bias_noframe"
    assert main([*args, "--out", str(out2)]) == 0
    nf = pd.read_csv(out2 / "nonresponse_frame.csv")
    assert list(nf.columns) == ["status", "reason"] and nf.loc[0, "status"] == "not_possible"
    el2 = pd.read_csv(out2 / "nonresponse_early_late.csv")
    assert el2["split"].str.contains("recorded").all()
    assert (el2.loc[el2.kind == "continuous", "n_a"] == 40).all()  # first quartile of 160 times
    df.drop(columns=["wave", "recorded"]).to_csv(data, index=False)
    out3 = tmp_path / "bias_notime"
    assert main([*args, "--out", str(out3)]) == 0
    assert pd.read_csv(out3 / "nonresponse_early_late.csv").loc[0, "status"] == "not_possible"


def test_bias_diagnostics_errors_start_with_the_file_they_concern(codebook):
    from leanlearn.bias.diagnostics import bias_diagnostics

    data = _analysis_data().drop(columns=["firm_id"])
    frame = pd.DataFrame({"firm_id": [f"F{i:04d}" for i in range(200)], "employees": 50, "nace2": 10, "country": "BR"})
    cfg = bias.bias_config({"permutations": 50})
    with pytest.raises(DataError, match=r"^survey\.csv: no 'firm_id' column to match respondents to the frame$"):
        bias_diagnostics(data, parse_model(STUDY), codebook, cfg, frame=frame, data_source="survey.csv", frame_source="frame.csv")
    bad_frame = frame.drop(columns=["firm_id"])
    with pytest.raises(DataError, match=r"^frame\.csv: "):
        bias_diagnostics(_analysis_data(), parse_model(STUDY), codebook, cfg, frame=bad_frame, data_source="survey.csv",
                         frame_source="frame.csv")


# ---- marker: every correlation, corrected paths ------------------------------------------------------
def test_marker_correlations_list_every_construct_and_mark_the_chosen_r_m():
    r = np.array([[1, 0.3, 0.1], [0.3, 1, 0.2], [0.1, 0.2, 1]])
    x = _with_correlation(np.block([[r, np.array([[0.05], [-0.1], [0.15]])], [np.array([[0.05, -0.1, 0.15, 1]])]]), 400)
    scores = pd.DataFrame(x, columns=["A", "B", "C", "M"])
    out = bias.marker_correlations(scores, marker="M").set_index("construct")
    assert list(out.index) == ["A", "B", "C"]
    assert out.r.tolist() == pytest.approx([0.05, -0.1, 0.15], abs=1e-12)
    assert out.chosen.tolist() == [True, False, False] and np.isnan(out.loc["B", "rank_positive"])
    second = bias.marker_correlations(scores, marker="M", rule="second_smallest").set_index("construct")
    assert second.chosen.tolist() == [False, False, True]
    assert bias.marker_correction(scores, marker="M")["r_m"].iloc[0] == pytest.approx(out.loc[out.chosen, "r"].iloc[0])


def test_marker_corrected_paths_are_ols_on_the_corrected_correlations_and_equal_pls_paths_at_r_m_zero():
    from leanlearn import estimate

    data = draw_items(300, seed=5)
    res = estimate(data, STUDY)
    spec = parse_model(STUDY)
    zero = bias.marker_corrected_paths(res.scores, spec, r_m=0.0, uncorrected=["LP:DIG"])
    pls = res.path_coefficients.set_index(["source", "target"])["estimate"]
    for row in zero.itertuples():
        assert row.estimate == pytest.approx(pls[(row.source, row.target)], abs=1e-10)
        assert row.corrected_estimate == pytest.approx(row.estimate, abs=1e-12)
    r_m = 0.1
    out = bias.marker_corrected_paths(res.scores, spec, r_m=r_m, uncorrected=["LP:DIG"]).set_index(["source", "target"])
    r = res.scores[["LP", "DIG", "LS", "OP"]].corr()
    ra = ((r - r_m) / (1 - r_m)).to_numpy().copy()
    np.fill_diagonal(ra, 1.0)
    beta = np.linalg.solve(ra[:3, :3], ra[:3, 3])  # LP, DIG, LS -> OP
    assert [out.loc[(p, "OP"), "corrected_estimate"] for p in ("LP", "DIG", "LS")] == pytest.approx(beta, abs=1e-10)
    assert out.loc[("LS", "OP"), "corrected_estimate"] < out.loc[("LS", "OP"), "estimate"]


# ---- latent method factor ----------------------------------------------------------------------------
BLOCKS = {
    "LP": [f"LP{i}" for i in range(1, 9)], "DIG": [f"DIG{i}" for i in range(1, 7)],
    "LS": [f"LS{i}" for i in range(1, 7)], "OP": [f"OP{i}" for i in range(1, 6)],
}  # fmt: skip


def test_method_factor_check_flags_a_planted_method_factor_and_not_its_absence():
    from dataclasses import replace

    from leanlearn.bias.common_method import method_factor_check
    from leanlearn.datasets.simulate import PopulationModel

    marker = ["MARK1", "MARK2", "MARK3"]
    planted = draw_items(500, replace(PopulationModel(), method_loading=0.3), seed=1)
    models, loadings = method_factor_check(planted, BLOCKS, marker_items=marker)
    d = models.set_index("model")
    assert bool(d.flagged.iloc[0]) and d.loc["method_u", "significant"]
    assert d.loc["method_c", "delta_df"] == 1 and d.loc["method_u", "delta_df"] == 25
    assert d.loc["method_u", "delta_p_value"] < 0.025
    assert set(loadings.model) == {"method_c", "method_u"} and len(loadings) == 50
    assert (loadings[loadings.model == "method_c"].method_loading > 0).all()
    clean = draw_items(500, seed=2, method_factor=False)
    models0, _ = method_factor_check(clean, BLOCKS, marker_items=marker)
    assert not bool(models0.flagged.iloc[0])
    assert (models0.delta_p_value.dropna() > 0.05).all()
    assert models0.method_variance_share.max() < models.method_variance_share.max()


def test_method_factor_baseline_is_the_cfa_of_the_substantive_constructs():
    from leanlearn.bias.common_method import method_factor_check
    from leanlearn.cbsem.sem import fit_cfa

    data = draw_items(300, seed=4)
    models, _ = method_factor_check(data, BLOCKS)  # ULMC: the baseline is the plain CFA
    base = models.set_index("model").loc["baseline"]
    fit = fit_cfa(data, STUDY).fit.iloc[0]  # the study's measurement model = BLOCKS
    assert base.df == int(fit["df"])
    assert base.chi2 == pytest.approx(float(fit["chi2"]), rel=1e-3)
    assert models.technique.eq("ulmc").all()
    with pytest.raises(DataError, match="fewer than two items"):
        method_factor_check(data, {"LP": ["LP1"]})


# ---- archival triangulation ----------------------------------------------------------------------------
def test_archival_triangulation_recovers_a_known_correlation_of_the_log_ratio():
    rng = np.random.default_rng(3)
    n = 2000
    op = rng.standard_normal(n)
    z = 0.4 * op + math.sqrt(1 - 0.16) * rng.standard_normal(n)
    employees = np.exp(rng.normal(6, 1, n))
    data = pd.DataFrame({"revenue": employees * np.exp(4 + 0.6 * z), "employees": employees})
    data.loc[:9, "revenue"] = np.nan
    pairs = bias.bias_config({"triangulation": [{"construct": "OP", "variable": "revenue", "per": "employees", "log": True}]}).triangulation
    out = bias.archival_triangulation(pd.DataFrame({"OP": op}), data, pairs).iloc[0]
    assert out.n == n - 10 and out.measure == "log(revenue/employees)"
    assert out.ci_lower < 0.4 < out.ci_upper and out.r == pytest.approx(0.4, abs=0.05)
    ok = data.revenue.notna()
    assert out.r == pytest.approx(stats.pearsonr(op[ok], np.log(data.revenue[ok] / data.employees[ok]))[0], abs=1e-12)
    with pytest.raises(SpecError, match=r"bias.triangulation\[0\].variable"):
        bias.bias_config({"triangulation": [{"construct": "OP"}]})
    with pytest.raises(DataError, match="no construct 'XX'"):
        bias.archival_triangulation(pd.DataFrame({"OP": op}), data, [bias.TriangulationSpec("XX", "revenue")])
