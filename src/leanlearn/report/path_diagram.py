"""The path diagram of the structural model (:func:`path_diagram`, positions from :func:`default_positions`).

Part of the report figures; :mod:`leanlearn.report.figures` re-exports both names and registers
the figure.
"""

from __future__ import annotations

import math
from typing import Mapping

import numpy as np
import pandas as pd

from leanlearn.format import num
from leanlearn.report.figure_style import ACCENT, COLUMN_WIDTH, INK, MUTED, _figure, _rc, stars
from leanlearn.report.tables import label as _lab

__all__ = ["default_positions", "path_diagram"]

BOX_WIDTH, BOX_HEIGHT = 1.25, 0.62  # construct boxes, in position units


def default_positions(paths: pd.DataFrame, *, exclude=()) -> dict[str, tuple[float, float]]:
    """A layered layout: exogenous constructs left, outcomes right, mediators raised.

    Layer = longest chain of paths leading to the construct. Constructs in intermediate
    layers are lifted so that direct paths skipping them run underneath; a moderator (the
    second term of an interaction ``X:W``) sits above the midpoint of the path it moderates.
    """
    exclude = set(exclude)
    edges = [(s, t) for s, t in zip(paths.source, paths.target) if s not in exclude and ":" not in str(s)]
    inter = [(str(s).split(":")[0], str(s).split(":")[1], t) for s, t in zip(paths.source, paths.target) if ":" in str(s)]
    nodes: list[str] = []
    for s, t in edges:
        for n in (s, t):
            if n not in nodes:
                nodes.append(n)
    preds: dict[str, list[str]] = {n: [] for n in nodes}
    for s, t in edges:
        preds[t].append(s)
    layer: dict[str, int] = {}

    def depth(n, seen=()):
        if n in layer:
            return layer[n]
        if n in seen:  # a non-recursive model is assumed; guard anyway
            return 0
        d = 0 if not preds[n] else 1 + max(depth(p, seen + (n,)) for p in preds[n])
        layer[n] = d
        return d

    for n in nodes:
        depth(n)
    moderators = {w for _, w, _ in inter}
    last = max(layer.values()) if layer else 0
    skip = any(layer[t] - layer[s] > 1 for s, t in edges)
    pos: dict[str, tuple[float, float]] = {}
    dx = 2.4
    for k in range(last + 1):
        members = [n for n in nodes if layer[n] == k and not (n in moderators and k == 0)]
        lift = 1.35 if skip and 0 < k < last else 0.0
        for i, n in enumerate(members):
            pos[n] = (k * dx, lift - i * 1.0 + (len(members) - 1) * 0.5)
    top = max((y for _, y in pos.values()), default=0.0)
    for x, w, t in inter:
        if w in pos or w not in nodes:
            continue
        if x in pos and t in pos:
            mx = (pos[x][0] + pos[t][0]) / 2
        else:
            mx = 0.0
        pos[w] = (mx, top + 1.35)
    for n in nodes:  # moderators without a placeable interaction
        pos.setdefault(n, (layer[n] * dx, top + 1.35))
    return pos


def path_diagram(paths: pd.DataFrame, *, r_squared: pd.DataFrame | None = None, exclude=(), positions: Mapping | None = None, width: float = COLUMN_WIDTH):
    """The structural model with its estimates.

    Parameters
    ----------
    paths : DataFrame
        ``structural/paths.csv`` (source, target, estimate [, p_value, ci_lower, ci_upper]).
    r_squared : DataFrame, optional
        ``structural/r_squared.csv``; R² is printed inside each endogenous construct.
    exclude : iterable of str
        Constructs not drawn (control variables).
    positions : mapping, optional
        Construct -> (x, y) in box units (default :func:`default_positions`).

    Notes
    -----
    Solid arrows: the 95 % interval excludes zero; dashed grey: it includes zero. Stars
    from the bootstrap p-value (* < .05, ** < .01, *** < .001).
    """
    exclude = set(exclude)
    keep = paths[~paths.source.isin(exclude) & ~paths.target.isin(exclude)]
    pos = dict(positions or default_positions(keep, exclude=exclude))
    r2 = {} if r_squared is None else dict(zip(r_squared.construct, r_squared.r_squared))
    with _rc():
        fig, ax = _canvas(pos, width)
        boxes = _draw_boxes(ax, pos, r2)
        for r in keep.itertuples():
            if ":" in str(r.source) or r.source not in pos or r.target not in pos:
                continue
            _draw_path(ax, r, keep, pos, boxes)
        for r in keep.itertuples():
            if ":" in str(r.source):
                _draw_interaction(ax, r, pos, boxes)
    return fig


def _significant(r) -> bool:
    """The path's interval excludes zero (else: its p-value earns a star)."""
    if hasattr(r, "ci_lower") and not pd.isna(r.ci_lower):
        return r.ci_lower > 0 or r.ci_upper < 0
    return bool(stars(getattr(r, "p_value", None)))


def _value_label(r) -> str:
    return num(r.estimate) + stars(getattr(r, "p_value", None))


def _canvas(pos: Mapping, width: float):
    """A figure whose axes hold every box, in equal units."""
    bw, bh = BOX_WIDTH, BOX_HEIGHT
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    span_x = max(xs) - min(xs) + bw + 0.4
    span_y = max(ys) - min(ys) + bh + 0.4
    fig = _figure(width, max(1.6, width * span_y / span_x))
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.set_xlim(min(xs) - bw / 2 - 0.2, max(xs) + bw / 2 + 0.2)
    ax.set_ylim(min(ys) - bh / 2 - 0.2, max(ys) + bh / 2 + 0.2)
    ax.set_aspect("equal")
    return fig, ax


