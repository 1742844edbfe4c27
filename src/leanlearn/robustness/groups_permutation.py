"""Group comparison, part 5: :func:`compare_groups`, MICOM and the permutation MGA.

Re-exported by :mod:`leanlearn.robustness.groups`, which adds the other MGA methods
(:func:`~leanlearn.robustness.groups.multigroup_analysis`).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from leanlearn.errors import DataError
from leanlearn.pls import moments
from leanlearn.pls.engine import Settings, fit_counts
from leanlearn.random import generator
from leanlearn.robustness.groups_fitting import (
    _configural,
    _distinct,
    _family,
    _fit_counts,
    _functions,
    _hoc_final_stage,
    _labels_for,
)
from leanlearn.robustness.groups_pvalues import _adjust, permutation_p_value
from leanlearn.robustness.groups_result import GroupComparison
from leanlearn.robustness.groups_settings import CHUNK, DEFAULT_PERMUTATIONS, detectable_differences
from leanlearn.spec.model import ModelSpec, parse_model


def compare_groups(
    data: pd.DataFrame,
    model: ModelSpec | str,
    *,
    groups,
    settings=None,
    permutations: int = DEFAULT_PERMUTATIONS,
    seed: int | None = None,
    alpha: float = 0.05,
    p_adjust: str = "holm",
    functions: Mapping[str, Callable[[np.ndarray], np.ndarray]] | None = None,
    min_group_size: int = 10,
    group_order: Sequence[str] | None = None,
    source: str | None = None,
    parameters: str | Sequence[str] = "all",
    unit: str = "cases",
    hoc: str = "two_stage",
) -> GroupComparison:
    """MICOM (steps 1–3) and permutation MGA for every pair of groups.

    Parameters
    ----------
    data : DataFrame
        Items of the model (and the group column when ``groups`` names it).
    model : ModelSpec or str
    groups : str, Series or array-like
        Group column name, or one label per row (a Series is aligned on the index).
        Rows without a label are left out (counted in ``status``).
    settings : leanlearn.pls.engine.Settings, optional
        The pipeline's estimation settings (the same in every group: configural
        invariance).
    permutations : int
        Permutations per pair of groups (Henseler et al. 2016 recommend ≥ 5000).
    seed : int, optional
    alpha : float
        Level of every decision (MICOM steps 2–3, MGA).
    p_adjust : str
        Multiple-testing adjustment of the MGA p-values across the whole family (every
        tested parameter × every pair of groups): a ``multipletests`` method ("holm"
        default, "fdr_bh" for Benjamini–Hochberg, "bonferroni", ...) or "none". MICOM
        p-values are never adjusted (see the module docstring).
    functions : mapping of str to callable, optional
        Extra MGA parameters: name -> function of path matrices (..., K, K) -> (...),
        with constructs in ``PLSResult.constructs`` order.
    min_group_size : int
        Groups smaller than this raise :class:`DataError`.
    group_order : sequence of str, optional
        Order of the groups in the outputs (pairs are (earlier, later)); default sorted.
        Groups not listed follow in sorted order.
    source : str, optional
        Data file name for error messages.
    parameters : "all", "paths" or sequence of str
        The MGA family, declared before the analysis: every family of parameters
        (default), paths only, or a list of families from :data:`MGA_FAMILIES`.
    unit : str
        What a case is ("firms", "respondents"), for the notes.
    hoc : {"two_stage", "embedded_two_stage", "repeated_indicators"}
        For a model with higher-order constructs: the approach. MICOM and MGA then compare
        the groups on the final stage's model (:func:`leanlearn.pls.hoc.final_stage_data`):
        the stage-2 model with the lower-order constructs' stage-1 scores of the whole
        sample as the HOC's indicators (or the repeated-indicators model), so the HOC's
        composite, its paths and every other construct are tested; the LOCs' own
        measurement model is not re-estimated per group (run the analysis on
        :func:`leanlearn.pls.hoc.first_stage_spec` for it).

    Returns
    -------
    GroupComparison

    Notes
    -----
    Checked in tests/test_groups.py: groups drawn from one population give invariant
    composites and no significant path difference; a path that differs between the
    populations is detected; an item with loading near 0 in one group breaks
    compositional invariance; the p-value formula on a hand-worked example; Holm
    adjustment across the family with three groups; under shuffled group labels the
    per-test rejection rates of MGA and MICOM are at α and the family-wise rate of MGA is
    at most α, within Monte Carlo error.
    """
    spec = parse_model(model) if isinstance(model, str) else model
    settings = settings or Settings()
    data, spec, groups = _hoc_final_stage(data, spec, groups, hoc=hoc, settings=settings, source=source)
    if int(permutations) < 10:
        raise ValueError("permutations must be at least 10")
    if p_adjust != "none":
        _adjust(np.array([0.01, 0.02]), p_adjust)  # raises ValueError for an unknown method
    permutations = int(permutations)
    pooled, labels, n_no_group = _pooled_fit(data, spec, groups, settings, source)
    plan, X = pooled.plan, pooled.prepared.raw
    group_names, sizes = _group_sizes(labels, group_order, min_group_size)
    lay = plan.final
    composites = [k for k in range(lay.K) if not lay.is_interaction[k] and len(lay.cols(k)) > 1]
    blocks = [(k, lay.cols(k), lay.sources[lay.cols(k)]) for k in composites]
    funcs_all = _family(_functions(pooled, functions), parameters)
    keep, redundant = _distinct(funcs_all, lay.adjacency)
    funcs = [funcs_all[j] for j in keep]

    # observed fit of every group (configural check) on its own cases
    obs_fit = fit_counts(plan, X, np.stack([(labels == g).astype(float) for g in group_names]))
    fits_ok = {g: bool(obs_fit.converged[i] and not obs_fit.failed[i]) for i, g in enumerate(group_names)}
    configural = _configural(plan, X, labels, group_names, settings, fits_ok)

    pairs = list(combinations(group_names, 2))
    rows: dict[str, list[dict]] = {"compositional": [], "means_variances": [], "mga": [], "status": []}
    for pair_index, (ga, gb) in enumerate(pairs):
        if not (fits_ok[ga] and fits_ok[gb]):
            rows["status"].append({"group_a": ga, "group_b": gb, "n_permutations": 0, "valid": 0, "failed": 0})
            continue
        pair = _Pair.of(plan, X, labels, ga, gb, blocks)
        drawn = _permute(plan, pair, blocks, funcs, permutations, generator(seed, "permutation", pair_index))
        for key, new in _pair_rows(pair, blocks, funcs, drawn, lay.constructs, permutations, alpha).items():
            rows[key].extend(new)

    comp, mv, mga, family_size = _decisions(rows, p_adjust, alpha)
    status = pd.DataFrame(rows["status"], columns=["group_a", "group_b", "n_permutations", "valid", "failed"])
    notes = _notes(sizes, n_no_group, len(pairs), permutations, p_adjust, alpha, fits_ok, family_size=family_size, funcs=funcs, redundant=redundant, mv=mv, unit=unit)
    return GroupComparison(
        group_sizes=sizes,
        configural=configural,
        compositional=comp,
        means_variances=mv,
        invariance=_invariance(comp, mv, configural, sizes),
        mga=mga,
        status=status,
        notes=notes,
        permutations=permutations,
        seed=seed,
        alpha=alpha,
        p_adjust=p_adjust,
        family_size=family_size,
        redundant=tuple(redundant),
    )


# ---- the steps of compare_groups ----------------------------------------------------------------
COMPOSITIONAL_COLUMNS = ["group_a", "group_b", "construct", "c", "critical_value", "p_value", "n_permutations"]
MEANS_VARIANCES_COLUMNS = [
    "group_a", "group_b", "construct", "statistic", "estimate", "permutation_lower", "permutation_upper", "p_value", "detectable_80", "n_permutations",
]  # fmt: skip
MGA_COLUMNS = [
    "group_a", "group_b", "family", "parameter", "estimate_a", "estimate_b", "difference", "permutation_lower", "permutation_upper", "p_value", "n_permutations",
]  # fmt: skip
INVARIANCE_COLUMNS = [
    "group_a", "group_b", "construct", "n_a", "n_b", "configural", "compositional", "equal_mean", "equal_variance", "invariance",
    "mga_permitted", "pooling_permitted", "statement",
]  # fmt: skip


def _pooled_fit(data: pd.DataFrame, spec: ModelSpec, groups, settings, source: str | None) -> tuple[Any, np.ndarray, int]:
    """The pooled estimate on the cases with a group, their group labels (as str) and the number of cases without one."""
    from leanlearn.pls.engine import estimate

    labels_all = _labels_for(data, groups)
    has_group = labels_all.notna().to_numpy()
    pooled = estimate(data.loc[has_group], spec, settings=settings, assess=False, source=source)
    labels = labels_all[has_group].loc[pooled.prepared.index].astype(str).to_numpy()
    return pooled, labels, int((~has_group).sum())


def _group_sizes(labels: np.ndarray, group_order: Sequence[str] | None, min_group_size: int) -> tuple[list[str], pd.DataFrame]:
    """The groups in output order and their sizes; DataError for fewer than two groups or a group that is too small."""
    present = set(labels)
    order = [str(g) for g in (group_order or ()) if str(g) in present]
    group_names = order + sorted(present - set(order))
    if len(group_names) < 2:
        raise DataError(f"group comparison needs at least two groups; found {group_names}")
    sizes = pd.DataFrame({"group": group_names, "n": [int((labels == g).sum()) for g in group_names]})
    small = sizes[sizes["n"] < min_group_size]
    if len(small):
        raise DataError(
            "groups too small to estimate the model: "
            + ", ".join(f"{g} (n = {k})" for g, k in zip(small["group"], small["n"]))
            + f"; at least {min_group_size} cases per group. Merge them into larger clusters."
        )
    return group_names, sizes


@dataclass
class _Pair:
    """One pair of groups: its cases (group a first), the fits of both groups and the pooled standardised data."""

    ga: str
    gb: str
    X: np.ndarray  # (n, p) raw items of the pair's cases
    n_a: int
    first: np.ndarray  # (n,) group-a membership
    feats: Any  # case features of the product-indicator moment form (else None)
    weights: np.ndarray  # (3, p) weights of group a, group b, the pair pooled
    paths: np.ndarray  # (2, K, K) paths of group a, group b
    R: np.ndarray  # (p, p) correlations of the pooled standardised items
    S: np.ndarray  # (n, K_c) pooled composite scores (pooled weights)

    @property
    def n(self) -> int:
        return self.X.shape[0]

    @classmethod
    def of(cls, plan, X: np.ndarray, labels: np.ndarray, ga: str, gb: str, blocks) -> "_Pair":
        pos = np.concatenate([np.flatnonzero(labels == ga), np.flatnonzero(labels == gb)])
        Xp = X[pos]
        n_a, n = int((labels == ga).sum()), len(pos)
        first = np.zeros(n, dtype=bool)
        first[:n_a] = True
        base = np.stack([first, ~first, np.ones(n, dtype=bool)]).astype(float)
        feats = moments.case_features(Xp) if moments.product_form(plan) else None
        fit0 = _fit_counts(plan, Xp, base, feats)
        # pooled standardised items (pair means replace missing cells)
        Xi = np.where(np.isnan(Xp), np.nanmean(Xp, axis=0), Xp)
        Zp = (Xi - Xi.mean(axis=0)) / Xi.std(axis=0, ddof=1)
        S = np.column_stack([Zp[:, src] @ fit0.weights[2][cols] for _, cols, src in blocks])
        return cls(ga, gb, Xp, n_a, first, feats, fit0.weights[:3], fit0.paths[:2], np.corrcoef(Zp, rowvar=False), S)


def _c_stat(R: np.ndarray, blocks, wa: np.ndarray, wb: np.ndarray) -> np.ndarray:
    """MICOM step 2: correlation of the composites built with weights ``wa`` and ``wb`` on the pooled data (..., K_c)."""
    out = []
    for _, cols, src in blocks:
        Rk = R[np.ix_(src, src)]
        a, b = wa[..., cols], wb[..., cols]
        num = np.einsum("...i,ij,...j->...", a, Rk, b)
        den = np.sqrt(np.einsum("...i,ij,...j->...", a, Rk, a) * np.einsum("...i,ij,...j->...", b, Rk, b))
        out.append(num / den)
    return np.stack(out, axis=-1)


def _mean_var(S: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """MICOM step 3: mean difference and log variance ratio (m, K_c) of the pooled scores for group-a masks (m, n)."""
    ma = mask.astype(float)
    mb = 1.0 - ma
    na, nb = ma.sum(axis=1, keepdims=True), mb.sum(axis=1, keepdims=True)
    mu_a, mu_b = ma @ S / na, mb @ S / nb
    va = (ma @ S**2 - na * mu_a**2) / (na - 1)
    vb = (mb @ S**2 - nb * mu_b**2) / (nb - 1)
    return mu_a - mu_b, np.log(va) - np.log(vb)


def _permute(plan, pair: _Pair, blocks, funcs, permutations: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Permutation distributions of the pair: c, mean difference, log variance ratio, parameter differences, valid flags."""
    n, n_a = pair.n, pair.n_a
    parts: dict[str, list[np.ndarray]] = {"c": [], "md": [], "lv": [], "theta": [], "valid": []}
    for start in range(0, permutations, CHUNK):
        m = min(CHUNK, permutations - start)
        order = np.argsort(rng.random((m, n)), axis=1)
        mask = np.zeros((m, n), dtype=bool)
        np.put_along_axis(mask, order[:, :n_a], True, axis=1)
        counts = np.empty((2 * m, n))
        counts[0::2] = mask
        counts[1::2] = ~mask
        fit = _fit_counts(plan, pair.X, counts, pair.feats)
        ok = ~fit.failed & fit.converged
        valid = ok[0::2] & ok[1::2]
        c = _c_stat(pair.R, blocks, fit.weights[0::2], fit.weights[1::2])
        Pa, Pb = fit.paths[0::2], fit.paths[1::2]
        th = np.stack([f(Pa) - f(Pb) for _, _, f in funcs], axis=-1)
        c[~valid] = np.nan
        th[~valid] = np.nan
        md, lv = _mean_var(pair.S, mask)
        for key, value in (("c", c), ("theta", th), ("md", md), ("lv", lv), ("valid", valid)):
            parts[key].append(value)
    return {key: np.concatenate(value) for key, value in parts.items()}


