"""Checking a data file's columns against the codebook, with hints for near-miss names."""

from __future__ import annotations

import re
from typing import Iterable

from leanlearn.errors import DataError
from leanlearn.spec.codebook.records import Codebook


def check_columns(codebook: Codebook, columns: Iterable[str], *, source: str, strict: bool = False) -> tuple[str, ...]:
    """Check that a data file has the columns the codebook needs.

    Parameters
    ----------
    codebook : Codebook
    columns : iterable of str
        Column names of the raw export.
    source : str
        File name, used in the message.
    strict : bool
        Absent optional columns are errors too (used for SPSS/Stata exports, whose column
        names the researcher did not see in the survey tool).

    Returns
    -------
    tuple of str
        Optional codebook columns (paradata, page timers, key informant) that are absent;
        the indices that need them are skipped with a note.

    Raises
    ------
    DataError
        If any required column (identifiers, construct items, attention checks) is absent
        (with ``strict``: any column). The message lists *every* codebook column missing
        from the file, required ones first, with what each is, and a hint when a column
        of the file nearly matches (:func:`column_hint`).
    """
    columns = [str(c) for c in columns]
    present = set(columns)
    required = codebook.required_columns()
    optional = codebook.optional_columns()
    missing_req = [c for c in required if c not in present]
    missing_opt = [c for c in optional if c not in present]
    if missing_req or (strict and missing_opt):
        parts = [f"'{c}' ({required[c]})" for c in missing_req]
        parts += [f"'{c}' ({optional[c]}, optional)" for c in missing_opt]
        hints = [h for c in (*missing_req, *missing_opt) if (h := column_hint(c, columns))]
        why = (
            " In an SPSS/Stata export every codebook column must be present (optional ones too): a missing one "
            "would silently switch off the checks that use it."
            if strict and not missing_req else ""
        )
        raise DataError(
            f"{source}: {len(parts)} codebook column(s) missing from the data file: {', '.join(parts)}."
            f"{why} Rename the columns in the export, or correct the 'column:' entries in the codebook."
            + (" Hint: " + "; ".join(hints) + "." if hints else "")
        )
    return tuple(missing_opt)


def _spss_name(name: str) -> str:
    """A column name as Qualtrics writes it in SPSS exports (non-alphanumerics -> '_')."""
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def column_hint(wanted: str, columns: Iterable[str]) -> str:
    """Why codebook column ``wanted`` may be missing: a near match among ``columns`` ('' if none).

    Recognised: surrounding spaces (``'Q2_1 '``), a different case (``'q2_1'``) and the
    SPSS form of a Qualtrics name (``Duration (in seconds)`` -> ``Duration__in_seconds_``).
    """
    columns = [str(c) for c in columns]
    for c in columns:
        if c != wanted and c.strip() == wanted.strip():
            return (f"the file has {c!r} for {wanted!r} (spaces around the name); remove the spaces in the export "
                    "or write the name exactly in the codebook")
    for c in columns:
        if c != wanted and c.strip().lower() == wanted.strip().lower():
            return f"the file has {c!r} for {wanted!r} (different upper/lower case)"
    spss = _spss_name(wanted)
    for c in columns:
        if c != wanted and (c == spss or _spss_name(c) == spss):
            return (f"the file has {c!r} for {wanted!r}: Qualtrics' SPSS/Stata exports replace spaces and "
                    f"brackets by '_'; write column: {c!r} in the codebook")
    return ""
