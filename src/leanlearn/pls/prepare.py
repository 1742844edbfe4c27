"""Checking and preparing the item data a model needs: missing codes, missing-data treatment.

Pure functions: a DataFrame in, arrays and a tidy report out. Nothing is dropped or
imputed silently: :class:`PreparedData` records the rows removed (listwise deletion) and
the cells replaced (mean replacement), item by item.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence, cast

import numpy as np
import pandas as pd

from leanlearn.errors import DataError, safe_cell

__all__ = ["PreparedData", "prepare_data", "case_weights", "MISSING_TREATMENTS"]

MISSING_TREATMENTS = ("mean", "listwise")


@dataclass(frozen=True)
class PreparedData:
    """Item data ready for estimation.

    Attributes
    ----------
    X : ndarray, shape (n_used, p)
        Item values after the missing-data treatment (no NaN).
    raw : ndarray, shape (n_used, p)
        The same rows before mean replacement (NaN where missing). The bootstrap uses it
        to repeat the mean replacement inside every resample, as seminr does.
    items : tuple of str
    index : pandas.Index
        Row labels of the rows used, in data order.
    n_raw : int
        Rows in the input.
    missing : str
        "mean" or "listwise".
    report : DataFrame
        One row per indicator: indicator, n_missing, share_missing, replaced_by (the mean used, NaN
        when nothing was replaced).
    dropped_rows : tuple
        Row labels removed by listwise deletion.
    weights : ndarray of shape (n_used,), or None
        Case weights of the rows used (``prepare_data(weights=...)``), None when unweighted.
        They are frequency weights: a case with weight 2 counts as two identical cases.
    weights_name : str, optional
        The weights column (for reports).
    """

    X: np.ndarray
    raw: np.ndarray
    items: tuple[str, ...]
    index: pd.Index
    n_raw: int
    missing: str
    report: pd.DataFrame = field(repr=False)
    dropped_rows: tuple = ()
    weights: np.ndarray | None = field(default=None, repr=False)
    weights_name: str | None = None

    @property
    def has_missing(self) -> bool:
        return bool(np.isnan(self.raw).any())


def _row_label(index: pd.Index, pos: int) -> str:
    label = index[pos]
    return f"row {label}" if not isinstance(label, (int, np.integer)) else f"row {int(label) + 1}"


def prepare_data(
    data: pd.DataFrame,
    items: Sequence[str],
    *,
    missing_value: float | int | str | None = None,
    missing: str = "mean",
    source: str | None = None,
    weights: str | Sequence[float] | np.ndarray | None = None,
) -> PreparedData:
    """Select, check and clean the items used by a model.

    Parameters
    ----------
    data : DataFrame
        Raw data; the items are columns.
    items : sequence of str
        Item names used by the model.
    missing_value : number or str, optional
        A code that marks missing cells (for example -99). Empty cells and NaN are always
        missing.
    missing : {"mean", "listwise"}
        Mean replacement (each missing cell replaced by the mean of the observed values of
        its item over all rows, as seminr's ``mean_replacement``) or listwise deletion.
    source : str, optional
        File name used in error messages.
    weights : str or array-like, optional
        Case weights: the name of a column of ``data`` or one number per row (see
        :func:`case_weights`). With weights, mean replacement uses the *weighted* mean of
        the observed values, so integer weights give exactly the data with duplicated rows;
        listwise deletion drops a row's weight with it.

    Returns
    -------
    PreparedData

    Raises
    ------
    DataError
        Items missing from the data (all of them listed); a non-numeric cell (column, row
        and value named); an item without any observed value; an item that is constant
        (zero variance) after the treatment; fewer than 3 usable rows.
    """
    where = f"{source}: " if source else ""
    if missing not in MISSING_TREATMENTS:
        raise DataError(f"missing-data treatment must be one of {MISSING_TREATMENTS}, not {missing!r}")
    items = tuple(items)
    absent = [i for i in items if i not in data.columns]
    if absent:
        raise DataError(
            f"{where}{len(absent)} item(s) of the model are not columns of the data: {', '.join(absent)}. "
            "Check the spelling in the model file, or rename the data columns."
        )
    frame = data.loc[:, list(items)]
    values = np.empty(frame.shape, dtype=float)
    for j, item in enumerate(items):
        values[:, j] = _numeric_item(frame[item], item, missing_value, where)

    n_raw = values.shape[0]
    miss = np.isnan(values)
    n_missing = miss.sum(axis=0)
    empty = [items[j] for j in range(len(items)) if n_missing[j] == n_raw]
    if empty:
        raise DataError(f"{where}item(s) with no observed value: {', '.join(empty)}")

    w = None if weights is None else case_weights(data, weights, source=source, items=items)
    index = frame.index
    dropped: tuple = ()
    replaced = np.full(len(items), np.nan)
    if missing == "listwise":
        keep = cast(np.ndarray, ~miss.any(axis=1))  # numpy's stubs type a reduction over an axis as scalar or array
        dropped = tuple(index[~keep])
        values = values[keep]
        raw = values.copy()
        index = index[keep]
        X = values
        if w is not None:
            w = w[keep]
    else:
        raw = values
        if w is None:
            means = np.nanmean(values, axis=0)
        else:  # weighted mean of the observed values = the mean of the duplicated rows
            obs = ~miss
            means = (w @ np.where(obs, values, 0.0)) / (w @ obs.astype(float))
        X = np.where(miss, means, values)
        replaced = np.where(n_missing > 0, means, np.nan)

    _check_usable(X, w, weights, items, missing, where)
    report = pd.DataFrame(
        {
            "indicator": list(items),
            "n_missing": n_missing.astype(int),
            "share_missing": n_missing / n_raw,
            "replaced_by": replaced,
        }
    )
    return PreparedData(
        X=np.ascontiguousarray(X),
        raw=np.ascontiguousarray(raw),
        items=items,
        index=index,
        n_raw=n_raw,
        missing=missing,
        report=report,
        dropped_rows=dropped,
        weights=None if w is None else np.ascontiguousarray(w, dtype=float),
        weights_name=None if weights is None else (weights if isinstance(weights, str) else "weights"),
    )


def _numeric_item(col: pd.Series, item: str, missing_value: float | int | str | None, where: str) -> np.ndarray:
    """One item column as floats, the missing-value code and empty cells as NaN; other text refused."""
    if isinstance(col.dtype, np.dtype) and col.dtype.kind in "fiub" and not isinstance(missing_value, str):
        # a plain numeric column: every cell is a number or NaN, the code is a number
        num_values = col.to_numpy(dtype=float)
        if missing_value is not None:
            num_values = np.where(num_values == float(missing_value), np.nan, num_values)
        return num_values
    if missing_value is not None:
        code = missing_value
        col = col.mask(col.astype(str).str.strip() == str(code).strip()) if isinstance(code, str) else col.mask(
            pd.to_numeric(col, errors="coerce") == float(code)
        )
    num = pd.to_numeric(col, errors="coerce")
    bad = num.isna() & col.notna() & (col.astype(str).str.strip() != "")
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            f"{where}column '{item}', {_row_label(col.index, pos)}: value {safe_cell(col.iloc[pos])} is not a number "
            f"({int(bad.sum())} such cell(s) in this column). Recode it, or declare it as the missing-value code."
        )
    return num.to_numpy(dtype=float)


def _check_usable(
    X: np.ndarray,
    w: np.ndarray | None,
    weights: str | Sequence[float] | np.ndarray | None,
    items: tuple[str, ...],
    missing: str,
    where: str,
) -> None:
    """Refuse fewer than 3 rows, weights summing to 1 or less, and constant items after the treatment."""
    if X.shape[0] < 3:
        raise DataError(f"{where}only {X.shape[0]} usable row(s) after {missing} treatment; at least 3 are needed")
    if w is not None and not w.sum() > 1:
        name = weights if isinstance(weights, str) else "the case weights"
        raise DataError(
            f"{where}weights column '{name}': the weights of the rows used sum to 1 or less (all zero, or probabilities). "
            "They are frequency weights (N is their sum); rescale them, e.g. to a mean of 1."
        )
    sd = X.std(axis=0, ddof=1)
    constant = [items[j] for j in range(len(items)) if not sd[j] > 0]
    if constant:
        raise DataError(
            f"{where}item(s) with zero variance (every used row has the same value): {', '.join(constant)}. "
            "A constant item carries no information; remove it from the model."
        )


def case_weights(data: pd.DataFrame, weights, *, source: str | None = None, items: Sequence[str] = ()) -> np.ndarray:
    """Validated case weights, one non-negative finite number per row of ``data``.

    Parameters
    ----------
    data : DataFrame
    weights : str or array-like
        A column of ``data`` (not one of the model's ``items``), or one weight per row.
    source : str, optional
        File name for messages.

    Returns
    -------
    ndarray of float, shape (len(data),)

    Raises
    ------
    DataError
        Naming the file and the column, the number of offending rows and the first one, but
        never a cell's value: the column is absent or an item of the model; a cell is not a
        number; a weight is missing, negative or infinite.
    """
    where = f"{source}: " if source else ""
    if isinstance(weights, str):
        name = weights
        if name not in data.columns:
            raise DataError(f"{where}no weights column '{name}'; name a column of case weights in this file")
        if name in set(items):
            raise DataError(f"{where}the weights column '{name}' is an item of the model; name a separate column of case weights")
        col = data[name]
    else:
        name = "weights"
        values = np.asarray(weights)
        if values.ndim != 1 or len(values) != len(data):
            raise DataError(f"{where}case weights: {values.size} weight(s) for {len(data)} rows; give one weight per row")
        col = pd.Series(values, index=data.index)
    text = col.astype(str).str.strip()
    blank = col.isna() | (text == "")
    num = pd.to_numeric(col.where(~blank), errors="coerce")
    problems = [
        ("cell(s) that are not numbers", (num.isna() & ~blank).to_numpy()),
        ("row(s) without a weight", blank.to_numpy()),
        ("negative weight(s)", (num < 0).to_numpy()),
        ("infinite weight(s)", np.isinf(num.to_numpy(dtype=float))),
    ]
    for what, mask in problems:
        if mask.any():
            pos = int(np.flatnonzero(mask)[0])
            raise DataError(
                f"{where}weights column '{name}': {int(mask.sum())} {what} (first at {_row_label(data.index, pos)}). "
                "Every case needs a finite, non-negative weight; fix the column or leave those cases out of the file."
            )
    w = num.to_numpy(dtype=float)
    if not (w > 0).any():
        raise DataError(f"{where}weights column '{name}': every weight is zero; at least some cases need a positive weight")
    return w