def _pair_rows(pair: _Pair, blocks, funcs, drawn: dict[str, np.ndarray], names, permutations: int, alpha: float) -> dict[str, list[dict]]:
    """The rows of one pair in the compositional, means/variances, MGA and status tables."""
    ga, gb, n_a, n = pair.ga, pair.gb, pair.n_a, pair.n
    valid_all = drawn["valid"]
    nv = int(valid_all.sum())
    out: dict[str, list[dict]] = {"compositional": [], "means_variances": [], "mga": []}
    out["status"] = [{"group_a": ga, "group_b": gb, "n_permutations": permutations, "valid": nv, "failed": permutations - nv}]
    c_obs = _c_stat(pair.R, blocks, pair.weights[0], pair.weights[1])
    cv = drawn["c"][valid_all]
    crit = np.quantile(cv, alpha, axis=0, method="linear") if nv else np.full(len(blocks), np.nan)
    p_c = permutation_p_value(c_obs, cv, alternative="less")
    for j, (k, _, _) in enumerate(blocks):
        out["compositional"].append(
            {"group_a": ga, "group_b": gb, "construct": names[k], "c": float(c_obs[j]), "critical_value": float(crit[j]), "p_value": float(p_c[j]), "n_permutations": nv}
        )
    md_obs, lv_obs = (v[0] for v in _mean_var(pair.S, pair.first[None, :]))
    detect = detectable_differences(n_a, n - n_a, alpha=alpha)
    for stat, o, d in (("mean_difference", md_obs, drawn["md"]), ("log_variance_ratio", lv_obs, drawn["lv"])):
        lo, hi = np.quantile(d, [alpha / 2, 1 - alpha / 2], axis=0, method="linear")
        p = permutation_p_value(o, d)
        for j, (k, _, _) in enumerate(blocks):
            out["means_variances"].append(
                {"group_a": ga, "group_b": gb, "construct": names[k], "statistic": stat, "estimate": float(o[j]), "permutation_lower": float(lo[j]), "permutation_upper": float(hi[j]), "p_value": float(p[j]), "detectable_80": detect[stat], "n_permutations": int(d.shape[0])}
            )
    P_a, P_b = pair.paths[0], pair.paths[1]
    theta_obs = np.array([f(P_a) - f(P_b) for _, _, f in funcs])
    est_a = np.array([f(P_a) for _, _, f in funcs])
    est_b = np.array([f(P_b) for _, _, f in funcs])
    tv = drawn["theta"][valid_all]
    if nv:
        lo, hi = np.quantile(tv, [alpha / 2, 1 - alpha / 2], axis=0, method="linear")
    else:
        lo = hi = np.full(len(funcs), np.nan)
    p_t = permutation_p_value(theta_obs, tv)
    for j, (family, label, _) in enumerate(funcs):
        out["mga"].append(
            {
                "group_a": ga, "group_b": gb, "family": family, "parameter": label,
                "estimate_a": float(est_a[j]), "estimate_b": float(est_b[j]), "difference": float(theta_obs[j]),
                "permutation_lower": float(lo[j]), "permutation_upper": float(hi[j]), "p_value": float(p_t[j]), "n_permutations": nv,
            }
        )  # fmt: skip
    return out


