"""Nonparametric bootstrap of a PLS path model: batched, seeded, worker-independent.

How it works
------------
A resample is a vector of case counts. Resamples are processed in fixed blocks of
:data:`CHUNK` draws; block j draws its row indices from its own generator,
``numpy.random.default_rng(leanlearn.random.stream(seed, "bootstrap", j))``, so the draws — and every
number computed from them — are the same whatever the number of worker processes. Within
a block all resamples go through :func:`leanlearn.pls.engine.fit_correlations` at once: for a
model without interaction terms or missing cells, the resampled item correlation matrices
of the whole block come out of one matrix product of the count matrix with the rows'
cross products; otherwise the rows are standardised per resample
(:func:`leanlearn.pls.engine.fit_counts`). BLAS runs single-threaded inside a block, so
a block gives bit-identical results in the main process and in a worker.

Random stream
-------------
Block j draws from ``leanlearn.random.stream(seed, "bootstrap", j)``, the j-th child of
the study seed's bootstrap stream (docs/randomness.md), so bootstrap draws are independent
of the simulator's, the permutations' and the folds' draws made from the same seed.

Failed resamples
----------------
A resample fails when a block or a predictor set is singular (or a weight is undefined)
or when PLS does not converge within ``max_iterations``. Failed resamples are *dropped*
from every statistic, counted by reason in :attr:`BootstrapResult.status`, and reported
by the CLI; nothing is replaced or dropped silently.

Intervals
---------
Percentile (type-7 quantiles, as R's default ``quantile`` and seminr) and BCa (Efron
1987; acceleration from the jackknife over cases). ``std_error`` is the SD of the
resample estimates (n − 1); ``t_value`` = estimate / std_error (descriptive only).

p-values are *bootstrap* p-values obtained by inverting the interval
(:func:`bootstrap_p_value`): ``p_value`` is the smallest α at which the two-sided
percentile interval at level 1 − α excludes zero, ``bca_p_value`` the same for the BCa
interval. So the interval at level 1 − α excludes zero exactly when p < α, for every α
and every quantity (docs/inference.md). Their resolution is about 1/B (B valid
resamples); p = 0 means every draw lies on one side of zero (read it as p < 1/B).
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

import numpy as np
import pandas as pd

from leanlearn.effects import algebra as fx
from leanlearn.pls import metrics as mm
from leanlearn.pls.engine import BatchFit, Plan, PLSResult
from leanlearn.pls.moments import CaseFeatures, case_features, fit_jackknife, fit_resamples
from leanlearn.random import generator

if TYPE_CHECKING:
    from leanlearn.pls.summary import Summary

__all__ = [
    "CHUNK",
    "bootstrap",
    "BootstrapResult",
    "percentile_interval",
    "bca_interval",
    "bca_constants",
    "tail_levels",
    "bootstrap_p_value",
    "resample_counts",
]

CHUNK = 500
STAT_COLUMNS = [
    "estimate", "boot_mean", "std_error", "t_value", "p_value", "ci_lower", "ci_upper", "ci_level",
    "bca_lower", "bca_upper", "bca_p_value", "n_resamples",
]  # fmt: skip


# ---- resampling ------------------------------------------------------------------------------
def _chunk_bounds(resamples: int) -> list[tuple[int, int]]:
    return [(a, min(a + CHUNK, resamples)) for a in range(0, resamples, CHUNK)]


def resample_indices(seed: int | np.random.SeedSequence | None, resamples: int, n: int, chunk: int) -> np.ndarray:
    """Row indices (0-based) of the draws in block ``chunk``: shape (draws in block, n).

    Block ``chunk`` draws from ``leanlearn.random.generator(seed, "bootstrap", chunk)``; a
    ``SeedSequence`` seed is an explicit stream whose ``chunk``-th child is used.
    """
    bounds = _chunk_bounds(resamples)
    a, b = bounds[chunk]
    return generator(seed, "bootstrap", chunk).integers(0, n, size=(b - a, n))


def resample_counts(idx: np.ndarray, n: int) -> np.ndarray:
    """Case counts (B, n) from row indices (B, n)."""
    out = np.empty((idx.shape[0], n))
    for i, row in enumerate(idx):  # one bincount per resample stays in the CPU cache
        out[i] = np.bincount(row, minlength=n)
    return out


def _summaries(plan: Plan, fit: BatchFit) -> dict[str, np.ndarray]:
    onehot = plan.final.onehot
    return {
        "paths": fit.paths,
        "outer_weights": fit.weights,
        "outer_loadings": fit.loadings,
        "htmt": mm.htmt(fit.R, onehot),
        "r_squared": fit.r_squared,
        "failed": fit.failed,
        "converged": fit.converged,
        "iterations": fit.iterations,
    }


# per-process state for workers (set by the pool initializer)
_STATE: dict = {}


def _init_worker(plan: Plan, X: np.ndarray, seed, resamples: int, parent: int | None = None, weights: np.ndarray | None = None) -> None:
    if parent is not None:
        _default_signals()
        _die_with_parent(parent)
    _STATE.update(plan=plan, X=X, seed=seed, resamples=resamples, weights=weights, feats=None)


def _features() -> CaseFeatures:
    """This process's case features of the sample (built once, at the first block)."""
    if _STATE.get("feats") is None:
        _STATE["feats"] = case_features(_STATE["X"])
    return _STATE["feats"]


