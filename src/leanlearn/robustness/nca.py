r"""Necessary condition analysis (NCA) of construct scores.

Dul (2016), "Necessary condition analysis (NCA): logic and methodology of 'necessary but
not sufficient' causality", *Organizational Research Methods* 19(1), 10–52; Dul, van der
Laan & Kuik (2020), "A statistical significance test for necessary condition analysis",
*Organizational Research Methods* 23(2), 385–395; Richter, Schubring, Hauff, Ringle &
Sarstedt (2020), "When predictors of outcomes are necessary: guidelines for the combined
use of PLS-SEM and NCA", *Industrial Management & Data Systems* 120(12), 2243–2267.

A condition X is *necessary* for an outcome Y when high levels of Y occur only with high
enough levels of X: the upper-left corner of the X–Y scatter is empty. NCA draws a
*ceiling line* on the border of that empty zone and measures its size.

Scope and ceilings
------------------
The (empirical) scope is the box spanned by the observed minima and maxima,
:math:`S = (x_{max} - x_{min})(y_{max} - y_{min})`.

*CE-FDH* (ceiling envelopment, free disposal hull) is the step function

.. math:: c(x) = \max\{y_i : x_i \le x\},

non-decreasing and right-continuous. Its *peers* are the points on the corners of the
steps: sort the distinct x values ascending, take the largest y at each, and keep those
whose y exceeds the largest y at every smaller x (the first distinct x always is one).
With peers :math:`(x_1, y_1), \dots, (x_m, y_m)` (:math:`x_1 = x_{min}`) the ceiling zone
is

.. math:: C_{CE} = \sum_{k=1}^{m} (x_{k+1} - x_k)(y_{max} - y_k), \qquad x_{m+1} = x_{max}.

*CR-FDH* (ceiling regression, free disposal hull) is the OLS line :math:`y = a + b x`
through the CE-FDH peers; its zone is the part of the scope above the line, the line
clipped to :math:`[y_{min}, y_{max}]`:

.. math:: C_{CR} = \int_{x_{min}}^{x_{max}} \bigl(y_{max} - \min(y_{max}, \max(y_{min}, a + b x))\bigr)\,dx.

With a single peer (the point :math:`(x_{min}, y_{max})`) the line is horizontal at
:math:`y_{max}` and the zone is 0. The *accuracy* of a ceiling is the percentage of
cases on or below it (100 for CE-FDH by construction).

Effect size :math:`d = C / S` lies in [0, 1]; Dul (2016) reads 0 < d < 0.1 as small,
0.1 ≤ d < 0.3 as medium, 0.3 ≤ d < 0.5 as large and d ≥ 0.5 as very large. ``d`` is
invariant to increasing affine transformations of X and of Y (they scale the ceiling
zone and the scope alike), so it is the same on standardised construct scores and on
0–100 rescaled scores (tests/test_nca.py checks this).

Permutation test (Dul et al. 2020)
----------------------------------
Under the null of no necessity, the pairing of X and Y values is arbitrary. ``P``
permutations of Y against X give effect sizes :math:`d^*_1, \dots, d^*_P` and

.. math:: p = \frac{\#\{b : d^*_b \ge d\}}{P}

(the proportion of permuted effect sizes at least as large as the observed one, as
Dul et al. 2020 define it; a tolerance of :math:`10^{-12}` absorbs rounding in ties). A
reported ``p = 0`` means below 1/P. The same permutations serve both ceilings. Dul et
al. (2020) call a condition necessary in kind when d ≥ 0.1 *and* p < 0.05 (:func:`necessity`).

Bottleneck table
----------------
For outcome levels :math:`L = 0, 100/s, \dots, 100` percent of the range of Y
(``steps`` = s, default 10), the level of X that the ceiling requires, as a percentage of
the range of X (NCA's ``percentage.range`` convention): CE-FDH requires the x of the
first peer whose y reaches the outcome level, CR-FDH requires :math:`(y_L - a)/b`.
A requirement at or below :math:`x_{min}` is "not necessary" (R's NN; reported as 0), one
above :math:`x_{max}` is "not attainable" in the data (R's NA; reported as NaN).

Checked against data worked by hand (tests/test_nca.py): a five-point scatter whose
CE-FDH zone, peers, CR-FDH line and zone, effect sizes and bottleneck values are
computed on paper, the full enumeration of all permutations of a four-point sample for
the exact p value, and the affine invariance. Only corner 1 (upper-left empty: the
presence of X is necessary for the presence of Y) is implemented.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from leanlearn.errors import DataError
from leanlearn.random import generator

__all__ = [
    "CEILINGS",
    "NECESSITY_RULE",
    "NCAResult",
    "peers",
    "ceiling_zone_ce_fdh",
    "cr_fdh_line",
    "ceiling_zone_line",
    "effect_sizes",
    "permutation_p_values",
    "bottleneck",
    "necessity",
    "required_level",
    "nca",
    "nca_scores",
    "model_pairs",
]

CEILINGS = ("ce_fdh", "cr_fdh")
NECESSITY_RULE = (
    "A condition is called necessary (in kind) when its effect size d is at least 0.1 and the permutation test "
    "gives p < 0.05 (Dul 2016; Dul, van der Laan & Kuik 2020); d: 0-0.1 small, 0.1-0.3 medium, 0.3-0.5 large, "
    "0.5 and above very large. A non-significant test is no evidence that the condition is not necessary."
)
_TOL = 1e-12


def _xy(x, y) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError("x and y must be one-dimensional arrays of the same length")
    if len(x) < 2:
        raise DataError("NCA needs at least 2 cases")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise DataError("NCA needs complete, finite scores (no missing values)")
    return x, y


def peers(x, y) -> tuple[np.ndarray, np.ndarray]:
    """CE-FDH peers: the corner points of the step ceiling, sorted by x.

    Returns
    -------
    (px, py) : arrays
        x and y of the peers; px strictly increasing, py strictly increasing, px[0] = min(x).
    """
    x, y = _xy(x, y)
    ux, inv = np.unique(x, return_inverse=True)
    gmax = np.full(len(ux), -np.inf)
    np.maximum.at(gmax, inv, y)
    prev = np.concatenate([[-np.inf], np.maximum.accumulate(gmax)[:-1]])
    keep = gmax > prev
    return ux[keep], gmax[keep]


def ceiling_zone_ce_fdh(x, y) -> float:
    """Area of the scope above the CE-FDH step ceiling (see the module notes)."""
    x, y = _xy(x, y)
    px, py = peers(x, y)
    right = np.append(px[1:], x.max())
    return float(np.sum((right - px) * (y.max() - py)))


def cr_fdh_line(x, y) -> tuple[float, float]:
    """Intercept and slope of the CR-FDH ceiling: OLS through the CE-FDH peers.

    With one peer the line is horizontal at its y (slope 0).
    """
    px, py = peers(x, y)
    if len(px) == 1:
        return float(py[0]), 0.0
    xc = px - px.mean()
    b = float(np.sum(xc * (py - py.mean())) / np.sum(xc * xc))
    return float(py.mean() - b * px.mean()), b


def ceiling_zone_line(intercept: float, slope: float, x_range: tuple[float, float], y_range: tuple[float, float]) -> float:
    r"""Area of the scope box above the line :math:`y = a + b x`, the line clipped to the box.

    Exact: the clipped line is piecewise linear, with breaks where it crosses
    :math:`y_{min}` and :math:`y_{max}`; each piece is integrated as a trapezoid.
    """
    x0, x1 = x_range
    y0, y1 = y_range
    cuts = [x0, x1]
    if slope != 0:
        for level in (y0, y1):
            xc = (level - intercept) / slope
            if x0 < xc < x1:
                cuts.append(xc)
    cuts = sorted(cuts)
    area = 0.0
    for a, b in zip(cuts[:-1], cuts[1:]):
        fa = y1 - min(y1, max(y0, intercept + slope * a))
        fb = y1 - min(y1, max(y0, intercept + slope * b))
        area += 0.5 * (fa + fb) * (b - a)
    return float(area)


def _scope(x: np.ndarray, y: np.ndarray) -> float:
    return float((x.max() - x.min()) * (y.max() - y.min()))


def effect_sizes(x, y) -> dict[str, dict[str, float]]:
    """Ceiling zone, effect size d, accuracy and line of each ceiling for one pair.

    Returns
    -------
    dict
        ``{ceiling: {"zone", "scope", "effect_size", "accuracy", "intercept", "slope",
        "n_peers"}}``; intercept and slope are NaN for CE-FDH. With a zero scope (X or Y
        constant) the effect size is NaN.
    """
    x, y = _xy(x, y)
    scope = _scope(x, y)
    px, _ = peers(x, y)
    out: dict[str, dict[str, float]] = {}
    zone = ceiling_zone_ce_fdh(x, y) if scope > 0 else 0.0
    out["ce_fdh"] = dict(zone=zone, scope=scope, effect_size=zone / scope if scope > 0 else np.nan, accuracy=100.0,
                         intercept=np.nan, slope=np.nan, n_peers=float(len(px)))  # fmt: skip
    a, b = cr_fdh_line(x, y)
    zone = ceiling_zone_line(a, b, (x.min(), x.max()), (y.min(), y.max())) if scope > 0 else 0.0
    tol = _TOL * max(1.0, float(np.abs(y).max()))
    acc = 100.0 * float(np.mean(y <= a + b * x + tol))
    out["cr_fdh"] = dict(zone=zone, scope=scope, effect_size=zone / scope if scope > 0 else np.nan, accuracy=acc,
                         intercept=a, slope=b, n_peers=float(len(px)))  # fmt: skip
    return out


def _permuted_effects(x: np.ndarray, Y: np.ndarray) -> dict[str, np.ndarray]:
    """Effect sizes of both ceilings for every row of Y (permutations of y), vectorised."""
    order = np.argsort(x, kind="stable")
    xs = x[order]
    ux, start = np.unique(xs, return_index=True)
    Ys = Y[:, order]
    gmax = np.maximum.reduceat(Ys, start, axis=1)  # (P, g) largest y at each distinct x
    cmax = np.maximum.accumulate(gmax, axis=1)
    ymax, ymin = float(Y.max()), float(Y.min())
    scope = (xs[-1] - xs[0]) * (ymax - ymin)
    width = np.append(np.diff(ux), 0.0)
    ce = ((ymax - cmax) * width).sum(axis=1) / scope
    prev = np.concatenate([np.full((len(Y), 1), -np.inf), cmax[:, :-1]], axis=1)
    mask = gmax > prev
    m = mask.sum(axis=1)
    X = np.broadcast_to(ux, gmax.shape)
    sx = np.where(mask, X, 0.0).sum(axis=1)
    sy = np.where(mask, gmax, 0.0).sum(axis=1)
    mx, my = sx / m, sy / m
    sxx = np.where(mask, (X - mx[:, None]) ** 2, 0.0).sum(axis=1)
    sxy = np.where(mask, (X - mx[:, None]) * (gmax - my[:, None]), 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = np.where(m > 1, sxy / sxx, 0.0)
    intercept = np.where(m > 1, my - slope * mx, my)
    cr = np.array([ceiling_zone_line(a, b, (xs[0], xs[-1]), (ymin, ymax)) for a, b in zip(intercept, slope)]) / scope
    return {"ce_fdh": ce, "cr_fdh": cr}


def permutation_p_values(x, y, observed: dict[str, float], *, permutations: int, rng: np.random.Generator,
                         block: int = 2000) -> dict[str, float]:  # fmt: skip
    """Permutation p value of each ceiling's effect size (Dul et al. 2020).

    ``permutations`` shuffles of y against x, drawn from ``rng`` in blocks of ``block``
    rows (the draws do not depend on the block size: one ``rng.permuted`` call per block
    on a tiled copy would, so every permutation is drawn with ``rng.permutation`` in
    sequence).
    """
    x, y = _xy(x, y)
    if permutations < 1:
        raise ValueError(f"permutations must be at least 1, got {permutations}")
    counts = {c: 0 for c in observed}
    done = 0
    while done < permutations:
        k = min(block, permutations - done)
        Y = np.stack([y[rng.permutation(len(y))] for _ in range(k)])
        eff = _permuted_effects(x, Y)
        for c, d in observed.items():
            if np.isfinite(d):
                counts[c] += int(np.sum(eff[c] >= d - _TOL))
        done += k
    return {c: (counts[c] / permutations if np.isfinite(observed[c]) else np.nan) for c in observed}


def bottleneck(x, y, *, steps: int = 10) -> pd.DataFrame:
    """Bottleneck table of one pair: required X (percent of its range) per outcome level.

    Returns
    -------
    DataFrame
        ceiling, outcome_level (percent of the range of Y), outcome_value, required_level
        (percent of the range of X; 0 when not necessary, NaN when not attainable),
        required_value (in the units of X), status ("not necessary", "required",
        "not attainable").
    """
    x, y = _xy(x, y)
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    x0, x1, y0, y1 = x.min(), x.max(), y.min(), y.max()
    px, py = peers(x, y)
    a, b = cr_fdh_line(x, y)
    rows = []
    for i in range(steps + 1):
        level = 100.0 * i / steps
        yl = y0 + level / 100.0 * (y1 - y0)
        for ceiling in CEILINGS:
            if ceiling == "ce_fdh":
                req = float(px[np.argmax(py >= yl - _TOL * max(1.0, abs(yl)))])
            else:
                req = (yl - a) / b if b != 0 else (-np.inf if yl <= a else np.inf)
            span = x1 - x0
            if req <= x0 + _TOL * max(1.0, abs(x0)) or span == 0:
                rows.append((ceiling, level, yl, 0.0, x0, "not necessary"))
            elif req > x1 + _TOL * max(1.0, abs(x1)):
                rows.append((ceiling, level, yl, np.nan, np.nan, "not attainable"))
            else:
                rows.append((ceiling, level, yl, 100.0 * (req - x0) / span, req, "required"))
    out = pd.DataFrame(rows, columns=["ceiling", "outcome_level", "outcome_value", "required_level", "required_value", "status"])
    return out.sort_values(["ceiling", "outcome_level"], kind="stable").reset_index(drop=True)


def required_level(x, y, level: float, *, ceiling: str = "cr_fdh") -> tuple[float, str]:
    """Level of X (in its own units) that a ceiling requires for the outcome value ``level``.

    Returns ``(value, status)``: status "not necessary" (the requirement is at or below
    min(x); value = min(x)), "required", or "not attainable" (above max(x) or above max(y):
    value NaN). The single-level form of :func:`bottleneck`, used by the cIPMA.
    """
    x, y = _xy(x, y)
    if ceiling not in CEILINGS:
        raise ValueError(f"ceiling must be one of {CEILINGS}, not {ceiling!r}")
    x0, x1 = x.min(), x.max()
    if level > y.max() + _TOL * max(1.0, abs(level)):
        return np.nan, "not attainable"
    if ceiling == "ce_fdh":
        px, py = peers(x, y)
        req = float(px[np.argmax(py >= level - _TOL * max(1.0, abs(level)))])
    else:
        a, b = cr_fdh_line(x, y)
        req = (level - a) / b if b != 0 else (-np.inf if level <= a else np.inf)
    if req <= x0 + _TOL * max(1.0, abs(x0)):
        return float(x0), "not necessary"
    if req > x1 + _TOL * max(1.0, abs(x1)):
        return np.nan, "not attainable"
    return float(req), "required"


def necessity(effect_size: float, p_value: float, *, threshold: float = 0.1, alpha: float = 0.05) -> bool:
    """Dul et al.'s (2020) rule: necessary in kind when d ≥ ``threshold`` and p < ``alpha``."""
    return bool(np.isfinite(effect_size) and np.isfinite(p_value) and effect_size >= threshold and p_value < alpha)


