"""Cell values: number formats, numeric coercion with a log per cell, reverse scoring, what reading detected."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from leanlearn.errors import DataError, safe_cell

_TRUE = {"true", "t", "yes", "y"}
_FALSE = {"false", "f", "no", "n"}


_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "'|'"}


def number_format(delimiter: str | None, decimal: str | None = None) -> dict:
    """Decimal and thousands separators expected in a file with this delimiter.

    A semicolon-delimited file comes from a locale that writes the decimal comma
    (``1.391,5``: thousands ``.``, decimal ``,``); every other delimiter, and
    workbooks, use the decimal point (``1,391.5``). A declared ``decimal`` (codebook
    ``decimal_separator``) replaces that guess: ``declared`` is then True.
    """
    if decimal is not None:
        return {"decimal": decimal, "thousands": "," if decimal == "." else ".", "basis": f"codebook decimal_separator {decimal!r}",
                "declared": True}  # fmt: skip
    if delimiter == ";":
        return {"decimal": ",", "thousands": ".", "basis": "semicolon-delimited file (decimal-comma locale)"}
    basis = f"{_DELIMITER_NAMES.get(delimiter, repr(delimiter))}-delimited file" if delimiter else "no delimiter"
    return {"decimal": ".", "thousands": ",", "basis": f"{basis} (decimal-point locale)"}


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


def _is_number(value: Any) -> bool:
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return True
    if not isinstance(value, str):
        return False
    return _number_kind(value.strip())[0] != "text"


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


# ---- applying the codebook -----------------------------------------------------------------
def reverse_score(values, *, minimum: float, maximum: float):
    """Reverse-score answers on a ``minimum``..``maximum`` scale.

    .. math:: x' = \\min + \\max - x

    Applying it twice returns the input (checked in ``tests/test_ingest.py``); missing
    values stay missing. Works on scalars, arrays and pandas objects.
    """
    return minimum + maximum - values


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
    out, kinds, texts, bad = _classify_cells(cells)
    where = (source, column, what, fix, rows, row_label)
    if bad:
        _refuse_text(cells, bad, labels, where)
    by_locale = _resolve_separators(raw, out, kinds, texts, where)
    if notes is not None:
        _separator_notes(kinds, by_locale, column, notes)
    return pd.Series(out, index=series.index, name=column)


def _classify_cells(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict[int, str], list[int]]:
    """Each cell's value and number kind (:func:`_number_kind`); ``bad`` lists the cells that are text.

    Each distinct cell is classified once (:func:`_classify_value`) and the results are
    spread to the cells by their codes (:func:`pandas.factorize`; missing cells have code −1).
    """
    try:
        codes, uniques = pd.factorize(cells, use_na_sentinel=True)
    except TypeError:  # an unhashable cell
        return _classify_each(cells)
    if not all(v is None or v is pd.NA or (isinstance(v, (float, np.floating)) and v != v) for v in cells[codes < 0].tolist()):
        return _classify_each(cells)  # pandas counts NaT and Decimal('NaN') as missing; they are refused as text here
    m = len(uniques)
    u_out = np.full(m + 1, np.nan)  # the last entry serves the missing cells (code -1)
    u_kind = np.full(m + 1, "", dtype=object)
    u_text = [""] * (m + 1)
    u_bad = np.zeros(m + 1, dtype=bool)
    for j, v in enumerate(uniques.tolist()):
        text, kind, value = _classify_value(v)
        if kind == "text":
            u_bad[j] = True
            continue
        if kind not in ("", "int"):
            u_kind[j] = kind
            u_text[j] = text
        if value is not None:
            u_out[j] = value
    out = u_out[codes]
    kinds = u_kind[codes]
    bad = np.flatnonzero(u_bad[codes]).tolist()
    texts = {int(i): u_text[codes[i]] for i in np.flatnonzero(u_kind[codes] != "")}
    return out, kinds, texts, bad


def _classify_each(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict[int, str], list[int]]:
    """:func:`_classify_cells` cell by cell (for cells that :func:`pandas.factorize` cannot take as they are)."""
    out = np.full(len(cells), np.nan)
    kinds = np.full(len(cells), "", dtype=object)
    texts: dict[int, str] = {}
    bad: list[int] = []
    for i, v in enumerate(cells.tolist()):
        text, kind, value = _classify_value(v)
        if kind == "text":
            bad.append(i)
            continue
        if kind not in ("", "int"):
            kinds[i] = kind
            texts[i] = text
        if value is not None:
            out[i] = value
    return out, kinds, texts, bad


def _classify_value(v: Any) -> tuple[str, str, float | None]:
    """(text, kind, value) of one cell: kind "" for a missing or blank cell and for a number
    stored as a number (then value is that number), else :func:`_number_kind` of the stripped text."""
    if type(v) is str:
        text = v.strip()
        return (text, *_number_kind(text)) if text else ("", "", None)
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return "", "", None
    if isinstance(v, (bool, np.bool_, int, float, np.number)):
        return "", "", float(v)
    text = str(v).strip()
    return (text, *_number_kind(text)) if text else ("", "", None)


def _refuse_text(cells: np.ndarray, bad: list[int], labels: tuple[tuple[int, str], ...], where: tuple) -> None:
    """Raise for the first non-numeric cell, naming a matching value label but never the cell's text."""
    source, column, what, fix, rows, row_label = where
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


