"""Simple slopes, conditional indirect effects and the index of moderated mediation equal
their formulas on the fitted paths, and recover the population values at large N."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from leanlearn import bootstrap, estimate
from leanlearn.effects import conditional as cond
from leanlearn.datasets.simulate import PopulationModel, draw_items

STUDY = open(__import__("conftest").ROOT / "studies" / "lean" / "model.lav").read()


@pytest.fixture(scope="module")
def small():
    df = draw_items(300, PopulationModel(), seed=4)
    res = estimate(df, STUDY)
    return res, bootstrap(res, resamples=400, seed=2)


def _p(res, s, t):
    return res.path(s, t)


def test_conditional_indirect_effect_is_a1_plus_a3_w_times_b(small):
    res, boot = small
    a1, a3, b = _p(res, "LP", "LS"), _p(res, "LP:DIG", "LS"), _p(res, "LS", "OP")
    allci = cond.conditional_indirect_effects(res, boot)
    # both terms of LP:DIG have a conditional indirect effect through LS (see the next test)
    assert list(allci.path.unique()) == ["LP -> LS -> OP", "DIG -> LS -> OP"] and list(allci.moderator.unique()) == ["DIG", "LP"]
    ci = allci[allci.path == "LP -> LS -> OP"].reset_index(drop=True)
    np.testing.assert_allclose(ci.estimate, [(a1 + a3 * w) * b for w in (-1, 0, 1)], atol=1e-12)
    # the bootstrap distribution is that of the same formula on every resample
    names = list(res.constructs)
    i, j, k, m = names.index("LP"), names.index("LS"), names.index("LP:DIG"), names.index("OP")
    draws = (boot.path_draws[:, i, j] + boot.path_draws[:, k, j]) * boot.path_draws[:, j, m]
    assert ci.std_error.iloc[2] == pytest.approx(draws.std(ddof=1), rel=1e-12)


def test_index_of_moderated_mediation_is_a3_times_b(small):
    res, boot = small
    mm = cond.moderated_mediation(res, boot)
    assert mm["index"].iloc[0] == pytest.approx(_p(res, "LP:DIG", "LS") * _p(res, "LS", "OP"), abs=1e-12)
    # omega(+1) - omega(-1) = 2 * index for first-stage moderation
    d = cond.conditional_indirect_differences(res, boot)
    row = d[(d.moderator_value_low == -1) & (d.moderator_value_high == 1)].iloc[0]
    assert row.estimate == pytest.approx(2 * mm["index"].iloc[0], abs=1e-12)


def test_simple_slopes_are_a1_plus_a3_w(small):
    res, boot = small
    ss = cond.simple_slopes(res, boot)
    a1, a3 = _p(res, "LP", "LS"), _p(res, "LP:DIG", "LS")
    np.testing.assert_allclose(ss.estimate, [a1 - a3, a1, a1 + a3], atol=1e-12)
    assert set(ss.columns) >= {"interaction", "focal", "moderator", "target", "moderator_value", "ci_lower", "ci_upper"}


def test_johnson_neyman_boundary_is_where_the_interval_crosses_zero():
    flood = pd.DataFrame(
        {
            "interaction": "X:W", "focal": "X", "moderator": "W", "target": "Y",
            "moderator_value": [-1.0, 0.0, 1.0, 2.0],
            "ci_lower": [-0.3, -0.1, 0.1, 0.3],
            "ci_upper": [0.2, 0.4, 0.6, 0.8],
        }
    )
    flood["significant"] = (flood.ci_lower > 0) | (flood.ci_upper < 0)
    jn = cond.johnson_neyman(flood)
    assert jn.boundary.tolist() == pytest.approx([0.5])
    assert jn.significant_from.iloc[0] == 1.0 and jn.significant_to.iloc[0] == 2.0
    assert jn.significant_share.iloc[0] == 0.5


def test_floodlight_flags_significance_from_the_percentile_interval(small):
    res, boot = small
    fl = cond.floodlight(res, boot, grid=(-2, 2, 0.5))
    assert len(fl) == 9
    assert ((fl.ci_lower > 0) | (fl.ci_upper < 0)).tolist() == fl.significant.tolist()


def test_second_stage_moderation_has_no_single_index_but_differences():
    df = draw_items(300, PopulationModel(), seed=5)
    model = STUDY.replace("OP ~ LP + DIG + LS", "OP ~ LP + DIG + LS + LS:DIG")
    res = estimate(df, model)
    chains = [mc for mc in cond.moderated_chains(res) if mc.label == "LP -> LS -> OP"]
    assert [mc.n_moderated for mc in chains] == [2]
    assert "LP -> LS -> OP" not in cond.moderated_mediation(res).path.tolist()
    w = np.array([-1.0, 0.0, 1.0])
    a1, a3 = res.path("LP", "LS"), res.path("LP:DIG", "LS")
    b1, b3 = res.path("LS", "OP"), res.path("LS:DIG", "OP")
    ci = cond.conditional_indirect_effects(res)
    ci = ci[ci.path == "LP -> LS -> OP"]
    np.testing.assert_allclose(ci.estimate, (a1 + a3 * w) * (b1 + b3 * w), atol=1e-12)


def test_moderated_mediation_recovers_population_values_at_large_n():
    # Mode A composites of common-factor data are attenuated by their reliability, so the
    # recovery check uses near-perfectly reliable continuous indicators (all loadings 0.99,
    # composite reliability > 0.99) and no method factor; see docs/conventions.md.
    pop = PopulationModel()
    df = draw_items(20000, pop, seed=11, likert=False, loading_scale=0.99, method_factor=False)
    res = estimate(df, STUDY, assess=False)
    mm = cond.moderated_mediation(res)
    assert mm["index"].iloc[0] == pytest.approx(pop.index_moderated_mediation(), abs=0.015)
    ci = cond.conditional_indirect_effects(res)
    for w, est in zip((-1, 0, 1), ci.estimate):
        assert est == pytest.approx(pop.conditional_indirect(w), abs=0.02)
    assert res.path("LP:DIG", "LS") == pytest.approx(pop.a3, abs=0.02)


def test_johnson_neyman_gives_the_boundary_as_a_percentile_of_the_observed_moderator():
    flood = pd.DataFrame(
        {
            "interaction": "X:W", "focal": "X", "moderator": "W", "target": "Y",
            "moderator_value": [-1.0, 0.0, 1.0, 2.0],
            "ci_lower": [-0.3, -0.1, 0.1, 0.3],
            "ci_upper": [0.2, 0.4, 0.6, 0.8],
        }
    )
    flood["significant"] = (flood.ci_lower > 0) | (flood.ci_upper < 0)
    w = pd.DataFrame({"W": np.linspace(-1.0, 2.0, 31)})  # 0.1 steps: 15 of 31 values at or below 0.5
    jn = cond.johnson_neyman(flood, w).iloc[0]
    assert jn.boundary == pytest.approx(0.5)
    assert jn.boundary_percentile == pytest.approx(100 * 16 / 31)  # -1.0 ... 0.5 inclusive
    assert jn.significant_side == "above"
    assert jn.region == "W ≥ +0.50 SD"
    # cases above the boundary: the lower bound is interpolated to > 0 for w > 0.5
    assert jn.share_cases_significant == pytest.approx(15 / 31)
    assert jn.n_cases == 31 and jn.n_cases_outside_grid == 0


def test_indirect_effect_of_the_moderator_is_conditional_on_the_focal_predictor(small):
    # LS ~ LP + DIG + LP:DIG: DIG's indirect effect through LS is (a2 + a3 LP) b (Hayes 2018, ch. 11)
    res, boot = small
    a2, a3, b = _p(res, "DIG", "LS"), _p(res, "LP:DIG", "LS"), _p(res, "LS", "OP")
    ci = cond.conditional_indirect_effects(res, boot)
    dig = ci[ci.path == "DIG -> LS -> OP"]
    assert dig.moderator.unique().tolist() == ["LP"] and dig.moderator_value.tolist() == [-1, 0, 1]
    np.testing.assert_allclose(dig.estimate, [(a2 + a3 * w) * b for w in (-1, 0, 1)], atol=1e-12)
    names = list(res.constructs)
    i, j, k, m = names.index("DIG"), names.index("LS"), names.index("LP:DIG"), names.index("OP")
    draws = (boot.path_draws[:, i, j] + boot.path_draws[:, k, j]) * boot.path_draws[:, j, m]
    assert dig.ci_upper.iloc[2] == pytest.approx(np.quantile(draws, 0.975), abs=1e-12)
    mm = cond.moderated_mediation(res, boot).set_index(["path", "moderator"])
    assert mm.loc[("DIG -> LS -> OP", "LP"), "index"] == pytest.approx(a3 * b, abs=1e-12)
    # the second reading of LP:DIG is marked, so a family of tests can drop its (identical) index
    assert [(mc.label, mc.primary) for mc in cond.moderated_chains(res)] == [("LP -> LS -> OP", True), ("DIG -> LS -> OP", False)]


def test_conditional_chain_holds_each_moderator_at_its_value(small):
    from leanlearn.effects.mediation import chain_index

    res, _ = small
    a1, a3, b = _p(res, "LP", "LS"), _p(res, "LP:DIG", "LS"), _p(res, "LS", "OP")
    f, conds = cond.conditional_chain(res, chain_index(res, ["LP", "LS", "OP"]), {"DIG": 0.5})
    assert conds == [("DIG", 0.5)]
    assert f(res.path_matrix[None])[0, 0] == pytest.approx((a1 + 0.5 * a3) * b, abs=1e-12)
    assert cond.at_text("DIG", 0) == "DIG = mean" and cond.at_text("DIG", -1) == "DIG = -1 SD"


def test_interval_and_p_agree_for_every_conditional_quantity(small):
    res, boot = small
    tables = [
        cond.simple_slopes(res, boot),
        cond.conditional_indirect_effects(res, boot),
        cond.moderated_mediation(res, boot),
        cond.conditional_indirect_differences(res, boot),
        cond.floodlight(res, boot, grid=(-2, 2, 0.25)),
        cond.conditional_indirect_grid(res, boot, grid=(-2, 2, 0.25)),
    ]
    for t in tables:
        assert len(t) and "p_value" in t
        excludes = (t.ci_lower > 0) | (t.ci_upper < 0)
        assert excludes.eq(t.p_value < 1 - t.ci_level).all()
