"""Personal data: drop or hash the columns the codebook lists, and scan data for leaks.

The codebook's ``personal_data`` list names each column that identifies a person and
what to do with it: ``drop`` (removed) or ``hash`` (replaced by ``<column>_sha256``, a
salted SHA-256 digest, so that the same person can still be recognised across files
without revealing who it is). Free text (``kind: free_text``) is always dropped.

The library takes the salt as an argument; only the CLI reads it (environment variable
``LEANLEARN_SALT`` or the git-ignored salt file). This module reads no files.
"""

from __future__ import annotations

import hashlib
import re
from typing import Iterable

import numpy as np
import pandas as pd

from leanlearn.spec.codebook import Codebook
from leanlearn.errors import SpecError
from leanlearn.data.ingest import HASH_SUFFIX

__all__ = ["hash_value", "protect", "personal_values", "scan_personal"]


def _salt_bytes(salt: bytes | str) -> bytes:
    if isinstance(salt, str):
        salt = salt.encode("utf-8")
    if not isinstance(salt, (bytes, bytearray)) or len(salt) == 0:
        raise SpecError(
            "salt: an empty salt would make the hashes guessable; set LEANLEARN_SALT or let the CLI "
            "create the salt file"
        )
    return bytes(salt)


def _normalise(value: object, kind: str) -> str:
    text = str(value).strip()
    return text.lower() if kind == "email" else text


def hash_value(value: object, *, salt: bytes | str, kind: str = "") -> str:
    """Salted SHA-256 digest of one value, as 64 hex characters.

    .. math:: h = \\mathrm{SHA256}(\\text{salt} \\,\\|\\, \\text{utf8}(v))

    where ``v`` is the value as text with surrounding spaces removed (and lower-cased for
    ``kind="email"``, so that ``A@x.org`` and ``a@x.org`` hash alike). Checked against
    :func:`hashlib.sha256` on a hand-built input in ``tests/test_privacy.py``.
    """
    digest = hashlib.sha256(_salt_bytes(salt) + _normalise(value, kind).encode("utf-8"))
    return digest.hexdigest()


def protect(raw: pd.DataFrame, codebook: Codebook, *, salt: bytes | str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Drop or hash the personal-data columns of a raw export.

    Parameters
    ----------
    raw : DataFrame
        The export as read (original column names).
    codebook : Codebook
        Its ``personal_data`` entries say which columns to drop or hash.
    salt : bytes or str
        Secret salt for :func:`hash_value`; must not be empty.

    Returns
    -------
    data : DataFrame
        ``raw`` without the dropped columns; hashed columns are replaced, in place, by
        ``<column>_sha256`` (missing values stay missing). ``raw.attrs`` is kept.
    report : DataFrame
        One row per codebook entry: ``column``, ``kind``, ``action`` (drop | hash),
        ``output_column`` (empty when dropped), ``present`` (column in the file),
        ``n_values`` (non-missing cells handled).
    """
    salt_b = _salt_bytes(salt)
    data = raw.copy()
    rows = []
    for entry in codebook.personal_data:
        present = entry.column in data.columns
        n_values = int(data[entry.column].notna().sum()) if present else 0
        action = "drop" if entry.kind == "free_text" else entry.action
        output = ""
        if present:
            if action == "hash":
                output = f"{entry.column}{HASH_SUFFIX}"
                hashed = data[entry.column].map(
                    lambda v, k=entry.kind: v if pd.isna(v) else hash_value(v, salt=salt_b, kind=k)
                )
                pos = data.columns.get_loc(entry.column)
                data = data.drop(columns=[entry.column])
                data.insert(pos, output, hashed.astype(object))
            else:
                data = data.drop(columns=[entry.column])
        rows.append(
            {
                "column": entry.column,
                "kind": entry.kind,
                "action": action,
                "output_column": output,
                "present": present,
                "n_values": n_values,
            }
        )
    data.attrs = dict(raw.attrs)
    report = pd.DataFrame(rows, columns=["column", "kind", "action", "output_column", "present", "n_values"])
    return data, report


def personal_values(raw: pd.DataFrame, codebook: Codebook, *, kinds: Iterable[str] | None = None) -> set[str]:
    """The distinct non-empty personal values in ``raw`` (to scan outputs for leaks).

    ``kinds`` restricts to entries of those kinds (e.g. ``{"email", "name", "ip_address"}``).
    """
    wanted = None if kinds is None else set(kinds)
    values: set[str] = set()
    for entry in codebook.personal_data:
        if entry.column not in raw.columns or (wanted is not None and entry.kind not in wanted):
            continue
        for v in raw[entry.column].dropna():
            text = str(v).strip()
            if text:
                values.add(text)
    return values


def scan_personal(
    data: pd.DataFrame, known_values: Iterable[str], *, substring: bool = True, min_length: int = 3
) -> pd.DataFrame:
    """Report every cell of ``data`` that contains a known personal value.

    Parameters
    ----------
    data : DataFrame
        Any table about to be written.
    known_values : iterable of str
        Personal values (names, e-mails, IP addresses, ...), e.g. from
        :func:`personal_values`. Matching ignores case.
    substring : bool
        True: a cell matches when it *contains* a value; False: when it equals one.
    min_length : int
        Values shorter than this are ignored in substring mode (too many chance matches).

    Returns
    -------
    DataFrame
        ``column``, ``row`` (0-based position), ``value`` (the cell), ``match`` (the
        personal value found); empty when nothing leaks. Column names are scanned too
        (``row`` = -1).
    """
    known = sorted({str(v).strip().lower() for v in known_values if str(v).strip()}, key=len, reverse=True)
    if substring:
        known = [k for k in known if len(k) >= min_length]
    out = []
    if known:
        pattern = re.compile("|".join(re.escape(k) for k in known))
        exact = set(known)

        def find(cell: str) -> str | None:
            low = cell.strip().lower()
            if substring:
                m = pattern.search(low)
                return m.group(0) if m else None
            return low if low in exact else None

        for col in data.columns:
            hit = find(str(col))
            if hit:
                out.append({"column": col, "row": -1, "value": str(col), "match": hit})
            values = data[col].to_numpy(dtype=object)
            for i, v in enumerate(values):
                if v is None or (isinstance(v, float) and np.isnan(v)):
                    continue
                hit = find(str(v))
                if hit:
                    out.append({"column": col, "row": i, "value": str(v), "match": hit})
    return pd.DataFrame(out, columns=["column", "row", "value", "match"])
