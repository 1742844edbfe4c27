"""Tests of leanlearn.robustness.groups (MICOM and permutation MGA) and the ``leanlearn groups`` verb.

Claims: the permutation p-value formula on a hand-worked example; groups drawn from one
population show no invariance violation and no significant path difference; a path that
differs between two populations is detected; an item with a near-zero loading in one
group breaks compositional invariance of its construct only; with three groups the
p-values are Holm-adjusted over the pairs; the moderated-mediation parameters are
compared; results are seeded; countries map to clusters and the per-country
infeasibility is stated.
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
    country_feasibility,
    feasibility_note,
    permutation_p_value,
    region_clusters,
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
    assert mga.loc["X -> Y", "perm_lower"] < 0 < mga.loc["X -> Y", "perm_upper"]


def test_an_item_with_near_zero_loading_in_one_group_breaks_compositional_invariance():
    data = two_groups(draw(200, 7), draw(200, 8, loadings={"x1": 0.05}))
    out = compare_groups(data, SMALL, groups="g", permutations=300, seed=9)
    comp = out.compositional.set_index("construct")
    assert not comp.loc["X", "invariant"] and comp.loc["X", "c"] < comp.loc["X", "critical_value"]
    assert comp.loc["W", "invariant"] and comp.loc["Y", "invariant"]
    inv = out.invariance.set_index("construct")
    assert inv.loc["X", "invariance"] == "none" and not inv.loc["X", "mga_permitted"]


def test_three_groups_are_compared_pairwise_with_holm_adjustment():
    data = pd.concat([draw(120, 10).assign(g="A"), draw(120, 11).assign(g="B"), draw(120, 12, beta=(0.0, 0.3)).assign(g="C")], ignore_index=True)
    out = compare_groups(data, SMALL, groups="g", permutations=200, seed=13)
    pairs = set(zip(out.mga.group_a, out.mga.group_b))
    assert pairs == {("A", "B"), ("A", "C"), ("B", "C")}
    for _, g in out.mga.groupby(["family", "parameter"]):
        np.testing.assert_allclose(g["p_adjusted"], multipletests(g["p_value"], method="holm")[1])
    for _, g in out.compositional.groupby("construct"):
        np.testing.assert_allclose(g["p_adjusted"], multipletests(g["p_value"], method="holm")[1])
    assert (out.mga["p_adjusted"] >= out.mga["p_value"]).all()
    none = compare_groups(data, SMALL, groups="g", permutations=200, seed=13, p_adjust="none")
    np.testing.assert_allclose(none.mga["p_adjusted"], none.mga["p_value"])
    assert "adjusted over pairs with holm" in out.notes


def test_moderated_mediation_parameters_are_compared():
    data = pd.concat([draw_items(150, seed=1).assign(g="A"), draw_items(150, seed=2).assign(g="B")], ignore_index=True)
    out = compare_groups(data, DEFAULT_MODEL, groups="g", permutations=40, seed=1)
    fam = out.mga.groupby("family")["parameter"].apply(list).to_dict()
    assert fam["index_moderated_mediation"] == ["LP -> LS -> OP | DIG"]
    assert fam["conditional_indirect_effect"] == [f"LP -> LS -> OP | DIG = {w} SD" for w in ("-1", "0", "+1")]
    assert "LP -> LS -> OP" in fam["indirect_effect"]
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
        ({"Asia": "India", "B": ["X"]}, "list of countries"),
        ({"Asia": ["India"]}, "at least two"),
        (["India"], "mapping"),
    ],
)
def test_region_clusters_are_validated(bad, message):
    with pytest.raises(SpecError, match=message):
        region_clusters(bad)


def test_country_feasibility_states_why_countries_are_clustered():
    countries = ["India"] * 24 + ["Brazil"] * 17 + ["Mexico"] * 17
    tab = country_feasibility(countries, assign_groups(pd.Series(countries), CLUSTERS))
    assert tab.loc[tab.country == "Brazil", "minimum_detectable_beta_one_tailed"].iloc[0] == pytest.approx(0.603, abs=1e-3)
    note = feasibility_note(tab)
    assert "Per-country analysis is infeasible" in note and "0.60" in note


def test_cli_groups_writes_micom_and_mga_tables(tmp_path):
    countries = ["India"] * 70 + ["China"] * 60 + ["Brazil"] * 65 + ["Mexico"] * 55
    data = draw(len(countries), 20)
    data["country"] = np.random.default_rng(0).permutation(countries)
    data.to_csv(tmp_path / "data.csv", index=False)
    (tmp_path / "model.lav").write_text(SMALL)
    # country dummies as controls would be constant within a cluster: the verb leaves them out
    cfg = {"seed": 4, "controls": {"variables": ["country"], "categorical": ["country"]}, "robustness": {"micom_permutations": 50, "region_clusters": CLUSTERS}}
    (tmp_path / "cfg.yaml").write_text(json.dumps(cfg))
    out = tmp_path / "groups"
    rc = main(["groups", str(tmp_path / "data.csv"), str(tmp_path / "model.lav"), "--out", str(out), "--config", str(tmp_path / "cfg.yaml")])
    assert rc == 0
    for name in ("group_sizes", "country_sizes", "micom_configural", "micom_compositional", "micom_means_variances", "micom_summary", "mga", "permutation_status"):
        assert (out / f"{name}.csv").exists(), name
    sizes = pd.read_csv(out / "group_sizes.csv")
    assert sizes["group"].tolist() == ["Asia", "Latin America"] and sizes["n"].tolist() == [130, 120]
    assert pd.read_csv(out / "permutation_status.csv")["permutations"].iloc[0] == 50
    assert "Per-country analysis is infeasible" in (out / "notes.txt").read_text()
    rec = json.loads((out / "settings.json").read_text())
    assert rec["controls"]["variables"] == [] and rec["clusters"] == CLUSTERS
    # a country outside every cluster stops the run with a clear message
    data.loc[0, "country"] = "Turkey"
    data.to_csv(tmp_path / "data2.csv", index=False)
    rc = main(["groups", str(tmp_path / "data2.csv"), str(tmp_path / "model.lav"), "--out", str(tmp_path / "g2"), "--config", str(tmp_path / "cfg.yaml")])
    assert rc == 2
