"""Bootstrap, part 1: intervals and bootstrap p-values from resample draws.

Type-7 quantiles, the percentile interval, the BCa constants (bias correction z0 and the
jackknife acceleration a) and interval, and the tail levels that invert an interval into a
bootstrap p-value (:func:`tail_levels`, :func:`bootstrap_p_value`). The normal quantile and
distribution functions are computed here so the estimate path needs no SciPy. Re-exported by
:mod:`leanlearn.pls.bootstrap`.
"""

from __future__ import annotations

import numpy as np


# ---- intervals -------------------------------------------------------------------------------
def _ndtri(u) -> np.ndarray:
    """Standard normal quantile Φ⁻¹ elementwise (Wichura 1988, algorithm AS 241, as the
    standard library's ``statistics.NormalDist.inv_cdf``; about 1e-16 relative accuracy);
    −∞ at 0, +∞ at 1, NaN outside [0, 1]. Used instead of ``scipy.special.ndtri``, whose
    import alone costs more than a bootstrap of a mid-sized model."""
    inv = _inv_cdf()
    u = np.asarray(u, dtype=float)
    flat = u.ravel()
    out = np.empty(flat.shape)
    for i, x in enumerate(flat.tolist()):
        out[i] = inv(x) if 0.0 < x < 1.0 else (-np.inf if x == 0.0 else np.inf if x == 1.0 else np.nan)
    return out.reshape(u.shape)


def _inv_cdf():
    """Φ⁻¹ on (0, 1): CPython's C function behind ``statistics.NormalDist.inv_cdf`` (the same
    numbers: ``inv_cdf`` checks its argument and calls it), without importing :mod:`statistics`
    (with :mod:`fractions`, a few ms); ``NormalDist().inv_cdf`` where it is not built."""
    try:
        from _statistics import _normal_dist_inv_cdf  # type: ignore[import-not-found]  # CPython C module, no stub
    except ImportError:  # an interpreter without the C part
        from statistics import NormalDist

        return NormalDist().inv_cdf
    return lambda p: _normal_dist_inv_cdf(p, 0.0, 1.0)


def _ndtr(x) -> np.ndarray:
    """Standard normal distribution function Φ elementwise: erfc(−x/√2)/2 (``math.erfc``)."""
    import math

    x = np.asarray(x, dtype=float)
    flat = x.ravel()
    out = np.array([0.5 * math.erfc(-v / math.sqrt(2.0)) if v == v else math.nan for v in flat.tolist()], dtype=float)
    return out.reshape(x.shape)


def _type7(xs: np.ndarray, q) -> np.ndarray:
    """Type-7 quantiles of the columns of the *sorted* draws ``xs`` (B, m) at levels ``q``
    (a scalar or one level per column): the arithmetic of ``numpy.quantile(...,
    method="linear")`` (virtual index (B − 1) q, the lower and upper neighbours, NumPy's
    two-sided linear interpolation), so the numbers are NumPy's, without a sort per call; a
    column holding NaN gives NaN."""
    B, m = xs.shape
    q = np.broadcast_to(np.asarray(q, dtype=float), (m,))
    v = (B - 1) * q
    prev = np.floor(v)
    nxt = prev + 1
    above = v >= B - 1
    prev[above], nxt[above] = -1, -1
    below = v < 0
    prev[below], nxt[below] = 0, 0
    undefined = np.isnan(v)
    prev[undefined], nxt[undefined] = -1, -1
    gamma = v - prev
    cols = np.arange(m)
    lo, hi = xs[prev.astype(np.intp), cols], xs[nxt.astype(np.intp), cols]
    diff = hi - lo
    out = lo + diff * gamma
    np.subtract(hi, diff * (1 - gamma), out=out, where=gamma >= 0.5)
    out[np.isnan(xs[-1]) | undefined] = np.nan  # NaN sorts last
    return out


def _sorted_draws(draws: np.ndarray) -> np.ndarray:
    draws = np.asarray(draws, dtype=float)
    return np.sort(draws[:, None] if draws.ndim == 1 else draws, axis=0)


