"""Resample estimates from case moments: the bootstrap and the jackknife at the moment-matrix limit.

A resample is a vector of case counts; its item moments are sums over the cases weighted
by those counts, so the moments of a whole block of resamples are one matrix product of
the counts with per-case features, and the PLS iterations run batched on the resulting
correlation matrices. The parts: :mod:`leanlearn.pls.case_moments` (the case features, the item moments of a
block of resamples and the two-stage interaction's product columns) and
:mod:`leanlearn.pls.product_moments` (product-indicator and orthogonalised interactions).
This module holds the entry points, :func:`fit_resamples` and :func:`fit_jackknife`, and
re-exports the parts' public names.

Staged models (higher-order constructs) have no moment form here: :func:`fit_resamples`
hands them to :func:`leanlearn.pls.engine.fit_counts`.
"""

from __future__ import annotations

import numpy as np

from leanlearn.pls import case_moments
from leanlearn.pls.case_moments import CaseFeatures, case_features, item_moments, resample_correlations
from leanlearn.pls.engine import BatchFit, Plan, fit_correlations, fit_counts
from leanlearn.pls.product_moments import (
    ProductFeatures,
    _product_fit,
    product_correlations,
    product_features,
    product_form,
)

__all__ = [
    "CaseFeatures", "case_features", "item_moments", "moment_form", "fit_resamples", "fit_jackknife", "resample_correlations",
    "ProductFeatures", "product_features", "product_correlations", "product_form",
]  # fmt: skip


def moment_form(plan: Plan) -> bool:
    """Whether :func:`resample_correlations` covers ``plan``: no higher-order stages, interactions (if any) two-stage."""
    return getattr(plan, "staged", None) is None and all(g.kind == "two_stage" for g in plan.generated)


def _rows_fit(plan: Plan, X: np.ndarray, counts: np.ndarray) -> BatchFit:
    """:func:`leanlearn.pls.engine.fit_counts` in sub-blocks of resamples whose (b, n, p) row arrays
    stay within :data:`ROW_ELEMENTS` × 16 elements (the row-by-row path of product-indicator and
    orthogonalised interactions and of staged models); every data set's numbers are its own."""
    n = counts.shape[1]
    width = len(plan.final.columns) + len(plan.items)
    step = max(1, (16 * case_moments.ROW_ELEMENTS) // max(1, n * width))
    if counts.shape[0] <= step:
        return fit_counts(plan, X, counts)
    parts = [fit_counts(plan, X, counts[a : a + step]) for a in range(0, counts.shape[0], step)]
    return _concat(parts)


def _concat(parts: list[BatchFit]) -> BatchFit:
    """One BatchFit from the fits of consecutive sub-blocks."""
    from dataclasses import fields

    out: dict = {}
    for f in fields(BatchFit):
        vals = [getattr(p, f.name) for p in parts]
        out[f.name] = None if any(v is None for v in vals) else np.concatenate(vals)
    return BatchFit(**out)


def fit_resamples(plan: Plan, X: np.ndarray, counts: np.ndarray, feats: CaseFeatures | None = None) -> BatchFit:
    """Estimate the model on the data sets given by case counts (B, n) of the sample's raw items X.

    The same numbers as :func:`leanlearn.pls.engine.fit_counts` (to rounding), from one
    matrix product of the counts with the case features. ``feats`` (from
    :func:`case_features`) can be passed to reuse it across blocks.
    """
    if product_form(plan):
        return _product_fit(plan, feats if feats is not None else case_features(X), np.asarray(counts, dtype=float))
    if not moment_form(plan):
        return _rows_fit(plan, X, np.asarray(counts, dtype=float))
    feats = feats if feats is not None else case_features(X)
    c = np.asarray(counts, dtype=float)
    R, col_sd, bad, stage1 = resample_correlations(plan, feats, feats.sums(c), lambda a, b: c[a:b])
    return fit_correlations(plan, R, col_sd, bad, stage1, reliability=False)


def fit_jackknife(
    plan: Plan, X: np.ndarray, leave_out: np.ndarray, feats: CaseFeatures | None = None, *, weights: np.ndarray | None = None
) -> BatchFit:
    """Estimate the model on the samples without case j, for every j in ``leave_out`` (0-based).

    The feature sums of a leave-one-out sample are the sample's total minus the case's own
    features, so no (n, n) count matrix is formed for the item moments. With case
    ``weights`` (frequency weights, as in :func:`leanlearn.pls.engine.estimate`) the case
    counts of sample j are the weights with case j's set to 0.
    """
    leave_out = np.asarray(leave_out, dtype=int)
    n = np.asarray(X).shape[0]

    def counts(a: int, b: int) -> np.ndarray:
        c = np.ones((b - a, n)) if weights is None else np.repeat(np.asarray(weights, dtype=float)[None, :], b - a, axis=0)
        c[np.arange(b - a), leave_out[a:b]] = 0.0
        return c

    if product_form(plan):
        wj = None if weights is None else np.asarray(weights, dtype=float)
        return _product_fit(plan, feats if feats is not None else case_features(X), leave_out=leave_out, weights=wj)
    if not moment_form(plan):
        return _rows_fit(plan, X, counts(0, leave_out.size))
    feats = feats if feats is not None else case_features(X)
    wts = None if weights is None else np.asarray(weights, dtype=float)
    R, col_sd, bad, stage1 = resample_correlations(plan, feats, feats.jackknife_sums(leave_out, wts), counts, leave_out=leave_out,
                                                   weights=wts)
    return fit_correlations(plan, R, col_sd, bad, stage1, reliability=False)


