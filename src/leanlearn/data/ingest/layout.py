"""Survey-tool layouts: Qualtrics' extra header rows, legacy V1.. column names, repeated headers."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from leanlearn.data.ingest.cells import _row_labels
from leanlearn.data.ingest.text import _IMPORT_ID_RE, _check_header, _detect_extra_header_rows
from leanlearn.errors import DataError


def _qualtrics_layout(df: pd.DataFrame, info: dict, source: str, where: str = "") -> tuple[pd.DataFrame, dict]:
    """Detect and remove the extra header rows of a Qualtrics export (both layouts)."""
    notes = info["notes"]
    legacy = _legacy_names(df)
    if legacy:
        renamed = {old: new for old, new in legacy.items()}
        clash = sorted(set(renamed.values()) & (set(df.columns) - set(renamed)))
        if clash:
            raise DataError(
                f"{source}{where}: legacy Qualtrics layout: the real names in row 2 ({', '.join(clash)}) are "
                "already column names in row 1; re-export the survey in the current Qualtrics format"
            )
        df = df.iloc[1:].rename(columns=renamed).reset_index(drop=True)
        _check_header(list(df.columns), source)
        notes.append(
            f"{where.strip(' ,') + ': ' if where else ''}legacy Qualtrics layout: columns "
            f"{next(iter(renamed))}..{list(renamed)[-1]} renamed from row 2 "
            f"({', '.join(list(renamed.values())[:4])}{', ...' if len(renamed) > 4 else ''}); "
            "row 2 (names and question texts) dropped"
        )
        return df, {"layout": "qualtrics-legacy", "header_rows_dropped": ["legacy names and question text"],
                    "first_data_row": 3}
    dropped = _detect_extra_header_rows(df)
    if dropped:
        df = df.iloc[len(dropped):].reset_index(drop=True)
        notes.append(
            f"{where.strip(' ,') + ': ' if where else ''}dropped {len(dropped)} extra header row(s) after the "
            f"column names: {', '.join(dropped)}"
        )
    layout = "qualtrics" if "ImportId" in dropped else ("plain" if not dropped else "question-text row")
    return df, {"layout": layout, "header_rows_dropped": dropped, "first_data_row": 2 + len(dropped)}


#: names the legacy Qualtrics layout puts in row 2 of the ``V`` columns
_LEGACY_NAMES = {
    "responseid", "responseset", "name", "externaldatareference", "emailaddress", "ipaddress", "status",
    "startdate", "enddate", "finished", "locationlatitude", "locationlongitude", "locationaccuracy",
}
_V_RE = re.compile(r"^V(\d+)$")


def _legacy_names(df: pd.DataFrame) -> dict[str, str]:
    """``{V1: ResponseID, ...}`` for a legacy Qualtrics export, else empty."""
    cols = [str(c) for c in df.columns]
    vcols: list[str] = []
    for c in cols:
        m = _V_RE.match(c)
        if not m or int(m.group(1)) != len(vcols) + 1:
            break
        vcols.append(c)
    if len(vcols) < 3 or len(df) < 1:
        return {}
    second: list[Any] = [df[c].iat[0] for c in vcols]
    if any(pd.isna(v) for v in second):
        return {}
    known = sum(str(v).strip().lower() in _LEGACY_NAMES for v in second)
    if known < max(2, len(vcols) // 2):
        return {}
    return {c: str(v).strip() for c, v in zip(vcols, second)}


def _check_repeated_header(df: pd.DataFrame, info: dict, source: str) -> None:
    """Refuse a data row that repeats the column names or an ImportId row."""
    if df.empty:
        return
    # candidates first (cheap): a repeated header repeats the first columns' names or starts with an ImportId
    first = df.iloc[:, : min(3, df.shape[1])]
    cand = np.zeros(len(df), dtype=bool)
    for c in first.columns:
        cells = first[c].to_numpy(dtype=object)
        cand |= cells == c
        cand |= np.fromiter((isinstance(v, str) and v.lstrip().startswith("{") for v in cells), bool, len(cells))
    bad = []
    names = [str(c).strip().lower() for c in df.columns]
    for i in np.flatnonzero(cand):
        row = [v for v in df.iloc[i].tolist()]
        text = ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip() for v in row]
        filled = sum(1 for t in text if t)
        same = sum(1 for t, n in zip(text, names) if t and t.lower() == n)
        importid = sum(1 for t in text if t and _IMPORT_ID_RE.match(t))
        if filled and (same >= 0.8 * len(names) or importid >= 0.5 * filled):
            bad.append(i)
    if len(bad):
        rows = _row_labels(df, info)
        where = ", ".join(f"{info.get('row_label', 'row')} {rows[i]}" for i in bad[:5])
        raise DataError(
            f"{source}: {where} repeat{'s' if len(bad) == 1 else ''} the header (the column names or Qualtrics' "
            "ImportId row) inside the data: the file holds a second block of header rows, e.g. two exports "
            "pasted together. Delete the repeated header rows (keep only the first block) and run again."
        )
