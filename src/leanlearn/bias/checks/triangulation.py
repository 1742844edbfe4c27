"""Triangulating survey measures against archival (secondary) data."""

from __future__ import annotations

import math
from typing import Sequence, cast

import numpy as np
import pandas as pd
from scipy import stats

from leanlearn.bias.checks.config import TriangulationSpec
from leanlearn.errors import DataError

# =================================================================================================
# Archival triangulation
# =================================================================================================
TRIANGULATION_COLUMNS = [
    "construct", "measure", "variable", "per", "log", "n", "r", "ci_lower", "ci_upper", "ci_level", "p_value",
    "spearman_rho", "spearman_p_value",
]  # fmt: skip


def archival_measure(data: pd.DataFrame, spec: "TriangulationSpec") -> pd.Series:
    """The archival measure of a triangulation pair: variable [/ per], [log]; non-positive values under log are NaN."""
    for col in (spec.variable, spec.per):
        if col and col not in data.columns:
            raise DataError(f"archival triangulation: the data have no column '{col}' (bias.triangulation)")
    y = pd.to_numeric(data[spec.variable], errors="coerce").astype(float)
    if spec.per:
        d = pd.to_numeric(data[spec.per], errors="coerce").astype(float)
        y = y / d.where(d != 0)
    if spec.log:
        y = cast(pd.Series, np.log(y.where(y > 0)))  # a ufunc of a Series is a Series; the stubs say ndarray
    return y


def archival_triangulation(
    scores: pd.DataFrame,
    data: pd.DataFrame,
    pairs: Sequence["TriangulationSpec"],
    *,
    ci_level: float = 0.95,
) -> pd.DataFrame:
    """Correlation of a perceived (survey) construct with an archival measure of the same concept.

    Perceptual performance measures are validated by their convergence with objective ones
    (Wall et al. 2004; Ketokivi & Schroeder 2004): a clearly positive correlation of the
    construct score with the archival measure supports the survey measure, and the archival
    measure comes from another source, so the correlation is free of common-method variance.

    Pearson r with a Fisher-z interval :math:`\\tanh(\\mathrm{atanh}\\,r \\pm z_{1-\\alpha/2}/\\sqrt{n-3})`
    and its two-sided t test (``scipy.stats.pearsonr``), and Spearman's rho. Cases with a
    missing score or archival value are left out (n says how many remain).

    Parameters
    ----------
    scores : DataFrame
        Construct scores (index aligned with ``data``).
    data : DataFrame
        The analysis data with the archival columns.
    pairs : sequence of TriangulationSpec
    ci_level : float

    Returns
    -------
    DataFrame
        :data:`TRIANGULATION_COLUMNS`, one row per pair.
    """
    rows = []
    z = stats.norm.ppf(0.5 + ci_level / 2)
    for spec in pairs:
        if spec.construct not in scores.columns:
            raise DataError(f"archival triangulation: the model has no construct '{spec.construct}' (bias.triangulation)")
        y = archival_measure(data.loc[scores.index], spec)
        x = pd.to_numeric(scores[spec.construct], errors="coerce")
        ok = x.notna() & y.notna() & np.isfinite(y)
        n = int(ok.sum())
        row: dict[str, object] = {c: np.nan for c in TRIANGULATION_COLUMNS}
        row.update(construct=spec.construct, measure=spec.label, variable=spec.variable, per=spec.per or "", log=spec.log, n=n, ci_level=ci_level)
        if n >= 4 and x[ok].std() > 0 and y[ok].std() > 0:
            r, p = stats.pearsonr(x[ok], y[ok])
            rho, p_rho = stats.spearmanr(x[ok], y[ok])
            half = z / math.sqrt(n - 3)
            row.update(
                r=float(r), p_value=float(p), ci_lower=float(np.tanh(np.arctanh(r) - half)), ci_upper=float(np.tanh(np.arctanh(r) + half)),
                spearman_rho=float(rho), spearman_p_value=float(p_rho),
            )  # fmt: skip
        rows.append(row)
    return pd.DataFrame(rows, columns=TRIANGULATION_COLUMNS)
