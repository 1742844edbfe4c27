"""Reading survey exports and applying the codebook.

Two steps, kept apart so that each can be tested on its own:

1. :func:`read_export` reads a raw export (CSV/TSV, Excel .xlsx, SPSS .sav, Stata .dta)
   into a DataFrame of *untouched* cell values. For text files it detects the encoding
   (UTF-8 with or without BOM, else Windows-1252/Latin-1 with a note) and the delimiter
   (``,`` ``;`` tab ``|``). Qualtrics exports carry two extra header rows (question texts
   and ``{"ImportId": ...}``); they are detected and dropped. What was detected is kept in
   ``df.attrs["leanlearn_read"]`` (see :func:`read_info`).
2. :func:`apply_codebook` renames columns to canonical names (item ids, ``respondent_id``,
   ...; see :mod:`leanlearn.spec.codebook`), coerces answers to numbers, sets codes outside an
   item's scale to missing (each cell logged), and reverse-scores reverse-keyed items.

Neither function writes files; the CLI does (``leanlearn ingest``).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from leanlearn.spec.codebook import FIRM_ID, RESPONDENT_ID, Codebook, check_columns
from leanlearn.errors import DataError, describe_text, safe_cell
from leanlearn.extras import require

__all__ = [
    "read_export",
    "read_info",
    "apply_codebook",
    "reverse_score",
    "IngestResult",
    "ingest_report",
    "coerce_numeric",
    "numeric_columns",
    "id_text",
    "describe_text",
    "DELIMITERS",
    "HASH_SUFFIX",
]

DELIMITERS = (",", ";", "\t", "|")
TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
SUPPORTED = TEXT_SUFFIXES + (".xlsx", ".sav", ".zsav", ".dta")
#: suffix of hashed personal-data columns (see :mod:`leanlearn.data.privacy`)
HASH_SUFFIX = "_sha256"
_IMPORT_ID_RE = re.compile(r'^\s*\{\s*"ImportId"\s*:', re.IGNORECASE)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_TRUE = {"true", "t", "yes", "y"}
_FALSE = {"false", "f", "no", "n"}


# ---- reading --------------------------------------------------------------------------------
def read_info(df: pd.DataFrame) -> dict:
    """What :func:`read_export` detected about the file (empty dict if not read by it).

    Keys: ``source`` (path), ``format`` (csv | xlsx | sav | dta), ``layout`` (plain |
    qualtrics | qualtrics-legacy), ``encoding``, ``delimiter``, ``number_format``
    (``decimal`` and ``thousands`` separator expected from the delimiter, and the basis),
    ``header_rows_dropped`` (list of the extra header rows removed, e.g. ``["question
    text", "ImportId"]``), ``first_data_row`` (row number of the first data row in the
    original file, counting the column-name row as row 1; for .sav/.dta the case number,
    1), ``row_label`` ("row" or "case"), ``row_names`` (only for stacked workbook sheets:
    where each row comes from, e.g. ``"5 of sheet 'wave 2'"``), ``sheets`` (sheets read
    from a workbook), ``value_labels`` (column -> {code: label}, from .sav/.dta),
    ``column_labels`` (column -> label), ``user_missing`` (column -> number of SPSS/Stata
    user-missing codes set to missing) and ``notes``.
    """
    return dict(df.attrs.get("leanlearn_read", {}))


def read_export(path: str | Path, *, sheet: str | None = None) -> pd.DataFrame:
    """Read a raw survey export without interpreting its cells.

    Parameters
    ----------
    path : str or Path
        A ``.csv``/``.tsv``/``.txt``, ``.xlsx``, ``.sav``/``.zsav`` or ``.dta`` file.
    sheet : str, optional
        Worksheet of an ``.xlsx`` workbook to read (codebook key ``sheet`` or
        ``leanlearn ingest --sheet``). Without it a workbook with one sheet is read; a
        workbook whose sheets all have the same header row is read as one table, sheet
        after sheet (said in the notes); other workbooks with several sheets are refused.

    Returns
    -------
    DataFrame
        One row per data record, columns as in the file. Text files and Excel sheets are
        read as text (empty cells are missing). SPSS/Stata files keep their numeric codes;
        their value labels are in ``read_info(df)["value_labels"]`` and their user-defined
        missing codes are set to missing and counted (``read_info(df)["user_missing"]``).
        What was detected is in ``df.attrs["leanlearn_read"]`` (see :func:`read_info`).

    Raises
    ------
    DataError
        File not found; unsupported type; a text file that decodes neither as UTF-8 nor as
        Windows-1252/Latin-1 (the message lists the encodings tried); no delimiter found;
        duplicate or empty column names (merged header cells in Excel); any line with a
        different number of fields than the header (every line is checked); a repeated
        block of header rows inside the data; an unnamed sheet in a workbook whose sheets
        differ.

    Notes
    -----
    Two Qualtrics layouts are recognised. *Current*: column names, then a question-text
    row, then a row of ``{"ImportId": ...}``; both extra rows are dropped. *Legacy*
    (before 2016; the qualtRics R package ships such a sample): the first row holds
    ``V1``, ``V2``, ... for the metadata columns and the question ids for the rest, the
    second row the real names (``ResponseID``, ``IPAddress``, ``StartDate``, ...) for the
    ``V`` columns and the question texts for the rest; the ``V`` columns are renamed from
    the second row, which is then dropped. The layout is in ``read_info(df)["layout"]``.
    """
    path = Path(path)
    source = str(path)
    if not path.exists():
        raise DataError(f"{source}: file not found")
    if path.is_dir():
        raise DataError(f"{source}: is a folder, not a file")
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        df, info = _read_text(path)
    elif suffix == ".xlsx":
        df, info = _read_excel(path, sheet)
    elif suffix in (".sav", ".zsav", ".dta"):
        df, info = _read_stat(path)
    else:
        raise DataError(
            f"{source}: unsupported file type '{suffix or '(none)'}'; export the survey as one of "
            f"{', '.join(SUPPORTED)}"
        )
    info["source"] = source
    info.setdefault("layout", "plain")
    if info["format"] == "csv":
        df, layout = _qualtrics_layout(df, info, source)
        info.update(layout)
    if info["format"] in ("csv", "xlsx"):
        _check_repeated_header(df, info, source)
    df.attrs["leanlearn_read"] = info
    return df


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
    vcols = []
    for c in cols:
        m = _V_RE.match(c)
        if not m or int(m.group(1)) != len(vcols) + 1:
            break
        vcols.append(c)
    if len(vcols) < 3 or len(df) < 1:
        return {}
    second = [df[c].iat[0] for c in vcols]
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


def _decode(raw: bytes, source: str) -> tuple[str, str, list[str]]:
    notes: list[str] = []
    if raw.startswith(codecs.BOM_UTF8):
        try:
            return raw[len(codecs.BOM_UTF8):].decode("utf-8"), "utf-8-sig", notes
        except UnicodeDecodeError:
            pass
    else:
        try:
            return raw.decode("utf-8"), "utf-8", notes
        except UnicodeDecodeError:
            pass
    for enc in ("cp1252", "latin-1"):
        try:
            text = raw.decode(enc)
        except UnicodeDecodeError:
            continue
        if _CONTROL_RE.search(text):
            continue
        notes.append(f"the file is not valid UTF-8; decoded as {enc} (Latin-1 family)")
        return text, enc, notes
    hint = " It contains NUL bytes, so it is probably UTF-16 or a binary file." if b"\x00" in raw else ""
    raise DataError(
        f"{source}: cannot decode the file as text; tried UTF-8 (with and without BOM), cp1252 "
        f"(Windows Latin-1) and Latin-1.{hint} Save or export it as 'CSV UTF-8' and run again."
    )


def _sniff_delimiter(text: str, source: str) -> str:
    best: tuple[int, str] | None = None
    for delim in DELIMITERS:
        counts = [len(r) for r in islice(csv.reader(io.StringIO(text), delimiter=delim), 50) if r]
        if not counts or counts[0] < 2:
            continue
        if all(c == counts[0] for c in counts) and (best is None or counts[0] > best[0]):
            best = (counts[0], delim)
    if best is None:
        counts = [len(r) for r in islice(csv.reader(io.StringIO(text)), 50) if r]
        if counts and all(c == 1 for c in counts):
            return ","  # a single column: no delimiter needed
        raise DataError(
            f"{source}: could not find the column delimiter (tried comma, semicolon, tab and '|'): "
            "the rows have different numbers of fields. Check that the file is a delimited text export "
            "and that text cells with delimiters are quoted."
        )
    return best[1]


_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "'|'"}


def number_format(delimiter: str | None) -> dict:
    """Decimal and thousands separators expected in a file with this delimiter.

    A semicolon-delimited file comes from a locale that writes the decimal comma
    (``1.391,5``: thousands ``.``, decimal ``,``); every other delimiter, and
    workbooks, use the decimal point (``1,391.5``).
    """
    if delimiter == ";":
        return {"decimal": ",", "thousands": ".", "basis": "semicolon-delimited file (decimal-comma locale)"}
    basis = f"{_DELIMITER_NAMES.get(delimiter, repr(delimiter))}-delimited file" if delimiter else "no delimiter"
    return {"decimal": ".", "thousands": ",", "basis": f"{basis} (decimal-point locale)"}


def _read_text(path: Path) -> tuple[pd.DataFrame, dict]:
    source = str(path)
    text, encoding, notes = _decode(path.read_bytes(), source)
    if not text.strip():
        raise DataError(f"{source}: the file is empty")
    delim = _sniff_delimiter(text, source)
    try:
        records = list(csv.reader(io.StringIO(text), delimiter=delim, quotechar='"', strict=True))
    except csv.Error as exc:
        raise DataError(f"{source}: cannot parse the file as delimited text ({exc}); check the quoting") from exc
    records = [r for r in records if r and any(cell.strip() for cell in r)] or [[]]
    nan = np.nan
    body = [[cell if cell.strip() else nan for cell in r] for r in records[1:]]
    header = records[0]
    _check_header(header, source)
    width = len(header)
    wrong = [(k + 1, len(r)) for k, r in enumerate(records) if len(r) != width]
    if wrong:
        listed = ", ".join(f"row {row} has {n}" for row, n in wrong[:5])
        more = f" (and {len(wrong) - 5} more row(s))" if len(wrong) > 5 else ""
        raise DataError(
            f"{source}: every row must have as many fields as the header ({width}); {listed}{more}. "
            "A row was cut or has an unquoted delimiter inside a cell; fix or re-export the file. "
            "(Rows are counted from the column-name row = row 1, blank lines skipped.)"
        )
    df = pd.DataFrame(body, columns=header, dtype=object) if body else pd.DataFrame(columns=header, dtype=object)
    fmt = number_format(delim)
    fmt["evidence"] = _separator_evidence(df)
    info = {
        "format": "csv",
        "encoding": encoding,
        "delimiter": delim,
        "number_format": fmt,
        "row_label": "row",
        "value_labels": {},
        "column_labels": {},
        "user_missing": {},
        "notes": notes,
    }
    return df, info


def _separator_evidence(df: pd.DataFrame, max_rows: int = 2000) -> dict:
    """Cells (of the first ``max_rows`` rows) that show the decimal separator unambiguously.

    ``point``: numbers such as ``5.47`` or ``1,391.5``; ``comma``: ``4,5`` or ``1.391,5``.
    Used to refuse ``1.391`` in a semicolon file that elsewhere writes decimal points.
    """
    counts = {"point": 0, "comma": 0}
    for v in df.head(max_rows).to_numpy(dtype=object).ravel():
        if isinstance(v, str) and ("." in v or "," in v) and len(v) < 40:
            text = v.strip()
            kind = _number_kind(text)[0]
            if kind == "point" or (kind == "group_comma" and "." in text):
                counts["point"] += 1
            elif kind == "comma" or (kind == "group_dot" and "," in text):
                counts["comma"] += 1  # (1.2.3.4, an IP address, shows nothing)
    return counts


def _read_excel(path: Path, sheet: str | None) -> tuple[pd.DataFrame, dict]:
    import openpyxl

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
    frames = []
    for name in chosen:
        ws = wb[name]
        where = f", sheet {name!r}" if len(names) > 1 else ""
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
            frames.append((name, pd.DataFrame(), []))
            continue
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
        frames.append((name, df, layout))
    if len(frames) > 1:
        headers = {tuple(df.columns) for _, df, _ in frames}
        if len(headers) > 1:
            raise DataError(
                f"{source}: the workbook has {len(frames)} sheets with data ({', '.join(repr(n) for n, _, _ in frames)}) "
                "and their header rows differ, so they cannot be read as one table. Name the sheet that holds the "
                "responses: codebook key 'sheet: <name>' or 'leanlearn ingest --sheet <name>'."
            )
    name0, df0, layout0 = frames[0]
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


def _check_header(header: list, source: str) -> None:
    unnamed = [k + 1 for k, name in enumerate(header) if name is None or not str(name).strip()]
    if unnamed:
        raise DataError(
            f"{source}: column(s) {', '.join(map(str, unnamed[:10]))} of the header row have no name; every "
            "column needs a unique name in the first row (merged or empty header cells?)."
        )
    seen: dict[str, int] = {}
    dups = []
    for name in header:
        seen[name] = seen.get(name, 0) + 1
        if seen[name] == 2:
            dups.append(name)
    if dups:
        raise DataError(
            f"{source}: duplicate column name(s) {', '.join(repr(d) for d in dups)}; every column needs a "
            "unique name. Rename them in the export."
        )


def _blank_to_na(df: pd.DataFrame) -> pd.DataFrame:
    out = df.astype(object)
    blank = out.map(lambda v: v is None or (isinstance(v, str) and not v.strip()))
    return out.mask(blank, np.nan)


def _is_number(value: Any) -> bool:
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return True
    if not isinstance(value, str):
        return False
    return _number_kind(value.strip())[0] != "text"


def _detect_extra_header_rows(df: pd.DataFrame) -> list[str]:
    """Names of Qualtrics extra header rows at the top of ``df`` (may be empty).

    A row whose non-empty cells are mostly ``{"ImportId": ...}`` marks the end of the
    header block; every row above it is a header row too (question texts). Without an
    ImportId row, a first row that has no numeric cell at all, above a row that has one,
    is taken as a question-text row.
    """
    for i in range(min(3, len(df))):
        cells = [v for v in df.iloc[i] if isinstance(v, str) and v.strip()]
        if cells and sum(bool(_IMPORT_ID_RE.match(v)) for v in cells) >= 0.5 * len(cells):
            return ["question text"] * i + ["ImportId"]
    if len(df) >= 2:
        first = [v for v in df.iloc[0] if not pd.isna(v)]
        second = [v for v in df.iloc[1] if not pd.isna(v)]
        if (
            len(first) >= 0.5 * df.shape[1]
            and not any(_is_number(v) for v in first)
            and any(_is_number(v) for v in second)
        ):
            return ["question text"]
    return []


# ---- numbers and safe descriptions of cells --------------------------------------------------
_PLAIN_INT = re.compile(r"^[-+]?\d+$")
_POINT = re.compile(r"^[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?$")
_GROUP_COMMA = re.compile(r"^[-+]?[1-9]\d{0,2}(,\d{3})+(\.\d+)?$")
_GROUP_DOT = re.compile(r"^[-+]?[1-9]\d{0,2}(\.\d{3})+(,\d+)?$")
_DEC_COMMA = re.compile(r"^[-+]?\d*,\d+$")


def _number_kind(text: str) -> tuple[str, float | None]:
    """Classify a number written as text.

    Kinds: ``int``; ``point`` (decimal point, unambiguous: ``3.5``); ``dot3`` (``1.391``:
    decimal point or thousands dot); ``comma3`` (``1,391``: decimal comma or thousands
    comma); ``comma`` (decimal comma, unambiguous: ``4,5``); ``group_comma`` (``1,391.5``,
    ``1,391,000``); ``group_dot`` (``1.391,5``, ``1.391.000``); ``text``. The value is
    the reading that is certain (None for the ambiguous kinds and text).
    """
    if _PLAIN_INT.match(text):
        return "int", float(text)
    if _GROUP_DOT.match(text) and text.count(".") == 1 and "," not in text:
        return "dot3", None
    if _POINT.match(text):
        return "point", float(text)
    if _GROUP_COMMA.match(text):
        if text.count(",") == 1 and "." not in text:
            return "comma3", None
        return "group_comma", float(text.replace(",", ""))
    if _GROUP_DOT.match(text):
        return "group_dot", float(text.replace(".", "").replace(",", "."))
    if _DEC_COMMA.match(text):
        return "comma", float(text.replace(",", "."))
    return "text", None


# ---- applying the codebook -----------------------------------------------------------------
def reverse_score(values, *, minimum: float, maximum: float):
    """Reverse-score answers on a ``minimum``..``maximum`` scale.

    .. math:: x' = \\min + \\max - x

    Applying it twice returns the input (checked in ``tests/test_ingest.py``); missing
    values stay missing. Works on scalars, arrays and pandas objects.
    """
    return minimum + maximum - values


@dataclass(frozen=True)
class IngestResult:
    """Output of :func:`apply_codebook`.

    Attributes
    ----------
    data : DataFrame
        One row per response, canonical columns in this order: ``respondent_id``,
        ``firm_id``, paradata (``start``, ``end``, ``recorded``, ``duration_seconds``,
        ``progress``, ``finished``, ``wave``; those in the codebook and the file),
        ``page_seconds_<k>``, key-informant fields ``ki_<key>``, construct items (reverse
        items already reverse-scored), attention checks, then hashed personal columns
        (``<column>_sha256``, if present). Out-of-range codes are missing.
    out_of_range : DataFrame
        One row per cell set to missing: ``respondent_id``, ``row`` (row in the original
        file, column names = row 1; or case number), ``column`` (export column), ``item``
        (canonical name), ``value`` (the cell as in the file), ``reason``.
    out_of_range_counts : DataFrame
        One row per checked column: ``item``, ``column``, ``kind`` (item | attention |
        key_informant), ``scale_min``, ``scale_max``, ``n_out_of_range``.
    columns : DataFrame
        What happened to each column of the input: ``column``, ``name`` (canonical name
        or empty), ``action`` (renamed | kept | dropped_not_in_codebook).
    notes : tuple of str
        Read notes (encoding, header rows) and ingest notes (missing optional columns).
    """

    data: pd.DataFrame
    out_of_range: pd.DataFrame
    out_of_range_counts: pd.DataFrame
    columns: pd.DataFrame
    notes: tuple[str, ...] = field(default=())


def _row_labels(raw: pd.DataFrame, info: dict | None = None) -> np.ndarray:
    info = read_info(raw) if info is None else info
    names = info.get("row_names")
    if names is not None and len(names) == len(raw):
        return np.array(names, dtype=object)
    first = int(info.get("first_data_row", 2))
    return first + np.arange(len(raw))


def _row_numbers(raw: pd.DataFrame) -> tuple[np.ndarray, str]:
    return _row_labels(raw), read_info(raw).get("row_label", "row")


def _row_value(row: Any) -> Any:
    return int(row) if isinstance(row, (int, np.integer)) else row


_KIND_NOTE = {
    "group_comma": "',' as thousands separator (e.g. 1,391.5 = 1391.5)",
    "group_dot": "'.' as thousands separator (e.g. 1.391,5 = 1391.5)",
    "comma": "',' as decimal separator (e.g. 4,5 = 4.5)",
    "point": "'.' as decimal separator (e.g. 4.5)",
}


def coerce_numeric(
    raw: pd.DataFrame, column: str, *, what: str, source: str, fix: str,
    labels: tuple[tuple[int, str], ...] = (), values: pd.Series | None = None,
    notes: list[str] | None = None,
) -> pd.Series:
    """Numbers from column ``column`` of a frame read by :func:`read_export`.

    Empty cells become NaN. Decimal and thousands separators follow the file's locale
    (:func:`number_format`, from the delimiter) unless the column itself shows which
    separator is the decimal one:

    =============  ==========================  ==========================
    cell           decimal point (``,`` file)  decimal comma (``;`` file)
    =============  ==========================  ==========================
    ``1391``       1391                        1391
    ``4.5``        4.5                         4.5 (no other reading)
    ``4,5``        4.5 (no other reading)      4.5
    ``1,391``      1391 (thousands comma)      1.391
    ``1.391``      1.391                       1391 (thousands dot)
    ``1,391.5``    1391.5                      1391.5
    ``1.391,5``    1391.5                      1391.5
    =============  ==========================  ==========================

    A column whose unambiguous cells use ``.`` (or ``,``) as the decimal separator
    reads its ambiguous cells that way too; a column that shows *both* uses of the same
    separator is refused. Every separator that was not a plain decimal point is reported
    in ``notes`` (appended to, if given) with the number of cells.

    A cell that is not a number raises :class:`DataError` naming ``source``, the column,
    ``what`` it is and the row in the original file, followed by ``fix``. The cell's text is
    never shown (it may be personal): only its length and character classes
    (:func:`describe_text`), or the codebook label it matches. ``values`` replaces the
    column's cells (e.g. after mapping True/False to 1/0).
    """
    rows, row_label = _row_numbers(raw)
    series = raw[column] if values is None else values
    cells = series.to_numpy(dtype=object)
    out = np.full(len(cells), np.nan)
    kinds = np.full(len(cells), "", dtype=object)
    texts: dict[int, str] = {}
    bad: list[int] = []
    cache: dict[str, tuple[str, str, float | None]] = {}
    for i, v in enumerate(cells):
        if type(v) is str:
            hit = cache.get(v)
            if hit is None:
                text = v.strip()
                hit = cache[v] = (text, *_number_kind(text)) if text else ("", "", None)
            text, kind, value = hit
            if not text:
                continue  # blank cell: missing
        elif v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            continue
        elif isinstance(v, (bool, np.bool_, int, float, np.number)):
            out[i] = float(v)
            continue
        else:
            text = str(v).strip()
            if not text:
                continue
            kind, value = _number_kind(text)
        if kind == "text":
            bad.append(i)
            continue
        if kind != "int":
            kinds[i] = kind
            texts[i] = text
        if value is not None:
            out[i] = value
    if bad:
        i = bad[0]
        more = f" (and {len(bad) - 1} more non-numeric cell(s) in this column)" if len(bad) > 1 else ""
        cell = str(cells[i]).strip()
        label = next((lab for _, lab in labels if cell.lower() == lab.lower()), None)
        if label is not None:
            shown = f"the value label {label!r}"
            label_hint = " The cell holds a value label: export numeric codes ('numeric values'), not choice text."
        else:
            shown = f"a non-numeric value ({safe_cell(cell)})"
            label_hint = ""
        raise DataError(
            f"{source}: column '{column}' ({what}) has {shown} in {row_label} {rows[i]}{more}. {fix}{label_hint}"
        )
    present = set(kinds[kinds != ""])
    by_locale: dict[str, str] = {}
    if present & {"dot3", "comma3"}:
        fmt = read_info(raw).get("number_format") or number_format(None)
        dot_decimal = "point" in present or "group_comma" in present
        dot_group = "group_dot" in present
        comma_decimal = "comma" in present or "group_dot" in present
        comma_group = "group_comma" in present
        for amb, decimal_seen, group_seen, sep in (
            ("dot3", dot_decimal, dot_group, "."), ("comma3", comma_decimal, comma_group, ","),
        ):
            idx = np.flatnonzero(kinds == amb)
            if not len(idx):
                continue
            if decimal_seen and group_seen:
                raise DataError(
                    f"{source}: column '{column}' ({what}) uses '{sep}' both as decimal and as thousands separator, so "
                    f"{len(idx)} cell(s) such as {row_label} {rows[idx[0]]} (a '{sep}' followed by three digits) cannot "
                    f"be read safely. {fix} Write the numbers without thousands separators."
                )
            evidence = fmt.get("evidence") or {}
            file_other = evidence.get("point" if sep == "." else "comma", 0) > 0
            file_locale = evidence.get("comma" if sep == "." else "point", 0) > 0
            if not decimal_seen and not group_seen and fmt.get("decimal") != sep and file_other and not file_locale:
                raise DataError(
                    f"{source}: column '{column}' ({what}): {len(idx)} cell(s) such as {row_label} {rows[idx[0]]} "
                    f"hold a number with a '{sep}' followed by three digits (like 1{sep}391), which is a thousands "
                    f"separator in a {fmt.get('basis', 'file of this locale')}, but other columns of the file use "
                    f"'{sep}' as the decimal separator; leanlearn does not guess. {fix} Re-export the file without "
                    "thousands separators, or with ',' as the delimiter and '.' as the decimal separator."
                )
            as_decimal = decimal_seen or (not group_seen and fmt.get("decimal") == sep)
            for i in idx:
                t = texts[i]
                out[i] = float(t.replace(",", ".")) if as_decimal else float(t.replace(sep, ""))
            final = ("comma" if sep == "," else "point") if as_decimal else ("group_comma" if sep == "," else "group_dot")
            kinds[idx] = final
            if not decimal_seen and not group_seen:
                by_locale[final] = str(fmt.get("basis", "file locale"))
    if notes is not None:
        for kind in ("group_comma", "group_dot", "comma"):
            k = int((kinds == kind).sum())
            if k:
                basis = f" ({by_locale[kind]})" if kind in by_locale else ""
                notes.append(f"column '{column}': {k} cell(s) read with {_KIND_NOTE[kind]}{basis}")
    return pd.Series(out, index=series.index, name=column)


def numeric_columns(raw: pd.DataFrame, *, source: str, notes: list[str] | None = None) -> pd.DataFrame:
    """``raw`` with every column whose filled cells are all numbers converted to float.

    For frames read by :func:`read_export` from text files, so that a verb that takes a
    data file directly (``leanlearn estimate data.csv``) reads separators like ``ingest``
    does (:func:`coerce_numeric`: ``1.391`` in a semicolon file is 1391, an ambiguous
    column is refused). Columns holding any text cell are left as they are; numbers
    already stored as numbers (.sav, .dta) are untouched.
    """
    out = raw.copy()
    for c in raw.columns:
        cells = [v for v in raw[c].to_numpy(dtype=object) if isinstance(v, str) and v.strip()]
        if not cells:
            continue
        if any(_number_kind(v.strip())[0] == "text" for v in dict.fromkeys(cells)):
            continue
        out[c] = coerce_numeric(raw, c, what="number", source=source, fix="", notes=notes).to_numpy()
    out.attrs = dict(raw.attrs)
    return out


def _true_false(series: pd.Series) -> pd.Series:
    return series.map(
        lambda v: 1.0 if isinstance(v, str) and v.strip().lower() in _TRUE
        else 0.0 if isinstance(v, str) and v.strip().lower() in _FALSE else v
    )


def apply_codebook(raw: pd.DataFrame, codebook: Codebook, *, source: str) -> IngestResult:
    """Rename, coerce, range-check and reverse-score a raw export.

    Parameters
    ----------
    raw : DataFrame
        As returned by :func:`read_export` (after :func:`leanlearn.data.privacy.protect`, which
        replaces personal columns). Row numbers in messages come from
        ``read_info(raw)``; for a frame not read by :func:`read_export` the first data row
        is taken to be row 2.
    codebook : Codebook
    source : str
        File name for messages.

    Returns
    -------
    IngestResult

    Raises
    ------
    DataError
        A required column is missing (every missing column is listed); an item, attention
        check, key-informant or numeric paradata cell is not a number (the message names
        the file, column, row in the original file and the value, and what to do); an empty
        respondent id; a date that cannot be read.

    Notes
    -----
    An answer outside its scale (e.g. 0, 8 or 99 on a 1-7 scale), or a fraction, is an
    invalid code: it is set to missing and logged cell by cell; no other cell changes
    (property-tested). Reverse-keyed items are then scored :math:`x' = \\min + \\max - x`,
    so that every item of a construct points the same way.
    """
    info = read_info(raw)
    binary = info.get("format") in ("sav", "dta")
    optional_missing = check_columns(codebook, raw.columns, source=source, strict=binary)
    if len(raw) == 0:
        dropped = info.get("header_rows_dropped") or []
        extra = f" and {len(dropped)} extra header row(s) ({', '.join(dropped)})" if dropped else ""
        raise DataError(
            f"{source}: 0 responses: the file has the column names{extra} but no data "
            "rows. Export the responses (not only the survey structure) and run again."
        )
    rows, row_label = _row_numbers(raw)
    notes = list(info.get("notes", []))
    if codebook.source_format == "qualtrics" and info and not info.get("header_rows_dropped") and info.get("format") in ("csv", "xlsx"):
        notes.append("the codebook says 'qualtrics' but no extra header rows were found; read as a plain export")
    for col in optional_missing:
        notes.append(f"optional column '{col}' is not in the file; indices that need it are skipped")

    names = codebook.canonical_names()
    out: dict[str, pd.Series] = {}
    number_notes: list[str] = []

    # identifiers
    rid = raw[codebook.respondent_id].map(lambda v: v if pd.isna(v) else id_text(v))
    empty = np.flatnonzero(rid.isna().to_numpy())
    if len(empty):
        raise DataError(
            f"{source}: column '{codebook.respondent_id}' (respondent id) is empty in {row_label}(s) "
            f"{', '.join(map(str, rows[empty][:10]))}; every response needs an id. Fill it in or remove the row."
        )
    out[RESPONDENT_ID] = rid.astype(object)
    if codebook.firm_id is None:  # the case is the respondent
        out[FIRM_ID] = out[RESPONDENT_ID].copy()
    else:
        out[FIRM_ID] = raw[codebook.firm_id].map(lambda v: v if pd.isna(v) else id_text(v)).astype(object)

    def numeric(col: str, what: str, fix: str, labels=()) -> pd.Series:
        return coerce_numeric(raw, col, what=what, source=source, fix=fix, labels=labels, notes=number_notes)

    # paradata
    for key, col in codebook.paradata.columns:
        if col not in raw.columns:
            continue
        if key in ("start", "end", "recorded"):
            out[key] = _check_dates(
                raw[col], column=col, source=source, rows=rows, row_label=row_label, date_format=codebook.date_format,
            )
        elif key == "finished":
            out[key] = coerce_numeric(
                raw, col, what="paradata.finished", source=source, fix="Use 1/0 or True/False.",
                values=_true_false(raw[col]), notes=number_notes,
            )
        else:
            out[key] = numeric(col, f"paradata.{key}", "Paradata must be numeric; fix the cell or drop the column from the codebook.")
    for timer in codebook.paradata.page_timers:
        if timer.column in raw.columns:
            out[timer.name] = numeric(timer.column, f"page timer {timer.name}", "Page timers must be seconds as numbers.")

    # scaled columns: key informant, items, attention checks
    oor_rows: list[dict] = []
    count_rows: list[dict] = []

    def scaled(col: str, name: str, kind: str, lo: float | None, hi: float | None, codes=None, labels=()) -> pd.Series:
        values = numeric(
            col, f"{kind} {name}",
            "Answers must be numeric codes; fix the cell in the export (or set it empty if unanswered).",
            labels=labels,
        )
        if codes is not None:
            bad = values.notna() & ~values.isin(list(codes))
            reason = f"not a label code ({', '.join(map(str, codes))})"
            reasons = pd.Series(reason, index=values.index)
        elif lo is not None:
            outside = (values < lo) | (values > hi)
            frac = values.notna() & (values != np.floor(values))
            bad = values.notna() & (outside | frac)
            reasons = pd.Series(
                np.where(outside, f"outside the scale {lo:g}-{hi:g}", "not a whole number"), index=values.index
            )
        else:
            bad = pd.Series(False, index=values.index)
            reasons = pd.Series("", index=values.index)
        for i in np.flatnonzero(bad.to_numpy()):
            oor_rows.append(
                {
                    RESPONDENT_ID: out[RESPONDENT_ID].iat[i],
                    "row": _row_value(rows[i]),
                    "column": col,
                    "item": name,
                    "value": str(raw[col].iat[i]).strip(),
                    "reason": reasons.iat[i],
                }
            )
        count_rows.append(
            {"item": name, "column": col, "kind": kind,
             "scale_min": lo if codes is None else min(codes), "scale_max": hi if codes is None else max(codes),
             "n_out_of_range": int(bad.sum())}
        )
        return values.mask(bad)

    for f in codebook.key_informant:
        if f.column not in raw.columns:
            continue
        if f.scale is not None:
            s = codebook.scale(f.scale)
            out[f.name] = scaled(f.column, f.name, "key_informant", s.min, s.max, labels=s.labels)
        elif f.labels:
            out[f.name] = scaled(f.column, f.name, "key_informant", None, None, codes=[c for c, _ in f.labels], labels=f.labels)
        else:
            out[f.name] = scaled(f.column, f.name, "key_informant", None, None)
    for it in codebook.items:
        s = codebook.scale(it.scale)
        values = scaled(it.column, it.id, "item", s.min, s.max, labels=s.labels)
        out[it.id] = reverse_score(values, minimum=s.min, maximum=s.max) if it.reverse else values
    for a in codebook.attention_checks:
        s = codebook.scale(a.scale)
        out[a.id] = scaled(a.column, a.id, "attention", s.min, s.max, labels=s.labels)

    # survey covariates (demographics, firm characteristics): numbers, or levels as text
    for cov in codebook.covariates:
        if cov.type == "numeric":
            out[cov.name] = numeric(cov.column, f"covariate {cov.name}", "A numeric covariate must hold numbers; fix the cell or declare it 'type: categorical'.")
        else:
            labels = dict(cov.labels)
            def level(v, labels=labels):
                if pd.isna(v) or (isinstance(v, str) and not v.strip()):
                    return np.nan
                key = id_text(v)
                try:
                    return labels.get(int(float(key)), key) if labels else key
                except ValueError:
                    return key
            out[cov.name] = raw[cov.column].map(level).astype(object)

    hashed = [c for c in raw.columns if str(c).endswith(HASH_SUFFIX)]
    for c in hashed:
        out[c] = raw[c]
    data = pd.DataFrame(out, index=raw.index).reset_index(drop=True)

    col_rows = []
    for c in raw.columns:
        if c in names and names[c] in data.columns:
            col_rows.append({"column": c, "name": names[c], "action": "renamed" if names[c] != c else "kept"})
        elif c in hashed:
            col_rows.append({"column": c, "name": c, "action": "kept"})
        else:
            col_rows.append({"column": c, "name": "", "action": "dropped_not_in_codebook"})
    dropped = [r["column"] for r in col_rows if r["action"] == "dropped_not_in_codebook"]
    if dropped:
        notes.append(f"{len(dropped)} column(s) not in the codebook were not carried forward: {', '.join(map(str, dropped))}")
    if number_notes:
        fmt = info.get("number_format") or number_format(None)
        notes.append(
            f"number format: decimal {fmt.get('decimal')!r}, thousands {fmt.get('thousands')!r} ({fmt.get('basis')})"
        )
        notes.extend(number_notes)
    if codebook.reverse_items:
        notes.append(f"reverse-scored items (x' = min + max - x): {', '.join(codebook.reverse_items)}")

    oor = pd.DataFrame(oor_rows, columns=[RESPONDENT_ID, "row", "column", "item", "value", "reason"])
    counts = pd.DataFrame(count_rows, columns=["item", "column", "kind", "scale_min", "scale_max", "n_out_of_range"])
    return IngestResult(
        data=data,
        out_of_range=oor,
        out_of_range_counts=counts,
        columns=pd.DataFrame(col_rows, columns=["column", "name", "action"]),
        notes=tuple(notes),
    )


def id_text(value: Any) -> str:
    """An identifier as text; whole-number floats (from Excel/SPSS) lose their '.0'."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


_ISO_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?$")
_YMD_SLASH = re.compile(r"^\d{4}/\d{1,2}/\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2})?)?$")
_DMY = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{2}|\d{4})(\s.*)?$")