def _resolve_separators(raw: pd.DataFrame, out: np.ndarray, kinds: np.ndarray, texts: dict[int, str],
                        where: tuple) -> dict[str, str]:
    """Read cells with a '.' or ',' before three digits by the column's evidence, else the file locale.

    Fills ``out`` and ``kinds`` in place; returns the kinds decided by the file locale and its basis.
    """
    source, column, what, fix, rows, row_label = where
    present = set(kinds[kinds != ""])
    by_locale: dict[str, str] = {}
    fmt0 = read_info(raw).get("number_format") or {}
    if fmt0.get("declared"):
        return _declared_separators(out, kinds, texts, fmt0, where)
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
                    f"'{sep}' as the decimal separator; leanlearn does not guess. {fix} State the separator in the "
                    "codebook (decimal_separator: '.' or ','), or re-export the file without thousands separators, or "
                    "with ',' as the delimiter and '.' as the decimal separator."
                )
            as_decimal = decimal_seen or (not group_seen and fmt.get("decimal") == sep)
            for i in idx:
                t = texts[int(i)]
                out[i] = float(t.replace(",", ".")) if as_decimal else float(t.replace(sep, ""))
            final = ("comma" if sep == "," else "point") if as_decimal else ("group_comma" if sep == "," else "group_dot")
            kinds[idx] = final
            if not decimal_seen and not group_seen:
                by_locale[final] = str(fmt.get("basis", "file locale"))
    return by_locale


def _separator_notes(kinds: np.ndarray, by_locale: dict[str, str], column: str, notes: list[str]) -> None:
    """A note per separator reading other than a plain decimal point, with its number of cells."""
    for kind in ("group_comma", "group_dot", "comma"):
        k = int((kinds == kind).sum())
        if k:
            basis = f" ({by_locale[kind]})" if kind in by_locale else ""
            notes.append(f"column '{column}': {k} cell(s) read with {_KIND_NOTE[kind]}{basis}")


def _declared_separators(out: np.ndarray, kinds: np.ndarray, texts: dict[int, str], fmt: dict, where: tuple) -> dict[str, str]:
    """:func:`_resolve_separators` for a file whose decimal separator the codebook declares.

    Ambiguous cells (a separator followed by three digits) are read as declared: with
    ``'.'`` decimal, ``1.391`` is 1.391 and ``1,391`` is 1391; with ``','`` decimal the
    reverse. Cells whose form contradicts the declaration (``4,5`` or ``1.391,5`` with
    ``'.'``; ``4.5`` or ``1,391.5`` with ``','``) are refused, naming the row, never the
    value. Fills ``out`` and ``kinds`` in place; every separator note names the declaration.
    """
    source, column, what, fix, rows, row_label = where
    dec = fmt["decimal"]
    contra = ("comma", "group_dot") if dec == "." else ("point", "group_comma")
    bad = np.flatnonzero(np.isin(kinds, contra))
    if len(bad):
        other = "," if dec == "." else "."
        raise DataError(
            f"{source}: column '{column}' ({what}): {len(bad)} cell(s) such as {row_label} {rows[bad[0]]} write '{other}' as the "
            f"decimal separator, but the codebook declares decimal_separator {dec!r}. {fix} Correct the cells, or the "
            "codebook's decimal_separator if it is the wrong one."
        )
    sep_thousands = "," if dec == "." else "."
    for amb in ("dot3", "comma3"):
        sep = "." if amb == "dot3" else ","
        for i in np.flatnonzero(kinds == amb):
            t = texts[int(i)]
            out[i] = float(t.replace(",", ".")) if sep == dec else float(t.replace(sep_thousands, ""))
        kinds[kinds == amb] = ("comma" if sep == "," else "point") if sep == dec else ("group_comma" if sep == "," else "group_dot")
    return {k: str(fmt["basis"]) for k in ("group_comma", "group_dot", "comma")}


def numeric_columns(raw: pd.DataFrame, *, source: str, notes: list[str] | None = None) -> pd.DataFrame:
    """``raw`` with every column whose filled cells are all numbers converted to float.

    For frames read by :func:`read_export` from text files, so that a verb that takes a
    data file directly (``leanlearn estimate data.csv``) reads separators like ``ingest``
    does (:func:`coerce_numeric`: ``1.391`` in a semicolon file is 1391, an ambiguous
    column is refused). Columns holding any text cell are left as they are; numbers
    already stored as numbers (.sav, .dta) are untouched.
    """
    columns: dict = {}
    bare = raw.copy(deep=False)
    bare.attrs = {}  # a column taken from ``raw`` would deep-copy its attrs (pandas), once per column
    for c in raw.columns:
        column = bare[c]
        columns[c] = column
        cells = [v for v in dict.fromkeys(column.to_numpy(dtype=object)) if isinstance(v, str) and v.strip()]
        if not cells:
            continue
        if any(_number_kind(v.strip())[0] == "text" for v in cells):
            continue
        columns[c] = coerce_numeric(raw, c, what="number", source=source, fix="", notes=notes, values=column).to_numpy()
    out = pd.DataFrame(columns, index=raw.index)  # built once: a column assignment per item costs more than the parsing
    out.attrs = dict(raw.attrs)
    return out


def _true_false(series: pd.Series) -> pd.Series:
    return series.map(
        lambda v: 1.0 if isinstance(v, str) and v.strip().lower() in _TRUE
        else 0.0 if isinstance(v, str) and v.strip().lower() in _FALSE else v
    )
