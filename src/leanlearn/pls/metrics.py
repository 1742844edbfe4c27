"""Reliability and validity metrics of a measurement model, as pure array functions.

Every function takes correlation matrices, weights or loadings (NumPy arrays) and returns
arrays; most accept a leading batch axis so the bootstrap evaluates all resamples at once.
:mod:`leanlearn.pls.engine` assembles them into tidy DataFrames.

Conventions (where tools disagree, leanlearn follows seminr 2.3.1; see docs/conventions.md):

- Cronbach's alpha is the *standardised* alpha from the item correlation matrix.
- HTMT uses absolute item correlations; a single-item block has a monotrait mean of 1.
- rho_A = 1 for Mode B composites, single items and interaction terms.
- Item VIFs are computed for every multi-item block (Mode A and Mode B alike).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "cronbach_alpha",
    "rho_c",
    "ave",
    "rho_a",
    "htmt",
    "htmt2",
    "vif_from_correlation",
    "fornell_larcker",
]


def cronbach_alpha(R: np.ndarray) -> np.ndarray:
    r"""Standardised Cronbach's alpha of one block.

    .. math:: \alpha = \frac{K}{K-1}\left(1 - \frac{K}{\sum_{ij} R_{ij}}\right)
              = \frac{K \bar r}{1 + (K-1)\bar r}

    Parameters
    ----------
    R : ndarray, shape (..., K, K)
        Item correlation matrix of the block (batched over leading axes).

    Returns
    -------
    ndarray, shape (...)
        Alpha; 1 for a single item (seminr's convention).

    Notes
    -----
    Cronbach (1951). Checked against seminr 2.3.1 (``reliability$alpha``) on corp_rep and
    mobi at 1e-12.
    """
    R = np.asarray(R, dtype=float)
    k = R.shape[-1]
    if k == 1:
        return np.ones(R.shape[:-2])
    total = R.sum(axis=(-1, -2))
    return k / (k - 1) * (1.0 - k / total)


def rho_c(loadings: np.ndarray) -> np.ndarray:
    r"""Composite reliability (Jöreskog's rho, Dillon–Goldstein's rho) from loadings.

    .. math:: \rho_C = \frac{(\sum_i \lambda_i)^2}{(\sum_i \lambda_i)^2 + \sum_i (1-\lambda_i^2)}

    ``loadings`` has shape (..., K); a single item gives 1. Checked against seminr
    (``rhoC``) on corp_rep and mobi.
    """
    lam = np.asarray(loadings, dtype=float)
    if lam.shape[-1] == 1:
        return np.ones(lam.shape[:-1])
    s = lam.sum(axis=-1) ** 2
    return s / (s + (1.0 - lam**2).sum(axis=-1))


def ave(loadings: np.ndarray) -> np.ndarray:
    r"""Average variance extracted, :math:`\frac{1}{K}\sum_i \lambda_i^2` (Fornell & Larcker 1981).

    A single item gives 1 (seminr's convention).
    """
    lam = np.asarray(loadings, dtype=float)
    if lam.shape[-1] == 1:
        return np.ones(lam.shape[:-1])
    return (lam**2).mean(axis=-1)


def rho_a(w: np.ndarray, R: np.ndarray) -> np.ndarray:
    r"""Dijkstra–Henseler's rho_A of a Mode A block.

    .. math:: \rho_A = (\hat w^\top \hat w)^2 \,
              \frac{\hat w^\top (S - \operatorname{diag} S)\hat w}
                   {\hat w^\top (\hat w \hat w^\top - \operatorname{diag}(\hat w \hat w^\top))\hat w}

    Parameters
    ----------
    w : ndarray, shape (..., K)
        Outer weights scaled to a unit-variance composite.
    R : ndarray, shape (..., K, K)
        Item correlation matrix of the block.

    Notes
    -----
    Dijkstra & Henseler (2015), MIS Quarterly 39(2), eq. for rho_A. Checked against
    seminr 2.3.1 (``rhoA``) on corp_rep and mobi at 1e-6.
    """
    w = np.asarray(w, dtype=float)
    R = np.asarray(R, dtype=float)
    if w.shape[-1] == 1:
        return np.ones(w.shape[:-1])
    ww = np.einsum("...i,...i->...", w, w)
    wRw = np.einsum("...i,...ij,...j->...", w, R, w) - np.einsum("...i,...i->...", w**2, np.diagonal(R, axis1=-2, axis2=-1))
    w2 = w**2
    denom = ww**2 - np.einsum("...i,...i->...", w2, w2)
    return ww**2 * wRw / denom


def _block_sums(A: np.ndarray, onehot: np.ndarray) -> np.ndarray:
    """Sum of A over every pair of blocks: onehot.T @ A @ onehot (batched)."""
    return np.einsum("pk,...pq,ql->...kl", onehot, A, onehot, optimize=True)


def htmt(R: np.ndarray, onehot: np.ndarray) -> np.ndarray:
    r"""Heterotrait–monotrait ratio of correlations (Henseler, Ringle & Sarstedt 2015).

    .. math:: \mathrm{HTMT}_{kl} = \frac{\overline{|r_{k\cdot,l\cdot}|}}
              {\sqrt{\overline{|r_{k\cdot,k\cdot}|}\;\overline{|r_{l\cdot,l\cdot}|}}}

    with arithmetic means over all heterotrait pairs (numerator) and over the distinct
    monotrait pairs of each block (denominator; 1 for a single-item block).

    Parameters
    ----------
    R : ndarray, shape (..., p, p)
        Correlation matrix of the indicator columns.
    onehot : ndarray, shape (p, K)
        Block membership of every indicator column.

    Returns
    -------
    ndarray, shape (..., K, K)
        Symmetric, NaN on the diagonal.

    Notes
    -----
    Absolute correlations, as seminr (``HTMT()``) and semTools' default. Checked against
    seminr 2.3.1 on corp_rep and mobi at 1e-12.
    """
    A = np.abs(np.asarray(R, dtype=float))
    sums = _block_sums(A, onehot)
    size = onehot.sum(axis=0)
    hetero = sums / np.outer(size, size)
    mono_pairs = size * (size - 1)
    diag = np.diagonal(sums, axis1=-2, axis2=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mono = np.where(size > 1, (diag - size) / np.where(mono_pairs > 0, mono_pairs, 1), 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = hetero / np.sqrt(mono[..., :, None] * mono[..., None, :])
    K = onehot.shape[1]
    out[..., np.arange(K), np.arange(K)] = np.nan
    return out


def htmt2(R: np.ndarray, onehot: np.ndarray) -> np.ndarray:
    r"""HTMT2: the HTMT with geometric instead of arithmetic means (Roemer, Schuberth & Henseler 2021).

    .. math:: \mathrm{HTMT2}_{kl} = \frac{\mathrm{GM}(|r_{k\cdot,l\cdot}|)}
              {\sqrt{\mathrm{GM}(|r_{k\cdot,k\cdot}|)\,\mathrm{GM}(|r_{l\cdot,l\cdot}|)}}

    Geometric means are taken over the same pairs as in :func:`htmt`, on absolute
    correlations (semTools ``htmt(htmt2 = TRUE)`` default). A zero correlation among the
    pairs makes the ratio undefined (NaN). Preferred for congeneric blocks.

    Notes
    -----
    Checked on a hand-worked example in tests/test_measurement.py and against the
    equality HTMT2 = HTMT when all within-block and between-block correlations are equal.
    """
    A = np.abs(np.asarray(R, dtype=float))
    with np.errstate(divide="ignore"):
        L = np.log(A)
    L = np.where(np.isfinite(L), L, np.nan)
    p = onehot.shape[0]
    eye = np.eye(p, dtype=bool)
    Lz = np.where(eye, 0.0, np.nan_to_num(L, nan=0.0))
    bad = np.where(eye, 0.0, np.isnan(L).astype(float))
    sums = _block_sums(Lz, onehot)
    nbad = _block_sums(bad, onehot)
    size = onehot.sum(axis=0)
    hetero = sums / np.outer(size, size)
    mono_pairs = size * (size - 1)
    diag = np.diagonal(sums, axis1=-2, axis2=-1)
    mono = np.where(size > 1, diag / np.where(mono_pairs > 0, mono_pairs, 1), 0.0)
    out = np.exp(hetero - 0.5 * (mono[..., :, None] + mono[..., None, :]))
    out = np.where(nbad > 0, np.nan, out)
    dbad = np.diagonal(nbad, axis1=-2, axis2=-1) > 0
    out = np.where(dbad[..., :, None] | dbad[..., None, :], np.nan, out)
    K = onehot.shape[1]
    out[..., np.arange(K), np.arange(K)] = np.nan
    return out


def vif_from_correlation(R: np.ndarray) -> np.ndarray:
    r"""Variance inflation factors of a set of variables from their correlation matrix.

    .. math:: \mathrm{VIF}_i = \frac{1}{1 - R^2_i} = (R^{-1})_{ii}

    where :math:`R^2_i` is from the OLS regression (with intercept) of variable i on the
    others. A single variable gives 1.
    """
    R = np.asarray(R, dtype=float)
    if R.shape[-1] == 1:
        return np.ones(R.shape[:-1])
    return np.diagonal(np.linalg.inv(R), axis1=-2, axis2=-1).copy()


def fornell_larcker(C: np.ndarray, ave_values: np.ndarray) -> np.ndarray:
    r"""Fornell–Larcker table: :math:`\sqrt{AVE}` on the diagonal, construct correlations below it.

    The upper triangle is NaN (as seminr reports it). The criterion holds for construct k
    when :math:`\sqrt{AVE_k} > |r_{kl}|` for every l.
    """
    out = np.array(C, dtype=float, copy=True)
    K = out.shape[0]
    out[np.triu_indices(K, 1)] = np.nan
    out[np.arange(K), np.arange(K)] = np.sqrt(ave_values)
    return out