def _decisions(rows: dict[str, list[dict]], p_adjust: str, alpha: float) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, int]:
    """The compositional, means/variances and MGA tables with their decisions, and the MGA family size."""
    comp = pd.DataFrame(rows["compositional"], columns=COMPOSITIONAL_COLUMNS)
    mv = pd.DataFrame(rows["means_variances"], columns=MEANS_VARIANCES_COLUMNS)
    mga = pd.DataFrame(rows["mga"], columns=MGA_COLUMNS)
    # MICOM: raw p-values, decisions on the permutation quantiles (Henseler et al. 2016; no adjustment)
    comp.insert(_after(comp, "p_value"), "invariant", comp["c"] >= comp["critical_value"])
    mv.insert(_after(mv, "p_value"), "equal", (mv["estimate"] >= mv["permutation_lower"]) & (mv["estimate"] <= mv["permutation_upper"]))
    # MGA: one family = every tested parameter x every pair
    family_size = int(np.isfinite(mga["p_value"].to_numpy(dtype=float)).sum())
    mga.insert(_after(mga, "p_value"), "p_adjusted", _adjust(mga["p_value"].to_numpy(dtype=float), p_adjust))
    mga.insert(_after(mga, "p_adjusted"), "significant", mga["p_adjusted"] < alpha)
    mga.insert(_after(mga, "significant"), "family_size", family_size)
    return comp, mv, mga, family_size


