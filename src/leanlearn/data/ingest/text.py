"""Reading text exports (CSV/TSV): encoding, delimiter, header checks."""

from __future__ import annotations

import codecs
import csv
import io
import re
from itertools import islice
from pathlib import Path

import numpy as np
import pandas as pd

from leanlearn.data.ingest.cells import _is_number, _number_kind, number_format
from leanlearn.errors import DataError

DELIMITERS = (",", ";", "\t", "|")
_IMPORT_ID_RE = re.compile(r'^\s*\{\s*"ImportId"\s*:', re.IGNORECASE)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


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


def _read_text(path: Path, decimal: str | None = None) -> tuple[pd.DataFrame, dict]:
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
    fmt = number_format(delim, decimal)
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
