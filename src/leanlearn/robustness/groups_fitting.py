"""Group comparison, part 4: group labels, the compared statistics and the per-group fits.

Group labels of the cases, the final stage of a higher-order model, the functions of the
estimates that are compared (paths, effects, custom), the removal of coincident ones, the
multiplicity family, and the configural step of MICOM. Re-exported by
:mod:`leanlearn.robustness.groups`.
"""

from __future__ import annotations

from typing import Callable, Mapping

import numpy as np
import pandas as pd

from leanlearn.effects import algebra as fx
from leanlearn.errors import DataError
from leanlearn.pls import moments
from leanlearn.pls.engine import fit_counts
from leanlearn.robustness.groups_settings import MGA_FAMILIES, PROBE_VALUES
from leanlearn.spec.model import ModelSpec


def _labels_for(data: pd.DataFrame, groups) -> pd.Series:
    if isinstance(groups, str):
        if groups not in data.columns:
            raise DataError(f"group column '{groups}' is not in the data")
        return data[groups].astype(object)
    if isinstance(groups, pd.Series):
        if not groups.index.equals(data.index):
            try:
                return groups.reindex(data.index).astype(object)
            except ValueError as exc:
                raise DataError("group labels: their index does not match the data's") from exc
        return groups.astype(object)
    values = list(groups)
    if len(values) != len(data):
        raise DataError(f"group labels: {len(values)} labels for {len(data)} rows")
    return pd.Series(values, index=data.index, dtype=object)


def _hoc_final_stage(data: pd.DataFrame, spec: ModelSpec, groups, *, hoc: str, settings, source):
    """(data, spec, groups) of a HOC model's final stage (:func:`leanlearn.pls.hoc.final_stage_data`); unchanged otherwise."""
    if not spec.higher_order:
        return data, spec, groups
    from leanlearn.pls.hoc import final_stage_data

    labels = _labels_for(data, groups)
    final, spec2 = final_stage_data(data, spec, method=hoc, settings=settings, source=source)
    return final, spec2, labels.reindex(final.index)


def _functions(result, extra: Mapping[str, Callable] | None) -> list[tuple[str, str, Callable]]:
    """(family, label, f(P) -> (...)) for every MGA parameter."""
    from leanlearn.effects import conditional as cond

    lay = result.plan.final
    names = list(lay.constructs)
    out: list[tuple[str, str, Callable]] = []
    for p in result.spec.paths:
        s, t = names.index(p.source), names.index(p.target)
        out.append(("path", f"{p.source} -> {p.target}", lambda P, s=s, t=t: P[..., s, t]))
    inter = np.array(lay.is_interaction)
    for ch in fx.chains(lay.adjacency):
        if inter[list(ch.nodes)].any():
            continue
        out.append(("indirect_effect", ch.label(names), lambda P, ch=ch: fx.chain_effects(P, [ch])[..., 0]))
    for mc in cond.moderated_chains(result):
        if not mc.primary:  # the moderator's own chain (W -> M -> Y by X): its index duplicates X's; family unchanged
            continue
        if mc.n_moderated == 1:

            def imm(P, mc=mc):
                v = np.ones(np.shape(P)[:-2])
                for a, b, i in mc.links:
                    v = v * (P[..., i, b] if i is not None else P[..., a, b])
                return v

            out.append(("index_moderated_mediation", f"{mc.label} | {mc.moderator}", imm))
        for w in PROBE_VALUES:

            def omega(P, mc=mc, w=w):
                v = np.ones(np.shape(P)[:-2])
                for a, b, i in mc.links:
                    v = v * (P[..., a, b] + (P[..., i, b] * w if i is not None else 0.0))
                return v

            level = f"{w:+g}" if w else "0"
            out.append(("conditional_indirect_effect", f"{mc.label} | {mc.moderator} = {level} SD", omega))
    for label, f in (extra or {}).items():
        out.append(("custom", str(label), f))
    return out