def _after(df: pd.DataFrame, column: str) -> int:
    """The position just after ``column`` (for :meth:`pandas.DataFrame.insert`)."""
    return list(df.columns).index(column) + 1


def _invariance(comp: pd.DataFrame, mv: pd.DataFrame, configural: pd.DataFrame, sizes: pd.DataFrame) -> pd.DataFrame:
    """The MICOM verdict per pair and construct: full, partial or none, and what it permits."""
    conf_ok = bool(configural["met"].all())
    n_of = dict(zip(sizes["group"], sizes["n"]))
    inv_rows = []
    for rec in comp.itertuples(index=False):
        sel = mv[(mv.group_a == rec.group_a) & (mv.group_b == rec.group_b) & (mv.construct == rec.construct)].set_index("statistic")["equal"]
        eq_m, eq_v = bool(sel.get("mean_difference", False)), bool(sel.get("log_variance_ratio", False))
        compo = bool(rec.invariant)
        level = "full" if conf_ok and compo and eq_m and eq_v else ("partial" if conf_ok and compo else "none")
        n_a, n_b = int(n_of[rec.group_a]), int(n_of[rec.group_b])
        inv_rows.append(
            {
                "group_a": rec.group_a, "group_b": rec.group_b, "construct": rec.construct, "n_a": n_a, "n_b": n_b,
                "configural": conf_ok, "compositional": compo, "equal_mean": eq_m, "equal_variance": eq_v, "invariance": level,
                "mga_permitted": level in ("full", "partial"), "pooling_permitted": level == "full",
                "statement": _statement(conf_ok, compo, eq_m, eq_v, n_a, n_b),
            }
        )  # fmt: skip
    return pd.DataFrame(inv_rows, columns=INVARIANCE_COLUMNS)