def nca(x, y, *, permutations: int = 0, seed=None, steps: int = 10) -> tuple[pd.DataFrame, pd.DataFrame]:
    """NCA of one condition–outcome pair: the effects table and the bottleneck table.

    Returns
    -------
    (effects, bottleneck) : DataFrames
        effects: ceiling, effect_size, p_value (NaN without permutations), zone, scope,
        accuracy, intercept, slope, n_peers. bottleneck: see :func:`bottleneck`.
    """
    res = nca_scores(pd.DataFrame({"x": np.asarray(x, float), "y": np.asarray(y, float)}), [("x", "y")],
                     permutations=permutations, seed=seed, steps=steps)  # fmt: skip
    return res.details.drop(columns=["source", "target"]), res.bottleneck.drop(columns=["source", "target"])


@dataclass(frozen=True)
class NCAResult:
    """NCA of several condition–outcome pairs. All tables are tidy DataFrames.

    Attributes
    ----------
    effects : DataFrame
        source, target, ceiling, effect_size, p_value: one row per pair and ceiling
        (``nca.csv``).
    details : DataFrame
        source, target, ceiling, effect_size, p_value, necessary (Dul et al.'s rule, False
        without a test), zone, scope, accuracy (percent of cases on or below the ceiling),
        intercept, slope (CR-FDH line; NaN for CE-FDH), n_peers, n.
    bottleneck : DataFrame
        source, target, ceiling, outcome_level, outcome_value, required_level,
        required_value, status (``nca_bottleneck.csv``; see :func:`bottleneck`).
    permutations : int
    seed : int, SeedSequence or None
    """

    effects: pd.DataFrame = field(repr=False)
    details: pd.DataFrame = field(repr=False)
    bottleneck: pd.DataFrame = field(repr=False)
    permutations: int
    seed: object


