r"""Groups of firms: measurement invariance of composites (MICOM) and permutation MGA.

The study's 209 firms come from 12 countries, about 17 per country. At n = 17 the
smallest path detectable with 80 % power is |β| ≈ 0.60 (Kock & Hadaya 2018; see
:func:`leanlearn.robustness.power.minimum_detectable_effect`), so a per-country analysis is not
feasible; countries are compared in theory-based *clusters* (e.g. world regions) from the
config, and :func:`country_feasibility` reports why (METHODS.md §6.2).

MICOM (Henseler, Ringle & Sarstedt 2016, *International Marketing Review* 33:405–431)
---------------------------------------------------------------------------------------
1. **Configural invariance** (qualitative): the same indicators, the same data treatment
   and the same algorithm settings in every group, and a model that can be estimated in
   every group. :func:`compare_groups` fills this table from the run itself.
2. **Compositional invariance**: for each composite with two or more indicators,

   .. math:: c = \operatorname{corr}\big(Z w^{(1)},\, Z w^{(2)}\big)

   where :math:`w^{(g)}` are the outer weights estimated in group g and Z the *pooled*
   (both groups), standardised items. Under the null that the weights are equal, group
   membership is exchangeable: the groups are re-drawn at random (default 5000
   permutations), the model is re-estimated in both permuted groups and c recomputed.
   Invariance holds when c is not significantly below 1: c ≥ the 5 % quantile of the
   permutation distribution, i.e. the one-sided p-value :math:`\Pr(c^* \le c)` is at
   least α.
3. **Equal composite means and variances**: composite scores from the *pooled data and
   the pooled model's weights* (the convention of cSEM's ``testMICOM``; with pooled
   weights the scores do not depend on the group split, so only the labels are permuted);
   the statistics are the difference of the group means and of the log group variances,
   :math:`\bar\eta_1 - \bar\eta_2` and :math:`\log s^2_1 - \log s^2_2`, and equality holds
   when they fall inside the central 95 % of their permutation distributions (two-sided
   p-value ≥ α).

Steps 1 + 2 establish *partial* invariance, which permits comparing path coefficients
across groups; steps 1–3 *full* invariance, which permits pooling the data.

Permutation multi-group analysis (Chin & Dibbern 2010)
------------------------------------------------------
For any function θ(P) of the path matrix — every path, every specific indirect effect,
the index of moderated mediation and the conditional indirect effects at −1, 0, +1 SD of
the moderator — the observed difference :math:`\theta(P_1) - \theta(P_2)` is compared
with its permutation distribution (the same permutations and fits as MICOM step 2).

Conventions
-----------
* **p-values** of permutation tests are :math:`(1 + \#\{T^* \text{ at least as extreme as } T\})/(1 + R)`
  over the R valid permutations (Phipson & Smyth 2010), so they are never 0 and the
  test is exact for random permutations; "two-sided" compares :math:`|T^*|` with
  :math:`|T|` (:func:`permutation_p_value`).
* **More than two groups**: every pair of groups is compared with permutations of that
  pair's cases only; the p-values of each statistic (construct × step, or parameter) are
  then adjusted over the pairs (Holm by default, :func:`statsmodels.stats.multitest.multipletests`),
  and decisions use the adjusted p-values. With two groups nothing changes.
* **Permutation fits** go through the engine in batches (one row of case counts per
  group of each permutation; a 0/1 count vector selects the group's cases), with the
  missing-data treatment repeated within every group, as in the sample estimate.
  Permutations whose fit fails in either group are dropped and counted in ``status``.
* **Randomness**: ``SeedSequence(seed).spawn(number of pairs)``, one generator per pair.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from leanlearn.effects import algebra as fx
from leanlearn.errors import DataError, SpecError
from leanlearn.extras import require
from leanlearn.pls.engine import fit_counts
from leanlearn.spec.model import ModelSpec, parse_model

__all__ = [
    "DEFAULT_PERMUTATIONS",
    "region_clusters",
    "assign_groups",
    "country_feasibility",
    "feasibility_note",
    "permutation_p_value",
    "compare_groups",
    "GroupComparison",
]

DEFAULT_PERMUTATIONS = 5000
CHUNK = 250
"""Permutations fitted per engine call (2 × CHUNK data sets)."""

PROBE_VALUES = (-1.0, 0.0, 1.0)


# ---- groups from countries ---------------------------------------------------------------------
def region_clusters(mapping: Mapping | None) -> dict[str, tuple[str, ...]]:
    """Validate a cluster definition (the ``robustness.region_clusters`` config key).

    Parameters
    ----------
    mapping : mapping of str to list of str
        Cluster name -> the country names (as in the data's group column) it contains.

    Raises
    ------
    SpecError
        ``robustness.region_clusters...`` naming the problem: not a mapping, an empty or
        non-list cluster, a country listed in two clusters, fewer than two clusters.
    """
    key = "robustness.region_clusters"
    if not isinstance(mapping, Mapping) or not mapping:
        raise SpecError(f"{key}: expected a mapping of cluster names to lists of countries")
    seen: dict[str, str] = {}
    out: dict[str, tuple[str, ...]] = {}
    for name, members in mapping.items():
        if isinstance(members, str) or not isinstance(members, Sequence) or not members:
            raise SpecError(f"{key}.{name}: expected a non-empty list of countries, got {members!r}")
        for m in members:
            m = str(m)
            if m in seen:
                raise SpecError(f"{key}: {m} is listed in both {seen[m]} and {name}")
            seen[m] = str(name)
        out[str(name)] = tuple(str(m) for m in members)
    if len(out) < 2:
        raise SpecError(f"{key}: at least two clusters are needed for a comparison")
    return out


def assign_groups(countries, clusters: Mapping[str, Sequence[str]] | None = None, *, unassigned: str = "error") -> pd.Series:
    """Map each firm's country to its cluster.

    Parameters
    ----------
    countries : Series or array-like
        One country name per firm (missing values stay missing).
    clusters : mapping, optional
        Cluster -> countries (see :func:`region_clusters`); None keeps the values as groups.
    unassigned : {"error", "drop"}
        A country in no cluster raises :class:`DataError` naming it, or becomes a missing
        group ("drop"; such firms are left out of the comparison and counted).

    Returns
    -------
    Series of str (object) with the input's index, named "group".
    """
    s = countries if isinstance(countries, pd.Series) else pd.Series(list(countries))
    if unassigned not in ("error", "drop"):
        raise ValueError("unassigned must be 'error' or 'drop'")
    if clusters is None:
        return s.where(s.isna(), s.astype(str)).rename("group").astype(object)
    lookup = {m: name for name, members in region_clusters(clusters).items() for m in members}
    text = s.astype(object).where(s.isna(), s.astype(str))
    mapped = text.map(lookup)
    missing = sorted({str(v) for v in text[mapped.isna() & text.notna()]})
    if missing and unassigned == "error":
        raise DataError(
            f"countries in no cluster: {', '.join(missing)}. Add them to robustness.region_clusters, "
            "or leave them out explicitly (unassigned='drop')."
        )
    return mapped.rename("group").astype(object)


def country_feasibility(countries, groups=None, *, alpha: float = 0.05, power: float = 0.80) -> pd.DataFrame:
    """Firms per country (and cluster) and the smallest path each could detect alone.

    Returns
    -------
    DataFrame
        country, group (when given), n, minimum_detectable_beta_one_tailed,
        minimum_detectable_beta_two_tailed (inverse square root method, Kock & Hadaya
        2018, at ``alpha`` and ``power``), sorted by n descending.
    """
    from leanlearn.robustness.power import minimum_detectable_effect

    frame = pd.DataFrame({"country": pd.Series(list(countries)).astype(object)})
    keys = ["country"]
    if groups is not None:
        frame["group"] = pd.Series(list(groups)).astype(object)
        keys.append("group")
    tab = frame.dropna(subset=["country"]).groupby(keys, dropna=False, sort=True).size().rename("n").reset_index()
    tab["minimum_detectable_beta_one_tailed"] = [minimum_detectable_effect(n, alpha=alpha, power=power, tails=1) for n in tab["n"]]
    tab["minimum_detectable_beta_two_tailed"] = [minimum_detectable_effect(n, alpha=alpha, power=power, tails=2) for n in tab["n"]]
    return tab.sort_values(["n", "country"], ascending=[False, True]).reset_index(drop=True)


def feasibility_note(table: pd.DataFrame, group_sizes: pd.DataFrame | None = None) -> str:
    """Plain-language statement of why countries are compared in clusters, from :func:`country_feasibility`."""
    n = table["n"].to_numpy()
    text = (
        f"Per-country analysis is infeasible: {len(table)} countries with {int(n.min())} to {int(n.max())} firms "
        f"(median {float(np.median(n)):g}). With the median country size the smallest path detectable with 80% power "
        f"is |beta| = {float(np.median(table['minimum_detectable_beta_one_tailed'])):.2f} one-tailed "
        f"({float(np.median(table['minimum_detectable_beta_two_tailed'])):.2f} two-tailed; inverse square root method, "
        "Kock & Hadaya 2018), far above the effects of this model. Countries are therefore compared in theory-based "
        "clusters; per-country heterogeneity is handled by country controls or treated as unobserved (FIMIX)."
    )
    if group_sizes is not None and len(group_sizes):
        small = group_sizes[group_sizes["n"] < 100]
        if len(small):
            text += (
                " Clusters with fewer than about 100 firms have little power for path differences: "
                + ", ".join(f"{g} (n = {int(k)})" for g, k in zip(small["group"], small["n"]))
                + "."
            )
    return text


# ---- permutation p-values ---------------------------------------------------------------------------
def permutation_p_value(observed, draws, *, alternative: str = "two-sided") -> np.ndarray:
    r"""Permutation p-value with the +1 correction (Phipson & Smyth 2010).

    .. math:: p = \frac{1 + \#\{r : T^*_r \text{ at least as extreme as } T\}}{1 + R}

    "two-sided": :math:`|T^*_r| \ge |T|`; "less": :math:`T^*_r \le T` (MICOM's c, where
    small values speak against invariance); "greater": :math:`T^*_r \ge T`.

    Parameters
    ----------
    observed : float or array of shape (m,)
    draws : array of shape (R,) or (R, m)
        Permutation statistics; NaN draws (failed permutations) are ignored per column.

    Returns
    -------
    ndarray of shape (m,) (a 0-d array for scalar input). Checked by hand in
    tests/test_groups.py.
    """
    obs = np.asarray(observed, dtype=float)
    d = np.asarray(draws, dtype=float)
    scalar = obs.ndim == 0
    obs = np.atleast_1d(obs)
    if d.ndim == 1:
        d = d[:, None]
    valid = np.isfinite(d)
    if alternative == "two-sided":
        hit = np.abs(d) >= np.abs(obs)[None, :] - 1e-12 * np.maximum(1.0, np.abs(obs))[None, :]
    elif alternative == "less":
        hit = d <= obs[None, :] + 1e-12 * np.maximum(1.0, np.abs(obs))[None, :]
    elif alternative == "greater":
        hit = d >= obs[None, :] - 1e-12 * np.maximum(1.0, np.abs(obs))[None, :]
    else:
        raise ValueError("alternative must be 'two-sided', 'less' or 'greater'")
    p = (1 + (hit & valid).sum(axis=0)) / (1 + valid.sum(axis=0))
    return p[0] if scalar else p


def _adjust(p: np.ndarray, method: str) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    if method == "none" or p.size <= 1:
        return p.copy()
    multipletests = require("statsmodels.stats.multitest", "multiple-testing corrections").multipletests

    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    if ok.any():
        out[ok] = multipletests(p[ok], method=method)[1]
    return out


# ---- the result ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class GroupComparison:
    """MICOM and permutation MGA for every pair of groups.

    Attributes
    ----------
    group_sizes : DataFrame
        group, n (firms used), n_excluded_no_group is in ``status``.
    configural : DataFrame
        MICOM step 1: group ("all" or a group), check, met (bool), detail.
    compositional : DataFrame
        MICOM step 2: group_a, group_b, construct, c, critical_value (the α quantile of
        the permutation distribution of c), p_value (one-sided, Pr(c* ≤ c)),
        p_adjusted, invariant (p_adjusted ≥ α), n_permutations.
    means_variances : DataFrame
        MICOM step 3: group_a, group_b, construct, statistic ("mean_difference",
        "log_variance_ratio"), estimate, perm_lower, perm_upper (α/2 and 1 − α/2
        quantiles of the permutation distribution), p_value (two-sided), p_adjusted,
        equal (p_adjusted ≥ α), n_permutations.
    invariance : DataFrame
        group_a, group_b, construct, configural, compositional, equal_mean,
        equal_variance, invariance ("full", "partial" or "none"), mga_permitted
        (partial or full), pooling_permitted (full).
    mga : DataFrame
        group_a, group_b, family ("path", "indirect_effect", "index_moderated_mediation",
        "conditional_indirect_effect", "custom"), parameter, estimate_a, estimate_b,
        difference (a − b), perm_lower, perm_upper (α/2 and 1 − α/2 quantiles of the
        permutation differences), p_value (two-sided), p_adjusted, significant
        (p_adjusted < α), n_permutations.
    status : DataFrame
        group_a, group_b, permutations, valid, failed.
    notes : str
    permutations, seed, alpha, p_adjust :
        Settings of the run.
    """

    group_sizes: pd.DataFrame = field(repr=False)
    configural: pd.DataFrame = field(repr=False)
    compositional: pd.DataFrame = field(repr=False)
    means_variances: pd.DataFrame = field(repr=False)
    invariance: pd.DataFrame = field(repr=False)
    mga: pd.DataFrame = field(repr=False)
    status: pd.DataFrame = field(repr=False)
    notes: str
    permutations: int
    seed: int | None
    alpha: float
    p_adjust: str


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
        Multiple-testing adjustment over pairs of groups, a ``multipletests`` method
        ("holm" default, "bonferroni", "fdr_bh", ...) or "none".
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

    Returns
    -------
    GroupComparison

    Notes
    -----
    Checked in tests/test_groups.py: groups drawn from one population give invariant
    composites and no significant path difference; a path that differs between the
    populations is detected; an item with loading near 0 in one group breaks
    compositional invariance; the p-value formula on a hand-worked example; Holm
    adjustment with three groups.
    """
    from leanlearn.pls.engine import Settings, estimate

    spec = parse_model(model) if isinstance(model, str) else model
    settings = settings or Settings()
    if int(permutations) < 10:
        raise ValueError("permutations must be at least 10")
    if p_adjust != "none":
        _adjust(np.array([0.01, 0.02]), p_adjust)  # raises ValueError for an unknown method
    permutations = int(permutations)
    labels_all = _labels_for(data, groups)
    has_group = labels_all.notna().to_numpy()
    n_no_group = int((~has_group).sum())
    sub = data.loc[has_group]
    labels_sub = labels_all[has_group]
    pooled = estimate(sub, spec, settings=settings, assess=False, source=source)
    plan = pooled.plan
    prepared = pooled.prepared
    labels = labels_sub.loc[prepared.index].astype(str).to_numpy()
    X = prepared.raw
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
            + f"; at least {min_group_size} firms per group. Merge them into larger clusters."
        )

    lay = plan.final
    names = list(lay.constructs)
    composites = [k for k in range(lay.K) if not lay.is_interaction[k] and len(lay.cols(k)) > 1]
    funcs = _functions(pooled, functions)

    # observed fit of every group (configural check) on its own cases
    obs_counts = np.stack([(labels == g).astype(float) for g in group_names])
    obs_fit = fit_counts(plan, X, obs_counts)
    fits_ok = {g: bool(obs_fit.converged[i] and not obs_fit.failed[i]) for i, g in enumerate(group_names)}
    configural = _configural(plan, X, labels, group_names, settings, fits_ok)

    pairs = list(combinations(group_names, 2))
    children = np.random.SeedSequence(seed).spawn(len(pairs))
    comp_rows, mv_rows, mga_rows, status_rows = [], [], [], []
    for (ga, gb), child in zip(pairs, children):
        if not (fits_ok[ga] and fits_ok[gb]):
            status_rows.append({"group_a": ga, "group_b": gb, "permutations": 0, "valid": 0, "failed": 0})
            continue
        pos = np.concatenate([np.flatnonzero(labels == ga), np.flatnonzero(labels == gb)])
        Xp = X[pos]
        n_a, n = int((labels == ga).sum()), len(pos)
        first = np.zeros(n, dtype=bool)
        first[:n_a] = True
        base = np.stack([first, ~first, np.ones(n, dtype=bool)]).astype(float)
        fit0 = fit_counts(plan, Xp, base)
        w_a, w_b, w_pool = fit0.weights[0], fit0.weights[1], fit0.weights[2]
        P_a, P_b = fit0.paths[0], fit0.paths[1]

        # pooled standardised items (pair means replace missing cells)
        Xi = np.where(np.isnan(Xp), np.nanmean(Xp, axis=0), Xp)
        Zp = (Xi - Xi.mean(axis=0)) / Xi.std(axis=0, ddof=1)
        Rp = np.corrcoef(Zp, rowvar=False)
        blocks = [(k, lay.cols(k), lay.sources[lay.cols(k)]) for k in composites]

        def c_stat(wa, wb):
            out = []
            for _, cols, src in blocks:
                Rk = Rp[np.ix_(src, src)]
                a, b = wa[..., cols], wb[..., cols]
                num = np.einsum("...i,ij,...j->...", a, Rk, b)
                den = np.sqrt(np.einsum("...i,ij,...j->...", a, Rk, a) * np.einsum("...i,ij,...j->...", b, Rk, b))
                out.append(num / den)
            return np.stack(out, axis=-1)

        c_obs = c_stat(w_a, w_b)
        S = np.column_stack([Zp[:, src] @ w_pool[cols] for _, cols, src in blocks])  # pooled scores

        def mean_var(mask):  # mask (m, n) of group-a membership -> mean diff, log var ratio (m, K_c)
            ma = mask.astype(float)
            mb = 1.0 - ma
            na, nb = ma.sum(axis=1, keepdims=True), mb.sum(axis=1, keepdims=True)
            mu_a, mu_b = ma @ S / na, mb @ S / nb
            va = (ma @ S**2 - na * mu_a**2) / (na - 1)
            vb = (mb @ S**2 - nb * mu_b**2) / (nb - 1)
            return mu_a - mu_b, np.log(va) - np.log(vb)

        md_obs, lv_obs = (v[0] for v in mean_var(first[None, :]))
        theta_obs = np.array([f(P_a) - f(P_b) for _, _, f in funcs])
        est_a = np.array([f(P_a) for _, _, f in funcs])
        est_b = np.array([f(P_b) for _, _, f in funcs])

        rng = np.random.default_rng(child)
        c_perm, md_perm, lv_perm, th_perm, valid_all = [], [], [], [], []
        for start in range(0, permutations, CHUNK):
            m = min(CHUNK, permutations - start)
            order = np.argsort(rng.random((m, n)), axis=1)
            mask = np.zeros((m, n), dtype=bool)
            np.put_along_axis(mask, order[:, :n_a], True, axis=1)
            counts = np.empty((2 * m, n))
            counts[0::2] = mask
            counts[1::2] = ~mask
            fit = fit_counts(plan, Xp, counts)
            ok = ~fit.failed & fit.converged
            valid = ok[0::2] & ok[1::2]
            Wa, Wb = fit.weights[0::2], fit.weights[1::2]
            Pa, Pb = fit.paths[0::2], fit.paths[1::2]
            c = c_stat(Wa, Wb)
            th = np.stack([f(Pa) - f(Pb) for _, _, f in funcs], axis=-1)
            c[~valid] = np.nan
            th[~valid] = np.nan
            md, lv = mean_var(mask)
            c_perm.append(c)
            th_perm.append(th)
            md_perm.append(md)
            lv_perm.append(lv)
            valid_all.append(valid)
        c_perm = np.concatenate(c_perm)
        th_perm = np.concatenate(th_perm)
        md_perm, lv_perm = np.concatenate(md_perm), np.concatenate(lv_perm)
        valid_all = np.concatenate(valid_all)
        nv = int(valid_all.sum())
        status_rows.append({"group_a": ga, "group_b": gb, "permutations": permutations, "valid": nv, "failed": permutations - nv})

        cv = c_perm[valid_all]
        crit = np.quantile(cv, alpha, axis=0, method="linear") if nv else np.full(len(blocks), np.nan)
        p_c = permutation_p_value(c_obs, cv, alternative="less")
        for j, (k, _, _) in enumerate(blocks):
            comp_rows.append(
                {"group_a": ga, "group_b": gb, "construct": names[k], "c": float(c_obs[j]), "critical_value": float(crit[j]), "p_value": float(p_c[j]), "n_permutations": nv}
            )
        for stat, o, d in (("mean_difference", md_obs, md_perm), ("log_variance_ratio", lv_obs, lv_perm)):
            lo, hi = np.quantile(d, [alpha / 2, 1 - alpha / 2], axis=0, method="linear")
            p = permutation_p_value(o, d)
            for j, (k, _, _) in enumerate(blocks):
                mv_rows.append(
                    {"group_a": ga, "group_b": gb, "construct": names[k], "statistic": stat, "estimate": float(o[j]), "perm_lower": float(lo[j]), "perm_upper": float(hi[j]), "p_value": float(p[j]), "n_permutations": int(d.shape[0])}
                )
        tv = th_perm[valid_all]
        if nv:
            lo, hi = np.quantile(tv, [alpha / 2, 1 - alpha / 2], axis=0, method="linear")
        else:
            lo = hi = np.full(len(funcs), np.nan)
        p_t = permutation_p_value(theta_obs, tv)
        for j, (family, label, _) in enumerate(funcs):
            mga_rows.append(
                {
                    "group_a": ga, "group_b": gb, "family": family, "parameter": label,
                    "estimate_a": float(est_a[j]), "estimate_b": float(est_b[j]), "difference": float(theta_obs[j]),
                    "perm_lower": float(lo[j]), "perm_upper": float(hi[j]), "p_value": float(p_t[j]), "n_permutations": nv,
                }
            )  # fmt: skip

    comp = pd.DataFrame(comp_rows, columns=["group_a", "group_b", "construct", "c", "critical_value", "p_value", "n_permutations"])
    mv = pd.DataFrame(mv_rows, columns=["group_a", "group_b", "construct", "statistic", "estimate", "perm_lower", "perm_upper", "p_value", "n_permutations"])
    mga = pd.DataFrame(mga_rows, columns=["group_a", "group_b", "family", "parameter", "estimate_a", "estimate_b", "difference", "perm_lower", "perm_upper", "p_value", "n_permutations"])
    for df, keys in ((comp, ["construct"]), (mv, ["construct", "statistic"]), (mga, ["family", "parameter"])):
        df.insert(df.columns.get_loc("p_value") + 1, "p_adjusted", np.nan)
        for _, g in df.groupby(keys, sort=False):
            df.loc[g.index, "p_adjusted"] = _adjust(g["p_value"].to_numpy(), p_adjust)
    comp.insert(comp.columns.get_loc("p_adjusted") + 1, "invariant", comp["p_adjusted"] >= alpha)
    mv.insert(mv.columns.get_loc("p_adjusted") + 1, "equal", mv["p_adjusted"] >= alpha)
    mga.insert(mga.columns.get_loc("p_adjusted") + 1, "significant", mga["p_adjusted"] < alpha)

    conf_ok = bool(configural["met"].all())
    inv_rows = []
    for rec in comp.itertuples(index=False):
        sel = mv[(mv.group_a == rec.group_a) & (mv.group_b == rec.group_b) & (mv.construct == rec.construct)].set_index("statistic")["equal"]
        eq_m, eq_v = bool(sel.get("mean_difference", False)), bool(sel.get("log_variance_ratio", False))
        compo = bool(rec.invariant)
        level = "full" if conf_ok and compo and eq_m and eq_v else ("partial" if conf_ok and compo else "none")
        inv_rows.append(
            {
                "group_a": rec.group_a, "group_b": rec.group_b, "construct": rec.construct, "configural": conf_ok,
                "compositional": compo, "equal_mean": eq_m, "equal_variance": eq_v, "invariance": level,
                "mga_permitted": level in ("full", "partial"), "pooling_permitted": level == "full",
            }
        )  # fmt: skip
    invariance = pd.DataFrame(inv_rows, columns=["group_a", "group_b", "construct", "configural", "compositional", "equal_mean", "equal_variance", "invariance", "mga_permitted", "pooling_permitted"])
    status = pd.DataFrame(status_rows, columns=["group_a", "group_b", "permutations", "valid", "failed"])
    notes = _notes(sizes, n_no_group, len(pairs), permutations, p_adjust, alpha, fits_ok)
    return GroupComparison(
        group_sizes=sizes,
        configural=configural,
        compositional=comp,
        means_variances=mv,
        invariance=invariance,
        mga=mga,
        status=status,
        notes=notes,
        permutations=permutations,
        seed=seed,
        alpha=alpha,
        p_adjust=p_adjust,
    )


def _notes(sizes, n_no_group, n_pairs, permutations, p_adjust, alpha, fits_ok) -> str:
    parts = [
        "MICOM (Henseler, Ringle & Sarstedt 2016) and permutation MGA (Chin & Dibbern 2010) with "
        f"{permutations} permutations per pair of groups; group sizes: "
        + ", ".join(f"{g} n = {k}" for g, k in zip(sizes["group"], sizes["n"]))
        + ".",
        "Step 2 correlates the composites built with each group's weights on the pooled standardised data; step 3 "
        "compares means and log variances of composite scores built from the pooled data with the pooled model's "
        "weights (cSEM convention), permuting group labels. Partial invariance (steps 1-2) permits comparing paths; "
        "full invariance (steps 1-3) permits pooling.",
    ]
    if n_pairs > 1:
        parts.append(f"{n_pairs} pairs of groups: p-values adjusted over pairs with {p_adjust}; decisions at alpha = {alpha:g} use the adjusted p-values.")
    if n_no_group:
        parts.append(f"{n_no_group} firm(s) without a group were left out.")
    failed = [g for g, ok in fits_ok.items() if not ok]
    if failed:
        parts.append(f"The model could not be estimated in: {', '.join(failed)}; their pairs were not tested.")
    small = sizes[sizes["n"] < 100]
    if len(small):
        parts.append(
            "Groups with fewer than about 100 firms give low power for path differences (METHODS.md 6.2): "
            + ", ".join(f"{g} (n = {k})" for g, k in zip(small["group"], small["n"]))
            + "; a non-significant difference is not evidence of equality."
        )
    return " ".join(parts)