def _draw_boxes(ax, pos: Mapping, r2: Mapping) -> dict:
    """One rounded box per construct, labelled with its name (and R² of an endogenous one)."""
    from matplotlib.patches import FancyBboxPatch

    bw, bh = BOX_WIDTH, BOX_HEIGHT
    boxes = {}
    for name, (x, y) in pos.items():
        box = FancyBboxPatch((x - bw / 2, y - bh / 2), bw, bh, boxstyle="round,pad=0,rounding_size=0.06", fc="white", ec=INK, lw=0.8, zorder=3)
        ax.add_patch(box)
        boxes[name] = box
        text = _lab(name) + (f"\nR² = {num(r2[name])}" if name in r2 else "")
        ax.text(x, y, text, ha="center", va="center", fontsize=8 if name not in r2 else 7.5, zorder=4, linespacing=1.2)
    return boxes


def _bend(r, pos: Mapping) -> float:
    """The arc3 ``rad`` that bends a path away from a box it would otherwise cross (0: straight)."""
    bw, bh = BOX_WIDTH, BOX_HEIGHT
    (x0, y0), (x1, y1) = pos[r.source], pos[r.target]
    rad = 0.0
    nx, ny = (y1 - y0), -(x1 - x0)  # arc3 moves its control point along +rad * (nx, ny)
    for other, (ox, oy) in pos.items():
        if other in (r.source, r.target):
            continue
        t = np.clip(((ox - x0) * (x1 - x0) + (oy - y0) * (y1 - y0)) / max((x1 - x0) ** 2 + (y1 - y0) ** 2, 1e-9), 0, 1)
        px, py = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
        if 0.05 < t < 0.95 and abs(px - ox) < bw * 0.8 and abs(py - oy) < bh * 1.2:
            side = (ox - px) * nx + (oy - py) * ny
            rad = -0.3 if side > 0 else 0.3
    return rad


def _label_point(r, keep: pd.DataFrame, pos: Mapping, rad: float) -> tuple[float, float]:
    """Where a path's estimate goes: its middle; on a moderated path, beside it away from the moderator."""
    (x0, y0), (x1, y1) = pos[r.source], pos[r.target]
    nx, ny = (y1 - y0), -(x1 - x0)
    mx, my = (x0 + x1) / 2, (y0 + y1) / 2
    mods = [str(q).split(":")[1] for q, t_ in zip(keep.source, keep.target) if ":" in str(q) and str(q).split(":")[0] == r.source and t_ == r.target]
    if mods and mods[0] in pos:
        length = math.hypot(nx, ny) or 1.0
        ux, uy = nx / length, ny / length
        wx_, wy_ = pos[mods[0]]
        if (wx_ - mx) * ux + (wy_ - my) * uy > 0:
            ux, uy = -ux, -uy
        mx, my = mx + 0.32 * ux, my + 0.32 * uy
    if rad:
        # midpoint of the quadratic curve arc3 draws
        dxn, dyn = x1 - x0, y1 - y0
        mx, my = mx + rad * dyn / 2, my - rad * dxn / 2
    return mx, my


def _draw_path(ax, r, keep: pd.DataFrame, pos: Mapping, boxes: Mapping) -> None:
    """A structural path: an arrow between the boxes (dashed grey when not significant) and its estimate."""
    from matplotlib.patches import FancyArrowPatch

    sig = _significant(r)
    rad = _bend(r, pos)
    arrow = FancyArrowPatch(
        pos[r.source], pos[r.target], patchA=boxes[r.source], patchB=boxes[r.target], arrowstyle="-|>", mutation_scale=7,
        connectionstyle=f"arc3,rad={rad}", color=INK if sig else MUTED, lw=0.9 if sig else 0.7, linestyle="-" if sig else (0, (3, 2)), zorder=2,
    )
    ax.add_patch(arrow)
    mx, my = _label_point(r, keep, pos, rad)
    ax.text(mx, my, _value_label(r), ha="center", va="center", fontsize=7, color=INK if sig else MUTED, zorder=5,
            bbox=dict(boxstyle="round,pad=0.12", fc="white", ec="none"))


def _draw_interaction(ax, r, pos: Mapping, boxes: Mapping) -> None:
    """An interaction X:W -> Y: an arrow from the moderator W onto the middle of the path X -> Y, with its estimate."""
    from matplotlib.patches import FancyArrowPatch

    x_name, w_name = str(r.source).split(":")[:2]
    if x_name not in pos or w_name not in pos or r.target not in pos:
        return
    sig = _significant(r)
    (x0, y0), (x1, y1) = pos[x_name], pos[r.target]
    mid = ((x0 + x1) / 2, (y0 + y1) / 2)
    arrow = FancyArrowPatch(
        pos[w_name], mid, patchA=boxes[w_name], arrowstyle="-|>", mutation_scale=7, shrinkB=1.5,
        color=ACCENT if sig else MUTED, lw=0.9, linestyle="-" if sig else (0, (3, 2)), zorder=2,
    )
    ax.add_patch(arrow)
    ax.plot([mid[0]], [mid[1]], marker="o", ms=2.5, color=ACCENT if sig else MUTED, zorder=5)
    wx, wy = pos[w_name]
    ax.text((wx + mid[0]) / 2 - 0.1, (wy + mid[1]) / 2, f"{_lab(r.source)}\n{_value_label(r)}", ha="right", va="center", fontsize=7,
            color=ACCENT if sig else MUTED, zorder=5, bbox=dict(boxstyle="round,pad=0.12", fc="white", ec="none"))
