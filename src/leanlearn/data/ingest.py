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
from leanlearn.errors import DataError

__all__ = [
    "read_export",
    "read_info",
    "apply_codebook",
    "reverse_score",
    "IngestResult",
    "ingest_report",
    "coerce_numeric",
    "id_text",
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
_DECIMAL_COMMA_RE = re.compile(r"^\s*[-+]?\d+,\d+\s*$")
_TRUE = {"true", "t", "yes", "y"}
_FALSE = {"false", "f", "no", "n"}


# ---- reading --------------------------------------------------------------------------------
def read_info(df: pd.DataFrame) -> dict:
    """What :func:`read_export` detected about the file (empty dict if not read by it).

    Keys: ``source`` (path), ``format`` (csv | xlsx | sav | dta), ``encoding``,
    ``delimiter``, ``header_rows_dropped`` (list of the extra header rows removed, e.g.
    ``["question text", "ImportId"]``), ``first_data_row`` (row number of the first data
    row in the original file, counting the column-name row as row 1; for .sav/.dta the
    case number, 1), ``row_label`` ("row" or "case"), ``value_labels`` (column -> {code:
    label}, from .sav/.dta), ``column_labels`` (column -> label) and ``notes``.
    """
    return dict(df.attrs.get("leanlearn_read", {}))


def read_export(path: str | Path) -> pd.DataFrame:
    """Read a raw survey export without interpreting its cells.

    Parameters
    ----------
    path : str or Path
        A ``.csv``/``.tsv``/``.txt``, ``.xlsx``, ``.sav``/``.zsav`` or ``.dta`` file.

    Returns
    -------
    DataFrame
        One row per data record, columns as in the file. Text files and Excel sheets are
        read as text (empty cells are missing), so that :func:`apply_codebook` can quote a
        bad cell exactly as it appears. SPSS/Stata files keep their numeric codes; their
        value labels are in ``read_info(df)["value_labels"]``. Detected encoding,
        delimiter and dropped Qualtrics header rows are recorded in
        ``df.attrs["leanlearn_read"]`` (see :func:`read_info`).

    Raises
    ------
    DataError
        File not found; unsupported type; a text file that decodes neither as UTF-8 nor as
        Windows-1252/Latin-1 (the message lists the encodings tried); no delimiter found;
        duplicate column names; rows with a different number of fields.
    """
    path = Path(path)
    source = str(path)
    if not path.exists():
        raise DataError(f"{source}: file not found")
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        df, info = _read_text(path)
    elif suffix == ".xlsx":
        df, info = _read_excel(path)
    elif suffix in (".sav", ".zsav", ".dta"):
        df, info = _read_stat(path)
    else:
        raise DataError(
            f"{source}: unsupported file type '{suffix or '(none)'}'; export the survey as one of "
            f"{', '.join(SUPPORTED)}"
        )
    info["source"] = source
    if info["format"] in ("csv", "xlsx"):
        dropped = _detect_extra_header_rows(df)
        if dropped:
            df = df.iloc[len(dropped):].reset_index(drop=True)
            info["notes"].append(
                f"dropped {len(dropped)} extra header row(s) after the column names: {', '.join(dropped)}"
            )
        info["header_rows_dropped"] = dropped
        info["first_data_row"] = 2 + len(dropped)
    df.attrs["leanlearn_read"] = info
    return df


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


def _read_text(path: Path) -> tuple[pd.DataFrame, dict]:
    source = str(path)
    text, encoding, notes = _decode(path.read_bytes(), source)
    if not text.strip():
        raise DataError(f"{source}: the file is empty")
    delim = _sniff_delimiter(text, source)
    header = next(csv.reader(io.StringIO(text), delimiter=delim))
    _check_header(header, source)
    try:
        df = pd.read_csv(io.StringIO(text), sep=delim, dtype=str, na_filter=False, quotechar='"')
    except pd.errors.ParserError as exc:
        raise DataError(f"{source}: cannot parse the file as delimited text ({exc})") from exc
    df = _blank_to_na(df)
    info = {
        "format": "csv",
        "encoding": encoding,
        "delimiter": delim,
        "row_label": "row",
        "value_labels": {},
        "column_labels": {},
        "notes": notes,
    }
    return df, info


def _read_excel(path: Path) -> tuple[pd.DataFrame, dict]:
    source = str(path)
    try:
        header = pd.read_excel(path, header=None, nrows=1, dtype=object).iloc[0].tolist()
        df = pd.read_excel(path, header=0, dtype=object)
    except Exception as exc:  # openpyxl raises many types for corrupt files
        raise DataError(f"{source}: cannot read the Excel file ({exc}); re-export it as .xlsx or CSV") from exc
    _check_header([str(h) for h in header], source)
    df.columns = [str(h) for h in header]
    df = df.astype(object).map(lambda v: v if isinstance(v, str) or pd.isna(v) else _excel_text(v))
    df = _blank_to_na(df)
    info = {
        "format": "xlsx",
        "encoding": None,
        "delimiter": None,
        "row_label": "row",
        "value_labels": {},
        "column_labels": {},
        "notes": ["read the first sheet of the workbook"],
    }
    return df, info


def _excel_text(value: Any) -> str:
    """Render an Excel cell as text (whole floats without '.0', datetimes in ISO form)."""
    if isinstance(value, (pd.Timestamp,)) or hasattr(value, "isoformat"):
        return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_stat(path: Path) -> tuple[pd.DataFrame, dict]:
    import pyreadstat

    source = str(path)
    reader = pyreadstat.read_dta if path.suffix.lower() == ".dta" else pyreadstat.read_sav
    try:
        df, meta = reader(str(path), apply_value_formats=False)
    except Exception as exc:  # pyreadstat.ReadstatError and friends
        raise DataError(f"{source}: cannot read the file with pyreadstat ({exc})") from exc
    value_labels = {
        col: {_plain(k): v for k, v in labels.items()}
        for col, labels in (meta.variable_value_labels or {}).items()
    }
    info = {
        "format": "dta" if path.suffix.lower() == ".dta" else "sav",
        "encoding": getattr(meta, "file_encoding", None),
        "delimiter": None,
        "row_label": "case",
        "header_rows_dropped": [],
        "first_data_row": 1,
        "value_labels": value_labels,
        "column_labels": dict(meta.column_names_to_labels or {}),
        "notes": ["user-defined missing values (if any) were read as missing"],
    }
    return df, info


def _plain(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _check_header(header: list[str], source: str) -> None:
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
    blank = out.map(lambda v: isinstance(v, str) and not v.strip())
    return out.mask(blank, np.nan)


def _is_number(value: Any) -> bool:
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return True
    if not isinstance(value, str):
        return False
    try:
        float(value.strip().replace(",", ".") if _DECIMAL_COMMA_RE.match(value) else value)
    except ValueError:
        return False
    return True


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


def _row_numbers(raw: pd.DataFrame) -> tuple[np.ndarray, str]:
    info = read_info(raw)
    first = int(info.get("first_data_row", 2))
    return first + np.arange(len(raw)), info.get("row_label", "row")


def coerce_numeric(
    raw: pd.DataFrame, column: str, *, what: str, source: str, fix: str,
    labels: tuple[tuple[int, str], ...] = (), values: pd.Series | None = None,
) -> pd.Series:
    """Numbers from column ``column`` of a frame read by :func:`read_export`.

    Empty cells become NaN; ``"4,5"`` is read as 4.5. A cell that is not a number raises
    :class:`DataError` naming ``source``, the column, ``what`` it is, the row in the
    original file (from :func:`read_info`) and the value, followed by ``fix``. ``values``
    replaces the column's cells (e.g. after mapping True/False to 1/0).
    """
    rows, row_label = _row_numbers(raw)
    series = raw[column] if values is None else values
    cells = series.to_numpy(dtype=object)
    out = np.full(len(cells), np.nan)
    bad: list[int] = []
    for i, v in enumerate(cells):
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            continue
        if isinstance(v, (bool, np.bool_, int, float, np.number)):
            out[i] = float(v)
            continue
        text = str(v).strip()
        if not text:
            continue  # blank cell: missing
        if _DECIMAL_COMMA_RE.match(text):
            text = text.replace(",", ".")
        try:
            out[i] = float(text)
        except ValueError:
            bad.append(i)
    if bad:
        i = bad[0]
        more = f" (and {len(bad) - 1} more non-numeric cell(s) in this column)" if len(bad) > 1 else ""
        label_hint = ""
        if labels and any(str(cells[i]).strip().lower() == lab.lower() for _, lab in labels):
            label_hint = " The cell holds a value label: export numeric codes ('numeric values'), not choice text."
        raise DataError(
            f"{source}: column '{column}' ({what}) has a non-numeric value {cells[i]!r} in {row_label} "
            f"{rows[i]}{more}. {fix}{label_hint}"
        )
    return pd.Series(out, index=series.index, name=column)


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
    optional_missing = check_columns(codebook, raw.columns, source=source)
    info = read_info(raw)
    rows, row_label = _row_numbers(raw)
    notes = list(info.get("notes", []))
    if codebook.source_format == "qualtrics" and info and not info.get("header_rows_dropped") and info.get("format") in ("csv", "xlsx"):
        notes.append("the codebook says 'qualtrics' but no extra header rows were found; read as a plain export")
    for col in optional_missing:
        notes.append(f"optional column '{col}' is not in the file; indices that need it are skipped")

    names = codebook.canonical_names()
    out: dict[str, pd.Series] = {}

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
        return coerce_numeric(raw, col, what=what, source=source, fix=fix, labels=labels)

    # paradata
    for key, col in codebook.paradata.columns:
        if col not in raw.columns:
            continue
        if key in ("start", "end", "recorded"):
            out[key] = _check_dates(raw[col], column=col, source=source, rows=rows, row_label=row_label)
        elif key == "finished":
            out[key] = coerce_numeric(
                raw, col, what="paradata.finished", source=source, fix="Use 1/0 or True/False.",
                values=_true_false(raw[col]),
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
                    "row": int(rows[i]),
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


def _check_dates(series: pd.Series, *, column: str, source: str, rows: np.ndarray, row_label: str) -> pd.Series:
    """Dates as ISO text ``YYYY-MM-DD HH:MM:SS``; an unreadable date raises DataError."""
    text = series.map(lambda v: v if pd.isna(v) else _excel_text(v) if not isinstance(v, str) else v.strip())
    parsed = pd.to_datetime(text, errors="coerce", format="mixed")
    bad = np.flatnonzero((parsed.isna() & text.notna()).to_numpy())
    if len(bad):
        i = bad[0]
        raise DataError(
            f"{source}: column '{column}' has a value that is not a date, {text.iat[i]!r}, in {row_label} "
            f"{rows[i]}. Use the form YYYY-MM-DD HH:MM:SS."
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
        "header_rows_dropped": info.get("header_rows_dropped", []),
        "first_data_row": info.get("first_data_row"),
        "n_responses": int(len(result.data)),
        "n_columns_out": int(result.data.shape[1]),
        "n_out_of_range_cells": int(len(result.out_of_range)),
        "value_labels": json.loads(json.dumps(info.get("value_labels", {}), default=str)),
        "notes": list(result.notes),
    }
