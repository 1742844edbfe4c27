"""Figures of the post-estimation analyses: the importance-performance map and NCA scatters.

Pure like :mod:`leanlearn.report.figures` (whose style, sizes and reproducible rendering
they share, :func:`leanlearn.report.figures.figure_bytes`): tables in,
:class:`matplotlib.figure.Figure` out; the CLI writes the files.

``ipma_map``    importance (unstandardised total effect on the target) on x, performance
                (0–100) on y, one labelled point per construct, dashed lines at the means
                of both; with a ``necessary`` column (cIPMA) necessary conditions are filled
                points and the others open, and the share of cases below the necessary
                level is printed next to the label.
``nca_plot``    one condition–outcome pair: the cases, the CE-FDH step ceiling and the
                CR-FDH line within the scope, d of both in the legend.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from leanlearn.format import num
from leanlearn.report.figures import ACCENT, COLUMN_WIDTH, INK, MUTED, _figure, _rc

__all__ = ["ipma_map", "nca_plot"]


def ipma_map(constructs: pd.DataFrame, *, target: str, width: float = COLUMN_WIDTH):
    """Importance-performance map of the constructs with a total effect on ``target``.

    Parameters
    ----------
    constructs : DataFrame
        construct, importance, performance (``ipma_constructs.csv``), optionally necessary
        and cases_below (``ipma_combined.csv``).
    target : str
        Named in the title.
    """
    with _rc():
        fig = _figure(width, width * 0.8)
        ax = fig.add_subplot()
        t = constructs.dropna(subset=["importance", "performance"])
        cipma = "necessary" in t.columns
        for r in t.itertuples():
            filled = bool(getattr(r, "necessary", True))
            ax.scatter([r.importance], [r.performance], s=28, color=ACCENT if filled else "white",
                       edgecolors=ACCENT, linewidths=0.9, zorder=3)  # fmt: skip
            text = str(r.construct)
            if cipma and filled and np.isfinite(getattr(r, "cases_below", np.nan)):
                text += f" ({num(r.cases_below, 0)} % below)"
            ax.annotate(text, (r.importance, r.performance), xytext=(4, 3), textcoords="offset points", fontsize=7, color=INK)
        if len(t):
            ax.axvline(float(t.importance.mean()), color=MUTED, linestyle="--", linewidth=0.6)
            ax.axhline(float(t.performance.mean()), color=MUTED, linestyle="--", linewidth=0.6)
            lo, hi = float(t.performance.min()), float(t.performance.max())
            pad = max(5.0, 0.15 * (hi - lo))
            ax.set_ylim(max(0.0, lo - pad), min(100.0, hi + pad))
            xr = float(t.importance.max() - min(0.0, t.importance.min()))
            ax.set_xlim(min(0.0, float(t.importance.min())) - 0.05 * xr, float(t.importance.max()) + 0.35 * xr)
        ax.set_xlabel(f"Importance (total effect on {target})")
        ax.set_ylabel("Performance (0–100)")
        ax.set_title("cIPMA: filled = necessary condition (NCA)" if cipma else f"Importance-performance map of {target}")
    return fig


def nca_plot(x, y, details: pd.DataFrame, *, source: str, target: str, width: float = COLUMN_WIDTH):
    """Scatter of one pair with its CE-FDH and CR-FDH ceilings.

    Parameters
    ----------
    x, y : array-like
        Condition and outcome scores of the cases.
    details : DataFrame
        The pair's rows of :attr:`leanlearn.robustness.nca.NCAResult.details` (ceiling,
        effect_size, p_value, intercept, slope).
    """
    from leanlearn.robustness.nca import peers

    x = np.asarray(x, float)
    y = np.asarray(y, float)
    d = details.set_index("ceiling")
    with _rc():
        fig = _figure(width, width * 0.8)
        ax = fig.add_subplot()
        ax.scatter(x, y, s=6, color=MUTED, alpha=0.6, linewidths=0, zorder=2)
        px, py = peers(x, y)
        sx = np.repeat(np.append(px, x.max()), 2)[1:-1]
        sy = np.repeat(py, 2)

        def lab(c: str, name: str) -> str:
            p = d["p_value"].astype(float)[c]
            return f"{name}: d = {num(d.loc[c, 'effect_size'], 2)}" + ("" if not np.isfinite(p) else f", p = {num(p, 3)}")

        ax.plot(sx, sy, color=INK, linewidth=0.9, label=lab("ce_fdh", "CE-FDH"), zorder=3)
        a, b = float(d["intercept"].astype(float)["cr_fdh"]), float(d["slope"].astype(float)["cr_fdh"])
        grid = np.linspace(x.min(), x.max(), 200)
        line = a + b * grid
        keep = (line >= y.min()) & (line <= y.max())
        ax.plot(grid[keep], line[keep], color=ACCENT, linewidth=0.9, linestyle="--", label=lab("cr_fdh", "CR-FDH"), zorder=3)
        ax.add_patch(_scope_patch(x, y))
        ax.set_xlabel(f"{source} (condition)")
        ax.set_ylabel(f"{target} (outcome)")
        ax.legend(loc="lower right")
    return fig


def _scope_patch(x: np.ndarray, y: np.ndarray):
    from matplotlib.patches import Rectangle

    return Rectangle((x.min(), y.min()), x.max() - x.min(), y.max() - y.min(), fill=False, edgecolor=MUTED,
                     linewidth=0.5, linestyle=":")  # fmt: skip
