"""Table objects and cell formatting (all rounding goes through :mod:`leanlearn.format`), thresholds."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

import pandas as pd

from leanlearn.errors import DataError
from leanlearn.format import num, pval
from leanlearn.measurement.assessment import DEFAULTS as MEASUREMENT_DEFAULTS
from leanlearn.report.tables.registry import STRUCTURAL_DEFAULTS


# ---------------------------------------------------------------------------------------------
# Table objects
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Table:
    """A publication table: every cell already formatted.

    Attributes
    ----------
    name : str
        File stem (``results/tables/<name>.*``) and anchor.
    title : str
    columns : tuple of str
    rows : tuple of tuple of str
        Body cells, one tuple per row, as many cells as columns.
    note : str
        Thresholds with their sources, abbreviations, conventions.
    align : tuple of str
        ``"l"`` or ``"r"`` per column.
    panels : tuple of (int, str)
        Panel headings inserted before the body row with that index.
    """

    name: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    note: str = ""
    align: tuple[str, ...] = ()
    panels: tuple[tuple[int, str], ...] = ()

    def __post_init__(self):
        k = len(self.columns)
        for r in self.rows:
            if len(r) != k:
                raise ValueError(f"table {self.name}: a row has {len(r)} cells for {k} columns")
        if self.align and len(self.align) != k:
            raise ValueError(f"table {self.name}: {len(self.align)} alignments for {k} columns")

    @property
    def alignment(self) -> tuple[str, ...]:
        return self.align or ("l",) + ("r",) * (len(self.columns) - 1)

    def frame(self) -> pd.DataFrame:
        """The body as a DataFrame of strings (with a ``panel`` column when the table has panels)."""
        df = pd.DataFrame(list(self.rows), columns=list(self.columns), dtype=object)
        if self.panels:
            starts = dict(self.panels)
            current, labels = "", []
            for i in range(len(self.rows)):
                current = starts.get(i, current)
                labels.append(current)
            df.insert(0, "panel", labels)
        return df


@dataclass(frozen=True)
class NotRun:
    """A table whose stage did not run (or whose inputs cannot be used)."""

    name: str
    title: str
    reason: str


# ---------------------------------------------------------------------------------------------
# Cell formatting (all rounding goes through leanlearn.format)
# ---------------------------------------------------------------------------------------------
def _missing(x) -> bool:
    if x is None:
        return True
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def _f(x, digits: int = 3) -> str:
    return "—" if _missing(x) else num(float(x), digits)


def _int(x) -> str:
    return "—" if _missing(x) else str(int(round(float(x))))


def _pct(x, digits: int = 1) -> str:
    return "—" if _missing(x) else num(100 * float(x), digits) + "%"


def p_cell(p) -> str:
    """A p-value for a table cell: ``.042`` or ``< .001`` (APA, via :func:`leanlearn.format.pval`)."""
    if _missing(p):
        return "—"
    s = pval(float(p))
    return s[len("p = "):] if s.startswith("p = ") else s[len("p "):]


def ci_cell(lo, hi, digits: int = 3) -> str:
    """``[lo, hi]``."""
    if _missing(lo) and _missing(hi):
        return "—"
    return f"[{_f(lo, digits)}, {_f(hi, digits)}]"


def _bool(x) -> str:
    if _missing(x):
        return "—"
    if isinstance(x, str):
        x = x.strip().lower() in ("true", "1", "yes")
    return "yes" if bool(x) else "no"


def _thr(v) -> str:
    """A configured threshold as configured (no rounding: it is an input, not a result)."""
    if isinstance(v, (list, tuple)):
        return "–".join(_thr(x) for x in v)
    if isinstance(v, bool) or v is None:
        return str(v)
    if isinstance(v, (int, float)):
        return f"{v:g}"
    return str(v)


def label(name) -> str:
    """Display form of a path or term: ``LP -> LS`` -> ``LP → LS``, ``LP:DIG`` -> ``LP × DIG``."""
    s = str(name)
    s = s.replace("->", "→")
    return re.sub(r"(?<=\w):(?=\w)", " × ", s)


def is_true(x) -> bool:
    """A boolean cell of a result CSV ("True"/"1"/"yes" or a true non-missing value)."""
    if isinstance(x, str):
        return x.strip().lower() in ("true", "1", "yes")
    return bool(x) and not _missing(x)


def _need(df: pd.DataFrame, cols, what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise DataError(f"{what}: column(s) {', '.join(missing)} missing (the stage's output contract changed?)")


# ---------------------------------------------------------------------------------------------
# Thresholds
# ---------------------------------------------------------------------------------------------
def measurement_thresholds(config: Mapping | None) -> dict:
    """The ``measurement:`` thresholds of the config over leanlearn.measurement.assessment.DEFAULTS."""
    return {**MEASUREMENT_DEFAULTS, **dict((config or {}).get("measurement") or {})}


def structural_thresholds(config: Mapping | None) -> dict:
    """The ``structural:`` thresholds of the config over :data:`STRUCTURAL_DEFAULTS`."""
    return {**STRUCTURAL_DEFAULTS, **dict((config or {}).get("structural") or {})}


def _multi_item_constructs(loadings: pd.DataFrame) -> list[str]:
    """Constructs measured by more than one indicator, in model order (interaction terms excluded)."""
    counts = loadings.groupby("construct", sort=False)["indicator"].count()
    return [str(c) for c, k in counts.items() if k > 1 and ":" not in str(c)]


def _square(df: pd.DataFrame) -> pd.DataFrame:
    first = df.columns[0]
    return df.set_index(first)


def _status_reason(df: pd.DataFrame) -> str | None:
    if "status" in df.columns and "reason" in df.columns and len(df):
        return str(df["reason"].iloc[0])
    return None
