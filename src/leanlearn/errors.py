"""Exceptions and warnings raised by leanlearn, and how messages show a cell (a leaf module: it imports only the standard library)."""

from __future__ import annotations

import contextlib
from typing import Iterator


class SpecError(ValueError):
    """A model specification, codebook or config that cannot be used.

    The message names the offending line or key and what to do about it.
    """


class DataError(ValueError):
    """Input data that cannot be used as given.

    The message names the file (when known), the column or row, and the fix.
    """


@contextlib.contextmanager
def prefixed(source: str | None) -> Iterator[None]:
    """Prefix the message of a SpecError or DataError raised inside with ``source`` (the input's file name).

    The error keeps its type; a message that already starts with ``source`` is left as it is.
    """
    try:
        yield
    except (SpecError, DataError) as exc:
        msg = str(exc)
        if not source or msg.startswith(source):
            raise
        raise (DataError if isinstance(exc, DataError) else SpecError)(f"{source}: {msg}") from exc


class ConvergenceError(RuntimeError):
    """The PLS algorithm did not converge within the allowed iterations."""


class ConvergenceWarning(UserWarning):
    """The PLS algorithm stopped at the iteration limit; results may be unreliable."""


# ---- describing a cell without revealing it ---------------------------------------------------
_CODE_WORDS = {"n/a", "na", "n.a.", "nan", "null", "none", "missing", "refused", "dk", "-", "--", ".", "?"}


def describe_text(value: object) -> str:
    """A description of a cell that does not reveal it: its length and character classes.

    ``describe_text("call me: a@b.org")`` is ``"a text of 16 characters (letters, spaces,
    other characters)"``. Used in every message about a cell that may hold personal data.
    """
    text = str(value)
    classes = []
    if any(c.isalpha() for c in text):
        classes.append("letters")
    if any(c.isdigit() for c in text):
        classes.append("digits")
    if any(c.isspace() for c in text):
        classes.append("spaces")
    if any(not (c.isalnum() or c.isspace()) for c in text):
        classes.append("other characters")
    n = len(text)
    return f"a text of {n} character{'s' if n != 1 else ''} ({', '.join(classes) or 'empty'})"


def safe_cell(value: object) -> str:
    """How a message may show a cell: a common missing-value code as itself, anything else described.

    Codes such as ``n/a``, ``NA``, ``-``, ``.`` or ``-99`` are shown (``'n/a'``) because the
    user needs them to declare the missing-value code and they identify nobody; any other
    text is shown only as :func:`describe_text`.
    """
    text = str(value).strip()
    if text.lower() in _CODE_WORDS or (text.lstrip("-").isdigit() and set(text.lstrip("-")) == {"9"}):
        return repr(text)
    return describe_text(value)
