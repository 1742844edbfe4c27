"""Reading Excel (.xlsx), SPSS (.sav/.zsav) and Stata (.dta) exports as untouched cell values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from leanlearn.data.ingest.cells import number_format
from leanlearn.data.ingest.layout import _qualtrics_layout
from leanlearn.data.ingest.text import _blank_to_na, _check_header
from leanlearn.errors import DataError
from leanlearn.extras import require


def _read_excel(path: Path, sheet: str | None) -> tuple[pd.DataFrame, dict]:
    import openpyxl  # type: ignore[import-untyped]

    source = str(path)
    require("openpyxl", "reading an Excel export")
    try:
        wb = openpyxl.load_workbook(path, read_only=False, data_only=True)
    except Exception as exc:  # openpyxl raises many types for corrupt files
        raise DataError(f"{source}: cannot read the Excel file ({type(exc).__name__}); re-export it as .xlsx or CSV") from exc
    names = list(wb.sheetnames)
    if sheet is not None:
        if sheet not in names:
            raise DataError(
                f"{source}: no sheet named {sheet!r} in the workbook; its sheets are {', '.join(map(repr, names))}"
            )
        chosen = [sheet]
    else:
        chosen = [n for n in names if wb[n].max_row > 1 or any(c.value is not None for c in wb[n][1])]
        chosen = chosen or names[:1]
    notes: list[str] = []
    frames = [_read_sheet(wb[name], name, source, f", sheet {name!r}" if len(names) > 1 else "", notes)
              for name in chosen]
    if len(frames) > 1:
        headers = {tuple(df.columns) for _, df, _ in frames}
        if len(headers) > 1:
            raise DataError(
                f"{source}: the workbook has {len(frames)} sheets with data ({', '.join(repr(n) for n, _, _ in frames)}) "
                "and their header rows differ, so they cannot be read as one table. Name the sheet that holds the "
                "responses: codebook key 'sheet: <name>' or 'leanlearn ingest --sheet <name>'."
            )
    layout0 = frames[0][2]
    info = {
        "format": "xlsx",
        "encoding": None,
        "delimiter": None,
        "number_format": number_format(None),
        "row_label": "row",
        "value_labels": {},
        "column_labels": {},
        "user_missing": {},
        "notes": notes,
        "sheets": [n for n, _, _ in frames],
    }
    if layout0:
        info.update(layout0)
    return _one_table(frames, names, info, notes)


def _one_table(frames: list, names: list[str], info: dict, notes: list[str]) -> tuple[pd.DataFrame, dict]:
    """The one sheet read, or sheets with identical header rows stacked as one table."""
    name0, df0, _ = frames[0]
    if len(frames) == 1:
        if len(names) > 1:
            notes.append(f"read sheet {name0!r} of the workbook (sheets: {', '.join(map(repr, names))})")
        else:
            notes.append("read the only sheet of the workbook")
        return df0, info
    row_names = []
    for name, df, layout in frames:
        first = (layout or {}).get("first_data_row", 2)
        row_names += [f"{first + k} of sheet {name!r}" for k in range(len(df))]
    stacked = pd.concat([df for _, df, _ in frames], ignore_index=True)
    info["row_names"] = row_names
    notes.append(
        f"the workbook has {len(frames)} sheets with identical header rows; stacked them as one table: "
        + ", ".join(f"{n!r} ({len(df)} rows)" for n, df, _ in frames)
    )
    return stacked, info


def _read_sheet(ws: Any, name: str, source: str, where: str, notes: list[str]) -> tuple[str, pd.DataFrame, Any]:
    """One worksheet as untouched cell values: (sheet name, frame, Qualtrics layout)."""
    import openpyxl

    for rng in ws.merged_cells.ranges:
        if rng.min_row == 1:
            raise DataError(
                f"{source}{where}: header cells {rng.coord} are merged; every column needs its own name in "
                "row 1. Unmerge the cells and give each column a unique name."
            )
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    while rows and all(v is None or (isinstance(v, str) and not v.strip()) for v in rows[-1]):
        rows.pop()
    if not rows:
        return name, pd.DataFrame(), []
    width = max(len(r) for r in rows)
    header = rows[0] + [None] * (width - len(rows[0]))
    while width and header[width - 1] is None and all(len(r) < width or r[width - 1] is None for r in rows):
        width -= 1
    header = header[:width]
    empty = [openpyxl.utils.get_column_letter(k + 1) for k, h in enumerate(header) if h is None or not str(h).strip()]
    if empty:
        raise DataError(
            f"{source}{where}: the header row has no name in column(s) {', '.join(empty)} (merged or empty "
            "header cells?); every column needs its own name in row 1."
        )
    header = [_excel_text(h) if not isinstance(h, str) else h for h in header]
    _check_header(header, f"{source}{where}")
    body = [(r + [None] * width)[:width] for r in rows[1:]]
    df = pd.DataFrame(body, columns=header, dtype=object)
    df = df.astype(object).map(lambda v: v if isinstance(v, str) or v is None or pd.isna(v) else _excel_text(v))
    df = _blank_to_na(df)
    sub_info = {"notes": notes}
    df, layout = _qualtrics_layout(df, sub_info, source, where)
    return name, df, layout


def _excel_text(value: Any) -> str:
    """Render an Excel cell as text (whole floats without '.0', datetimes in ISO form)."""
    if isinstance(value, (pd.Timestamp,)) or hasattr(value, "isoformat"):
        return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_stat(path: Path) -> tuple[pd.DataFrame, dict]:
    pyreadstat = require("pyreadstat", "reading an SPSS or Stata export")

    source = str(path)
    stata = path.suffix.lower() == ".dta"
    reader = pyreadstat.read_dta if stata else pyreadstat.read_sav
    try:
        df, meta = reader(str(path), apply_value_formats=False, user_missing=True)
    except Exception as exc:  # pyreadstat.ReadstatError and friends
        raise DataError(f"{source}: cannot read the file with pyreadstat ({type(exc).__name__}: {exc})") from exc
    value_labels = {
        col: {_plain(k): v for k, v in labels.items()}
        for col, labels in (meta.variable_value_labels or {}).items()
    }
    user_missing: dict[str, int] = {}
    df = df.astype(object)
    for col in df.columns:
        ranges = (meta.missing_ranges or {}).get(col) or []
        letters = set((meta.missing_user_values or {}).get(col) or [])
        if not ranges and not letters:
            continue
        cells = df[col]

        def is_user_missing(v: Any) -> bool:
            if isinstance(v, str):
                return v in letters or (stata and len(v) == 1 and v.isalpha())
            if v is None or (isinstance(v, float) and np.isnan(v)) or not isinstance(v, (int, float, np.number)):
                return False
            return any(r["lo"] <= v <= r["hi"] for r in ranges if isinstance(r.get("lo"), (int, float)))

        mask = cells.map(is_user_missing).astype(bool)
        if mask.any():
            user_missing[col] = int(mask.sum())
            df[col] = cells.mask(mask, np.nan)
    # numeric columns back to numbers (user-missing letters made them object)
    for col in df.columns:
        if df[col].map(lambda v: v is None or isinstance(v, (int, float, np.number)) and not isinstance(v, bool)).all():
            df[col] = pd.to_numeric(df[col], errors="coerce")
    total = sum(user_missing.values())
    notes = [
        f"{total} user-defined missing code(s) set to missing: "
        + ", ".join(f"{c} ({k})" for c, k in user_missing.items())
        if total else "no user-defined missing codes in the file"
    ]
    info = {
        "format": "dta" if stata else "sav",
        "encoding": getattr(meta, "file_encoding", None),
        "delimiter": None,
        "number_format": {"decimal": None, "thousands": None, "basis": "binary file: numbers stored as numbers"},
        "row_label": "case",
        "header_rows_dropped": [],
        "first_data_row": 1,
        "value_labels": value_labels,
        "column_labels": dict(meta.column_names_to_labels or {}),
        "user_missing": user_missing,
        "notes": notes,
    }
    return df, info


def _plain(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
