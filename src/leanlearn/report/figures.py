"""Publication figures from the pipeline's result tables (matplotlib, no pyplot state).

Pure: result DataFrames in, :class:`matplotlib.figure.Figure` objects out, and bytes from
:func:`figure_bytes`; only the CLI writes files. Figures are sized for a journal column
(3.5 in wide, 8 pt type) and rendered with the Agg/SVG/PDF backends under a fixed style
(:data:`STYLE`, applied with ``rc_context``; global rcParams are never changed).

Output is byte-reproducible for a given matplotlib version: PNG, SVG and PDF carry no
date, creator or producer metadata, SVG ids are salted with a fixed ``svg.hashsalt``, and
PDF fonts are embedded as TrueType subsets. Numbers in labels go through
:mod:`leanlearn.format`.

Figures
-------
``path_diagram``          constructs as boxes, paths as arrows with β and stars; the
                          interaction drawn as an arrow onto the moderated path; R² inside
                          endogenous constructs; control variables left out.
``htmt``                  HTMT heat map (lower triangle) with bootstrap upper bounds.
``simple_slopes``         first-stage effect at moderator −1 / 0 / +1 SD with slope bands.
``floodlight``            conditional first-stage effect across the moderator, 95 % band,
                          Johnson–Neyman region shaded.
``conditional_indirect``  conditional indirect effect across the moderator, 95 % band,
                          region where it differs from zero shaded.
``forest``                every hypothesis quantity with its 95 % interval.
``bootstrap_distributions`` histograms of the bootstrap draws of every hypothesis quantity
                          (``results/hypotheses/bootstrap_draws.csv``) with the estimate and
                          the percentile interval marked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np
import pandas as pd

from leanlearn.format import num
from leanlearn.report.tables import is_true
from leanlearn.report.tables import label as _lab
from leanlearn.report.figure_style import (  # noqa: F401  (re-exported)
    _METADATA, ACCENT, BAND, COLUMN_WIDTH, INK, MUTED, REGION, STYLE, _figure, _rc, _sd, figure_bytes, stars,
)  # fmt: skip
from leanlearn.report.path_diagram import default_positions, path_diagram

__all__ = [
    "STYLE",
    "COLUMN_WIDTH",
    "FIGURES",
    "figure_caption",
    "stars",
    "default_positions",
    "path_diagram",
    "htmt_heatmap",
    "simple_slopes_plot",
    "floodlight_plot",
    "conditional_indirect_plot",
    "forest_plot",
    "bootstrap_distributions_plot",
    "not_available",
    "figure_available",
    "build_figures",
    "figure_bytes",
]


# ---------------------------------------------------------------------------------------------
# HTMT heat map
# ---------------------------------------------------------------------------------------------
def htmt_heatmap(htmt: pd.DataFrame, *, upper_bounds: pd.DataFrame | None = None, constructs=None, threshold: float = 0.85, width: float = COLUMN_WIDTH):
    """Lower-triangle HTMT heat map; cells show the ratio and its bootstrap upper bound.

    ``threshold`` (from config ``measurement.htmt_max``) is marked on the colour bar.
    """
    sq = htmt.set_index(htmt.columns[0])
    names = [c for c in (constructs or sq.index) if c in sq.index and ":" not in str(c)]
    k = len(names)
    m = np.full((k, k), np.nan)
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            if j < i:
                m[i, j] = float(sq.loc[a, b])
    ub = {}
    if upper_bounds is not None:
        ub = {frozenset((r.construct_a, r.construct_b)): r.upper_bound for r in upper_bounds.itertuples()}
    with _rc():
        fig = _figure(width, width * 0.8)
        ax = fig.add_subplot()
        masked = np.ma.masked_invalid(m)
        im = ax.imshow(masked, cmap="Blues", vmin=0, vmax=1, aspect="equal")
        for i in range(k):
            for j in range(i):
                bound = ub.get(frozenset((names[i], names[j])))
                text = num(m[i, j]) + (f"\n[{num(bound)}]" if bound is not None else "")
                ax.text(j, i, text, ha="center", va="center", fontsize=7, color="white" if m[i, j] > 0.6 else INK, linespacing=1.1)
        ax.set_xticks(range(k), [_lab(n) for n in names])
        ax.set_yticks(range(k), [_lab(n) for n in names])
        ax.tick_params(length=0)
        for s in ax.spines.values():
            s.set_visible(False)
        ax.set_xlim(-0.5, k - 1.5 if k > 1 else 0.5)
        ax.set_ylim(k - 0.5, 0.5 if k > 1 else -0.5)
        cb = fig.colorbar(im, ax=ax, shrink=0.8, pad=0.02)
        cb.ax.tick_params(labelsize=7, width=0.6)
        cb.outline.set_linewidth(0.6)
        cb.ax.axhline(threshold, color="#c0392b", lw=1.0)
        cb.set_label(f"HTMT (threshold {threshold:g})", fontsize=7)
    return fig


# ---------------------------------------------------------------------------------------------
# Conditional effects
# ---------------------------------------------------------------------------------------------
_LINESTYLES = [(0, (1, 1.5)), "-", (0, (4, 2)), (0, (6, 2, 1, 2)), (0, (2, 2))]
_GREYS = ["#7f7f7f", INK, ACCENT, "#555555", "#aaaaaa"]


def simple_slopes_plot(simple_slopes: pd.DataFrame, *, paths: pd.DataFrame | None = None, x_range=(-2.0, 2.0), width: float = COLUMN_WIDTH):
    """Predicted outcome across the focal construct at each probed moderator value.

    Lines: ``y = a_W·w + θ(w)·x`` with θ(w) the conditional slope at W = w SD and a_W the
    moderator's own path (from ``paths``; 0 when absent). Bands: the 95 % percentile
    interval of θ(w) (``ci_lower``/``ci_upper``), drawn as ``a_W·w + [θ_lo, θ_hi]·x``; the
    intercept's uncertainty is not part of the band.
    """
    g = simple_slopes
    first = g.iloc[0]
    focal, mod, target = first.focal, first.moderator, first.target
    g = g[(g.focal == focal) & (g.moderator == mod) & (g.target == target)]
    a_w = 0.0
    if paths is not None:
        hit = paths[(paths.source == mod) & (paths.target == target)]
        if len(hit):
            a_w = float(hit.estimate.iloc[0])
    x = np.linspace(x_range[0], x_range[1], 41)
    with _rc():
        fig = _figure(width, width * 0.72)
        ax = fig.add_subplot()
        for k, r in enumerate(g.sort_values("moderator_value").itertuples()):
            w = float(r.moderator_value)
            y = a_w * w + r.estimate * x
            col = _GREYS[k % len(_GREYS)]
            ax.fill_between(x, a_w * w + r.ci_lower * x, a_w * w + r.ci_upper * x, color=col, alpha=0.12, lw=0)
            ax.plot(x, y, color=col, linestyle=_LINESTYLES[k % len(_LINESTYLES)],
                    label=f"{_lab(mod)} {_sd(w)}: slope {num(r.estimate)}{stars(getattr(r, 'p_value', None))}")
        ax.axhline(0, color=MUTED, lw=0.5)
        ax.set_xlabel(f"{_lab(focal)} (SD)")
        ax.set_ylabel(f"{_lab(target)} (predicted, SD)")
        ax.legend(loc="upper left", handlelength=2.6)
    return fig


def _runs(mask: np.ndarray, x: np.ndarray) -> list[tuple[float, float]]:
    runs, start = [], None
    for i, m in enumerate(mask):
        if m and start is None:
            start = i
        if (not m or i == len(mask) - 1) and start is not None:
            end = i if m else i - 1
            runs.append((float(x[start]), float(x[end])))
            start = None
    return runs


def _band(ax, g: pd.DataFrame, x: np.ndarray) -> None:
    """Shade where the interval excludes zero, then draw the 95 % band (shared by the two band plots)."""
    sig = g.significant.map(is_true).to_numpy() if "significant" in g else (g.ci_lower.to_numpy() > 0) | (g.ci_upper.to_numpy() < 0)
    for k, (lo, hi) in enumerate(_runs(sig, x)):
        ax.axvspan(lo, hi, color=REGION, lw=0, zorder=0, label="interval excludes 0" if k == 0 else None)
    ax.fill_between(x, g.ci_lower, g.ci_upper, color=BAND, alpha=0.6, lw=0, label="95% interval")


def _jn_line(ax, johnson_neyman: pd.DataFrame | None, text: str) -> None:
    """Dashed vertical line at the Johnson–Neyman boundary, labelled "<text> <value> SD"."""
    if johnson_neyman is None or not len(johnson_neyman):
        return
    b = johnson_neyman.iloc[0].get("boundary")
    if b is not None and not pd.isna(b):
        ax.axvline(float(b), color=INK, lw=0.7, linestyle=(0, (3, 2)))
        pct = johnson_neyman.iloc[0].get("boundary_percentile")
        where = f" (P{num(float(pct), 0)})" if pct is not None and not pd.isna(pct) else ""
        ax.annotate(f"{text} {num(float(b), 2)} SD{where}", (float(b), ax.get_ylim()[1]), xytext=(3, -3), textcoords="offset points", ha="left", va="top", fontsize=7)


def floodlight_plot(floodlight: pd.DataFrame, *, johnson_neyman: pd.DataFrame | None = None, width: float = COLUMN_WIDTH):
    """The conditional first-stage effect across the moderator with its 95 % band; J–N region shaded."""
    first = floodlight.iloc[0]
    g = floodlight[(floodlight.focal == first.focal) & (floodlight.moderator == first.moderator) & (floodlight.target == first.target)].sort_values("moderator_value")
    x = g.moderator_value.to_numpy(float)
    with _rc():
        fig = _figure(width, width * 0.78)
        ax = fig.add_subplot()
        _band(ax, g, x)
        ax.plot(x, g.estimate, color=ACCENT, label=f"effect of {_lab(first.focal)} on {_lab(first.target)}")
        ax.axhline(0, color=INK, lw=0.5)
        _jn_line(ax, johnson_neyman, "J–N")
        ax.set_xlabel(f"{_lab(first.moderator)} (SD)")
        ax.set_ylabel(f"Conditional effect of {_lab(first.focal)}")
        fig.legend(loc="outside lower center", ncols=2)
    return fig


def conditional_indirect_plot(grid: pd.DataFrame, *, points: pd.DataFrame | None = None, johnson_neyman: pd.DataFrame | None = None, width: float = COLUMN_WIDTH):
    """The conditional indirect effect across the moderator, its 95 % band, and where it differs from zero.

    ``points`` (``conditional_indirect_effects.csv``) adds the −1 / 0 / +1 SD estimates with
    their intervals; ``johnson_neyman`` marks the first stage's Johnson–Neyman boundary.
    """
    first = grid.iloc[0]
    g = grid[(grid.path == first.path) & (grid.moderator == first.moderator)].sort_values("moderator_value")
    x = g.moderator_value.to_numpy(float)
    with _rc():
        fig = _figure(width, width * 0.8)
        ax = fig.add_subplot()
        _band(ax, g, x)
        ax.plot(x, g.estimate, color=ACCENT, label="indirect effect")
        if points is not None and len(points):
            p = points[(points.path == first.path) & (points.moderator == first.moderator)]
            ax.errorbar(p.moderator_value, p.estimate, yerr=[p.estimate - p.ci_lower, p.ci_upper - p.estimate], fmt="o", ms=3, color=INK, capsize=2, lw=0.8,
                        label="−1 / 0 / +1 SD")
        ax.axhline(0, color=INK, lw=0.5)
        _jn_line(ax, johnson_neyman, "first-stage J–N")
        ax.set_xlabel(f"{_lab(first.moderator)} (SD)")
        ax.set_ylabel(f"Indirect effect {_lab(first.path)}", fontsize=7)
        fig.legend(loc="outside lower center", ncols=2)
    return fig


def forest_plot(hypotheses: pd.DataFrame, *, width: float = COLUMN_WIDTH):
    """Every hypothesis quantity: estimate and its test interval; filled = supported or equivalent (the verdict rule of hypotheses.csv)."""
    h = hypotheses.reset_index(drop=True)
    n = len(h)
    with _rc():
        fig = _figure(width, 0.55 + 0.24 * n)
        ax = fig.add_subplot()
        y = np.arange(n)[::-1]
        for yi, r in zip(y, h.itertuples()):
            supported = str(r.verdict) in ("supported", "equivalent")
            ax.plot([r.ci_lower, r.ci_upper], [yi, yi], color=INK, lw=0.9)
            ax.plot([r.estimate], [yi], marker="o" if str(r.direction) != "none" else "D", ms=3.5, color=INK, mfc=INK if supported else "white", mew=0.8)
        ax.axvline(0, color=MUTED, lw=0.6, linestyle=(0, (3, 2)))
        short = [f"{r.hypothesis}  {_short(r.quantity)}" for r in h.itertuples()]
        ax.set_yticks(y, short, fontsize=6.5)
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)
        ax.set_xlabel("Estimate [95% CI]")
        ax.set_ylim(-0.7, n - 0.3)
    return fig


def bootstrap_distributions_plot(draws: pd.DataFrame, hypotheses: pd.DataFrame, *, width: float = COLUMN_WIDTH, bins: int = 40):
    """Histogram of each hypothesis quantity's bootstrap draws: estimate (solid) and interval (dashed).

    ``draws`` has a ``resample`` column and one column per hypothesis id; ``hypotheses`` gives
    the estimate, the interval and the quantity's label for each id. Panels in the order of
    ``hypotheses``, two per row.
    """
    h = hypotheses[hypotheses.hypothesis.astype(str).isin([str(c) for c in draws.columns])].reset_index(drop=True)
    n = len(h)
    ncols = 2
    nrows = max(1, math.ceil(n / ncols))
    with _rc():
        fig = _figure(width, 0.35 + 1.05 * nrows)
        axes = fig.subplots(nrows, ncols, squeeze=False)
        for k, ax in enumerate(axes.flat):
            if k >= n:
                ax.set_axis_off()
                continue
            r = h.iloc[k]
            x = np.asarray(draws[str(r.hypothesis)], dtype=float)
            x = x[np.isfinite(x)]
            ax.hist(x, bins=bins, color=ACCENT, alpha=0.55, lw=0)
            ax.axvline(float(r.estimate), color=INK, lw=0.9)
            for v in (r.ci_lower, r.ci_upper):
                ax.axvline(float(v), color=INK, lw=0.7, linestyle=(0, (3, 2)))
            ax.axvline(0, color=MUTED, lw=0.6)
            ax.set_yticks([])
            ax.spines["left"].set_visible(False)
            ax.tick_params(axis="x", labelsize=6)
            what = "difference of indirect effects" if " minus " in str(r.quantity) else _short(r.quantity).splitlines()[0]
            ax.set_title(f"{r.hypothesis}: {what}", fontsize=6.5, loc="left")
        fig.supxlabel(f"Bootstrap draws ({len(draws)} valid resamples)", fontsize=7)
    return fig


def _short(q) -> str:
    s = _lab(q)
    s = s.replace("index of moderated mediation of ", "IMM ")
    s = s.replace(") minus (", ")\n− (")
    return "\n".join(part if len(part) <= 32 else part[:31] + "…" for part in s.split("\n"))


def not_available(title: str, reason: str, *, width: float = COLUMN_WIDTH):
    """A placeholder figure that says why the figure could not be drawn (no numbers are invented)."""
    with _rc():
        fig = _figure(width, 1.0)
        ax = fig.add_subplot()
        ax.set_axis_off()
        ax.text(0.5, 0.5, f"{title}\nnot available: {reason}", ha="center", va="center", fontsize=7, color=MUTED, wrap=True)
    return fig


# ---------------------------------------------------------------------------------------------
# Registry and bytes
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FigureSpec:
    """A figure: its caption, the result keys it needs (see leanlearn.report.tables.RESULT_FILES) and its builder."""

    title: str
    caption: str
    requires: tuple[str, ...]
    build: Callable = field(repr=False)


def _controls(r):
    s = r.get("settings")
    return tuple((s or {}).get("controls", ())) if isinstance(s, Mapping) else ()


def _multi(r):
    lo = r.get("outer_loadings")
    if lo is None:
        return None
    counts = lo.groupby("construct", sort=False)["indicator"].count()
    return [c for c, k in counts.items() if k > 1 and ":" not in str(c)]


def _htmt_max(c) -> float:
    from leanlearn.measurement.assessment import DEFAULTS

    return float({**DEFAULTS, **dict((c or {}).get("measurement") or {})}["htmt_max"])


_INTERACTION_SENTENCE = "The interaction is drawn as an arrow onto the path it moderates; "
_CONTROLS_SENTENCE = " Control variables are estimated but not drawn."


def figure_caption(name: str, results) -> str:
    """The caption of a figure for these results: sentences about interactions or controls the model lacks are left out."""
    caption = FIGURES[name].caption
    if name == "path_diagram":
        paths = results.get("paths")
        if not (isinstance(paths, pd.DataFrame) and "source" in paths and paths.source.astype(str).str.contains(":").any()):
            caption = caption.replace(_INTERACTION_SENTENCE, "")
        if not _controls(results):
            caption = caption.replace(_CONTROLS_SENTENCE, "")
    return caption


FIGURES: dict[str, FigureSpec] = {
    "path_diagram": FigureSpec(
        "Structural model",
        "Structural model with standardised path coefficients. Solid arrows: the 95% bootstrap percentile interval excludes zero; "
        "dashed grey: it includes zero. * p < .05, ** p < .01, *** p < .001. The interaction is drawn as an arrow onto the path it moderates; "
        "R² inside the endogenous constructs. Control variables are estimated but not drawn.",
        ("paths",),
        lambda r, c: path_diagram(r["paths"], r_squared=r.get("r_squared"), exclude=_controls(r)),
    ),
    "htmt": FigureSpec(
        "HTMT",
        "Heterotrait–monotrait ratios of the constructs (lower triangle); in brackets the one-sided bootstrap upper bound. "
        "The red line on the colour bar marks the configured threshold.",
        ("htmt",),
        lambda r, c: htmt_heatmap(r["htmt"], upper_bounds=r.get("htmt_upper_bounds"), constructs=_multi(r), threshold=_htmt_max(c)),
    ),
    "simple_slopes": FigureSpec(
        "Simple slopes",
        "Simple slopes: the predicted outcome across the focal construct at the moderator's mean and ±1 SD. "
        "Bands: 95% bootstrap percentile interval of each conditional slope (intercept held at its estimate).",
        ("simple_slopes",),
        lambda r, c: simple_slopes_plot(r["simple_slopes"], paths=r.get("paths")),
    ),
    "floodlight": FigureSpec(
        "Floodlight",
        "Floodlight analysis: the conditional effect of the focal construct across the moderator with its 95% bootstrap band; "
        "shaded where the interval excludes zero; dashed line: Johnson–Neyman boundary.",
        ("floodlight",),
        lambda r, c: floodlight_plot(r["floodlight"], johnson_neyman=r.get("johnson_neyman")),
    ),
    "conditional_indirect": FigureSpec(
        "Conditional indirect effect",
        "Conditional indirect effect across the moderator with its 95% bootstrap band; shaded where the interval excludes zero. "
        "Points: estimates at −1 SD, the mean and +1 SD with their intervals; dashed line: the first stage's Johnson–Neyman boundary.",
        ("conditional_indirect_grid",),
        lambda r, c: conditional_indirect_plot(r["conditional_indirect_grid"], points=r.get("conditional_indirect_effects"), johnson_neyman=r.get("johnson_neyman")),
    ),
    "forest": FigureSpec(
        "Hypothesis quantities",
        "Every hypothesis quantity with the 95% bootstrap interval its verdict follows (type set in config). Filled markers: supported "
        "or equivalent; open: not supported, not equivalent or inconclusive; diamonds: hypotheses of no effect. IMM: index of moderated mediation.",
        ("hypotheses",),
        lambda r, c: forest_plot(r["hypotheses"]),
    ),
    "bootstrap_distributions": FigureSpec(
        "Bootstrap distributions",
        "Bootstrap distributions of the hypothesis quantities (the same resamples as every interval). Solid line: the estimate; "
        "dashed lines: the 95% percentile interval; grey line: zero.",
        ("hypothesis_draws", "hypotheses"),
        lambda r, c: bootstrap_distributions_plot(r["hypothesis_draws"], r["hypotheses"]),
    ),
}


def figure_available(name: str, results: Mapping[str, object]) -> bool:
    """Whether the results hold every input of figure ``name``."""
    return not any(_absent(results, k) for k in FIGURES[name].requires)


def _absent(results: Mapping[str, object], key: str) -> bool:
    """Whether ``results`` lack ``key``: not there, None, or an empty table."""
    value = results.get(key)
    return value is None or (isinstance(value, pd.DataFrame) and value.empty)


def build_figures(results: Mapping[str, object], config: Mapping | None = None) -> dict[str, tuple[object, bool]]:
    """Every figure of :data:`FIGURES`: name -> (Figure, available).

    A figure whose inputs are absent is a :func:`not_available` placeholder (``available``
    False), so the set of output files is the same on every run.
    """
    out = {}
    for name, spec in FIGURES.items():
        if not figure_available(name, results):
            missing = [k for k in spec.requires if _absent(results, k)]
            out[name] = (not_available(spec.title, f"{', '.join(missing)} not in the results"), False)
        else:
            out[name] = (spec.build(results, config or {}), True)
    return out
