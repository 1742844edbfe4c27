"""Group comparison, part 2: permutation p-values and their multiplicity adjustment.

Re-exported by :mod:`leanlearn.robustness.groups`.
"""

from __future__ import annotations

import numpy as np

from leanlearn.extras import require


# ---- permutation p-values ---------------------------------------------------------------------------
def permutation_p_value(observed, draws, *, alternative: str = "two-sided") -> np.ndarray:
    r"""Permutation p-value with the +1 correction (Phipson & Smyth 2010).

    .. math:: p = \frac{1 + \#\{r : T^*_r \text{ at least as extreme as } T\}}{1 + R}

    "two-sided": :math:`|T^*_r| \ge |T|`; "less": :math:`T^*_r \le T` (MICOM's c, where
    small values speak against invariance); "greater": :math:`T^*_r \ge T`.

    Parameters
    ----------
    observed : float or array of shape (m,)
    draws : array of shape (R,) or (R, m)
        Permutation statistics; NaN draws (failed permutations) are ignored per column.

    Returns
    -------
    ndarray of shape (m,) (a 0-d array for scalar input). Checked by hand in
    tests/test_groups.py.
    """
    obs = np.asarray(observed, dtype=float)
    d = np.asarray(draws, dtype=float)
    scalar = obs.ndim == 0
    obs = np.atleast_1d(obs)
    if d.ndim == 1:
        d = d[:, None]
    valid = np.isfinite(d)
    if alternative == "two-sided":
        hit = np.abs(d) >= np.abs(obs)[None, :] - 1e-12 * np.maximum(1.0, np.abs(obs))[None, :]
    elif alternative == "less":
        hit = d <= obs[None, :] + 1e-12 * np.maximum(1.0, np.abs(obs))[None, :]
    elif alternative == "greater":
        hit = d >= obs[None, :] - 1e-12 * np.maximum(1.0, np.abs(obs))[None, :]
    else:
        raise ValueError("alternative must be 'two-sided', 'less' or 'greater'")
    p = (1 + (hit & valid).sum(axis=0)) / (1 + valid.sum(axis=0))
    return p[0] if scalar else p


def _adjust(p: np.ndarray, method: str) -> np.ndarray:
    r"""Adjusted p-values across one family (NaN entries are not members).

    Holm (1979): with the m p-values sorted, :math:`\tilde p_{(i)} = \max_{j \le i}
    \min\{1, (m - j + 1)\,p_{(j)}\}`; Benjamini–Hochberg ("fdr_bh"):
    :math:`\tilde p_{(i)} = \min_{j \ge i} \min\{1, m\,p_{(j)}/j\}`; Bonferroni
    :math:`\min(1, m p)`. Other ``statsmodels`` methods are passed on to
    :func:`statsmodels.stats.multitest.multipletests`. Checked against ``multipletests`` in
    tests/test_groups.py.
    """
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    m = int(ok.sum())
    if method == "none" or m == 0:
        out[ok] = p[ok]
        return out
    q = p[ok]
    order = np.argsort(q, kind="stable")
    ranked = q[order]
    i = np.arange(1, m + 1)
    if method == "holm":
        adj = np.maximum.accumulate(np.minimum(1.0, (m - i + 1) * ranked))
    elif method == "fdr_bh":
        adj = np.minimum.accumulate(np.minimum(1.0, m * ranked / i)[::-1])[::-1]
    elif method == "bonferroni":
        adj = np.minimum(1.0, m * ranked)
    else:
        multipletests = require("statsmodels.stats.multitest", "multiple-testing corrections").multipletests

        out[ok] = multipletests(q, method=method)[1]
        return out
    back = np.empty(m)
    back[order] = adj
    out[ok] = back
    return out
