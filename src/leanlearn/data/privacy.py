"""Personal data: drop or hash the columns the codebook lists, and scan data for leaks.

The codebook's ``personal_data`` list names each column that identifies a person and
what to do with it: ``drop`` (removed) or ``hash`` (replaced by ``<column>_sha256``, a
keyed HMAC-SHA-256 digest, so that the same person can still be recognised across files
without revealing who it is). Free text (``kind: free_text``) is always dropped.

The key (the "salt") must be at least :data:`MIN_SALT_BYTES` bytes of secret random data
(e.g. ``python -c "import secrets; print(secrets.token_hex(32))"``): e-mail addresses are
few and guessable, so a short or known key would let anyone recover them by trying
candidates. :func:`pattern_leaks` also scans kept columns for values that look like
e-mail addresses, IP addresses or phone numbers, whatever the codebook says.

The library takes the salt as an argument; only the CLI reads it (environment variable
``LEANLEARN_SALT`` or the git-ignored salt file). This module reads no files.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Iterable, cast

import numpy as np
import pandas as pd

from leanlearn.spec.codebook import Codebook
from leanlearn.errors import SpecError
from leanlearn.data.ingest import HASH_SUFFIX

__all__ = ["hash_value", "protect", "personal_values", "scan_personal", "pattern_leaks", "check_salt", "MIN_SALT_BYTES"]

#: shortest accepted salt (HMAC key), in bytes of key material
MIN_SALT_BYTES = 16
MAKE_SALT = 'python -c "import secrets; print(secrets.token_hex(32))"'
_HEX_RE = re.compile(r"^[0-9a-fA-F]+$")


def check_salt(salt: bytes | str) -> bytes:
    """The HMAC key for a salt, or SpecError if the salt is too short to be secret.

    A text salt made of hex digits carries 4 bits per digit, so it needs at least
    ``2 * MIN_SALT_BYTES`` = 32 digits (``secrets.token_hex(16)``); any other text
    needs at least 16 characters' worth of UTF-8 bytes *and* 10 distinct characters; a
    bytes salt needs 16 bytes. The key is the UTF-8 encoding of the text (so that the
    salt files written by earlier versions keep working).
    """
    how = f"make one with {MAKE_SALT} and put it in LEANLEARN_SALT or the salt file"
    if isinstance(salt, str):
        text = salt.strip()
        if not text:
            raise SpecError(f"salt: empty; an empty salt would make the hashes guessable; {how}")
        if _HEX_RE.match(text):
            n_bytes = len(text) // 2
        else:
            n_bytes = len(text.encode("utf-8")) if len(set(text)) >= 10 else 0
        if n_bytes < MIN_SALT_BYTES:
            raise SpecError(
                f"salt: too short or too simple ({len(text)} character(s)); it must hold at least {MIN_SALT_BYTES} "
                f"random bytes (32 hex digits), or a guessed salt recovers the hashed e-mails; {how}"
            )
        return text.encode("utf-8")
    if not isinstance(salt, (bytes, bytearray)) or len(salt) < MIN_SALT_BYTES:
        raise SpecError(f"salt: at least {MIN_SALT_BYTES} random bytes are needed; {how}")
    return bytes(salt)


_salt_bytes = check_salt


def _normalise(value: object, kind: str) -> str:
    text = str(value).strip()
    return text.lower() if kind == "email" else text


def hash_value(value: object, *, salt: bytes | str, kind: str = "") -> str:
    """Keyed HMAC-SHA-256 digest of one value, as 64 hex characters.

    .. math:: h = \\mathrm{HMAC\\text{-}SHA256}(k, \\text{utf8}(v))

    (RFC 2104), with key ``k`` the salt (:func:`check_salt`: at least 16 random bytes)
    and ``v`` the value as text with surrounding spaces removed (lower-cased for
    ``kind="email"``, so that ``A@x.org`` and ``a@x.org`` hash alike). Unlike a plain
    salted SHA-256, an HMAC is a pseudo-random function of the key, so without the key a
    digest cannot be checked against guessed e-mail addresses. Checked against
    :func:`hmac.new` and the RFC 4231 test vector in ``tests/test_privacy.py``.
    """
    digest = hmac.new(check_salt(salt), _normalise(value, kind).encode("utf-8"), hashlib.sha256)
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
        Secret key for :func:`hash_value` (at least 16 random bytes, see :func:`check_salt`).

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
                pos = cast(int, data.columns.get_loc(entry.column))  # a unique column name (a repeat fails n_values above)
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


#: patterns of personal values that must never be written, whatever the codebook lists
PERSONAL_PATTERNS = {
    "email": re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"),
    "ip_address": re.compile(
        r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\d.])"
        r"|(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}(?![0-9A-Fa-f:])"
    ),
    "phone": re.compile(r"(?<![\w.])(?:\+|00)\d{1,3}[\s./-]?(?:\(?\d{1,4}\)?[\s./-]?){2,5}\d{2,4}(?![\w.])"
                        r"|(?<![\w.])\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}(?![\w.])"),
}


def pattern_leaks(data: pd.DataFrame, *, skip: Iterable[str] = ()) -> pd.DataFrame:
    """Cells of ``data`` that look like an e-mail address, an IP address or a phone number.

    The codebook's ``personal_data`` list only covers the columns it names; this scan
    catches personal values in any other kept column (e.g. an e-mail address used as the
    respondent id, or typed into a numeric text box). Numbers stored as numbers are not
    scanned (a number cannot be an e-mail; long digit strings are left to the codebook).

    Parameters
    ----------
    data : DataFrame
        A table about to be written.
    skip : iterable of str
        Columns not to scan (hashed columns, which hold hex digests).

    Returns
    -------
    DataFrame
        ``column``, ``row`` (0-based position), ``kind`` (email | ip_address | phone);
        the value itself is left out so that the report can be shown. Empty: no leak.
        Column names are scanned too (``row`` = -1).
    """
    skip = set(skip)
    out = []
    for col in data.columns:
        for kind, pat in PERSONAL_PATTERNS.items():
            if pat.search(str(col)):
                out.append({"column": col, "row": -1, "kind": kind})
        if col in skip:
            continue
        values = data[col].to_numpy(dtype=object)
        for i, v in enumerate(values):
            if not isinstance(v, str) or not v.strip():
                continue
            for kind, pat in PERSONAL_PATTERNS.items():
                if pat.search(v):
                    out.append({"column": col, "row": i, "kind": kind})
                    break
    return pd.DataFrame(out, columns=["column", "row", "kind"])
