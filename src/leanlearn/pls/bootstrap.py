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

Parts
-----
The module is the public face of three parts, each re-exported here (import from
``leanlearn.pls.bootstrap``): :mod:`~leanlearn.pls.bootstrap_intervals` (percentile and BCa
intervals, tail levels, bootstrap p-values), :mod:`~leanlearn.pls.bootstrap_workers` (resample
blocks, the worker processes and their signals) and :mod:`~leanlearn.pls.bootstrap_result`
(:class:`BootstrapResult` and its tables). This module runs the bootstrap (:func:`bootstrap`).
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from leanlearn.pls.bootstrap_intervals import (  # noqa: F401  (re-exported)
    _bca_bounds,
    _bca_level,
    _interval_columns,
    _ndtr,
    _ndtri,
    _rank_bounds,
    _sorted_draws,
    _tails,
    _type7,
    bca_constants,
    bca_interval,
    bootstrap_p_value,
    percentile_interval,
    tail_levels,
)
from leanlearn.pls.bootstrap_result import STAT_COLUMNS, BootstrapResult, _empty, _flatten, _labels  # noqa: F401  (re-exported)
from leanlearn.pls.bootstrap_workers import (  # noqa: F401  (re-exported)
    _STATE,
    CHUNK,
    _chunk_bounds,
    _default_signals,
    _die_with_parent,
    _features,
    _init_worker,
    _run_blocks,
    _run_chunk,
    one_blas_thread,
    reap_workers,
    _summaries,
    _weighted,
    resample_counts,
    resample_indices,
)
from leanlearn.pls.engine import PLSResult
from leanlearn.pls.moments import fit_resamples

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


# ---- the result -------------------------------------------------------------------------------

def bootstrap(
    result: PLSResult,
    *,
    resamples: int = 5000,
    seed: int | np.random.SeedSequence | None = None,
    workers: int = 1,
    ci_level: float = 0.95,
    progress: Callable[[int], None] | None = None,
    indices: np.ndarray | None = None,
    jackknife: bool = True,
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
        Processes that run blocks (1 = this process only). The work is split into blocks
        (the resample blocks of :data:`CHUNK` draws and the jackknife's blocks of up to
        :data:`CHUNK` cases); this process starts ``workers − 1`` worker processes (no more
        than there are blocks to share) and runs blocks itself, each process taking the next
        block from a shared counter when it is free. Every block's numbers are computed the
        same way wherever it runs, so the results are byte-identical for any ``workers``.
    ci_level : float
        Level of the percentile and BCa intervals.
    progress : callable, optional
        Called with the number of resamples finished after each block (the CLI draws a
        progress bar with it).
    indices : ndarray, shape (B, n), optional
        Explicit 0-based row indices of the resamples (overrides seed and resamples; used
        to reproduce another program's draws exactly).
    jackknife : bool
        Also run the leave-one-case-out jackknife for the BCa acceleration (default). Without
        it the result has no jackknife (``bca_available`` False): its BCa columns are NaN and
        a BCa test gives NaN; the percentile results are the same numbers either way (the
        multiverse skips it for variants that read only percentile intervals).

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
    ['source', 'target', 'estimate', 'bootstrap_mean', 'std_error', 't_value', 'p_value']
    >>> bool((paths.ci_lower < paths.estimate).all() and (paths.estimate < paths.ci_upper).all())
    True

    The same seed gives the same draws whatever the number of workers:

    >>> again = ll.bootstrap(res, resamples=500, seed=42, workers=2)
    >>> bool((again.table("paths").std_error == paths.std_error).all())
    True
    """
    plan = result.plan
    X = result.prepared.raw
    n = X.shape[0]
    wts = result.prepared.weights  # weighted PLS: None when unweighted
    if indices is not None:
        idx = np.asarray(indices, dtype=int)
        resamples = idx.shape[0]
        _init_worker(plan, X, seed, resamples, weights=wts)
        with one_blas_thread():
            parts = [_summaries(plan, fit_resamples(plan, X, _weighted(resample_counts(idx, n), wts), _features()))]
        jparts = [_run_chunk(-1 - j) for j in range(len(_chunk_bounds(n)))] if jackknife else []
    else:
        if resamples < 2:
            raise ValueError("resamples must be at least 2")
        if seed is None:  # one fresh entropy for all blocks, recorded in the result
            seed = int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]
        # resample blocks 0, 1, ..., then the jackknife's blocks -1, -2, ... (for the BCa acceleration)
        n_boot = len(_chunk_bounds(resamples))
        chunks = list(range(n_boot)) + ([-1 - j for j in range(len(_chunk_bounds(n)))] if jackknife else [])
        processes = min(int(workers), len(chunks))  # no more processes than blocks
        parts = _run_blocks(chunks, n_boot, processes, (plan, X, seed, resamples, wts), progress)
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
    jsum = {k: np.concatenate([p[k] for p in jparts]) for k in jparts[0]} if jparts else None

    kept = summ if valid.all() else {k: v[valid] for k, v in summ.items()}  # no copy when every resample is valid
    flat = _flatten(result, kept)
    jflat = _flatten(result, jsum) if jsum is not None else None
    est = _flatten(result, _summaries(plan, result.batch))
    reap_workers()  # the worker processes have ended meanwhile
    return BootstrapResult(
        result=result,
        resamples=resamples,
        seed=seed,
        ci_level=ci_level,
        path_draws=kept["paths"],
        path_jackknife=jsum["paths"] if jsum is not None else None,
        draws=flat,
        jackknife=jflat,
        estimates={k: v[0] for k, v in est.items()},
        labels=_labels(result),
        status=status,
    )


