"""The PROCESS model 7 regression check reproduces OLS by hand and agrees with PLS."""

from __future__ import annotations

import numpy as np
import pytest

from leanlearn import bootstrap, estimate
from leanlearn.effects import conditional as cond
from leanlearn.robustness.process import agreement, model7_equations, process_model7
from leanlearn.datasets.simulate import PopulationModel, draw_items

STUDY = open(__import__("conftest").ROOT / "studies" / "lean" / "model.lav").read()


@pytest.fixture(scope="module")
def fitted():
    df = draw_items(500, PopulationModel(), seed=13)
    res = estimate(df, STUDY)
    mc = cond.moderated_chains(res)[0]
    return res, model7_equations(res, mc)


def test_model7_coefficients_equal_ols_by_hand(fitted):
    res, eq = fitted
    out = process_model7(res.scores, eq, resamples=200, seed=1).set_index("quantity")
    s = res.scores
    xc, wc = s.LP - s.LP.mean(), s.DIG - s.DIG.mean()
    Xm = np.column_stack([np.ones(len(s)), s.LP, s.DIG, xc * wc])
    a = np.linalg.lstsq(Xm, s.LS, rcond=None)[0]
    Xy = np.column_stack([np.ones(len(s)), s.LP, s.DIG, s.LS])
    b = np.linalg.lstsq(Xy, s.OP, rcond=None)[0]
    assert out.loc["a1", "estimate"] == pytest.approx(a[1], abs=1e-10)
    assert out.loc["a3", "estimate"] == pytest.approx(a[3], abs=1e-10)
    assert out.loc["b", "estimate"] == pytest.approx(b[3], abs=1e-10)
    assert out.loc["index", "estimate"] == pytest.approx(a[3] * b[3], abs=1e-10)
    sd_w = s.DIG.std(ddof=1)
    assert out.loc["conditional_indirect_+1", "estimate"] == pytest.approx((a[1] + a[3] * sd_w) * b[3], abs=1e-10)


def test_model7_bootstrap_from_draw_counts_equals_refitting_each_resample_on_its_rows(fitted):
    """The moment-form bootstrap gives the intervals of redoing the regressions (centring
    of X and W included) on the rows of every resample."""
    from leanlearn.pls.bootstrap import percentile_interval
    from leanlearn.random import generator

    res, eq = fitted
    B = 150
    out = process_model7(res.scores, eq, resamples=B, seed=3).set_index("quantity")
    s = res.scores
    n = len(s)
    idx = generator(3, "bootstrap", "process").integers(0, n, size=(B, n))
    a_draws, b_draws = np.empty((B, 4)), np.empty((B, 4))
    for r in range(B):
        t = s.iloc[idx[r]]
        xc, wc = t.LP - t.LP.mean(), t.DIG - t.DIG.mean()
        Xm = np.column_stack([np.ones(n), t.LP, t.DIG, xc * wc])
        a_draws[r] = np.linalg.lstsq(Xm, t.LS, rcond=None)[0]
        Xy = np.column_stack([np.ones(n), t.LP, t.DIG, t.LS])
        b_draws[r] = np.linalg.lstsq(Xy, t.OP, rcond=None)[0]
    for label, d in [("a1", a_draws[:, 1]), ("a3", a_draws[:, 3]), ("b", b_draws[:, 3]), ("index", a_draws[:, 3] * b_draws[:, 3])]:
        lo, hi = percentile_interval(d[:, None], 0.95)
        assert out.loc[label, "ci_lower"] == pytest.approx(lo[0], abs=1e-12)
        assert out.loc[label, "ci_upper"] == pytest.approx(hi[0], abs=1e-12)
    assert out.loc["index", "std_error"] == pytest.approx((a_draws[:, 3] * b_draws[:, 3]).std(ddof=1), abs=1e-12)


def test_model7_bootstrap_is_seeded(fitted):
    res, eq = fitted
    a = process_model7(res.scores, eq, resamples=200, seed=1)
    b = process_model7(res.scores, eq, resamples=200, seed=1)
    c = process_model7(res.scores, eq, resamples=200, seed=2)
    assert a.equals(b) and not a.ci_lower.equals(c.ci_lower)


def test_regression_check_agrees_with_pls_in_sign_and_significance(fitted):
    import pandas as pd

    res, eq = fitted
    boot = bootstrap(res, resamples=1000, seed=4)
    mm = cond.moderated_mediation(res, boot).iloc[0]
    pls = pd.DataFrame(
        [
            ("a1",) + tuple(boot.table("paths").set_index(["source", "target"]).loc[("LP", "LS"), ["estimate", "ci_lower", "ci_upper"]]),
            ("index", mm["index"], mm.ci_lower, mm.ci_upper),
        ],
        columns=["quantity", "estimate", "ci_lower", "ci_upper"],
    )
    agree = agreement(process_model7(res.scores, eq, resamples=1000, seed=4), pls)
    assert agree.same_sign.all() and agree.same_significance.all()
