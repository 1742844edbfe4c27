"""Response rate and sample flow: responding units against the sampling frame.

Pure functions: the screening stage's per-response flags (``results/screening/flags.csv``)
and the sampling frame in, a tidy table out.

A response rate is a ratio of *units* (firms), not of records: a firm that answered twice,
or a record that duplicates another one, is one responding unit. The responding units are
therefore counted after duplicate removal, as the number of distinct unit ids among the
responses that the screening did not drop as the duplicate member of a group (AAPOR 2023,
Standard Definitions: the rate counts eligible units; partial responses count as responding
units, as in AAPOR's RR2). The usable response rate counts the units kept after screening,
and the analysed rate those actually analysed.
"""

from __future__ import annotations

from typing import Sequence

import pandas as pd

from leanlearn.errors import DataError

__all__ = ["RESPONSE_COLUMNS", "DUPLICATE_FLAGS", "response_counts"]

RESPONSE_COLUMNS = ["quantity", "value", "definition"]

# Columns of flags.csv that mark the dropped member of a group of duplicates.
DUPLICATE_FLAGS: tuple[str, ...] = ("dup_respondent_id", "dup_answers", "dup_firm")


def _truthy(s: pd.Series) -> pd.Series:
    if s.dtype == bool:
        return s
    return s.map(lambda v: str(v).strip().lower() in ("true", "1", "yes") if pd.notna(v) else False).astype(bool)


def response_counts(
    flags: pd.DataFrame,
    frame_ids: Sequence,
    *,
    kept_ids: Sequence | None = None,
    n_analysed: int | None = None,
    id_column: str = "firm_id",
    duplicate_flags: Sequence[str] = DUPLICATE_FLAGS,
) -> pd.DataFrame:
    """Responses, responding units and response rates against the sampling frame.

    .. math::

        \\text{response rate} = \\frac{\\#\\{\\text{distinct unit ids of the non-duplicate responses}\\}}
        {\\#\\{\\text{units in the frame}\\}}

    Parameters
    ----------
    flags : DataFrame
        One row per response in the export, with ``id_column`` and the duplicate flags
        (``flags.csv`` of ``leanlearn screen``). Flags absent from the table count as
        False, so without any flag every distinct id is a unit.
    frame_ids : sequence
        Ids of every invited unit (the sampling frame).
    kept_ids : sequence, optional
        Unit ids of the responses kept after screening (the usable responses).
    n_analysed : int, optional
        Units in the main analysis (after cases without required data are left out).
    id_column : str
    duplicate_flags : sequence of str
        Boolean columns marking a response as the dropped member of a group of duplicates.

    Returns
    -------
    DataFrame
        ``quantity, value, definition`` with the quantities ``n_frame``, ``n_responses``
        (records in the export), ``n_duplicate_responses``, ``n_responding_units``,
        ``response_rate``, and when given ``n_kept``, ``usable_response_rate``,
        ``n_analysed``, ``analysed_response_rate``. Rates are shares (0-1).

    Raises
    ------
    DataError
        No id column, an empty frame, or responding ids that are not in the frame.
    """
    if id_column not in flags.columns:
        raise DataError(f"response rate: the screening flags have no '{id_column}' column")
    frame = pd.Series(list(frame_ids), dtype=object).dropna().astype(str).str.strip()
    if frame.empty:
        raise DataError("response rate: the sampling frame lists no units")
    frame_set = set(frame)
    ids = flags[id_column].astype(object).where(flags[id_column].notna())
    ids = ids.map(lambda v: str(v).strip() if pd.notna(v) else None)
    dup = pd.Series(False, index=flags.index)
    for col in duplicate_flags:
        if col in flags.columns:
            dup |= _truthy(flags[col])
    units = {v for v in ids[~dup] if v}
    unknown = sorted(units - frame_set)
    if unknown:
        raise DataError(
            f"response rate: {len(unknown)} responding id(s) in '{id_column}' are not in the sampling frame "
            f"(first: {unknown[0]}); the frame must list every invited unit"
        )
    n_frame = len(frame_set)
    rows = [
        ("n_frame", n_frame, "units invited (distinct ids of the sampling frame)"),
        ("n_responses", int(len(flags)), "response records in the survey export"),
        ("n_duplicate_responses", int(dup.sum()), "records dropped as duplicates (same respondent, same answers or a unit's further response)"),
        ("n_responding_units", len(units), "distinct unit ids among the non-duplicate responses"),
        ("response_rate", len(units) / n_frame, "n_responding_units / n_frame"),
    ]
    if kept_ids is not None:
        kept = {str(v).strip() for v in kept_ids if pd.notna(v)}
        rows += [
            ("n_kept", len(kept), "distinct units kept after screening"),
            ("usable_response_rate", len(kept) / n_frame, "n_kept / n_frame"),
        ]
    if n_analysed is not None:
        rows += [
            ("n_analysed", int(n_analysed), "units in the main analysis"),
            ("analysed_response_rate", int(n_analysed) / n_frame, "n_analysed / n_frame"),
        ]
    out = pd.DataFrame(rows, columns=RESPONSE_COLUMNS)
    out["value"] = out["value"].astype(float)
    return out
