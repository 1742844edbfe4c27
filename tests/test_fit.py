"""SRMR, d_ULS and d_G: zero for a model that fits exactly, and the formulas by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.linalg import sqrtm

from leanlearn.pls import fit as mf
from leanlearn.pls.engine import estimate


def _exact_data(Sigma: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Data whose sample correlation matrix is exactly Sigma."""
    Z = np.random.default_rng(seed).standard_normal((n, Sigma.shape[0]))
    Z -= Z.mean(axis=0)
    S = Z.T @ Z / (n - 1)
    return Z @ np.linalg.inv(np.real(sqrtm(S))) @ np.real(sqrtm(Sigma))


def _composite_population(rho):
    """Three 3-item composite blocks with given construct correlations (composite model)."""
    S_blk = np.array([[1, 0.5, 0.3], [0.5, 1, 0.4], [0.3, 0.4, 1.0]])
    w = np.array([0.5, 0.4, 0.3])
    w = w / np.sqrt(w @ S_blk @ w)
    lam = S_blk @ w
    Sigma = np.zeros((9, 9))
    for k in range(3):
        for l in range(3):
            blk = S_blk if k == l else rho[k, l] * np.outer(lam, lam)
            Sigma[3 * k:3 * k + 3, 3 * l:3 * l + 3] = blk
    return Sigma


def _frame(X):
    cols = [f"{b}{i}" for b in "xmy" for i in (1, 2, 3)]
    return pd.DataFrame(X, columns=cols)


MODEL = "X <~ x1 + x2 + x3\nM <~ m1 + m2 + m3\nY <~ y1 + y2 + y3\nM ~ X\nY ~ M"


def test_fit_indices_are_zero_when_a_composite_model_holds_exactly():
    # X -> M -> Y with rho_XY = rho_XM * rho_MY: the mediation model is exactly true
    rho = np.array([[1, 0.5, 0.2], [0.5, 1, 0.4], [0.2, 0.4, 1.0]])
    data = _frame(_exact_data(_composite_population(rho), 300, 1))
    res = estimate(data, MODEL)
    fit = res.fit.set_index("model")
    for model in ("saturated", "estimated"):
        assert fit.loc[model, "srmr"] == pytest.approx(0, abs=1e-10)
        assert fit.loc[model, "d_uls"] == pytest.approx(0, abs=1e-12)
        assert fit.loc[model, "d_g"] == pytest.approx(0, abs=1e-12)


def test_estimated_model_fit_detects_a_missing_direct_path():
    rho = np.array([[1, 0.5, 0.6], [0.5, 1, 0.4], [0.6, 0.4, 1.0]])  # rho_XY != rho_XM * rho_MY
    data = _frame(_exact_data(_composite_population(rho), 300, 2))
    fit = estimate(data, MODEL).fit.set_index("model")
    assert fit.loc["saturated", "srmr"] == pytest.approx(0, abs=1e-10)
    assert fit.loc["estimated", "srmr"] > 0.05


def test_discrepancies_by_hand():
    S = np.array([[1.0, 0.5], [0.5, 1.0]])
    Sig = np.array([[1.0, 0.3], [0.3, 1.0]])
    assert mf.srmr(S, Sig) == pytest.approx(np.sqrt(0.2**2 / 3))
    assert mf.d_uls(S, Sig) == pytest.approx(0.5 * 2 * 0.2**2)
    phi = np.linalg.eigvals(np.linalg.solve(S, Sig)).real
    assert mf.d_g(S, Sig) == pytest.approx(0.5 * np.sum(np.log(phi) ** 2))


def test_implied_construct_correlations_of_a_chain():
    C = np.array([[1, 0.5, 0.6], [0.5, 1, 0.4], [0.6, 0.4, 1.0]])
    A = np.zeros((3, 3), dtype=bool)
    A[0, 1] = A[1, 2] = True
    Phi = mf.implied_construct_correlations(C, A)
    assert Phi[0, 2] == pytest.approx(0.5 * 0.4)
    assert Phi[1, 2] == pytest.approx(0.4)
    np.testing.assert_allclose(np.diag(Phi), 1)