def _check_dates(
    series: pd.Series, *, column: str, source: str, rows: np.ndarray, row_label: str, date_format: str | None = None,
) -> pd.Series:
    """Dates as ISO text ``YYYY-MM-DD HH:MM:SS``.

    With ``date_format`` (codebook key ``date_format``, a strftime pattern) every cell must
    match it. Without it only unambiguous forms are read: ISO 8601 (``2023-03-06
    02:40:18``, also from Excel and SPSS date cells) and ``2023/03/06``. A date such as
    ``06/03/2023`` may be 6 March or 3 June, so it is refused with the codebook setting
    that reads it; the message says which order the column's own cells rule out.
    Messages never show a cell (only its row and, for non-dates, length and character
    classes).
    """
    text = series.map(lambda v: v if pd.isna(v) else _excel_text(v) if not isinstance(v, str) else v.strip())
    filled = text.notna().to_numpy()
    if date_format is not None:
        parsed = pd.to_datetime(text, errors="coerce", format=date_format)
        bad = np.flatnonzero((parsed.isna() & text.notna()).to_numpy())
        if len(bad):
            i = bad[0]
            raise DataError(
                f"{source}: column '{column}': {len(bad)} value(s) do not match the codebook's date_format "
                f"{date_format!r}, the first in {row_label} {rows[i]} ({describe_text(text.iat[i])}). Fix the cells "
                "or correct date_format in the codebook."
            )
        return parsed.dt.strftime("%Y-%m-%d %H:%M:%S").astype(object).where(parsed.notna(), np.nan)
    cells = text.to_numpy(dtype=object)
    iso = np.array([bool(_ISO_DATE.match(v) or _YMD_SLASH.match(v)) if f else True for v, f in zip(cells, filled)])
    dmy = [i for i, (v, f) in enumerate(zip(cells, filled)) if f and not iso[i] and _DMY.match(v)]
    if dmy:
        firsts = [int(_DMY.match(cells[i]).group(1)) for i in dmy]
        seconds = [int(_DMY.match(cells[i]).group(2)) for i in dmy]
        if any(a > 12 for a in firsts) and not any(b > 12 for b in seconds):
            verdict = "some first numbers exceed 12, so the column looks day-first"
        elif any(b > 12 for b in seconds) and not any(a > 12 for a in firsts):
            verdict = "some second numbers exceed 12, so the column looks month-first"
        elif any(b > 12 for b in seconds) and any(a > 12 for a in firsts):
            verdict = "some cells exceed 12 in the first number and others in the second, so the column mixes both orders"
        else:
            verdict = "no cell exceeds 12 in either number, so the data cannot tell"
        i = dmy[0]
        raise DataError(
            f"{source}: column '{column}' has {len(dmy)} date(s) written day/month/year or month/day/year "
            f"(the first in {row_label} {rows[i]}); {verdict}. leanlearn does not guess: give the order in the "
            "codebook, e.g. date_format: '%d/%m/%Y %H:%M' (day first) or date_format: '%m/%d/%Y %H:%M' "
            "(month first), or export the dates as YYYY-MM-DD HH:MM:SS."
        )
    parsed = pd.to_datetime(text.where(pd.Series(iso, index=text.index)), errors="coerce", format="ISO8601")
    slash = text.notna() & parsed.isna() & pd.Series(iso, index=text.index)
    if slash.any():
        parsed = parsed.where(~slash, pd.to_datetime(text.where(slash).str.replace("/", "-"), errors="coerce", format="ISO8601"))
    bad = np.flatnonzero((parsed.isna() & text.notna()).to_numpy())
    if len(bad):
        i = bad[0]
        raise DataError(
            f"{source}: column '{column}' has {len(bad)} value(s) that are not dates in the form "
            f"YYYY-MM-DD HH:MM:SS, the first in {row_label} {rows[i]} ({describe_text(text.iat[i])}). Fix the cells, "
            "or give their form in the codebook (date_format: '%d.%m.%Y %H:%M', for instance)."
        )
    return parsed.dt.strftime("%Y-%m-%d %H:%M:%S").astype(object).where(parsed.notna(), np.nan)


def ingest_report(raw: pd.DataFrame, result: IngestResult) -> dict:
    """A JSON-ready summary of reading and ingest (used by the CLI's ``ingest_report.json``)."""
    info = read_info(raw)
    return {
        "source": info.get("source"),
        "format": info.get("format"),
        "encoding": info.get("encoding"),
        "delimiter": info.get("delimiter"),
        "layout": info.get("layout"),
        "number_format": info.get("number_format"),
        "sheets": info.get("sheets"),
        "user_missing": info.get("user_missing", {}),
        "n_user_missing_cells": int(sum((info.get("user_missing") or {}).values())),
        "header_rows_dropped": info.get("header_rows_dropped", []),
        "first_data_row": info.get("first_data_row"),
        "n_responses": int(len(result.data)),
        "n_columns_out": int(result.data.shape[1]),
        "n_out_of_range_cells": int(len(result.out_of_range)),
        "value_labels": json.loads(json.dumps(info.get("value_labels", {}), default=str)),
        "notes": list(result.notes),
    }