def _statement(configural: bool, compositional: bool, equal_mean: bool, equal_variance: bool, n_a: int, n_b: int) -> str:
    """MICOM outcome in words: rejections are findings, non-rejections are no evidence against."""
    sizes = f"(n = {n_a} and {n_b})"
    if not configural:
        return f"configural invariance not established {sizes}: MICOM steps 2-3 not interpretable"
    if not compositional:
        return f"evidence against compositional invariance (step 2) {sizes}: paths not comparable"
    failed = [w for w, ok in (("means", equal_mean), ("variances", equal_variance)) if not ok]
    if failed:
        return f"no evidence against partial invariance; evidence against equal {' and '.join(failed)} (step 3) {sizes}"
    return f"no evidence against full invariance {sizes}; not a demonstration of invariance"


def _notes(sizes, n_no_group, n_pairs, permutations, p_adjust, alpha, fits_ok, *, family_size, funcs, redundant, mv, unit="cases") -> str:
    fams = list(dict.fromkeys(f[0] for f in funcs))
    n_par = len(funcs)
    parts = [
        "MICOM (Henseler, Ringle & Sarstedt 2016) and permutation MGA (Chin & Dibbern 2010) with "
        f"{permutations} permutations per pair of groups; group sizes: "
        + ", ".join(f"{g} n = {k}" for g, k in zip(sizes["group"], sizes["n"]))
        + ".",
        "Step 2 correlates the composites built with each group's weights on the pooled standardised data and compares "
        f"c with the {alpha:g} quantile of its permutation distribution; step 3 "
        "compares means and log variances of composite scores built from the pooled data with the pooled model's "
        f"weights (cSEM convention) with the central {1 - alpha:.0%} of their permutation distributions. MICOM p-values "
        "are raw: Henseler et al. (2016) do not adjust them, and adjusting a test whose null hypothesis is the desired "
        "outcome (invariance) would make invariance easier to claim. Partial invariance (steps 1-2) permits comparing "
        "paths; full invariance (steps 1-3) permits pooling. Not rejecting a step is no evidence against invariance, "
        "not evidence for it.",
        f"MGA multiplicity family: {n_par} parameter(s) ({', '.join(fams) or 'none'}) x {n_pairs} pair(s) of groups = "
        f"{family_size} tests, p-values adjusted across the whole family with {p_adjust}"
        + (" (family-wise error rate)" if p_adjust in ("holm", "bonferroni", "holm-sidak", "sidak", "hommel") else " (false discovery rate)" if p_adjust.startswith("fdr") else "")
        + f"; 'significant' means adjusted p < {alpha:g}.",
    ]
    if family_size and permutations + 1 < family_size / alpha:
        parts.append(
            f"With {permutations} permutations the smallest p-value is {1 / (permutations + 1):.4f}, which cannot pass "
            f"Holm's first threshold alpha/{family_size}: raise the permutations above {int(np.ceil(family_size / alpha))}."
        )
    if redundant:
        parts.append("Tested once because they are the same quantity: " + "; ".join(f"{d} equals {k}" for d, k in redundant) + ".")
    if n_no_group:
        parts.append(f"{n_no_group} {unit} without a group were left out.")
    failed = [g for g, ok in fits_ok.items() if not ok]
    if failed:
        parts.append(f"The model could not be estimated in: {', '.join(failed)}; their pairs were not tested.")
    if len(mv):
        det = mv.drop_duplicates(["group_a", "group_b", "statistic"])
        pieces = []
        for (ga, gb), g in det.groupby(["group_a", "group_b"], sort=False):
            d = g.set_index("statistic")["detectable_80"]
            dd = detectable_differences(int(sizes.set_index("group").loc[ga, "n"]), int(sizes.set_index("group").loc[gb, "n"]), alpha=alpha)
            pieces.append(
                f"{ga} vs {gb}: mean difference {d.get('mean_difference', np.nan):.2f} SD, variance ratio "
                f"{np.exp(d.get('log_variance_ratio', np.nan)):.2f}, path difference about {dd['path_difference']:.2f}"
            )
        parts.append(
            "Approximate power (normal approximations, 80% power, two-sided alpha, before multiplicity adjustment): the smallest "
            "differences these group sizes detect are " + "; ".join(pieces) + ". Smaller differences may exist undetected."
        )
    return " ".join(parts)
