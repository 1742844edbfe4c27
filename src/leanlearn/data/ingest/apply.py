"""Applying the codebook to a read export: canonical names, numbers, scale checks, reverse scoring, dates."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from leanlearn.data.ingest.binary import _excel_text
from leanlearn.data.ingest.cells import (
    _row_numbers,
    _row_value,
    _true_false,
    coerce_numeric,
    number_format,
    read_info,
    reverse_score,
)
from leanlearn.errors import DataError, describe_text
from leanlearn.spec.codebook import FIRM_ID, RESPONDENT_ID, Codebook, check_columns

#: suffix of hashed personal-data columns (see :mod:`leanlearn.data.privacy`)
HASH_SUFFIX = "_sha256"


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
    notes = list(info.get("notes", []))
    if codebook.source_format == "qualtrics" and info and not info.get("header_rows_dropped") and info.get("format") in ("csv", "xlsx"):
        notes.append("the codebook says 'qualtrics' but no extra header rows were found; read as a plain export")
    for col in optional_missing:
        notes.append(f"optional column '{col}' is not in the file; indices that need it are skipped")

    a = _Apply(raw, codebook, source, *_row_numbers(raw))
    a.identifiers()
    a.paradata()
    a.scaled_columns()
    a.covariates()
    hashed = [c for c in raw.columns if str(c).endswith(HASH_SUFFIX)]
    for c in hashed:
        a.out[c] = raw[c]
    data = pd.DataFrame(a.out, index=raw.index).reset_index(drop=True)

    col_rows = _column_log(raw, data, codebook.canonical_names(), hashed)
    dropped = [r["column"] for r in col_rows if r["action"] == "dropped_not_in_codebook"]
    if dropped:
        notes.append(f"{len(dropped)} column(s) not in the codebook were not carried forward: {', '.join(map(str, dropped))}")
    if a.number_notes:
        fmt = info.get("number_format") or number_format(None)
        notes.append(
            f"number format: decimal {fmt.get('decimal')!r}, thousands {fmt.get('thousands')!r} ({fmt.get('basis')})"
        )
        notes.extend(a.number_notes)
    if codebook.reverse_items:
        notes.append(f"reverse-scored items (x' = min + max - x): {', '.join(codebook.reverse_items)}")

    oor = pd.DataFrame(a.oor_rows, columns=[RESPONDENT_ID, "row", "column", "item", "value", "reason"])
    counts = pd.DataFrame(a.count_rows, columns=["item", "column", "kind", "scale_min", "scale_max", "n_out_of_range"])
    return IngestResult(
        data=data,
        out_of_range=oor,
        out_of_range_counts=counts,
        columns=pd.DataFrame(col_rows, columns=["column", "name", "action"]),
        notes=tuple(notes),
    )


def _column_log(raw: pd.DataFrame, data: pd.DataFrame, names: dict, hashed: list) -> list[dict]:
    """What happened to each column of the export: renamed, kept or dropped (not in the codebook)."""
    col_rows = []
    for c in raw.columns:
        if c in names and names[c] in data.columns:
            col_rows.append({"column": c, "name": names[c], "action": "renamed" if names[c] != c else "kept"})
        elif c in hashed:
            col_rows.append({"column": c, "name": c, "action": "kept"})
        else:
            col_rows.append({"column": c, "name": "", "action": "dropped_not_in_codebook"})
    return col_rows


@dataclass
class _Apply:
    """One application of the codebook: the export, the columns built so far and the logs."""

    raw: pd.DataFrame
    codebook: Codebook
    source: str
    rows: np.ndarray
    row_label: str
    out: dict[str, pd.Series] = field(default_factory=dict)
    number_notes: list[str] = field(default_factory=list)
    oor_rows: list[dict] = field(default_factory=list)
    count_rows: list[dict] = field(default_factory=list)

    def identifiers(self) -> None:
        """``respondent_id`` (never empty) and ``firm_id`` (the respondent when the case is the respondent)."""
        raw, codebook, source, rows, row_label, out = (
            self.raw, self.codebook, self.source, self.rows, self.row_label, self.out)
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

    def numeric(self, col: str, what: str, fix: str, labels=()) -> pd.Series:
        return coerce_numeric(self.raw, col, what=what, source=self.source, fix=fix, labels=labels,
                              notes=self.number_notes)

    def paradata(self) -> None:
        """Dates, ``finished`` (1/0 or True/False), other numeric paradata and page timers."""
        raw, codebook, source, rows, row_label, out = (
            self.raw, self.codebook, self.source, self.rows, self.row_label, self.out)
        numeric = self.numeric
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
                    values=_true_false(raw[col]), notes=self.number_notes,
                )
            else:
                out[key] = numeric(col, f"paradata.{key}", "Paradata must be numeric; fix the cell or drop the column from the codebook.")
        for timer in codebook.paradata.page_timers:
            if timer.column in raw.columns:
                out[timer.name] = numeric(timer.column, f"page timer {timer.name}", "Page timers must be seconds as numbers.")

    def scaled(self, col: str, name: str, kind: str, lo: float | None, hi: float | None, codes=None, labels=()) -> pd.Series:
        """Numbers of a scaled column; codes off the scale (or label codes) set missing, each cell logged."""
        raw, rows, out = self.raw, self.rows, self.out
        values = self.numeric(
            col, f"{kind} {name}",
            "Answers must be numeric codes; fix the cell in the export (or set it empty if unanswered).",
            labels=labels,
        )
        reasons: pd.Series
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
        for i in map(int, np.flatnonzero(bad.to_numpy())):
            self.oor_rows.append(
                {
                    RESPONDENT_ID: out[RESPONDENT_ID].iat[i],
                    "row": _row_value(rows[i]),
                    "column": col,
                    "item": name,
                    "value": str(raw[col].iat[i]).strip(),
                    "reason": reasons.iat[i],
                }
            )
        self.count_rows.append(
            {"item": name, "column": col, "kind": kind,
             "scale_min": lo if codes is None else min(codes), "scale_max": hi if codes is None else max(codes),
             "n_out_of_range": int(bad.sum())}
        )
        return values.mask(bad)

    def scaled_columns(self) -> None:
        """Key-informant fields, items (reverse-scored where reverse-keyed) and attention checks."""
        raw, codebook, out, scaled = self.raw, self.codebook, self.out, self.scaled
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

    def covariates(self) -> None:
        """Survey covariates (demographics, firm characteristics): numbers, or levels as text."""
        raw, out = self.raw, self.out
        for cov in self.codebook.covariates:
            if cov.type == "numeric":
                out[cov.name] = self.numeric(cov.column, f"covariate {cov.name}", "A numeric covariate must hold numbers; fix the cell or declare it 'type: categorical'.")
            else:
                out[cov.name] = raw[cov.column].map(partial(_level, labels=dict(cov.labels))).astype(object)


def _level(v, labels: dict):
    """A categorical covariate's level: the label of a numeric code, else the cell as text."""
    if pd.isna(v) or (isinstance(v, str) and not v.strip()):
        return np.nan
    key = id_text(v)
    try:
        return labels.get(int(float(key)), key) if labels else key
    except ValueError:
        return key


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
        parts = [m.groups() for m in (_DMY.match(cells[i]) for i in dmy) if m]
        firsts = [int(g[0]) for g in parts]
        seconds = [int(g[1]) for g in parts]
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
