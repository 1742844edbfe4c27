"""Reliability and validity metrics agree with their formulas on hand-worked examples."""

from __future__ import annotations

import numpy as np
import pytest

from leanlearn.pls import metrics as mm


def _blocks(sizes):
    oh = np.zeros((sum(sizes), len(sizes)))
    start = 0
    for k, s in enumerate(sizes):
        oh[start:start + s, k] = 1
        start += s
    return oh


def test_standardized_alpha_equals_spearman_brown_of_mean_correlation():
    R = np.array([[1, 0.5, 0.4], [0.5, 1, 0.3], [0.4, 0.3, 1.0]])
    rbar = 0.4
    assert mm.cronbach_alpha(R) == pytest.approx(3 * rbar / (1 + 2 * rbar), abs=1e-15)
    assert mm.cronbach_alpha(np.ones((1, 1))) == 1.0


def test_rho_c_and_ave_by_hand():
    lam = np.array([0.8, 0.7, 0.6])
    s = 2.1**2
    assert mm.rho_c(lam) == pytest.approx(s / (s + (1 - 0.64) + (1 - 0.49) + (1 - 0.36)), abs=1e-15)
    assert mm.ave(lam) == pytest.approx((0.64 + 0.49 + 0.36) / 3, abs=1e-15)


def test_rho_a_of_a_congeneric_block_equals_its_true_reliability():
    # population correlations of a one-factor block; PLS Mode A weights are proportional
    # to loadings there, and rho_A recovers the composite's reliability
    lam = np.array([0.9, 0.8, 0.7, 0.6])
    R = np.outer(lam, lam)
    np.fill_diagonal(R, 1)
    w = lam / np.sqrt(lam @ R @ lam)
    # Dijkstra-Henseler: rho_A = (w'lam)^2 for unit-variance composite of a one-factor model
    assert mm.rho_a(w, R) == pytest.approx((w @ lam) ** 2, abs=1e-12)


def test_htmt_by_hand_with_absolute_correlations():
    # block A = items 0,1; block B = items 2,3,4
    R = np.eye(5)
    R[0, 1] = R[1, 0] = 0.6
    within_b = {(2, 3): 0.5, (2, 4): 0.4, (3, 4): 0.3}
    for (i, j), v in within_b.items():
        R[i, j] = R[j, i] = v
    hetero = {(0, 2): 0.3, (0, 3): -0.2, (0, 4): 0.25, (1, 2): 0.35, (1, 3): 0.1, (1, 4): 0.2}
    for (i, j), v in hetero.items():
        R[i, j] = R[j, i] = v
    got = mm.htmt(R, _blocks([2, 3]))
    expect = np.mean(np.abs(list(hetero.values()))) / np.sqrt(0.6 * np.mean(list(within_b.values())))
    assert got[0, 1] == pytest.approx(expect, abs=1e-15)
    assert got[1, 0] == got[0, 1]
    assert np.isnan(got[0, 0])


def test_htmt2_uses_geometric_means_and_equals_htmt_for_equal_correlations():
    R = np.eye(5)
    R[0, 1] = R[1, 0] = 0.6
    for (i, j), v in {(2, 3): 0.5, (2, 4): 0.4, (3, 4): 0.3}.items():
        R[i, j] = R[j, i] = v
    het = [0.3, 0.2, 0.25, 0.35, 0.1, 0.2]
    k = 0
    for i in (0, 1):
        for j in (2, 3, 4):
            R[i, j] = R[j, i] = het[k]
            k += 1
    gm = lambda x: float(np.exp(np.mean(np.log(x))))  # noqa: E731
    expect = gm(het) / np.sqrt(0.6 * gm([0.5, 0.4, 0.3]))
    assert mm.htmt2(R, _blocks([2, 3]))[0, 1] == pytest.approx(expect, abs=1e-14)
    E = np.full((5, 5), 0.3)
    E[:2, :2] = 0.6
    E[2:, 2:] = 0.5
    np.fill_diagonal(E, 1)
    oh = _blocks([2, 3])
    assert mm.htmt2(E, oh)[0, 1] == pytest.approx(mm.htmt(E, oh)[0, 1], abs=1e-14)


def test_htmt2_is_undefined_when_a_correlation_is_zero():
    R = np.eye(4)
    R[0, 1] = R[1, 0] = 0.5
    R[2, 3] = R[3, 2] = 0.5
    R[0, 2] = R[2, 0] = 0.3
    assert np.isnan(mm.htmt2(R, _blocks([2, 2]))[0, 1])


def test_vif_equals_one_over_one_minus_r_squared():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((500, 3))
    X[:, 2] += X[:, 0]
    R = np.corrcoef(X, rowvar=False)
    A = np.column_stack([np.ones(500), X[:, :2]])
    beta = np.linalg.lstsq(A, X[:, 2], rcond=None)[0]
    r2 = 1 - np.var(X[:, 2] - A @ beta) / np.var(X[:, 2])
    assert mm.vif_from_correlation(R)[2] == pytest.approx(1 / (1 - r2), rel=1e-10)


def test_fornell_larcker_puts_sqrt_ave_on_the_diagonal():
    C = np.array([[1, 0.4], [0.4, 1.0]])
    fl = mm.fornell_larcker(C, np.array([0.49, 0.64]))
    assert fl[0, 0] == pytest.approx(0.7) and fl[1, 1] == pytest.approx(0.8)
    assert fl[1, 0] == 0.4 and np.isnan(fl[0, 1])