# --- weighted PLS (case weights): a resample draws cases and carries their weights -----------------
def _weighted(counts: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    """Case counts of the resamples times the cases' weights (unchanged when unweighted)."""
    return counts if weights is None else counts * weights[None, :]
# --- end weighted PLS ----------------------------------------------------------------------------


def _default_signals() -> None:
    """Let a pool worker die on SIGTERM and leave Ctrl-C to its parent.

    A forked worker inherits the CLI's SIGTERM handler, which raises an exception; the
    pool's worker loop catches every exception of a task and carries on with the next
    queued chunk, so the parent's ``terminate()`` would not stop it. The default action
    (end the process) restores what ``terminate()`` means; SIGINT from the terminal
    reaches the whole process group, and only the parent should act on it.
    """
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _die_with_parent(parent: int) -> None:
    """Make this worker process end when the process that started it dies.

    On Linux the kernel sends SIGKILL to the worker when its parent exits
    (``prctl(PR_SET_PDEATHSIG)``), even when the parent itself was SIGKILLed; elsewhere a
    daemon thread checks the parent pid every second. Either way no bootstrap worker keeps
    running as an orphan.
    """
    import signal
    import sys
    import threading

    armed = False
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            armed = libc.prctl(1, int(signal.SIGKILL), 0, 0, 0) == 0  # 1 = PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            armed = False
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)
    if not armed:
        def watch() -> None:
            import time

            while os.getppid() == parent:
                time.sleep(1.0)
            os._exit(1)

        threading.Thread(target=watch, daemon=True).start()


def _run_chunk(chunk: int) -> dict[str, np.ndarray]:
    """Block ``chunk`` of the resamples (a non-negative number) or, for ``-1 - j``, block j of the jackknife."""
    from threadpoolctl import threadpool_limits

    plan, X, wts = _STATE["plan"], _STATE["X"], _STATE.get("weights")
    n = X.shape[0]
    with threadpool_limits(limits=1):
        if chunk < 0:
            a, b = _chunk_bounds(n)[-1 - chunk]
            fit = fit_jackknife(plan, X, np.arange(a, b), _features(), weights=wts)
        else:
            idx = resample_indices(_STATE["seed"], _STATE["resamples"], n, chunk)
            fit = fit_resamples(plan, X, _weighted(resample_counts(idx, n), wts), _features())
    return _summaries(plan, fit)


# ---- intervals -------------------------------------------------------------------------------
def _ndtri(u) -> np.ndarray:
    """Standard normal quantile Φ⁻¹ elementwise (Wichura 1988, algorithm AS 241, as the
    standard library's ``statistics.NormalDist.inv_cdf``; about 1e-16 relative accuracy);
    −∞ at 0, +∞ at 1, NaN outside [0, 1]. Used instead of ``scipy.special.ndtri``, whose
    import alone costs more than a bootstrap of a mid-sized model."""
    from statistics import NormalDist

    inv = NormalDist().inv_cdf
    u = np.asarray(u, dtype=float)
    flat = u.ravel()
    out = np.empty(flat.shape)
    for i, x in enumerate(flat.tolist()):
        out[i] = inv(x) if 0.0 < x < 1.0 else (-np.inf if x == 0.0 else np.inf if x == 1.0 else np.nan)
    return out.reshape(u.shape)


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


