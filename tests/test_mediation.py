"""Mediation types follow Zhao, Lynch & Chen (2010); contrasts of indirect effects are bootstrapped."""

from __future__ import annotations

import numpy as np
import pytest

from leanlearn import bootstrap, estimate
from leanlearn.effects.mediation import indirect_contrasts, mediation_table, zhao_type
from leanlearn.datasets.simulate import PopulationModel, draw_items

STUDY = open(__import__("conftest").ROOT / "studies" / "lean" / "model.lav").read()


@pytest.mark.parametrize(
    "ind,direct,sign,expected",
    [
        (True, True, 1, "complementary"),
        (True, True, -1, "competitive"),
        (True, False, 1, "indirect-only"),
        (False, True, -1, "direct-only"),
        (False, False, 1, "no effect"),
    ],
)
def test_zhao_lynch_chen_decision_tree(ind, direct, sign, expected):
    assert zhao_type(ind, direct, sign) == expected


@pytest.fixture(scope="module")
def boot():
    df = draw_items(400, PopulationModel(), seed=21)
    return bootstrap(estimate(df, STUDY), resamples=500, seed=3)


def test_mediation_table_combines_indirect_direct_and_total(boot):
    med = mediation_table(boot).set_index("path")
    res = boot.result
    row = med.loc["LP -> LS -> OP"]
    assert row.indirect == pytest.approx(res.path("LP", "LS") * res.path("LS", "OP"))
    assert row.direct == pytest.approx(res.path("LP", "OP"))
    assert row.total == pytest.approx(row.direct + row.indirect)
    assert row.conditional_on == "DIG = mean" and "hold at this value only" in row.caveat
    sig_ind = row.indirect_ci_lower > 0 or row.indirect_ci_upper < 0
    sig_dir = row.direct_ci_lower > 0 or row.direct_ci_upper < 0
    assert row.type == zhao_type(sig_ind, sig_dir, row.indirect * row.direct)


def test_contrast_of_indirect_effects_is_the_difference_with_its_own_interval(boot):
    c = indirect_contrasts(boot, [(["LP", "LS", "OP"], ["DIG", "LS", "OP"])]).iloc[0]
    res = boot.result
    expect = (res.path("LP", "LS") - res.path("DIG", "LS")) * res.path("LS", "OP")
    assert c.estimate == pytest.approx(expect, abs=1e-12)
    names = list(res.constructs)
    P = boot.path_draws
    lp, dig, ls, op = (names.index(n) for n in ("LP", "DIG", "LS", "OP"))
    draws = (P[:, lp, ls] - P[:, dig, ls]) * P[:, ls, op]
    assert c.ci_lower == pytest.approx(np.quantile(draws, 0.025), abs=1e-12)


def test_contrast_of_unknown_chain_is_refused(boot):
    with pytest.raises(KeyError, match="no path OP -> LS"):
        indirect_contrasts(boot, [(["LP", "LS", "OP"], ["DIG", "OP", "LS"])])


def test_mediation_table_in_a_moderated_model_is_conditional_at_the_stated_moderator_value(boot):
    res = boot.result
    a1, a2, a3, b = (res.path(*p) for p in (("LP", "LS"), ("DIG", "LS"), ("LP:DIG", "LS"), ("LS", "OP")))
    med = mediation_table(boot, moderator_value=1.0).set_index("path")
    lp, dig = med.loc["LP -> LS -> OP"], med.loc["DIG -> LS -> OP"]
    assert lp.conditional_on == "DIG = +1 SD" and dig.conditional_on == "LP = +1 SD"
    assert lp.indirect == pytest.approx((a1 + a3) * b, abs=1e-12)
    assert dig.indirect == pytest.approx((a2 + a3) * b, abs=1e-12)
    assert lp.total == pytest.approx(lp.direct + lp.indirect, abs=1e-12)
    assert "type and VAF hold at this value only" in lp.caveat


def test_mediation_table_of_an_unmoderated_model_has_no_caveat():
    df = draw_items(300, PopulationModel(), seed=22)
    model = "\n".join(line for line in STUDY.splitlines() if "LP:DIG" not in line) + "\nLS ~ LP + DIG\n"
    b = bootstrap(estimate(df, model), resamples=200, seed=1)
    med = mediation_table(b)
    assert (med.conditional_on == "").all() and (med.caveat == "").all()


def test_interval_and_p_agree_for_indirect_effects_and_contrasts(boot):
    med = mediation_table(boot)
    assert ((med.indirect_ci_lower > 0) | (med.indirect_ci_upper < 0)).eq(med.indirect_p_value < 1 - med.ci_level).all()
    c = indirect_contrasts(boot)
    assert ((c.ci_lower > 0) | (c.ci_upper < 0)).eq(c.p_value < 1 - c.ci_level).all()
    assert ((c.bca_lower > 0) | (c.bca_upper < 0)).eq(c.bca_p_value < 1 - c.ci_level).all()
