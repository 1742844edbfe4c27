"""Number formatting shared by every human-readable output (tables, sentences, the paper).

All rounding of reported numbers happens through these functions, so a number reads the
same in a table, a verdict sentence and the manuscript.
"""

from __future__ import annotations

import math

__all__ = ["num", "pval", "ci"]

DIGITS = 3


def num(x, digits: int = DIGITS) -> str:
    """A number with fixed decimals ('—' for missing); negative zero prints as 0."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    s = f"{float(x):.{digits}f}"
    return s[1:] if s.startswith("-") and float(s) == 0 else s


def pval(p, digits: int = DIGITS) -> str:
    """p-value as reported in APA style: 'p < .001' or 'p = .042'."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "p = —"
    if p < 10 ** (-digits):
        return "p < ." + "0" * (digits - 1) + "1"
    return "p = " + f"{p:.{digits}f}".lstrip("0")


def ci(lo, hi, level: float = 0.95, digits: int = DIGITS) -> str:
    """'95% CI [lo, hi]'."""
    return f"{round(level * 100):d}% CI [{num(lo, digits)}, {num(hi, digits)}]"