def percentile_interval(draws: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval per column of ``draws`` (type-7 quantiles, as R and seminr)."""
    alpha = 1 - level
    xs = _sorted_draws(draws)
    return _type7(xs, alpha / 2), _type7(xs, 1 - alpha / 2)


def bca_constants(draws: np.ndarray, estimate: np.ndarray, jackknife: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""Bias correction :math:`\hat z_0` and acceleration :math:`\hat a` of the BCa interval, per column.

    .. math::
        \hat z_0 = \Phi^{-1}\Big(\frac{\#\{\theta^*_b < \hat\theta\} + \tfrac12 \#\{\theta^*_b = \hat\theta\}}{B}\Big),\quad
        \hat a = \frac{\sum_i (\bar\theta_{(\cdot)} - \theta_{(i)})^3}{6\,[\sum_i (\bar\theta_{(\cdot)} - \theta_{(i)})^2]^{3/2}}

    (Efron 1987; Efron & Tibshirani 1993, ch. 14); the share is clipped to
    [1/(2B), 1 − 1/(2B)] so that :math:`\hat z_0` stays finite.
    """
    B = draws.shape[0]
    less = (draws < estimate).sum(axis=0) + 0.5 * (draws == estimate).sum(axis=0)
    z0 = _ndtri(np.clip(less / B, 1.0 / (2 * B), 1 - 1.0 / (2 * B)))
    d = jackknife.mean(axis=0) - jackknife
    num = (d**3).sum(axis=0)
    den = 6.0 * ((d**2).sum(axis=0)) ** 1.5
    with np.errstate(invalid="ignore", divide="ignore"):
        a = np.where(den > 0, num / den, 0.0)
    return np.atleast_1d(z0), np.atleast_1d(a)


def _bca_bounds(xs: np.ndarray, z0: np.ndarray, a: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """BCa bounds from the sorted draws and the constants (see :func:`bca_interval`)."""
    alpha = 1 - level
    out = []
    for z in _ndtri(np.array([alpha / 2, 1 - alpha / 2])):
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            adj = _ndtr(z0 + (z0 + z) / (1 - a * (z0 + z)))
        adj = np.clip(np.nan_to_num(adj, nan=0.5), 0.0, 1.0)
        out.append(_type7(xs, adj))
    return out[0], out[1]


def bca_interval(draws: np.ndarray, estimate: np.ndarray, jackknife: np.ndarray, level: float = 0.95):
    r"""Bias-corrected and accelerated interval per column (Efron 1987; Efron & Tibshirani 1993, ch. 14).

    With :math:`\hat z_0` and :math:`\hat a` from :func:`bca_constants`, the bounds are the
    quantiles of the draws at
    :math:`\Phi\big(\hat z_0 + \frac{\hat z_0 + z_{\alpha}}{1 - \hat a(\hat z_0 + z_{\alpha})}\big)`
    for :math:`z_\alpha` at α/2 and 1 − α/2. Checked against a closed-form case in
    tests/test_bootstrap.py (the mean of normal data, where BCa ≈ percentile).
    """
    z0, a = bca_constants(draws, estimate, jackknife)
    return _bca_bounds(_sorted_draws(draws), z0, a, level)


def _rank_bounds(xs: np.ndarray, value: float) -> tuple[np.ndarray, np.ndarray]:
    """(u_a, u_b) per column of the sorted draws ``xs`` (B, m): the set of u in [0, 1] where
    the type-7 quantile function of a column equals ``value`` is [u_a, u_b] (a single point
    without ties; the nearest end when ``value`` lies outside the draws)."""
    B, m = xs.shape
    if B < 2:
        first = xs[0] >= value
        return np.where(first, 0.0, 1.0), np.where(first, 0.0, 1.0)
    cols = np.arange(m)

    def rank(k):  # x[k-1] <= value <= x[k]: interpolated rank of value on that segment
        kk = np.clip(k, 1, B - 1)
        lo, hi = xs[kk - 1, cols], xs[kk, cols]
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.where(hi == lo, 0.0, (value - lo) / np.where(hi == lo, 1.0, hi - lo))
        r = (kk - 1 + frac) / (B - 1)
        return np.where(k == 0, 0.0, np.where(k == B, 1.0, r))

    k_le = (xs <= value).sum(axis=0)  # draws <= value
    k_lt = (xs < value).sum(axis=0)  # draws < value
    return rank(k_lt), rank(k_le)


def _bca_level(u: np.ndarray, z0: np.ndarray, a: np.ndarray) -> np.ndarray:
    r"""The nominal one-sided level γ whose BCa-adjusted level equals ``u``: Φ(z*) with
    :math:`\Phi^{-1}(u) = z_0 + (z_0 + z^*)/(1 - a(z_0 + z^*))`, i.e.
    :math:`z^* = w/(1 + a w) - z_0`, :math:`w = \Phi^{-1}(u) - z_0` (−∞/+∞ when no level reaches u)."""
    u = np.asarray(u, dtype=float)
    inside = (u > 0.0) & (u < 1.0)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        w = _ndtri(np.where(inside, u, 0.5)) - z0
        den = 1.0 + a * w
        level = _ndtr(np.where(den > 0, w / np.where(den > 0, den, 1.0) - z0, 0.0))
    level = np.where(den > 0, level, np.where(w < 0, 0.0, 1.0))
    return np.where(u <= 0.0, 0.0, np.where(u >= 1.0, 1.0, level))


def _tails(xs: np.ndarray, value: float, method: str, z0=None, a=None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`tail_levels` from the sorted draws."""
    m = xs.shape[1]
    below, above = np.full(m, np.nan), np.full(m, np.nan)
    ok = np.isfinite(xs).all(axis=0) & bool(np.isfinite(value))
    if not ok.any():
        if method not in ("percentile", "bca"):
            raise ValueError(f"method must be 'percentile' or 'bca', not {method!r}")
        return below, above
    u_a, u_b = _rank_bounds(xs[:, ok], value)
    if method == "percentile":
        below[ok], above[ok] = u_b, 1.0 - u_a
    elif method == "bca":
        zj, aj = np.asarray(z0, dtype=float)[ok], np.asarray(a, dtype=float)[ok]
        below[ok] = _bca_level(u_b, zj, aj)
        above[ok] = 1.0 - _bca_level(u_a, zj, aj)
    else:
        raise ValueError(f"method must be 'percentile' or 'bca', not {method!r}")
    return below, above


def tail_levels(draws: np.ndarray, value: float = 0.0, *, method: str = "percentile", z0=None, a=None) -> tuple[np.ndarray, np.ndarray]:
    r"""One-sided bootstrap p-values of ``value`` per column, by inverting the interval.

    Returns ``(p_below, p_above)``: ``p_below`` is the smallest one-sided level γ at which the
    lower interval bound (the γ quantile of the draws, BCa-adjusted for ``method="bca"``)
    exceeds ``value`` — the bootstrap p of H0: θ ≤ value; ``p_above`` is the smallest γ at
    which the upper bound (the 1 − γ quantile) is below ``value`` — the p of H0: θ ≥ value.
    For the percentile method these are the interpolated shares of draws at or below and at
    or above ``value`` (type-7 ranks, so they invert :func:`percentile_interval` exactly);
    for BCa the ranks are mapped back through the BCa adjustment (``z0``, ``a`` from
    :func:`bca_constants`). Resolution about 1/B. Columns with non-finite draws give NaN.
    """
    return _tails(_sorted_draws(draws), float(value), method, z0, a)


def bootstrap_p_value(draws: np.ndarray, value: float = 0.0, *, method: str = "percentile", z0=None, a=None) -> np.ndarray:
    r"""Two-sided bootstrap p-value of ``value`` per column: :math:`p = \min(1, 2\min(p_\text{below}, p_\text{above}))`.

    The smallest α at which the two-sided interval of ``method`` at level 1 − α excludes
    ``value``: the interval excludes it exactly when p < α (twice the smaller tail share of
    the draws relative to ``value`` for percentile intervals; the matching share of the
    BCa-adjusted quantiles for BCa). Efron & Tibshirani (1993, ch. 15–16) on p-values from
    bootstrap intervals; checked in tests/test_bootstrap.py against the intervals at many
    levels.
    """
    below, above = tail_levels(draws, value, method=method, z0=z0, a=a)
    return np.minimum(1.0, 2.0 * np.minimum(below, above))


def _interval_columns(draws: np.ndarray, est: np.ndarray, jack: np.ndarray | None, level: float) -> dict[str, np.ndarray]:
    """Every bootstrap column of a table from one sort of the draws (see :meth:`BootstrapResult.table`).

    Without a jackknife (``jack`` None) the BCa columns are NaN."""
    xs = np.sort(draws, axis=0)
    alpha = 1 - level
    below, above = _tails(xs, 0.0, "percentile")
    if jack is None:
        blo = bhi = bp = np.full(np.shape(est), np.nan)
    else:
        z0, a = bca_constants(draws, est, jack)
        bbelow, babove = _tails(xs, 0.0, "bca", z0, a)
        blo, bhi = _bca_bounds(xs, z0, a, level)
        bp = np.minimum(1.0, 2.0 * np.minimum(bbelow, babove))
    return {
        "p_value": np.minimum(1.0, 2.0 * np.minimum(below, above)),
        "ci_lower": _type7(xs, alpha / 2),
        "ci_upper": _type7(xs, 1 - alpha / 2),
        "bca_lower": blo,
        "bca_upper": bhi,
        "bca_p_value": bp,
    }
