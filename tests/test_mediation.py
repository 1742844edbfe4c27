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
