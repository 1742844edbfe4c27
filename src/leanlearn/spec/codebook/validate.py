"""Checks of single codebook entries; each error names the entry's key path."""

from __future__ import annotations

import math
import re
from typing import Any, Mapping

from leanlearn.errors import SpecError
from leanlearn.spec.codebook.records import Scale

SOURCE_FORMATS = ("qualtrics", "plain")
PERSONAL_ACTIONS = ("drop", "hash")
ROLES = ("marker",)
COVARIATE_TYPES = ("numeric", "categorical")

_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
_ITEM_KEYS = {"id", "column", "text", "bundle", "reverse", "scale"}
_ATTENTION_KEYS = {"id", "column", "expected", "scale", "text"}
_REVERSE_KEYS = ("reverse", "reverse_coded", "reversed")


# ---- validation -----------------------------------------------------------------------------
def _fail(path: str, what: str) -> SpecError:
    return SpecError(f"{path}: {what}")


def _as_str(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(path, f"expected a non-empty text, got {value!r}")
    return value


def _as_int(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _fail(path, f"expected a whole number, got {value!r}")
    if float(value) != int(value):
        raise _fail(path, f"expected a whole number, got {value!r}")
    return int(value)


def _as_mapping(value: Any, path: str) -> Mapping:
    if not isinstance(value, Mapping):
        raise _fail(path, f"expected a mapping of keys to values, got {type(value).__name__}")
    return value


def _as_list(value: Any, path: str) -> list:
    if not isinstance(value, list):
        raise _fail(path, f"expected a list, got {type(value).__name__}")
    return value


def _labels(value: Any, path: str, scale: Scale | None) -> tuple[tuple[int, str], ...]:
    if value is None:
        return ()
    mapping = _as_mapping(value, path)
    out = []
    for k, v in mapping.items():
        if isinstance(k, str) and re.fullmatch(r"\s*-?\d+\s*", k):
            k = int(k)  # quoted codes in YAML/JSON: "1": Strongly disagree
        code = _as_int(k, f"{path}.{k}")
        if scale is not None and not (scale.min <= code <= scale.max):
            raise _fail(f"{path}.{k}", f"label code {code} is outside the scale {scale.min}-{scale.max}")
        out.append((code, str(v)))
    return tuple(sorted(out))


def _no_reverse_flag(entry: Mapping, path: str, what: str) -> None:
    for key in _REVERSE_KEYS:
        if key in entry:
            raise _fail(
                f"{path}.{key}",
                f"a reverse-coded flag is only allowed on construct items, not on {what}. "
                "Put 'reverse: true' on the item entry under constructs.<C>.items",
            )


_DATE_DIRECTIVES = set("dmyYHIMSpfbBaAjz")


def _date_format(value: Any) -> str:
    """Validate the codebook's ``date_format`` (a strftime pattern with day, month and year)."""
    if not isinstance(value, str) or not value.strip():
        raise _fail("date_format", "expected a strftime pattern such as '%d/%m/%Y %H:%M' (day first) or "
                    "'%m/%d/%Y %H:%M' (month first)")
    directives = re.findall(r"%(.)", value)
    unknown = sorted(set(directives) - _DATE_DIRECTIVES - {"%"})
    if unknown:
        raise _fail("date_format", f"unknown directive(s) {', '.join('%' + d for d in unknown)} in {value!r}; "
                    "use %d %m %Y %y %H %M %S (and %I %p %b %B %f)")
    if not ({"d"} <= set(directives) and ({"m", "b", "B"} & set(directives)) and ({"Y", "y"} & set(directives))):
        raise _fail("date_format", f"{value!r} must contain the day (%d), the month (%m or %b) and the year (%Y or %y)")
    return value
