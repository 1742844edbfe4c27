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

from typing import TYPE_CHECKING

# The names are imported on first use (PEP 562): a verb that only reads a data file
# (``leanlearn estimate data.csv``: read_export, numeric_columns) does not import the
# codebook's dataclasses and the code that applies a codebook (apply_codebook and the rest).
_PUBLIC = {
    "HASH_SUFFIX": "leanlearn.data.ingest.apply",
    "IngestResult": "leanlearn.data.ingest.apply",
    "apply_codebook": "leanlearn.data.ingest.apply",
    "id_text": "leanlearn.data.ingest.apply",
    "ingest_report": "leanlearn.data.ingest.apply",
    "coerce_numeric": "leanlearn.data.ingest.cells",
    "number_format": "leanlearn.data.ingest.cells",
    "numeric_columns": "leanlearn.data.ingest.cells",
    "read_info": "leanlearn.data.ingest.cells",
    "reverse_score": "leanlearn.data.ingest.cells",
    "SUPPORTED": "leanlearn.data.ingest.read",
    "TEXT_SUFFIXES": "leanlearn.data.ingest.read",
    "read_export": "leanlearn.data.ingest.read",
    "DELIMITERS": "leanlearn.data.ingest.text",
    "describe_text": "leanlearn.errors",
}

if TYPE_CHECKING:  # the same names, for type checkers and IDEs
    from leanlearn.data.ingest.apply import HASH_SUFFIX, IngestResult, apply_codebook, id_text, ingest_report
    from leanlearn.data.ingest.cells import coerce_numeric, number_format, numeric_columns, read_info, reverse_score  # noqa: F401
    from leanlearn.data.ingest.read import SUPPORTED, TEXT_SUFFIXES, read_export  # noqa: F401
    from leanlearn.data.ingest.text import DELIMITERS
    from leanlearn.errors import describe_text


def __getattr__(name: str):
    try:
        module_name = _PUBLIC[name]
    except KeyError:
        raise AttributeError(f"module 'leanlearn.data.ingest' has no attribute {name!r}") from None
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(_PUBLIC))


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
