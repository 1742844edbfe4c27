"""Reading a raw survey export of any supported format (:func:`read_export`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from leanlearn.data.ingest.binary import _read_excel, _read_stat
from leanlearn.data.ingest.layout import _check_repeated_header, _qualtrics_layout
from leanlearn.data.ingest.text import _read_text
from leanlearn.errors import DataError

TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
SUPPORTED = TEXT_SUFFIXES + (".xlsx", ".sav", ".zsav", ".dta")


def read_export(path: str | Path, *, sheet: str | None = None, decimal: str | None = None) -> pd.DataFrame:
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
    decimal : {".", ","}, optional
        The decimal separator of the numbers in a text export, as declared by the codebook
        (``decimal_separator``); the other character is then the thousands separator. It
        replaces the separators expected from the delimiter, so a file whose separators
        are ambiguous (refused without it) is read as declared; a cell that contradicts the
        declaration is refused (:func:`coerce_numeric`). Workbooks and SPSS/Stata files
        store numbers as numbers and ignore it (with a note).

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
    if decimal is not None and decimal not in (".", ","):
        raise DataError(f"{source}: decimal separator must be '.' or ',', not {decimal!r}")
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        df, info = _read_text(path, decimal=decimal)
    elif suffix == ".xlsx":
        df, info = _read_excel(path, sheet)
    elif suffix in (".sav", ".zsav", ".dta"):
        df, info = _read_stat(path)
    else:
        raise DataError(
            f"{source}: unsupported file type '{suffix or '(none)'}'; export the survey as one of "
            f"{', '.join(SUPPORTED)}"
        )
    if decimal is not None and suffix not in TEXT_SUFFIXES:
        info["notes"].append(f"codebook decimal_separator {decimal!r} ignored: a {suffix} file stores numbers as numbers")
    info["source"] = source
    info.setdefault("layout", "plain")
    if info["format"] == "csv":
        df, layout = _qualtrics_layout(df, info, source)
        info.update(layout)
    if info["format"] in ("csv", "xlsx"):
        _check_repeated_header(df, info, source)
    df.attrs["leanlearn_read"] = info
    return df