def _distinct(funcs, adjacency: np.ndarray, *, draws: int = 4) -> tuple[list[int], list[tuple[str, str]]]:
    """Indices of the functions that are distinct quantities, and (dropped, kept) label pairs.

    Two functions of the path matrix are the same quantity when they agree on random path
    matrices with the model's structure (``draws`` matrices with standard-normal entries on
    the model's paths, a fixed stream; agreement to 1e-12). The first of a set of equal
    functions is kept (order: paths, indirect effects, indices of moderated mediation,
    conditional indirect effects, custom functions).
    """
    rng = np.random.default_rng(0)  # structural check only: not a statistical draw
    P = rng.standard_normal((draws,) + adjacency.shape) * (adjacency != 0)
    values = [np.asarray(f(P), dtype=float) for _, _, f in funcs]
    keep: list[int] = []
    dropped: list[tuple[str, str]] = []
    for j, v in enumerate(values):
        twin = next((k for k in keep if np.allclose(v, values[k], rtol=0, atol=1e-12)), None)
        if twin is None:
            keep.append(j)
        else:
            dropped.append((funcs[j][1], funcs[twin][1]))
    return keep, dropped


def _family(funcs, parameters) -> list:
    """The functions of the declared MGA family (``parameters``: "all", "paths" or families)."""
    if parameters is None or parameters == "all":
        chosen = set(MGA_FAMILIES)
    elif parameters == "paths":
        chosen = {"path"}
    else:
        chosen = {parameters} if isinstance(parameters, str) else set(parameters)
        wrong = sorted(chosen - set(MGA_FAMILIES))
        if wrong:
            raise ValueError(f"mga parameters: unknown famil(ies) {', '.join(wrong)}; use 'all', 'paths' or a list of {', '.join(MGA_FAMILIES)}")
    return [f for f in funcs if f[0] in chosen]


def _fit_counts(plan, X: np.ndarray, counts: np.ndarray, feats=None):
    """:func:`leanlearn.pls.engine.fit_counts`; product-indicator and orthogonal plans in moment form.

    Those plans' permutation fits come from :func:`leanlearn.pls.moments.fit_resamples` (one
    product of the group counts with the case monomials instead of the rows of every
    permuted group; the same numbers to rounding, tests/test_groups.py). ``feats`` are the
    pair's case features, built once and reused across the permutation blocks.
    """
    if feats is not None:
        return moments.fit_resamples(plan, X, counts, feats)
    return fit_counts(plan, X, counts)


def _configural(plan, X: np.ndarray, labels: np.ndarray, group_names: list, settings, fits_ok: dict) -> pd.DataFrame:
    rows = []
    items = list(plan.items)
    rows.append(
        {
            "group": "all",
            "check": "identical indicators",
            "met": True,
            "detail": "one model for all groups: "
            + "; ".join(f"{c.name}: {', '.join(c.indicators)}" for c in plan.spec.constructs if c.kind == "measured"),
        }
    )
    rows.append(
        {
            "group": "all",
            "check": "identical data treatment",
            "met": True,
            "detail": f"missing data: {settings.missing} (applied within each group), missing-value code: "
            f"{settings.missing_value!r}; items z-scored within each group",
        }
    )
    rows.append(
        {
            "group": "all",
            "check": "identical algorithm settings",
            "met": True,
            "detail": f"scheme={settings.scheme}, interaction={settings.interaction}, consistent={settings.consistent}, "
            f"tolerance={settings.tolerance:g}, max_iterations={settings.max_iterations}",
        }
    )
    for g in group_names:
        Xg = X[labels == g]
        problems = []
        for j, item in enumerate(items):
            col = Xg[:, j]
            obs = col[np.isfinite(col)]
            if obs.size == 0:
                problems.append(f"{item} never answered")
            elif obs.size < 2 or np.ptp(obs) == 0:
                problems.append(f"{item} constant")
        rows.append(
            {
                "group": str(g),
                "check": "every indicator observed and varying",
                "met": not problems,
                "detail": "; ".join(problems) if problems else f"all {len(items)} indicators vary (n = {len(Xg)})",
            }
        )
        ok = fits_ok.get(g)
        rows.append(
            {
                "group": str(g),
                "check": "model estimable and converged",
                "met": bool(ok),
                "detail": "PLS converged" if ok else "PLS failed or did not converge in this group",
            }
        )
    return pd.DataFrame(rows, columns=["group", "check", "met", "detail"])
