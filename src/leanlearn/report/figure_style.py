"""The house style of the report figures: sizes, colours, the matplotlib style and reproducible bytes.

Shared by :mod:`leanlearn.report.figures`, :mod:`leanlearn.report.path_diagram` and
:mod:`leanlearn.report.analysis_figures`; :mod:`leanlearn.report.figures` re-exports the public names.
"""

from __future__ import annotations

import io
import math

from leanlearn.extras import require

__all__ = ["STYLE", "COLUMN_WIDTH", "stars", "figure_bytes"]

COLUMN_WIDTH = 3.5  # inches, one journal column

STYLE: dict = {
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "axes.titlesize": 8,
    "axes.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
    "legend.frameon": False,
    "axes.linewidth": 0.6,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "lines.linewidth": 1.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "leanlearn",
    "svg.fonttype": "path",
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "path.simplify": False,
    "savefig.dpi": 300,
}

INK = "#222222"
ACCENT = "#1f5fa8"
MUTED = "#8a8a8a"
BAND = "#9ecae1"
REGION = "#e8e8e8"

_METADATA = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None},
}


def _rc():
    matplotlib = require("matplotlib", "drawing the report's figures")

    return matplotlib.rc_context(STYLE)


def _figure(width: float, height: float):
    Figure = require("matplotlib.figure", "drawing the report's figures").Figure

    return Figure(figsize=(width, height), layout="constrained")


def stars(p) -> str:
    """``***`` p < .001, ``**`` p < .01, ``*`` p < .05, else empty."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return ""
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""


def _sd(v: float) -> str:
    v = float(v)
    return "mean" if v == 0 else ("+" if v > 0 else "−") + f"{abs(v):g} SD"


def figure_bytes(fig, fmt: str, *, dpi: int = 300) -> bytes:
    """Render a figure to PNG, SVG or PDF bytes, reproducibly (fixed metadata and SVG hash salt)."""
    fmt = fmt.lower()
    if fmt not in _METADATA:
        raise ValueError(f"figure format must be one of {', '.join(_METADATA)}, got {fmt!r}")
    buf = io.BytesIO()
    with _rc():
        fig.savefig(buf, format=fmt, dpi=dpi, metadata=_METADATA[fmt])
    return buf.getvalue()
