"""Moderation and moderated mediation on latent constructs: simple slopes, floodlight
(Johnson–Neyman) regions, conditional indirect effects and indices of moderated mediation.

Everything is a function of the path coefficients, evaluated on the sample and on every
bootstrap resample through :meth:`leanlearn.pls.bootstrap.BootstrapResult.derived`, so all
effects share one set of draws.

Conventions
-----------
- In an interaction ``X:W`` the first construct is the focal predictor and the second the
  moderator; moderator values are in standard-deviation units of W's construct score
  (−1, 0, +1 = one SD below the mean, the mean, one SD above).
- With the two-stage approach (default) the interaction term is the centred product of
  standardised construct scores, so :math:`\\theta(w) = a_X + a_{XW} w` is the conditional
  effect at W = w SD (Becker, Ringle & Sarstedt 2018). With the product-indicator and
  orthogonalising approaches the interaction term is on a close but not identical scale
  (seminr rescales it by the weighted SD of its indicators), so the simple slopes are
  approximations there; docs/conventions.md explains.
- A chain X → M → … → Y is *moderated* by W when some link A → B of the chain has an
  interaction A:W → B or W:A → B (either term of a product can be the one the chain runs
  through, so both X's and W's indirect effects are conditional on the other). Its conditional indirect effect is the product over the links of
  :math:`P_{AB} + P_{A:W,B}\\,w` (unmoderated links contribute :math:`P_{AB}`). With exactly
  one moderated link, :math:`\\omega(w)` is linear in w and its slope is the index of
  moderated mediation (Hayes 2015): for first-stage moderation (Hayes model 7)
  :math:`\\omega(w) = (a_1 + a_3 w) b` and the index is :math:`a_3 b`. With two moderated
  links (first and second stage, Hayes model 58) :math:`\\omega(w)` is quadratic, there is
  no single index, and the pairwise differences of conditional indirect effects are
  reported instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from leanlearn.effects import algebra as fx

__all__ = [
    "PROBE_VALUES",
    "Interaction",
    "ModeratedChain",
    "interactions",
    "moderated_chains",
    "chain_moderators",
    "conditional_chain",
    "at_text",
    "simple_slopes",
    "floodlight",
    "johnson_neyman",
    "conditional_indirect_effects",
    "moderated_mediation",
    "conditional_indirect_differences",
]

PROBE_VALUES = (-1.0, 0.0, 1.0)


@dataclass(frozen=True)
class Interaction:
    """An interaction term on a structural path: ``name`` -> ``target``."""

    name: str
    focal: str
    moderator: str
    target: str
    k_focal: int
    k_moderator: int
    k_interaction: int
    k_target: int


@dataclass(frozen=True)
class ModeratedChain:
    """A chain X -> ... -> Y with the links moderated by ``moderator``."""

    chain: fx.Chain
    label: str
    moderator: str
    links: tuple[tuple[int, int, int | None], ...]  # (from, to, interaction index or None)
    primary: bool = True  # False when the chain runs through the *second* term W of X:W (moderated by X);
    # its index of moderated mediation then equals that of the X chain (a3·b), so a family of tests
    # can drop it as redundant

    @property
    def n_moderated(self) -> int:
        return sum(1 for *_, i in self.links if i is not None)


def interactions(result) -> list[Interaction]:
    """Every interaction term of a fitted model and the path it sits on."""
    lay = result.plan.final
    names = list(lay.constructs)
    out = []
    for inter in result.spec.interactions:
        x, w = inter.terms
        for target in result.spec.successors(inter.name):
            out.append(
                Interaction(inter.name, x, w, target, names.index(x), names.index(w), names.index(inter.name), names.index(target))
            )
    return out


def _roles(inters: list[Interaction]) -> list[tuple[int, str, int, int, bool]]:
    """Both readings of every interaction X:W -> Y: (focal, moderator, interaction, target, primary)
    with X focal and W moderating (primary), and with W focal and X moderating."""
    out = []
    for it in inters:
        out.append((it.k_focal, it.moderator, it.k_interaction, it.k_target, True))
        out.append((it.k_moderator, it.focal, it.k_interaction, it.k_target, False))
    return out


def moderated_chains(result) -> list[ModeratedChain]:
    """Every mediation chain (≥ 2 links, no interaction terms in it) with a moderated link.

    An interaction X:W on a link of a chain moderates it whichever of X and W the chain runs
    through: with ``LS ~ LP + DIG + LP:DIG``, LP -> LS -> OP is moderated by DIG and
    DIG -> LS -> OP by LP, so the indirect effects of *both* terms are conditional on the
    other ((a1 + a3·DIG)·b and (a2 + a3·LP)·b; Hayes 2018, ch. 11). Chains are listed in
    the order of :func:`leanlearn.effects.algebra.chains`, moderators in construct order.
    """
    lay = result.plan.final
    names = list(lay.constructs)
    roles = _roles(interactions(result))
    main = np.array([not x for x in lay.is_interaction])
    A = lay.adjacency & main[:, None] & main[None, :]
    moderators = sorted({r[1] for r in roles}, key=names.index)
    out = []
    for ch in fx.chains(A):
        for mod in moderators:
            if mod in (names[n] for n in ch.nodes):
                continue
            links, primary = [], []
            for a, b in zip(ch.nodes[:-1], ch.nodes[1:]):
                hit = [(k, pr) for f, m, k, t, pr in roles if m == mod and f == a and t == b]
                links.append((a, b, hit[0][0] if hit else None))
                primary += [pr for _, pr in hit[:1]]
            if any(i is not None for *_, i in links):
                out.append(ModeratedChain(ch, ch.label(names), mod, tuple(links), primary=any(primary)))
    return out


def chain_moderators(result, chain: fx.Chain) -> list[ModeratedChain]:
    """The moderated readings of one chain (one per moderator; empty when no link is moderated)."""
    return [mc for mc in moderated_chains(result) if mc.chain.nodes == chain.nodes]


def at_text(moderator: str, value: float) -> str:
    """'DIG = mean' or 'DIG = +1 SD': how a moderator value is printed in labels."""
    v = float(value)
    return f"{moderator} = mean" if v == 0 else f"{moderator} = {v:+g} SD"


def conditional_chain(result, chain: fx.Chain, values: Mapping[str, float]):
    r"""The indirect effect of ``chain`` with every moderator of its links held at ``values``.

    Returns ``(func, conditions)``: ``func`` maps path matrices (..., K, K) to (..., 1),
    the product over the links A -> B of :math:`P_{AB} + \sum_W P_{A:W,B}\,w_W`;
    ``conditions`` lists (moderator, value) in construct order (empty when the chain is not
    moderated, and then ``func`` is the plain product of its paths). Moderators missing from
    ``values`` are held at their mean (0).
    """
    mcs = chain_moderators(result, chain)
    conds = [(mc.moderator, float(values.get(mc.moderator, 0.0))) for mc in mcs]
    terms: dict[tuple[int, int], list[tuple[int, float]]] = {}
    for mc, (_, w) in zip(mcs, conds):
        for a, b, i in mc.links:
            if i is not None:
                terms.setdefault((a, b), []).append((i, w))
    nodes = chain.nodes

    def f(P):
        P = np.asarray(P, dtype=float)
        out = np.ones(P.shape[:-2])
        for a, b in zip(nodes[:-1], nodes[1:]):
            term = P[..., a, b]
            for i, w in terms.get((a, b), ()):
                term = term + P[..., i, b] * w
            out = out * term
        return out[..., None]

    return f, conds


def _omega(mc: ModeratedChain, w: np.ndarray):
    w = np.asarray(w, dtype=float)

    def f(P):
        P = np.asarray(P, dtype=float)
        out = np.ones(P.shape[:-2] + (len(w),))
        for a, b, i in mc.links:
            term = P[..., a, b][..., None]
            if i is not None:
                term = term + P[..., i, b][..., None] * w
            out = out * term
        return out

    return f


def _slope(it: Interaction, w: np.ndarray):
    w = np.asarray(w, dtype=float)
    return lambda P: fx.simple_slope(P[..., it.k_focal, it.k_target], P[..., it.k_interaction, it.k_target], w)


def _point_or_boot(result, boot, labels: pd.DataFrame, func) -> pd.DataFrame:
    if boot is None:
        out = labels.copy()
        out["estimate"] = np.asarray(func(result.path_matrix[None]))[0]
        return out
    return boot.derived(labels, func)


_BOOT_COLS = ["estimate", "std_error", "ci_lower", "ci_upper", "ci_level", "p_value"]


def _select(df: pd.DataFrame, keys: list[str], boot) -> pd.DataFrame:
    cols = keys + (_BOOT_COLS if boot is not None else ["estimate"])
    return df[cols].reset_index(drop=True)


def simple_slopes(result, boot=None, *, values=PROBE_VALUES) -> pd.DataFrame:
    """Conditional effect of the focal predictor at moderator values (SD units).

    Columns: interaction, focal, moderator, target, moderator_value, estimate, and with a
    bootstrap std_error, ci_lower, ci_upper, ci_level, p_value.
    """
    frames = []
    for it in interactions(result):
        labels = pd.DataFrame(
            {"interaction": it.name, "focal": it.focal, "moderator": it.moderator, "target": it.target, "moderator_value": list(values)}
        )
        frames.append(_point_or_boot(result, boot, labels, _slope(it, values)))
    if not frames:
        return pd.DataFrame()
    return _select(pd.concat(frames), ["interaction", "focal", "moderator", "target", "moderator_value"], boot)


def floodlight(result, boot, *, grid=(-2.0, 2.0, 0.05)) -> pd.DataFrame:
    """Simple slopes along a grid of moderator values with bootstrap bands (Spiller et al. 2013).

    Columns as :func:`simple_slopes` plus ``significant`` (the percentile interval
    excludes 0).
    """
    lo, hi, step = grid
    values = np.round(np.arange(lo, hi + step / 2, step), 10)
    out = simple_slopes(result, boot, values=values)
    if not out.empty:
        out["significant"] = (out.ci_lower > 0) | (out.ci_upper < 0)
    return out


JN_COLUMNS = [
    "interaction", "focal", "moderator", "target", "boundary", "boundary_percentile", "significant_side", "region",
    "share_cases_significant", "n_cases", "n_cases_outside_grid", "grid_min", "grid_max", "significant_share",
    "significant_from", "significant_to",
]  # fmt: skip


def _fmt_w(v: float) -> str:
    return f"{v:+.2f}".replace("-", "−")


def _edge(bounds: list, left: float, right: float) -> float:
    """The interpolated boundary between two grid points (the midpoint if none was found)."""
    inside = [b for b in bounds if left <= b <= right]
    return float(inside[0]) if inside else (left + right) / 2


def johnson_neyman(flood: pd.DataFrame, scores: pd.DataFrame | None = None) -> pd.DataFrame:
    """Johnson–Neyman boundaries and the region of significance, from a floodlight table.

    For each interaction, the moderator values where a bound of the percentile interval of
    the simple slope crosses zero (linear interpolation between grid points): the
    **Johnson–Neyman boundaries** (Johnson & Neyman 1936; Hayes 2022, ch. 7). They are
    reported in the moderator's units (SD units of its construct score, the scale of the
    model) and, with ``scores``, as the percentile of the observed moderator (the share of
    cases at or below the boundary), which is what tells a reader for which part of the
    sample the conditional effect is distinguishable from zero. The share of a grid of
    moderator values on which the effect is significant has no inferential meaning (it
    depends on the grid chosen) and is kept only as ``significant_share`` for reference.

    Parameters
    ----------
    flood : DataFrame
        From :func:`floodlight` (moderator_value, ci_lower, ci_upper, significant).
    scores : DataFrame, optional
        Construct scores with a column per moderator (``PLSResult.scores``).

    Returns
    -------
    DataFrame
        :data:`JN_COLUMNS`, one row per boundary (one row with NaN boundary when the
        significance does not change on the grid):

        ==========================  ==============================================================
        ``boundary``                moderator value (SD units) where the interval crosses zero
        ``boundary_percentile``     100 x share of cases with moderator score <= boundary
        ``significant_side``        ``above`` / ``below``: the side of the boundary where the
                                    interval excludes zero (next grid point); ``none`` / ``all``
                                    without a boundary
        ``region``                  the region of significance on the grid, e.g. ``W > −0.74 SD``
        ``share_cases_significant`` share of observed cases whose moderator value lies in the
                                    region (interval bounds interpolated at each case's value;
                                    cases beyond the grid take the nearest grid end)
        ``n_cases``                 cases with a moderator score
        ``n_cases_outside_grid``    of those, cases beyond the grid
        ``grid_min``, ``grid_max``  the grid probed
        ``significant_from``,       smallest and largest grid value where the effect is
        ``significant_to``          significant (NaN when nowhere)
        ==========================  ==============================================================
    """
    rows = []
    keys = ["interaction", "focal", "moderator", "target"]
    for key, g in flood.groupby(keys, sort=False):
        g = g.sort_values("moderator_value")
        x = g.moderator_value.to_numpy(dtype=float)
        lo_b, hi_b = g.ci_lower.to_numpy(dtype=float), g.ci_upper.to_numpy(dtype=float)
        sig = g.significant.to_numpy(dtype=bool)
        bounds = []
        for y in (lo_b, hi_b):
            for i in np.flatnonzero(np.sign(y[:-1]) * np.sign(y[1:]) < 0):
                bounds.append(x[i] - y[i] * (x[i + 1] - x[i]) / (y[i + 1] - y[i]))
        sig_x = x[sig]
        base = dict(zip(keys, key))
        mod = key[2]
        w = None
        if scores is not None and mod in scores.columns:
            w = pd.to_numeric(scores[mod], errors="coerce").dropna().to_numpy(dtype=float)
        if w is not None and w.size:
            lo_w, hi_w = np.interp(w, x, lo_b), np.interp(w, x, hi_b)
            share_cases = float(((lo_w > 0) | (hi_w < 0)).mean())
            n_cases, n_out = int(w.size), int(((w < x.min()) | (w > x.max())).sum())
        else:
            share_cases, n_cases, n_out = np.nan, 0, 0
        # region of significance on the grid, as intervals of consecutive significant points
        parts: list = []
        start: int | None = None
        for pos, flag in enumerate(sig):
            if flag and start is None:
                start = pos
            if start is not None and (not flag or pos == len(sig) - 1):
                end = pos if flag else pos - 1
                a = "" if start == 0 else _fmt_w(_edge(bounds, x[start - 1], x[start]))
                b = "" if end == len(sig) - 1 else _fmt_w(_edge(bounds, x[end], x[end + 1]))
                parts.append(f"{mod} ≥ {a} SD" if a and not b else f"{mod} ≤ {b} SD" if b and not a else f"{a} ≤ {mod} ≤ {b} SD" if a else "the whole grid")
                start = None
        region = "; ".join(parts) if parts else "nowhere on the grid"
        base.update(
            region=region,
            share_cases_significant=share_cases,
            n_cases=n_cases,
            n_cases_outside_grid=n_out,
            grid_min=float(x.min()),
            grid_max=float(x.max()),
            significant_share=float(sig.mean()),
            significant_from=float(sig_x.min()) if sig_x.size else np.nan,
            significant_to=float(sig_x.max()) if sig_x.size else np.nan,
        )
        if not bounds:
            rows.append({**base, "boundary": np.nan, "boundary_percentile": np.nan, "significant_side": "all" if sig.all() else "none"})
        for b in sorted(bounds):
            above = x > b
            side = "above" if above.any() and sig[np.argmax(above)] else "below"
            pct = float(100 * (w <= b).mean()) if w is not None and w.size else np.nan
            rows.append({**base, "boundary": float(b), "boundary_percentile": pct, "significant_side": side})
    return pd.DataFrame(rows, columns=JN_COLUMNS)


def conditional_indirect_effects(result, boot=None, *, values=PROBE_VALUES) -> pd.DataFrame:
    """Conditional indirect effects of every moderated chain at moderator values.

    Every chain through either term of an interaction appears, conditional on the other term
    (see :func:`moderated_chains`). Columns: path, moderator, moderator_value (SD units),
    estimate, and with a bootstrap std_error, ci_lower, ci_upper, ci_level, p_value (the
    bootstrap p matching the percentile interval; see
    :func:`leanlearn.pls.bootstrap.bootstrap_p_value`).
    """
    frames = []
    for mc in moderated_chains(result):
        labels = pd.DataFrame({"path": mc.label, "moderator": mc.moderator, "moderator_value": list(values)})
        frames.append(_point_or_boot(result, boot, labels, _omega(mc, values)))
    if not frames:
        return pd.DataFrame()
    return _select(pd.concat(frames), ["path", "moderator", "moderator_value"], boot)


def moderated_mediation(result, boot=None) -> pd.DataFrame:
    """Index of moderated mediation of every chain with exactly one moderated link.

    :math:`\\omega(w)` is then linear in w and the index is its slope, the product of the
    interaction path and the other links (a₃·b for Hayes model 7). Columns: path,
    moderator, index, and with a bootstrap std_error, ci_lower, ci_upper, ci_level,
    p_value. Chains with two moderated links have no single index; see
    :func:`conditional_indirect_differences`.
    """
    frames = []
    for mc in moderated_chains(result):
        if mc.n_moderated != 1:
            continue

        def f(P, mc=mc):
            P = np.asarray(P, dtype=float)
            out = np.ones(P.shape[:-2])
            for a, b, i in mc.links:
                out = out * (P[..., i, b] if i is not None else P[..., a, b])
            return out[..., None]

        labels = pd.DataFrame({"path": [mc.label], "moderator": [mc.moderator]})
        frames.append(_point_or_boot(result, boot, labels, f))
    if not frames:
        return pd.DataFrame()
    df = pd.concat(frames).rename(columns={"estimate": "index"})
    cols = ["path", "moderator", "index"] + (["std_error", "ci_lower", "ci_upper", "ci_level", "p_value"] if boot is not None else [])
    return df[cols].reset_index(drop=True)


def conditional_indirect_differences(result, boot=None, *, values=PROBE_VALUES) -> pd.DataFrame:
    """Pairwise differences ω(w_j) − ω(w_i) of conditional indirect effects (i < j).

    The formal test for chains with two moderated links (no single index exists); for a
    single moderated link the difference between +1 SD and −1 SD equals twice the index.
    Columns: path, moderator, moderator_value_low, moderator_value_high, estimate (+ bootstrap columns).
    """
    frames = []
    pairs = [(a, b) for i, a in enumerate(values) for b in values[i + 1:]]
    for mc in moderated_chains(result):
        om = _omega(mc, values)
        pos = {v: k for k, v in enumerate(values)}

        def f(P, om=om):
            o = om(P)
            return np.stack([o[..., pos[b]] - o[..., pos[a]] for a, b in pairs], axis=-1)

        labels = pd.DataFrame(
            {"path": mc.label, "moderator": mc.moderator, "moderator_value_low": [a for a, _ in pairs], "moderator_value_high": [b for _, b in pairs]}
        )
        frames.append(_point_or_boot(result, boot, labels, f))
    if not frames:
        return pd.DataFrame()
    return _select(pd.concat(frames), ["path", "moderator", "moderator_value_low", "moderator_value_high"], boot)


def conditional_indirect_grid(result, boot, *, grid=(-2.0, 2.0, 0.05)) -> pd.DataFrame:
    """Conditional indirect effects along a grid of moderator values (the confidence band)."""
    lo, hi, step = grid
    values = tuple(np.round(np.arange(lo, hi + step / 2, step), 10))
    out = conditional_indirect_effects(result, boot, values=values)
    if not out.empty and boot is not None:
        out["significant"] = (out.ci_lower > 0) | (out.ci_upper < 0)
    return out
