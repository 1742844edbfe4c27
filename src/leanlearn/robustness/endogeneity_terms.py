r"""The Gaussian copula term, its preconditions and the batched regressions of the copula test.

:func:`copula_term` (and :func:`copula_terms_resampled` for bootstrap resamples) computes
:math:`c_X = \Phi^{-1}(\operatorname{rank}(x)/(n + 1))`; :func:`normality_tests` and
:func:`preconditions` decide per regressor whether its copula term is identified; ``_ols``
and ``_residualize`` are the batched least squares used by
:func:`leanlearn.robustness.endogeneity.copula_test`. The conventions are in the docstring
of :mod:`leanlearn.robustness.endogeneity`, which re-exports these names.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from leanlearn.errors import DataError
from leanlearn.random import stream

__all__ = ["DEFAULT_MAX_VIF", "copula_term", "copula_terms_resampled", "normality_tests", "preconditions"]

NORMALITY_COLUMNS = [
    "variable", "n", "skewness", "excess_kurtosis", "shapiro_w", "shapiro_p_value", "cvm_statistic", "cvm_p_value", "non_normal",
    "corr_copula_term",
]  # fmt: skip
"""Columns of :func:`normality_tests`."""

PRECONDITION_COLUMNS = [
    "variable", "n", "shapiro_p_value", "cvm_p_value", "non_normal", "corr_copula_term", "vif_copula_term", "identified",
    "preconditions_met", "reason",
]  # fmt: skip
"""Columns of :func:`preconditions`."""


DEFAULT_MAX_VIF = 25.0
"""Largest 1/(1 - corr(x, c_x)^2) at which a copula term counts as identified."""


# ---- the copula term -------------------------------------------------------------------------
def copula_term(x) -> np.ndarray:
    r"""Gaussian copula term :math:`\Phi^{-1}(\operatorname{rank}(x)/(n + 1))` of each value.

    Works along the last axis, so an (B, n) array gives the terms of B resamples at once.
    Ties get their average rank. Checked by hand in tests/test_endogeneity.py
    (x = [3, 1, 2] gives Φ⁻¹([.75, .25, .5]) = [0.674, −0.674, 0]).
    """
    x = np.asarray(x, dtype=float)
    if np.isnan(x).any():
        raise DataError("copula_term: the variable has missing values; the copula needs complete scores")
    n = x.shape[-1]
    ranks = stats.rankdata(x, method="average", axis=-1)
    return stats.norm.ppf(ranks / (n + 1))


def copula_terms_resampled(x, idx) -> np.ndarray:
    r"""Copula terms of the resamples ``x[idx]`` without sorting each resample.

    Equal, element for element, to ``copula_term(np.asarray(x)[idx])`` (the same float
    operations on the same exact ranks; tests/test_endogeneity.py checks equality with
    ``np.array_equal``), in O(B·n) instead of O(B·n log n). The average rank of an original
    value u within resample b is :math:`\sum_{v<u} m_{bv} + (m_{bu} + 1)/2`, with
    :math:`m_{bv}` how often the distinct value v was drawn; a rank is a multiple of 1/2
    between 1 and n, so :math:`\Phi^{-1}(r/(n+1))` is looked up in a table of the 2n − 1
    possible ranks, each computed as :func:`copula_term` computes it.

    Parameters
    ----------
    x : array (n,)
        The variable in the original sample (no NaN).
    idx : int array (B, m)
        Row indices of B resamples of size m (m = n for the case bootstrap).
    """
    from scipy.special import ndtri  # the function scipy.stats.norm.ppf evaluates

    x = np.asarray(x, dtype=float)
    idx = np.asarray(idx)
    if np.isnan(x).any():
        raise DataError("copula_term: the variable has missing values; the copula needs complete scores")
    if idx.ndim != 2:
        raise ValueError("idx must be a (resamples, cases) array of row indices")
    B, m = idx.shape
    uniq, code = np.unique(x, return_inverse=True)
    u = len(uniq)
    drawn = code[idx]  # (B, m): the distinct value each draw takes
    counts = np.bincount((drawn + (np.arange(B) * u)[:, None]).ravel(), minlength=B * u).reshape(B, u)
    before = np.cumsum(counts, axis=1) - counts
    # twice the average rank, an exact integer: 2*before + count + 1
    twice = 2 * before + counts + 1
    table = ndtri(np.arange(2 * m + 1) / 2 / (m + 1))
    return table[np.take_along_axis(twice, drawn, axis=1)]


def _residualize(c: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Residuals of c (..., n) on the columns of W (..., n, q) plus an intercept, batched."""
    ones = np.ones(W.shape[:-1] + (1,))
    D = np.concatenate([ones, W], axis=-1)
    DtD = np.matmul(np.swapaxes(D, -1, -2), D)
    Dtc = np.matmul(np.swapaxes(D, -1, -2), c[..., None])
    # pseudo-inverse: a control that is constant within a resample (e.g. a rare dummy)
    # leaves the projection defined instead of failing the whole bootstrap
    beta = np.matmul(np.linalg.pinv(DtD, hermitian=True), Dtc)
    return c - np.matmul(D, beta)[..., 0]