def nca_scores(scores: pd.DataFrame, pairs: Sequence[tuple[str, str]], *, permutations: int = 0, seed=None,
               steps: int = 10) -> NCAResult:  # fmt: skip
    """NCA of every (source, target) pair of columns of ``scores``.

    Parameters
    ----------
    scores : DataFrame
        One row per case; construct scores (or any numeric variables) as columns.
    pairs : sequence of (source, target)
        Condition and outcome column names.
    permutations : int
        Permutations of the test (0: no test, p values NaN). Dul et al. (2020) suggest
        10,000.
    seed : int, SeedSequence or None
        Study seed; pair j draws from ``leanlearn.random.stream(seed, "permutation",
        "nca", j)``, so results do not depend on which pairs run before it.
    steps : int
        Outcome levels of the bottleneck table: 0, 100/steps, ..., 100 percent.

    Returns
    -------
    NCAResult
    """
    if permutations < 0:
        raise ValueError(f"permutations must be 0 or more, got {permutations}")
    eff_rows, bn = [], []
    for j, (source, target) in enumerate(pairs):
        for col in (source, target):
            if col not in scores.columns:
                raise DataError(f"NCA: no scores for {col!r}")
        x, y = _xy(scores[source].to_numpy(), scores[target].to_numpy())
        eff = effect_sizes(x, y)
        if permutations:
            obs = {c: eff[c]["effect_size"] for c in CEILINGS}
            pv = permutation_p_values(x, y, obs, permutations=permutations, rng=generator(seed, "permutation", "nca", j))
        else:
            pv = {c: np.nan for c in CEILINGS}
        for c in CEILINGS:
            e = eff[c]
            eff_rows.append((source, target, c, e["effect_size"], pv[c], necessity(e["effect_size"], pv[c]), e["zone"],
                             e["scope"], e["accuracy"], e["intercept"], e["slope"], int(e["n_peers"]), len(x)))  # fmt: skip
        b = bottleneck(x, y, steps=steps)
        b.insert(0, "target", target)
        b.insert(0, "source", source)
        bn.append(b)
    details = pd.DataFrame(
        eff_rows,
        columns=["source", "target", "ceiling", "effect_size", "p_value", "necessary", "zone", "scope", "accuracy",
                 "intercept", "slope", "n_peers", "n"],
    )  # fmt: skip
    cols = ["source", "target", "ceiling", "outcome_level", "outcome_value", "required_level", "required_value", "status"]
    bott = pd.concat(bn, ignore_index=True) if bn else pd.DataFrame(columns=cols)
    return NCAResult(
        effects=details[["source", "target", "ceiling", "effect_size", "p_value"]].copy(),
        details=details,
        bottleneck=bott[cols],
        permutations=int(permutations),
        seed=seed,
    )


def model_pairs(spec) -> list[tuple[str, str]]:
    """The (source, target) pairs of a model's structural paths, interaction terms left out."""
    inter = {i.name for i in spec.interactions}
    return [(p.source, p.target) for p in spec.paths if p.source not in inter]
