"""Tests of leanlearn.robustness.groups (MICOM and permutation MGA) and the ``leanlearn groups`` verb.

Claims: the permutation p-value formula on a hand-worked example; groups drawn from one
population show no invariance violation and no significant path difference; a path that
differs between two populations is detected; an item with a near-zero loading in one
group breaks compositional invariance of its construct only; with three groups the MGA
p-values are adjusted across the whole family (parameters x pairs) and MICOM's are not;
under shuffled group labels the false-positive rates of MGA and MICOM are at the nominal
level within Monte Carlo error; redundant quantities are tested once; the moderated-
mediation parameters are compared; results are seeded; groups come from any categorical
column, levels map to clusters and the per-level infeasibility is stated; without a
grouping the verb skips with a note.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

from leanlearn.cli import main
from leanlearn.errors import DataError, SpecError
from leanlearn.robustness.groups import (
    assign_groups,
    compare_groups,
    level_feasibility,
    feasibility_note,
    permutation_p_value,
    level_clusters,
)
from leanlearn.robustness.power import DEFAULT_MODEL
from leanlearn.datasets.simulate import draw_items

SMALL = """
X =~ x1 + x2 + x3
W =~ w1 + w2 + w3
Y =~ y1 + y2 + y3
Y ~ X + W
"""


def draw(n: int, seed: int, *, beta=(0.4, 0.3), loadings=None) -> pd.DataFrame:
    """X, W -> Y with three reflective items each (standardised latent variables)."""
    rng = np.random.default_rng(seed)
    lam = {f"{c}{i}": 0.85 for c in "xwy" for i in (1, 2, 3)} | dict(loadings or {})
    x = rng.standard_normal(n)
    w = 0.3 * x + np.sqrt(1 - 0.09) * rng.standard_normal(n)
    explained = beta[0] ** 2 + beta[1] ** 2 + 2 * 0.3 * beta[0] * beta[1]
    y = beta[0] * x + beta[1] * w + np.sqrt(1 - explained) * rng.standard_normal(n)
    eta = {"x": x, "w": w, "y": y}
    return pd.DataFrame({k: v * eta[k[0]] + np.sqrt(1 - v**2) * rng.standard_normal(n) for k, v in lam.items()})


def two_groups(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([a.assign(g="A"), b.assign(g="B")], ignore_index=True)


# ---- the permutation p-value -------------------------------------------------------------------
def test_permutation_p_value_on_a_hand_example():
    draws = np.array([-3.0, -1.0, 0.5, 1.0, 2.0, 2.5])
    # two-sided: |d*| >= 2 for -3, 2, 2.5 -> (1 + 3) / (1 + 6)
    assert permutation_p_value(2.0, draws) == pytest.approx(4 / 7)
    # lower tail (MICOM c): d* <= 0.5 for -3, -1, 0.5 -> (1 + 3) / 7
    assert permutation_p_value(0.5, draws, alternative="less") == pytest.approx(4 / 7)
    # upper tail: d* >= 2.6 for none -> 1 / 7, the smallest possible p
    assert permutation_p_value(2.6, draws, alternative="greater") == pytest.approx(1 / 7)
    # columns are separate statistics; NaN draws (failed permutations) are ignored
    d2 = np.column_stack([draws, [np.nan, 0.1, 0.2, -0.3, 0.4, 5.0]])
    np.testing.assert_allclose(permutation_p_value([2.0, 0.35], d2), [4 / 7, 3 / 6])


# ---- MICOM and MGA on simulated groups ----------------------------------------------------------
def test_groups_from_one_population_are_invariant_and_not_different():
    data = two_groups(draw(200, 1), draw(200, 2))
    out = compare_groups(data, SMALL, groups="g", permutations=300, seed=3)
    assert out.compositional["invariant"].all()
    assert out.means_variances["equal"].all()
    assert (out.invariance["invariance"] == "full").all()
    paths = out.mga[out.mga.family == "path"]
    assert (paths["p_value"] > 0.05).all()
    assert not out.mga["significant"].any()
    assert (out.status["valid"] == 300).all()
    assert out.configural["met"].all()
    # observed c lies within [-1, 1] and close to 1
    assert (out.compositional["c"] > 0.95).all() and (out.compositional["c"] <= 1 + 1e-12).all()


def test_a_path_that_differs_between_populations_is_detected():
    data = two_groups(draw(200, 4, beta=(0.6, 0.3)), draw(200, 5, beta=(0.0, 0.3)))
    out = compare_groups(data, SMALL, groups="g", permutations=300, seed=6)
    mga = out.mga.set_index("parameter")
    assert mga.loc["X -> Y", "significant"] and mga.loc["X -> Y", "p_value"] < 0.01
    assert mga.loc["X -> Y", "difference"] == pytest.approx(0.6, abs=0.2)
    assert not mga.loc["W -> Y", "significant"]
    assert mga.loc["X -> Y", "permutation_lower"] < 0 < mga.loc["X -> Y", "permutation_upper"]


def test_an_item_with_near_zero_loading_in_one_group_breaks_compositional_invariance():
    data = two_groups(draw(200, 7), draw(200, 8, loadings={"x1": 0.05}))
    out = compare_groups(data, SMALL, groups="g", permutations=300, seed=9)
    comp = out.compositional.set_index("construct")
    assert not comp.loc["X", "invariant"] and comp.loc["X", "c"] < comp.loc["X", "critical_value"]
    assert comp.loc["W", "invariant"] and comp.loc["Y", "invariant"]
    inv = out.invariance.set_index("construct")
    assert inv.loc["X", "invariance"] == "none" and not inv.loc["X", "mga_permitted"]


def test_three_groups_are_adjusted_across_the_whole_family_and_micom_is_not():
    data = pd.concat([draw(120, 10).assign(g="A"), draw(120, 11).assign(g="B"), draw(120, 12, beta=(0.0, 0.3)).assign(g="C")], ignore_index=True)
    out = compare_groups(data, SMALL, groups="g", permutations=200, seed=13)
    pairs = set(zip(out.mga.group_a, out.mga.group_b))
    assert pairs == {("A", "B"), ("A", "C"), ("B", "C")}
    # one family: 2 paths x 3 pairs, Holm across all six p-values
    assert out.family_size == 6 and (out.mga["family_size"] == 6).all()
    np.testing.assert_allclose(out.mga["p_adjusted"], multipletests(out.mga["p_value"], method="holm")[1])
    assert (out.mga["p_adjusted"] >= out.mga["p_value"]).all()
    assert (out.mga["significant"] == (out.mga["p_adjusted"] < 0.05)).all()
    assert "2 parameter(s) (path) x 3 pair(s) of groups = 6 tests" in out.notes and "holm" in out.notes
    # MICOM: raw p-values, decisions on the permutation quantiles, no adjusted column
    assert "p_adjusted" not in out.compositional and "p_adjusted" not in out.means_variances
    assert (out.compositional["invariant"] == (out.compositional["c"] >= out.compositional["critical_value"])).all()
    mv = out.means_variances
    assert (mv["equal"] == ((mv["estimate"] >= mv["permutation_lower"]) & (mv["estimate"] <= mv["permutation_upper"]))).all()
    none = compare_groups(data, SMALL, groups="g", permutations=200, seed=13, p_adjust="none")
    np.testing.assert_allclose(none.mga["p_adjusted"], none.mga["p_value"])
    bh = compare_groups(data, SMALL, groups="g", permutations=200, seed=13, p_adjust="fdr_bh")
    np.testing.assert_allclose(bh.mga["p_adjusted"], multipletests(bh.mga["p_value"], method="fdr_bh")[1])
    assert "fdr_bh (false discovery rate)" in bh.notes


def test_own_holm_and_bh_adjustments_equal_statsmodels():
    from leanlearn.robustness.groups import _adjust

    rng = np.random.default_rng(1)
    for _ in range(12):  # statsmodels' multipletests is slow (it calls gc.collect)
        p = rng.random(int(rng.integers(1, 30))) ** 3
        p[-1] = p[0]  # ties
        for method in ("holm", "fdr_bh", "bonferroni", "hommel"):
            np.testing.assert_allclose(_adjust(p, method), multipletests(p, method=method)[1], rtol=0, atol=1e-15)
    q = _adjust(np.array([0.01, np.nan, 0.04]), "holm")  # NaN is not a member of the family
    assert np.isnan(q[1]) and q[0] == pytest.approx(0.02) and q[2] == pytest.approx(0.04)


# ---- false-positive rates under shuffled group labels -------------------------------------------
MEDIATION = """
X =~ x1 + x2 + x3
M =~ m1 + m2 + m3
Y =~ y1 + y2 + y3
M ~ X
Y ~ X + M
"""
NULL_RUNS = 100
NULL_PERMUTATIONS = 249  # smallest p = 1/250 = 0.004 < alpha / family size = 0.05 / 12
# Monte Carlo error of a rejection rate estimated from R independent null runs at the
# nominal alpha = 0.05: SD = sqrt(0.05 * 0.95 / R) = 0.0218 at R = 100; the bounds below are
# 3 SD. Rates pooled over the tests of one run have at most this variance (an average of
# correlated Bernoulli indicators), so the bound is conservative for them.
MC_BOUND = 3 * np.sqrt(0.05 * 0.95 / NULL_RUNS)


def _null_data(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 75
    x = rng.standard_normal(n)
    m = 0.5 * x + np.sqrt(0.75) * rng.standard_normal(n)
    y = 0.3 * x + 0.4 * m + np.sqrt(1 - 0.09 - 0.16 - 2 * 0.3 * 0.4 * 0.5) * rng.standard_normal(n)
    cols = {f"{c}{i}": 0.8 * eta + 0.6 * rng.standard_normal(n) for c, eta in (("x", x), ("m", m), ("y", y)) for i in (1, 2, 3)}
    return pd.DataFrame(cols).assign(g=rng.permutation(np.repeat(["A", "B", "C"], n // 3)))


@pytest.fixture(scope="module")
def null_runs():
    runs = [compare_groups(_null_data(1000 + r), MEDIATION, groups="g", permutations=NULL_PERMUTATIONS, seed=r) for r in range(NULL_RUNS)]
    assert all(r.family_size == 12 for r in runs)  # 3 paths + 1 indirect effect, x 3 pairs
    return runs


@pytest.mark.slow
def test_mga_family_wise_error_under_shuffled_labels_is_at_most_alpha(null_runs):
    any_adjusted = np.mean([r.mga["significant"].any() for r in null_runs])
    any_raw = np.mean([(r.mga["p_value"] < 0.05).any() for r in null_runs])
    per_test = np.mean([(r.mga["p_value"] < 0.05).mean() for r in null_runs])
    assert any_adjusted <= 0.05 + MC_BOUND  # Holm across the family controls the family-wise rate
    assert abs(per_test - 0.05) <= MC_BOUND  # the permutation p-values are calibrated, not just conservative
    assert any_raw > 0.05 + MC_BOUND  # without the family adjustment the family-wise rate is inflated


@pytest.mark.slow
def test_micom_false_positive_rates_under_shuffled_labels_are_at_alpha(null_runs):
    step2 = np.mean([(~r.compositional["invariant"]).mean() for r in null_runs])
    mv = [r.means_variances for r in null_runs]
    means = np.mean([(~m.loc[m.statistic == "mean_difference", "equal"]).mean() for m in mv])
    variances = np.mean([(~m.loc[m.statistic == "log_variance_ratio", "equal"]).mean() for m in mv])
    for rate in (step2, means, variances):
        assert abs(rate - 0.05) <= MC_BOUND, (step2, means, variances)


def test_mga_family_can_be_narrowed_in_advance_and_unknown_families_are_refused():
    data = pd.concat([draw_items(120, seed=3).assign(g="A"), draw_items(120, seed=4).assign(g="B")], ignore_index=True)
    paths = compare_groups(data, DEFAULT_MODEL, groups="g", permutations=30, seed=1, parameters="paths")
    assert set(paths.mga["family"]) == {"path"} and paths.family_size == len(paths.mga)
    allp = compare_groups(data, DEFAULT_MODEL, groups="g", permutations=30, seed=1)
    assert allp.family_size > paths.family_size
    with pytest.raises(ValueError, match="unknown famil"):
        compare_groups(data, DEFAULT_MODEL, groups="g", permutations=30, seed=1, parameters=["slopes"])


def test_detectable_differences_by_hand():
    from leanlearn.robustness.groups import detectable_differences

    d = detectable_differences(100, 100)
    k = 1.959964 + 0.841621
    assert d["mean_difference"] == pytest.approx(k * np.sqrt(0.02), abs=1e-5)  # 0.396
    assert d["log_variance_ratio"] == pytest.approx(k * np.sqrt(4 / 99), abs=1e-5)
    assert d["path_difference"] == pytest.approx(k * np.sqrt(2 / 97), abs=1e-5)


def test_micom_statements_say_no_evidence_against_and_name_the_group_sizes():
    data = two_groups(draw(200, 7), draw(150, 8, loadings={"x1": 0.05}))
    out = compare_groups(data, SMALL, groups="g", permutations=200, seed=9)
    inv = out.invariance.set_index("construct")
    assert inv.loc["X", "statement"].startswith("evidence against compositional invariance")
    assert (inv[["n_a", "n_b"]].to_numpy() == [200, 150]).all()
    ok = inv[inv.invariance == "full"]
    assert len(ok) and all(s.startswith("no evidence against full invariance (n = 200 and 150)") for s in ok["statement"])
    assert "Approximate power" in out.notes and "no evidence against invariance, not evidence for it" in out.notes


def test_moderated_mediation_parameters_are_compared():
    data = pd.concat([draw_items(150, seed=1).assign(g="A"), draw_items(150, seed=2).assign(g="B")], ignore_index=True)
    out = compare_groups(data, DEFAULT_MODEL, groups="g", permutations=40, seed=1)
    fam = out.mga.groupby("family")["parameter"].apply(list).to_dict()
    assert fam["index_moderated_mediation"] == ["LP -> LS -> OP | DIG"]
    # at the moderator's mean the conditional indirect effect is a1 * b, the indirect effect: tested once
    assert fam["conditional_indirect_effect"] == [f"LP -> LS -> OP | DIG = {w} SD" for w in ("-1", "+1")]
    assert "LP -> LS -> OP" in fam["indirect_effect"]
    assert ("LP -> LS -> OP | DIG = 0 SD", "LP -> LS -> OP") in out.redundant
    assert "LP -> LS -> OP | DIG = 0 SD equals LP -> LS -> OP" in out.notes
    row = out.mga.set_index("parameter").loc["LP -> LS -> OP | DIG"]
    paths = out.mga[out.mga.family == "path"].set_index("parameter")
    expect_a = paths.loc["LP:DIG -> LS", "estimate_a"] * paths.loc["LS -> OP", "estimate_a"]
    assert row["estimate_a"] == pytest.approx(expect_a)
    # interaction terms are not composites: MICOM covers the four measured constructs
    assert set(out.compositional["construct"]) == {"LP", "DIG", "LS", "OP"}


def test_custom_functions_of_the_path_matrix_are_compared():
    data = two_groups(draw(150, 14), draw(150, 15))
    out = compare_groups(data, SMALL, groups="g", permutations=50, seed=1, functions={"X minus W": lambda P: P[..., 0, 2] - P[..., 1, 2]})
    row = out.mga[out.mga.family == "custom"].iloc[0]
    p = out.mga[out.mga.family == "path"].set_index("parameter")
    assert row["estimate_a"] == pytest.approx(p.loc["X -> Y", "estimate_a"] - p.loc["W -> Y", "estimate_a"])


def test_same_seed_same_results_and_group_order():
    data = two_groups(draw(120, 16), draw(120, 17))
    a = compare_groups(data, SMALL, groups="g", permutations=60, seed=2)
    b = compare_groups(data, SMALL, groups="g", permutations=60, seed=2)
    pd.testing.assert_frame_equal(a.mga, b.mga)
    pd.testing.assert_frame_equal(a.compositional, b.compositional)
    c = compare_groups(data, SMALL, groups="g", permutations=60, seed=2, group_order=["B", "A"])
    assert (c.mga["group_a"] == "B").all()
    np.testing.assert_allclose(c.mga["difference"], -a.mga["difference"])


def test_small_groups_and_single_group_are_refused():
    data = two_groups(draw(100, 18), draw(5, 19))
    with pytest.raises(DataError, match="too small"):
        compare_groups(data, SMALL, groups="g", permutations=20)
    with pytest.raises(DataError, match="at least two groups"):
        compare_groups(draw(50, 1).assign(g="A"), SMALL, groups="g", permutations=20)


# ---- countries and clusters -----------------------------------------------------------------------
CLUSTERS = {"Asia": ["India", "China"], "Latin America": ["Brazil", "Mexico"]}


def test_assign_groups_maps_countries_to_clusters():
    s = pd.Series(["India", "Brazil", None, "China"])
    g = assign_groups(s, CLUSTERS)
    assert g.tolist()[:2] == ["Asia", "Latin America"] and pd.isna(g.iloc[2]) and g.iloc[3] == "Asia"
    with pytest.raises(DataError, match="Turkey"):
        assign_groups(pd.Series(["India", "Turkey"]), CLUSTERS)
    assert pd.isna(assign_groups(pd.Series(["India", "Turkey"]), CLUSTERS, unassigned="drop").iloc[1])


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"Asia": ["India"], "Other": ["India"]}, "both"),
        ({"Asia": "India", "B": ["X"]}, "list of levels"),
        ({"Asia": ["India"]}, "at least two"),
        (["India"], "mapping"),
    ],
)
def test_level_clusters_are_validated(bad, message):
    with pytest.raises(SpecError, match=message):
        level_clusters(bad)


def test_level_feasibility_states_why_levels_are_clustered():
    countries = ["India"] * 24 + ["Brazil"] * 17 + ["Mexico"] * 17
    tab = level_feasibility(countries, assign_groups(pd.Series(countries), CLUSTERS))
    assert tab.loc[tab.level == "Brazil", "minimum_detectable_beta_one_tailed"].iloc[0] == pytest.approx(0.603, abs=1e-3)
    note = feasibility_note(tab, column="country", unit="firms")
    assert "Per-level analysis of country is infeasible" in note and "0.60" in note and "firms" in note


@pytest.mark.parametrize(
    "value, expected",
    [
        (None, None),
        ("none", None),
        (False, None),
        ("gender", ("gender", None, "error")),
        ({"column": "country", "clusters": CLUSTERS, "unassigned": "drop"}, ("country", {k: tuple(v) for k, v in CLUSTERS.items()}, "drop")),
    ],
)
def test_group_settings_accept_a_column_clusters_or_none(value, expected):
    from leanlearn.robustness.groups import group_settings

    got = group_settings(value)
    assert (got if got is None else (got.column, got.clusters, got.unassigned)) == expected


@pytest.mark.parametrize(
    "value, message",
    [
        ({"column": "country", "cluster": {}}, r"robustness.groups: unknown key\(s\) cluster"),
        ({"clusters": CLUSTERS}, r"robustness.groups.column"),
        ({"column": "country", "unassigned": "keep"}, r"robustness.groups.unassigned"),
        ({"column": "country", "clusters": {"A": ["x"]}}, r"robustness.groups.clusters: at least two"),
        (3, r"robustness.groups: expected a mapping"),
    ],
)
def test_group_settings_errors_name_the_key(value, message):
    from leanlearn.robustness.groups import group_settings

    with pytest.raises(SpecError, match=message):
        group_settings(value)


def test_cli_groups_writes_micom_and_mga_tables(tmp_path):
    countries = ["India"] * 70 + ["China"] * 60 + ["Brazil"] * 65 + ["Mexico"] * 55
    data = draw(len(countries), 20)
    data["country"] = np.random.default_rng(0).permutation(countries)
    data.to_csv(tmp_path / "data.csv", index=False)
    (tmp_path / "model.lav").write_text(SMALL)
    # country dummies as controls would be constant within a cluster: the verb leaves them out
    cfg = {"seed": 4, "controls": {"variables": ["country"], "categorical": ["country"]}, "robustness": {"micom_permutations": 50, "groups": {"column": "country", "clusters": CLUSTERS}}}
    (tmp_path / "cfg.yaml").write_text(json.dumps(cfg))
    out = tmp_path / "groups"
    rc = main(["groups", str(tmp_path / "data.csv"), str(tmp_path / "model.lav"), "--out", str(out), "--config", str(tmp_path / "cfg.yaml")])
    assert rc == 0
    for name in ("group_sizes", "level_sizes", "micom_configural", "micom_compositional", "micom_means_variances", "micom_summary", "mga", "permutation_status"):
        assert (out / f"{name}.csv").exists(), name
    sizes = pd.read_csv(out / "group_sizes.csv")
    assert sizes["group"].tolist() == ["Asia", "Latin America"] and sizes["n"].tolist() == [130, 120]
    assert pd.read_csv(out / "permutation_status.csv")["n_permutations"].iloc[0] == 50
    assert "Per-level analysis of country is infeasible" in (out / "notes.txt").read_text()
    rec = json.loads((out / "settings.json").read_text())
    assert rec["controls"]["variables"] == [] and rec["clusters"] == CLUSTERS
    assert rec["p_adjust"] == "holm"
    assert rec["mga_family_size"] == len(pd.read_csv(out / "mga.csv"))
    # a country outside every cluster stops the run with a clear message
    data.loc[0, "country"] = "Turkey"
    data.to_csv(tmp_path / "data2.csv", index=False)
    rc = main(["groups", str(tmp_path / "data2.csv"), str(tmp_path / "model.lav"), "--out", str(tmp_path / "g2"), "--config", str(tmp_path / "cfg.yaml")])
    assert rc == 2


def test_cli_groups_from_any_categorical_column_without_clusters(tmp_path):
    data = draw(180, 21)
    data["gender"] = np.random.default_rng(1).permutation(["female"] * 90 + ["male"] * 90)
    data.to_csv(tmp_path / "data.csv", index=False)
    (tmp_path / "model.lav").write_text(SMALL)
    cfg = {"seed": 4, "robustness": {"micom_permutations": 40, "groups": {"column": "gender"}, "mga_parameters": "paths", "mga_p_adjust": "fdr_bh"}}
    (tmp_path / "cfg.yaml").write_text(json.dumps(cfg))
    out = tmp_path / "groups"
    assert main(["groups", str(tmp_path / "data.csv"), str(tmp_path / "model.lav"), "--out", str(out), "--config", str(tmp_path / "cfg.yaml")]) == 0
    assert pd.read_csv(out / "group_sizes.csv")["group"].tolist() == ["female", "male"]
    mga = pd.read_csv(out / "mga.csv")
    assert set(mga["family"]) == {"path"} and (mga["family_size"] == 2).all()
    rec = json.loads((out / "settings.json").read_text())
    assert rec["group_column"] == "gender" and rec["p_adjust"] == "fdr_bh" and rec["mga_parameters"] == "paths"


def test_cli_without_groups_skips_with_a_note_and_empty_tables(tmp_path):
    data = draw(60, 22)
    data.to_csv(tmp_path / "data.csv", index=False)
    (tmp_path / "model.lav").write_text(SMALL)
    (tmp_path / "cfg.yaml").write_text(json.dumps({"seed": 1, "robustness": {"groups": None}}))
    out = tmp_path / "groups"
    assert main(["groups", str(tmp_path / "data.csv"), str(tmp_path / "model.lav"), "--out", str(out), "--config", str(tmp_path / "cfg.yaml")]) == 0
    from leanlearn.robustness.groups import OUTPUT_COLUMNS

    for name, cols in OUTPUT_COLUMNS.items():
        t = pd.read_csv(out / f"{name}.csv")
        assert list(t.columns) == cols and len(t) == 0
    assert "skipped: no grouping is configured" in (out / "notes.txt").read_text()


def test_cli_names_renamed_config_keys(tmp_path, capsys):
    data = draw(60, 23)
    data.to_csv(tmp_path / "data.csv", index=False)
    (tmp_path / "model.lav").write_text(SMALL)
    (tmp_path / "cfg.yaml").write_text(json.dumps({"seed": 1, "robustness": {"group_column": "country", "region_clusters": CLUSTERS}}))
    rc = main(["groups", str(tmp_path / "data.csv"), str(tmp_path / "model.lav"), "--out", str(tmp_path / "g"), "--config", str(tmp_path / "cfg.yaml")])
    assert rc == 2
    err = capsys.readouterr().err
    assert "robustness.region_clusters is now robustness.groups.clusters" in err and "robustness.groups.column" in err


@pytest.mark.parametrize("method", ["product_indicator", "orthogonal"])
def test_product_indicator_permutations_in_moment_form_equal_the_row_path(method, monkeypatch):
    from leanlearn.pls import moments
    from leanlearn.pls.engine import Settings

    data = pd.concat([draw_items(120, seed=3).assign(g="A"), draw_items(120, seed=4).assign(g="B")], ignore_index=True)
    data.loc[[5, 50, 170], "LP2"] = np.nan
    settings = Settings(interaction=method)
    fast = compare_groups(data, DEFAULT_MODEL, groups="g", permutations=12, seed=2, settings=settings)
    monkeypatch.setattr(moments, "product_form", lambda plan: False)  # every fit through the engine's rows
    rows = compare_groups(data, DEFAULT_MODEL, groups="g", permutations=12, seed=2, settings=settings)
    for name in ("mga", "compositional", "means_variances"):
        a, b = getattr(fast, name), getattr(rows, name)
        num = a.select_dtypes("number").columns
        np.testing.assert_allclose(a[num].to_numpy(float), b[num].to_numpy(float), atol=1e-10, rtol=0, err_msg=name)
        assert a.drop(columns=num).equals(b.drop(columns=num))
