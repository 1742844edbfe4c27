"""Descriptive statistics of items and constructs, for the paper's descriptives table.

Pure functions: data (or a fitted :class:`~leanlearn.pls.engine.PLSResult`) in, tidy DataFrames
out. Reviewers ask for item and construct descriptives and the correlation matrix so that
the model can be re-estimated from the paper (docs/methods.md section 7, item 6).

Estimators
----------
* ``sd``: sample standard deviation with divisor n - 1.
* ``skewness``: the adjusted Fisher-Pearson coefficient
  :math:`G_1 = \\frac{\\sqrt{n(n-1)}}{n-2} g_1`, :math:`g_1 = m_3 / m_2^{3/2}`.
* ``excess_kurtosis``: excess kurtosis with the bias correction
  :math:`G_2 = \\frac{n-1}{(n-2)(n-3)}[(n+1) g_2 + 6]`, :math:`g_2 = m_4 / m_2^2 - 3`
  (0 for a normal distribution).

  :math:`m_k` are the central sample moments with divisor n. These are pandas'
  ``Series.skew`` / ``Series.kurt`` and scipy's ``skew(bias=False)`` /
  ``kurtosis(fisher=True, bias=False)`` (the estimators of SPSS, SAS and Excel; Joanes &
  Gill 1998, "type 2"); tests/test_describe.py checks them against scipy and the formulas.
"""

from __future__ import annotations

from typing import Mapping, Sequence, cast

import numpy as np
import pandas as pd
from scipy import stats

from leanlearn.errors import DataError
from leanlearn.spec.model import ModelSpec, parse_model

__all__ = [
    "ITEM_COLUMNS",
    "item_descriptives",
    "construct_descriptives",
    "score_correlations",
    "correlation_table",
]

ITEM_COLUMNS = [
    "item", "construct", "n", "mean", "sd", "min", "max", "skewness", "excess_kurtosis", "share_missing", "n_missing",
]  # fmt: skip