# ---- precondition: non-normality ---------------------------------------------------------------
def normality_tests(
    data: pd.DataFrame,
    columns: Sequence[str] | None = None,
    *,
    alpha: float = 0.05,
    mc_samples: int = 1999,
    seed: int | None = None,
) -> pd.DataFrame:
    r"""Shapiro–Wilk and Cramér–von Mises tests of normality, the copula's precondition.

    Parameters
    ----------
    data : DataFrame
    columns : sequence of str, optional
        Variables to test (default: every column).
    alpha : float
        Level of the tests; ``non_normal`` is True when either p-value is below it
        (docs/methods.md §8: "Shapiro-Wilk or Cramer-von Mises p < .05").
    mc_samples : int
        Monte Carlo samples of the Cramér–von Mises null distribution with estimated mean
        and SD (:func:`scipy.stats.goodness_of_fit`).
    seed : int, optional
        Study seed; column j's Monte Carlo samples come from
        ``leanlearn.random.stream(seed, "montecarlo", "normality", j)``.

    Returns
    -------
    DataFrame
        variable, n, skewness, excess_kurtosis, shapiro_w, shapiro_p_value, cvm_statistic,
        cvm_p_value, non_normal, corr_copula_term (the correlation of x with its copula term;
        near 1 means the copula term is nearly collinear with x and the correction is
        not identified).
    """
    columns = list(columns) if columns is not None else list(data.columns)
    rows = []
    for j, col in enumerate(columns):
        ss = stream(seed, "montecarlo", "normality", j)
        x = pd.to_numeric(data[col], errors="coerce").to_numpy(dtype=float)
        x = x[np.isfinite(x)]
        if x.size < 8 or np.ptp(x) == 0:
            raise DataError(f"normality test of {col}: need at least 8 finite, non-constant values")
        sw = stats.shapiro(x)
        cvm = stats.goodness_of_fit(stats.norm, x, statistic="cvm", n_mc_samples=int(mc_samples), rng=np.random.default_rng(ss))
        rows.append(
            {
                "variable": col,
                "n": int(x.size),
                "skewness": float(stats.skew(x)),
                "excess_kurtosis": float(stats.kurtosis(x)),
                "shapiro_w": float(sw.statistic),
                "shapiro_p_value": float(sw.pvalue),
                "cvm_statistic": float(cvm.statistic),
                "cvm_p_value": float(cvm.pvalue),
                "non_normal": bool(sw.pvalue < alpha or cvm.pvalue < alpha),
                "corr_copula_term": float(np.corrcoef(x, copula_term(x))[0, 1]),
            }
        )
    return pd.DataFrame(rows)


def preconditions(normality: pd.DataFrame, *, max_vif: float = DEFAULT_MAX_VIF) -> pd.DataFrame:
    """Both copula preconditions per regressor, from :func:`normality_tests`.

    Returns
    -------
    DataFrame
        variable, n, shapiro_p_value, cvm_p_value, non_normal, corr_copula_term, vif_copula_term
        (:math:`1/(1 - r^2)`), identified (vif_copula_term < max_vif), preconditions_met
        (non_normal and identified), reason (empty when met).
    """
    out = normality[["variable", "n", "shapiro_p_value", "cvm_p_value", "non_normal", "corr_copula_term"]].copy()
    r = out["corr_copula_term"].to_numpy(dtype=float)
    with np.errstate(divide="ignore"):
        out["vif_copula_term"] = 1.0 / (1.0 - r**2)
    out["identified"] = out["vif_copula_term"] < max_vif
    out["preconditions_met"] = out["non_normal"].astype(bool) & out["identified"]
    reasons = []
    for rec in out.itertuples():
        why = []
        if not rec.non_normal:
            why.append("not distinguishable from normal (Shapiro-Wilk and Cramer-von Mises p >= alpha)")
        if not rec.identified:
            why.append(f"copula term nearly collinear with the regressor (r = {rec.corr_copula_term:.3f}, 1/(1 - r^2) = {rec.vif_copula_term:.0f} >= {max_vif:g})")
        reasons.append("; ".join(why))
    out["reason"] = reasons
    return out


def _ols(D: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Batched OLS: D (..., n, k), y (..., n) -> coefficients (..., k); NaN where singular."""
    DtD = np.matmul(np.swapaxes(D, -1, -2), D)
    Dty = np.matmul(np.swapaxes(D, -1, -2), y[..., None])[..., 0]
    single = DtD.ndim == 2
    if single:
        DtD, Dty = DtD[None], Dty[None]
    bad = ~(np.linalg.cond(DtD) < 1e12)
    A = np.where(bad[:, None, None], np.eye(DtD.shape[-1]), DtD)
    beta = np.linalg.solve(A, Dty[..., None])[..., 0]
    beta[bad] = np.nan
    return beta[0] if single else beta
