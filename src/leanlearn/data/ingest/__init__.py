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

from leanlearn.data.ingest.apply import HASH_SUFFIX, IngestResult, apply_codebook, id_text, ingest_report
from leanlearn.data.ingest.cells import coerce_numeric, number_format, numeric_columns, read_info, reverse_score  # noqa: F401
from leanlearn.data.ingest.read import SUPPORTED, TEXT_SUFFIXES, read_export  # noqa: F401
from leanlearn.data.ingest.text import DELIMITERS
from leanlearn.errors import describe_text

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