def _interval_columns(draws: np.ndarray, est: np.ndarray, jack: np.ndarray, level: float) -> dict[str, np.ndarray]:
    """Every bootstrap column of a table from one sort of the draws (see :meth:`BootstrapResult.table`)."""
    xs = np.sort(draws, axis=0)
    alpha = 1 - level
    below, above = _tails(xs, 0.0, "percentile")
    z0, a = bca_constants(draws, est, jack)
    bbelow, babove = _tails(xs, 0.0, "bca", z0, a)
    blo, bhi = _bca_bounds(xs, z0, a, level)
    return {
        "p_value": np.minimum(1.0, 2.0 * np.minimum(below, above)),
        "ci_lower": _type7(xs, alpha / 2),
        "ci_upper": _type7(xs, 1 - alpha / 2),
        "bca_lower": blo,
        "bca_upper": bhi,
        "bca_p_value": np.minimum(1.0, 2.0 * np.minimum(bbelow, babove)),
    }


# ---- the result -------------------------------------------------------------------------------
@dataclass(frozen=True)
class BootstrapResult:
    """Bootstrap draws of a fitted model and their summaries.

    Attributes
    ----------
    result : PLSResult
        The model estimated on the sample.
    resamples : int
        Resamples requested.
    seed : int or None
    ci_level : float
    path_draws : ndarray, shape (B_valid, K, K)
        Path-coefficient matrices of the valid resamples; every effect (total, specific
        indirect, conditional, differences) is derived from these, so all inference uses
        the same draws.
    path_jackknife : ndarray, shape (n, K, K)
    draws, jackknife, estimates : dict of ndarray
        Per family ("paths", "outer_loadings", "outer_weights", "htmt", "r_squared"):
        (B_valid, m), (n, m) and (m,) arrays; labels in :attr:`labels`.
    labels : dict of DataFrame
    status : DataFrame
        One row per reason: reason ("valid", "singular", "not_converged"), count.
    """

    result: PLSResult
    resamples: int
    seed: int | None
    ci_level: float
    path_draws: np.ndarray = field(repr=False)
    path_jackknife: np.ndarray = field(repr=False)
    draws: dict = field(repr=False)
    jackknife: dict = field(repr=False)
    estimates: dict = field(repr=False)
    labels: dict = field(repr=False)
    status: pd.DataFrame = field(repr=False)

    @property
    def n_valid(self) -> int:
        return int(self.path_draws.shape[0])

    @property
    def n_failed(self) -> int:
        return self.resamples - self.n_valid

    def summary(self) -> "Summary":
        """Bootstrap tables (estimate, mean, SE, t, p, percentile and BCa intervals) as text, Markdown, LaTeX or HTML.

        See :meth:`leanlearn.pls.summary.Summary.from_bootstrap` for the tables and notes.

        Examples
        --------
        >>> import leanlearn as ll
        >>> res = ll.estimate(ll.datasets.load("corp_rep"), ll.datasets.model("corp_rep"), missing_value=-99)
        >>> boot = ll.bootstrap(res, resamples=200, seed=1)
        >>> s = boot.summary()
        >>> [title for title, _ in s.tables][:3]
        ['Path coefficients', 'Total indirect effects', 'Specific indirect effects']
        >>> s.notes[0]
        'n = 344; 200 resamples requested, 200 valid; seed: 1'
        """
        from leanlearn.pls.summary import Summary

        return Summary.from_bootstrap(self)

    def __repr__(self) -> str:
        return (
            f"BootstrapResult(resamples={self.resamples}, valid={self.n_valid}, seed={self.seed}, "
            f"ci_level={self.ci_level:g}, result={self.result!r})"
        )

    # -- tables --
    def _stat_table(self, labels: pd.DataFrame, est, draws, jack) -> pd.DataFrame:
        est = np.asarray(est, dtype=float)
        draws = np.asarray(draws, dtype=float)
        out = labels.reset_index(drop=True).copy()
        se = draws.std(axis=0, ddof=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            t = est / se
        cols = _interval_columns(draws, est, np.asarray(jack, dtype=float), self.ci_level)
        out["estimate"] = est
        out["boot_mean"] = draws.mean(axis=0)
        out["std_error"] = se
        out["t_value"] = t
        out["p_value"] = cols["p_value"]
        out["ci_lower"] = cols["ci_lower"]
        out["ci_upper"] = cols["ci_upper"]
        out["ci_level"] = self.ci_level
        out["bca_lower"] = cols["bca_lower"]
        out["bca_upper"] = cols["bca_upper"]
        out["bca_p_value"] = cols["bca_p_value"]
        out["n_resamples"] = draws.shape[0]
        return out

    def table(self, family: str) -> pd.DataFrame:
        """Tidy table of one family with bootstrap columns.

        Families: "paths", "outer_loadings", "outer_weights", "htmt", "r_squared",
        "total_effects", "total_indirect_effects", "indirect_effects".
        Columns: the family's key columns, then estimate, boot_mean, std_error, t_value,
        p_value (bootstrap p matching the percentile interval), ci_lower, ci_upper
        (percentile), ci_level, bca_lower, bca_upper, bca_p_value (matching the BCa
        interval), n_resamples. See :func:`bootstrap_p_value`.
        """
        if family in self.draws:
            return self._stat_table(self.labels[family], self.estimates[family], self.draws[family], self.jackknife[family])
        names = list(self.result.constructs)
        if family in ("total_effects", "total_indirect_effects"):
            f = lambda P: fx.total_effects(P) - (P if family == "total_indirect_effects" else 0)  # noqa: E731
            est, draws, jack = f(self.result.path_matrix), f(self.path_draws), f(self.path_jackknife)
            keep = np.argwhere(np.abs(est) > 0) if family == "total_effects" else self._indirect_pairs()
            labels = pd.DataFrame({"source": [names[i] for i, _ in keep], "target": [names[j] for _, j in keep]})
            if not len(keep):
                return _empty(labels)
            sel = (slice(None), keep[:, 0], keep[:, 1])
            return self._stat_table(labels, est[keep[:, 0], keep[:, 1]], draws[sel], jack[sel])
        if family == "indirect_effects":
            ch = fx.chains(self.result.plan.final.adjacency)
            labels = pd.DataFrame(
                {
                    "path": [c.label(names) for c in ch],
                    "source": [names[c.source] for c in ch],
                    "target": [names[c.target] for c in ch],
                }
            )
            if not ch:
                return _empty(labels)
            return self.derived(labels, lambda P: fx.chain_effects(P, ch))
        raise KeyError(f"unknown family {family!r}")

    def _indirect_pairs(self) -> np.ndarray:
        ch = fx.chains(self.result.plan.final.adjacency)
        pairs = sorted({(c.source, c.target) for c in ch})
        return np.array(pairs, dtype=int).reshape(-1, 2)

    def derived(self, labels: pd.DataFrame, func: Callable[[np.ndarray], np.ndarray]) -> pd.DataFrame:
        """Bootstrap table of statistics derived from the path coefficients.

        ``func`` maps path matrices (..., K, K) to (..., m); it is applied to the sample's
        paths, every valid resample and the jackknife, so derived effects (differences of
        indirect effects, conditional indirect effects, indices of moderated mediation)
        share the draws of all other results.
        """
        est = np.asarray(func(self.result.path_matrix[None]))[0]
        return self._stat_table(labels, est, func(self.path_draws), func(self.path_jackknife))

    def derived_test(self, func: Callable[[np.ndarray], np.ndarray], *, method: str = "percentile", level: float | None = None, value: float = 0.0) -> dict:
        """Interval and matching bootstrap p-values of the first statistic of ``func`` (see :meth:`derived`).

        Returns a dict: estimate, lower, upper (the two-sided interval of ``method``,
        "percentile" or "bca", at ``level``, default :attr:`ci_level`), p_below, p_above (the
        one-sided bootstrap p-values of H0: θ ≤ ``value`` and H0: θ ≥ ``value``; see
        :func:`tail_levels`), p_value (two-sided, :func:`bootstrap_p_value`) and n (valid
        draws). The interval at level 1 − α excludes ``value`` exactly when p_value < α.
        """
        if method not in ("percentile", "bca"):
            raise ValueError(f"method must be 'percentile' or 'bca', not {method!r}")
        level = self.ci_level if level is None else float(level)
        est = np.asarray(func(self.result.path_matrix[None]), dtype=float)[0][:1]
        draws = np.asarray(func(self.path_draws), dtype=float)[:, :1]
        jack = np.asarray(func(self.path_jackknife), dtype=float)[:, :1]
        z0, a = bca_constants(draws, est, jack)
        lo, hi = percentile_interval(draws, level) if method == "percentile" else bca_interval(draws, est, jack, level)
        below, above = tail_levels(draws, value, method=method, z0=z0, a=a)
        return {
            "estimate": float(est[0]),
            "lower": float(lo[0]),
            "upper": float(hi[0]),
            "p_below": float(below[0]),
            "p_above": float(above[0]),
            "p_value": float(min(1.0, 2.0 * min(below[0], above[0]))),
            "n": int(draws.shape[0]),
            "std_error": float(draws[:, 0].std(ddof=1)),
        }

    def derived_draws(self, func: Callable[[np.ndarray], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """(estimate, draws) of a derived statistic, for callers that need the raw draws."""
        return np.asarray(func(self.result.path_matrix[None]))[0], func(self.path_draws)


def _empty(labels: pd.DataFrame) -> pd.DataFrame:
    """A table with no rows but every bootstrap column (a model without such effects)."""
    out = labels.copy()
    for col in STAT_COLUMNS:
        out[col] = pd.Series(dtype=float)
    return out


def _labels(result: PLSResult) -> dict[str, pd.DataFrame]:
    lay = result.plan.final
    names = list(lay.constructs)
    pairs = [(a, b) for a in range(lay.K) for b in range(a + 1, lay.K)]
    endo = lay.endogenous
    return {
        "paths": result.path_coefficients[["source", "target"]].copy(),
        "outer_loadings": result.outer_loadings[["construct", "indicator"]].copy(),
        "outer_weights": result.outer_weights[["construct", "indicator"]].copy(),
        "htmt": pd.DataFrame({"construct_a": [names[a] for a, _ in pairs], "construct_b": [names[b] for _, b in pairs]}),
        "r_squared": pd.DataFrame({"construct": [names[j] for j in endo]}),
    }


def _flatten(result: PLSResult, summ: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    lay = result.plan.final
    names = list(lay.constructs)
    pidx = [(names.index(s), names.index(t)) for s, t in zip(result.path_coefficients.source, result.path_coefficients.target)]
    pa, pb = np.array([i for i, _ in pidx]), np.array([j for _, j in pidx])
    iu = np.triu_indices(lay.K, 1)
    return {
        "paths": summ["paths"][:, pa, pb],
        "outer_loadings": summ["outer_loadings"],
        "outer_weights": summ["outer_weights"],
        "htmt": summ["htmt"][:, iu[0], iu[1]],
        "r_squared": summ["r_squared"][:, lay.endogenous],
    }


def bootstrap(
    result: PLSResult,
    *,
    resamples: int = 5000,
    seed: int | None = None,
    workers: int = 1,
    ci_level: float = 0.95,
    progress: Callable[[int], None] | None = None,
    indices: np.ndarray | None = None,
) -> BootstrapResult:
    """Bootstrap a fitted PLS model.

    Parameters
    ----------
    result : PLSResult
        From :func:`leanlearn.estimate`.
    resamples : int
        Number of bootstrap resamples (the pipeline uses 10,000; Hair et al. 2019).
    seed : int or SeedSequence, optional
        The study seed; resamples come from its ``bootstrap`` stream
        (:func:`leanlearn.random.stream`), in blocks of :data:`CHUNK` with one child
        stream per block, so the same seed gives the same draws and byte-identical
        results whatever ``workers`` is. A ``SeedSequence`` is used as an explicit stream.
    workers : int
        Worker processes (1 = run in this process). The work is split into blocks (the
        resample blocks of :data:`CHUNK` draws and the jackknife's blocks of up to
        :data:`CHUNK` cases); at most one process per block is started, and with a single
        block the work runs in this process (a pool would only add its start-up). Every
        block's numbers are computed the same way wherever it runs, so the results are
        byte-identical for any ``workers``.
    ci_level : float
        Level of the percentile and BCa intervals.
    progress : callable, optional
        Called with the number of resamples finished after each block (the CLI draws a
        progress bar with it).
    indices : ndarray, shape (B, n), optional
        Explicit 0-based row indices of the resamples (overrides seed and resamples; used
        to reproduce another program's draws exactly).

    Returns
    -------
    BootstrapResult

    Notes
    -----
    With case weights (``estimate(..., weights=...)``) a resample draws n cases with equal
    probability, as without weights, and each drawn case carries its weight: the resample's
    case counts are multiplied by the weights (the jackknife leaves out one case with its
    weight). Weights of 1 give the unweighted bootstrap draw for draw.

    Checked against seminr 2.3.1's 5,000-draw bootstrap of the ECSI model (bootstrap
    SDs within the band seminr meets between seeds) and draw by draw on seminr's first 10
    resamples (1e-10); see tests/test_bootstrap.py.

    Examples
    --------
    >>> import leanlearn as ll
    >>> res = ll.estimate(ll.datasets.load("corp_rep"), ll.datasets.model("corp_rep"), missing_value=-99)
    >>> boot = ll.bootstrap(res, resamples=500, seed=42)
    >>> boot
    BootstrapResult(resamples=500, valid=500, seed=42, ci_level=0.95, result=PLSResult(n=344, constructs=4, paths=5, scheme='path', converged=True, iterations=4))
    >>> paths = boot.table("paths")
    >>> list(paths.columns[:7])
    ['source', 'target', 'estimate', 'boot_mean', 'std_error', 't_value', 'p_value']
    >>> bool((paths.ci_lower < paths.estimate).all() and (paths.estimate < paths.ci_upper).all())
    True

    The same seed gives the same draws whatever the number of workers:

    >>> again = ll.bootstrap(res, resamples=500, seed=42, workers=2)
    >>> bool((again.table("paths").std_error == paths.std_error).all())
    True
    """
    from threadpoolctl import threadpool_limits

    plan = result.plan
    X = result.prepared.raw
    n = X.shape[0]
    wts = result.prepared.weights  # weighted PLS: None when unweighted
    if indices is not None:
        idx = np.asarray(indices, dtype=int)
        resamples = idx.shape[0]
        _init_worker(plan, X, seed, resamples, weights=wts)
        with threadpool_limits(limits=1):
            parts = [_summaries(plan, fit_resamples(plan, X, _weighted(resample_counts(idx, n), wts), _features()))]
        jparts = [_run_chunk(-1 - j) for j in range(len(_chunk_bounds(n)))]
    else:
        if resamples < 2:
            raise ValueError("resamples must be at least 2")
        if seed is None:  # one fresh entropy for all blocks, recorded in the result
            seed = int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]
        # resample blocks 0, 1, ..., then the jackknife's blocks -1, -2, ... (for the BCa acceleration)
        n_boot = len(_chunk_bounds(resamples))
        chunks = list(range(n_boot)) + [-1 - j for j in range(len(_chunk_bounds(n)))]
        parts = []
        done = 0
        processes = min(int(workers), len(chunks))  # no more processes than blocks
        if processes > 1:
            ctx = _mp_context()
            pool = ProcessPoolExecutor(
                max_workers=processes, mp_context=ctx, initializer=_init_worker,
                initargs=(plan, X, seed, resamples, os.getpid(), wts),
            )
            try:
                for i, part in enumerate(pool.map(_run_chunk, chunks)):
                    parts.append(part)
                    if i < n_boot:
                        done += part["failed"].shape[0]
                        if progress:
                            progress(done)
            except BaseException:  # error, Ctrl-C or SIGTERM: stop the workers now, do not wait
                _terminate_pool(pool)
                raise
            pool.shutdown(wait=True)
        else:
            _init_worker(plan, X, seed, resamples, weights=wts)
            for i, c in enumerate(chunks):
                part = _run_chunk(c)
                parts.append(part)
                if i < n_boot:
                    done += part["failed"].shape[0]
                    if progress:
                        progress(done)
        parts, jparts = parts[:n_boot], parts[n_boot:]
    summ = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    valid = ~summ["failed"] & summ["converged"]
    status = pd.DataFrame(
        {
            "reason": ["valid", "singular_or_undefined", "not_converged"],
            "count": [int(valid.sum()), int(summ["failed"].sum()), int((~summ["failed"] & ~summ["converged"]).sum())],
        }
    )
    # jackknife (leave one case out, with its weight) for the BCa acceleration, run with the resamples
    jsum = {k: np.concatenate([p[k] for p in jparts]) for k in jparts[0]}

    flat = _flatten(result, {k: v[valid] for k, v in summ.items()})
    jflat = _flatten(result, jsum)
    est = _flatten(result, _summaries(plan, result.batch))
    return BootstrapResult(
        result=result,
        resamples=resamples,
        seed=seed,
        ci_level=ci_level,
        path_draws=summ["paths"][valid],
        path_jackknife=jsum["paths"],
        draws=flat,
        jackknife=jflat,
        estimates={k: v[0] for k, v in est.items()},
        labels=_labels(result),
        status=status,
    )


def _terminate_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel queued chunks and end the pool's worker processes at once."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        if proc.is_alive():
            proc.terminate()
    for proc in processes:
        proc.join(timeout=5)
        if proc.is_alive():  # did not end on SIGTERM: end it for certain
            proc.kill()
            proc.join(timeout=5)


def _mp_context():
    import multiprocessing as mp

    methods = mp.get_all_start_methods()
    return mp.get_context("fork" if "fork" in methods and os.name == "posix" else "spawn")