def _blocks(model: ModelSpec | str | Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    """Construct -> items from a model (measured and observed constructs) or a mapping."""
    if isinstance(model, Mapping):
        return {str(c): tuple(items) for c, items in model.items()}
    spec = parse_model(model) if isinstance(model, str) else model
    return {c.name: c.indicators for c in spec.constructs}


def item_descriptives(data: pd.DataFrame, model: ModelSpec | str | Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """Descriptive statistics of every item of a model.

    Parameters
    ----------
    data : DataFrame
        One row per case; items as numeric columns (NaN = missing). Pass the data
        **before** any missing-data treatment (``survey_kept_untreated.csv``): after mean
        replacement every item would show 0 % missing and a shrunken SD.
    model : ModelSpec, str or mapping
        A model (its constructs' indicators are described, observed variables such as
        controls included) or a mapping construct -> items (e.g. a codebook's
        ``items_by_construct``, to include the marker).

    Returns
    -------
    DataFrame
        One row per item, in model order:

        ===================  ===============================================================
        ``item``             item id
        ``construct``        construct it measures
        ``n``                non-missing values
        ``mean``             arithmetic mean
        ``sd``               standard deviation (divisor n - 1)
        ``min``, ``max``     smallest and largest value
        ``skewness``         adjusted Fisher-Pearson G1 (see the module docstring)
        ``excess_kurtosis``  bias-corrected excess kurtosis G2 (normal = 0)
        ``share_missing``    missing values / rows
        ``n_missing``        missing values
        ===================  ===============================================================

        Statistics that need more values than are available are NaN (sd: 2, skewness: 3,
        excess_kurtosis: 4).

    Raises
    ------
    DataError
        An item missing from the data or not numeric.
    """
    blocks = _blocks(model)
    rows = []
    n_rows = len(data)
    for construct, items in blocks.items():
        for item in items:
            if item not in data.columns:
                raise DataError(f"item descriptives: the data have no column {item} (construct {construct})")
            try:
                x = pd.to_numeric(data[item], errors="raise").astype("float64")
            except (TypeError, ValueError):
                raise DataError(f"item descriptives: column {item} is not numeric") from None
            v = x.dropna()
            rows.append(
                {
                    "item": item,
                    "construct": construct,
                    "n": int(v.size),
                    "mean": float(v.mean()) if v.size else np.nan,
                    "sd": float(v.std(ddof=1)) if v.size > 1 else np.nan,
                    "min": float(v.min()) if v.size else np.nan,
                    "max": float(v.max()) if v.size else np.nan,
                    "skewness": float(cast(float, v.skew())) if v.size > 2 else np.nan,
                    "excess_kurtosis": float(cast(float, v.kurt())) if v.size > 3 else np.nan,
                    "share_missing": float(x.isna().sum() / n_rows) if n_rows else np.nan,
                    "n_missing": int(x.isna().sum()),
                }
            )
    return pd.DataFrame(rows, columns=ITEM_COLUMNS)


# =================================================================================================
# Constructs (from a PLS result)
# =================================================================================================
def _score_constructs(result) -> list[str]:
    inter = {i.name for i in result.spec.interactions}
    return [c for c in result.scores.columns if c not in inter]


def _rescaled_composites(result) -> pd.DataFrame:
    """Construct composites on the items' own scale (see :func:`construct_descriptives`)."""
    x = pd.DataFrame(result.prepared.X, columns=list(result.prepared.items), index=result.prepared.index)
    weights = result.outer_weights
    out = {}
    for c in _score_constructs(result):
        w = weights.loc[weights["construct"] == c].set_index("indicator")["estimate"]
        items = list(w.index)
        if len(items) == 1:
            out[c] = x[items[0]]
            continue
        sd = x[items].std(ddof=1)
        raw = w / sd
        total = raw.sum()
        if not np.isfinite(total) or total <= 0:
            out[c] = pd.Series(np.nan, index=x.index)
            continue
        out[c] = x[items] @ (raw / total)
    return pd.DataFrame(out, index=x.index)


def construct_descriptives(result) -> pd.DataFrame:
    """Mean and standard deviation of every construct on its items' scale.

    PLS construct scores are standardised (mean 0, SD 1). To report construct means and
    SDs on the response scale, each score is mapped back to a weighted mean of its raw
    items with weights that sum to one:

    .. math::

        \\tilde y = \\sum_i v_i x_i, \\qquad v_i = \\frac{w_i / s_i}{\\sum_j w_j / s_j}

    where :math:`w_i` are the outer weights (for standardised items) and :math:`s_i` the
    item SDs. :math:`\\tilde y` is a positive linear transform of the PLS score (so it has
    the same correlations) and lies on the 1-7 scale when the items do (the "rescaled"
    scores of Hair et al.'s importance-performance map, before the 0-100 step). A
    single-item construct or observed variable is described by the variable itself.
    Interaction terms are left out.

    Parameters
    ----------
    result : PLSResult
        From :func:`leanlearn.estimate` (items after its missing-data treatment are used).

    Returns
    -------
    DataFrame
        ``construct, n, mean, sd, min, max`` (sd with divisor n - 1); NaN for a construct
        whose weights do not sum to a positive value on the raw scale.
    """
    comp = _rescaled_composites(result)
    rows = []
    for c in comp.columns:
        v = comp[c].dropna()
        rows.append(
            {
                "construct": c,
                "n": int(v.size),
                "mean": float(v.mean()) if v.size else np.nan,
                "sd": float(v.std(ddof=1)) if v.size > 1 else np.nan,
                "min": float(v.min()) if v.size else np.nan,
                "max": float(v.max()) if v.size else np.nan,
            }
        )
    return pd.DataFrame(rows, columns=["construct", "n", "mean", "sd", "min", "max"])


def score_correlations(result) -> pd.DataFrame:
    """Pearson correlations between PLS construct scores, one row per pair.

    Parameters
    ----------
    result : PLSResult

    Returns
    -------
    DataFrame
        ``construct_a, construct_b, r, n, p_value``: every pair (a before b in model
        order), interaction terms excluded. ``p_value`` is the two-sided test of
        :math:`\\rho = 0` with :math:`t = r\\sqrt{(n-2)/(1-r^2)}` on n - 2 df
        (``scipy.stats.pearsonr``), ignoring that the scores are estimated.
    """
    names = _score_constructs(result)
    s = result.scores[names]
    rows = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            r, p = stats.pearsonr(s[a], s[b])
            rows.append({"construct_a": a, "construct_b": b, "r": float(r), "n": int(len(s)), "p_value": float(p)})
    return pd.DataFrame(rows, columns=["construct_a", "construct_b", "r", "n", "p_value"])


def correlation_table(result, *, diagonal: str = "one") -> pd.DataFrame:
    """The construct correlation table of a paper: means, SDs and the lower triangle.

    Parameters
    ----------
    result : PLSResult
    diagonal : {"one", "sqrt_ave"}
        What the diagonal holds: 1, or the square root of each construct's AVE
        (Fornell-Larcker layout; NaN for single-item constructs and observed variables).

    Returns
    -------
    DataFrame
        One row per construct (model order; interactions excluded): ``construct, mean,
        sd`` (on the items' scale, :func:`construct_descriptives`), then one column per
        construct holding the correlation of the PLS scores in the lower triangle, the
        diagonal as requested and NaN above the diagonal.
    """
    if diagonal not in ("one", "sqrt_ave"):
        raise ValueError(f"diagonal must be 'one' or 'sqrt_ave', got {diagonal!r}")
    names = _score_constructs(result)
    r = np.corrcoef(result.scores[names].to_numpy(), rowvar=False)
    r = np.atleast_2d(r)
    table = np.where(np.tril(np.ones_like(r, dtype=bool), k=-1), r, np.nan)
    if diagonal == "one":
        np.fill_diagonal(table, 1.0)
    else:
        ave = result.reliability.set_index("construct")["ave"] if not result.reliability.empty else pd.Series(dtype=float)
        for k, c in enumerate(names):
            single = len(result.spec.construct(c).indicators) == 1
            table[k, k] = float(np.sqrt(ave[c])) if c in ave.index and not single else np.nan
    desc = construct_descriptives(result).set_index("construct")
    out = pd.DataFrame(table, columns=names)
    out.insert(0, "sd", desc.loc[names, "sd"].to_numpy())
    out.insert(0, "mean", desc.loc[names, "mean"].to_numpy())
    out.insert(0, "construct", names)
    return out
