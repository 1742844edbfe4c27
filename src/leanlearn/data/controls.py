"""Control variables: entering archival controls into a model as observed single-item constructs.

Controls are never imputed: a case without a control value is left out of the model that
uses the control, and listed (docs/methods.md §1.9: financials are never mean-imputed).
"""

from __future__ import annotations

import re
from typing import Sequence

import pandas as pd

from leanlearn.errors import DataError, SpecError
from leanlearn.spec.model import ModelSpec, parse_model

__all__ = ["add_controls"]


def _safe(name: str) -> str:
    out = re.sub(r"[^A-Za-z0-9_.]", "_", str(name)).strip("_")
    if not out or not re.match(r"[A-Za-z_]", out):
        out = f"v_{out}"
    return out


def add_controls(
    spec: ModelSpec,
    data: pd.DataFrame,
    *,
    variables: Sequence[str],
    targets: Sequence[str],
    categorical: Sequence[str] = (),
    ids: Sequence[str] = ("respondent_id", "firm_id"),
    source: str | None = None,
) -> tuple[ModelSpec, pd.DataFrame, pd.DataFrame]:
    """Add control variables as predictors of the given endogenous constructs.

    Parameters
    ----------
    spec : ModelSpec
    data : DataFrame
    variables : sequence of str
        Columns of ``data`` used as controls. Numeric columns enter as they are;
        categorical ones (listed in ``categorical`` or non-numeric) enter as dummy
        variables, one per level except the most frequent (the reference level).
    targets : sequence of str
        Endogenous constructs that receive every control.
    ids : sequence of str
        Identifier columns copied into the list of removed cases when present.
    source : str, optional
        Data file name for error messages.

    Returns
    -------
    (spec, data, excluded): the model with the control paths; the data with dummy columns
    added and the cases without a control value removed; a DataFrame of removed cases
    (row: 1-based data row, the identifier columns, variable, reason; one row per missing
    control value).
    """
    where = f"{source}: " if source else ""
    if not variables:
        return spec, data, pd.DataFrame(columns=["row", "variable", "reason"])
    missing_cols = [v for v in variables if v not in data.columns]
    if missing_cols:
        raise DataError(
            f"{where}control variable(s) not in the data: {', '.join(missing_cols)}. "
            "Check the `controls` section of config.yaml against the merged analysis file."
        )
    endo = set(spec.endogenous)
    bad_targets = [t for t in targets if t not in endo]
    if bad_targets:
        raise SpecError(f"controls.targets: {', '.join(bad_targets)} not endogenous constructs of the model (choose among {', '.join(spec.endogenous)})")
    rows = []
    keep = pd.Series(True, index=data.index)
    id_cols = [c for c in ids if c in data.columns]
    for v in variables:
        miss = data[v].isna()
        for pos in map(int, miss.to_numpy().nonzero()[0]):
            rows.append([pos + 1, *(data[c].iloc[pos] for c in id_cols), v, "control value missing (controls are never imputed)"])
        keep &= ~miss
    out = data.loc[keep].copy()
    predictors: list[str] = []
    new_cols: dict[str, pd.Series] = {}
    for v in variables:
        col = out[v]
        num = pd.to_numeric(col, errors="coerce")
        is_cat = v in categorical or num.notna().sum() < col.notna().sum()
        if not is_cat:
            name = _safe(v)
            new_cols[name] = num
            predictors.append(name)
            continue
        counts = col.astype(str).value_counts()
        reference = counts.index[0]
        if len(counts) == 1:
            raise DataError(f"{where}categorical control '{v}' has a single level ({reference}); drop it from the controls")
        for level in sorted(counts.index[1:]):
            name = _safe(f"{v}_{level}")
            new_cols[name] = (col.astype(str) == level).astype(float)
            predictors.append(name)
    out = pd.concat([out.drop(columns=[c for c in new_cols if c in out.columns]), pd.DataFrame(new_cols, index=out.index)], axis=1)
    taken = set(spec.construct_names) | set(spec.items)
    clash = [p for p in predictors if p in taken]
    if clash:
        raise SpecError(f"control name(s) clash with model names: {', '.join(clash)}")
    extra = [f"{t} ~ {' + '.join(predictors)}" for t in targets]
    new_spec = parse_model(spec.text.rstrip() + "\n# controls (added from config)\n" + "\n".join(extra) + "\n")
    excluded = pd.DataFrame(rows, columns=["row", *id_cols, "variable", "reason"])
    return new_spec, out, excluded
