r"""Groups of cases: measurement invariance of composites (MICOM) and permutation MGA.

Groups come from any categorical column of the analysis data (a demographic, a country, an
industry ...), used as they are or merged into *clusters* of its levels (config
``robustness.groups: {column: ..., clusters: {label: [level, ...]}}``; see
:func:`group_settings`). Small levels cannot be compared on their own: at n = 17 the
smallest path detectable with 80 % power is |β| ≈ 0.60 (Kock & Hadaya 2018; see
:func:`leanlearn.robustness.power.minimum_detectable_effect`), and :func:`level_feasibility`
reports this for every level, which is why theory-based clusters of levels are offered.

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
   The decision compares c with the 5 % quantile of its permutation distribution: c below
   it is evidence against compositional invariance. The one-sided p-value
   :math:`\Pr(c^* \le c)` is reported beside it.
3. **Equal composite means and variances**: composite scores from the *pooled data and
   the pooled model's weights* (the convention of cSEM's ``testMICOM``; with pooled
   weights the scores do not depend on the group split, so only the labels are permuted);
   the statistics are the difference of the group means and of the log group variances,
   :math:`\bar\eta_1 - \bar\eta_2` and :math:`\log s^2_1 - \log s^2_2`; a statistic
   outside the central 95 % of its permutation distribution is evidence against equality
   (two-sided p-value reported).

**No multiplicity adjustment in MICOM.** Henseler et al. (2016) and cSEM's ``testMICOM``
test every step at α without adjustment. In MICOM the null hypothesis is the *desired*
outcome (invariance), so adjusting the p-values upwards makes it easier to declare
invariance: an adjustment there works in the lenient direction. leanlearn reports the raw
permutation p-value of every step and decides at α.

**Wording.** Not rejecting invariance is not evidence of invariance, least of all in small
groups. The summary therefore says "no evidence against full (partial) invariance", with
the group sizes and an approximate power statement: the smallest standardised mean
difference and log variance ratio that step 3 would detect with 80 % power at these group
sizes (normal approximations, :func:`detectable_differences`). Henseler et al.'s labels
("full", "partial", "none") are kept in the ``invariance`` column as the names of the
outcome levels.

Permutation multi-group analysis (Chin & Dibbern 2010)
------------------------------------------------------
For any function θ(P) of the path matrix — every path, every specific indirect effect,
the index of moderated mediation and the conditional indirect effects at −1 and +1 SD of
the moderator — the observed difference :math:`\theta(P_1) - \theta(P_2)` is compared
with its permutation distribution (the same permutations and fits as MICOM step 2).

**The multiplicity family** is every parameter tested × every pair of groups compared.
The p-values are adjusted across that whole family (Holm 1979 by default, controlling the
family-wise error rate; Benjamini–Hochberg ``fdr_bh`` controlling the false discovery
rate), and the family size is reported in every row and in the notes. The family can be
narrowed in advance with ``parameters`` (config ``robustness.mga_parameters``: ``all``,
``paths`` or a list of families), never after seeing the results. Quantities that are the
same function of the path matrix are tested once: e.g. the conditional indirect effect at
the moderator's mean (0 SD) equals the indirect effect a·b of the same chain, so only the
latter is tested (detected numerically on random path matrices, :func:`_distinct`).

Conventions
-----------
* **p-values** of permutation tests are :math:`(1 + \#\{T^* \text{ at least as extreme as } T\})/(1 + R)`
  over the R valid permutations (Phipson & Smyth 2010), so they are never 0 and the
  test is exact for random permutations; "two-sided" compares :math:`|T^*|` with
  :math:`|T|` (:func:`permutation_p_value`). The smallest attainable p is 1/(R + 1);
  with Holm over a family of F tests a difference needs p < α/F, so R must exceed F/α.
* **More than two groups**: every pair of groups is compared with permutations of that
  pair's cases only.
* **Permutation fits** go through the engine in batches (one row of case counts per
  group of each permutation; a 0/1 count vector selects the group's cases), with the
  missing-data treatment repeated within every group, as in the sample estimate.
  Permutations whose fit fails in either group are dropped and counted in ``status``.
* **Randomness**: pair j (in output order) permutes with
  ``leanlearn.random.generator(seed, "permutation", j)`` (docs/randomness.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from leanlearn.effects import algebra as fx
from leanlearn.errors import DataError, SpecError
from leanlearn.extras import require
from leanlearn.pls import moments
from leanlearn.pls.engine import fit_counts
from leanlearn.random import generator
from leanlearn.spec.model import ModelSpec, parse_model

__all__ = [
    "DEFAULT_PERMUTATIONS",
    "MGA_FAMILIES",
    "GroupSettings",
    "group_settings",
    "level_clusters",
    "assign_groups",
    "level_feasibility",
    "feasibility_note",
    "detectable_differences",
    "permutation_p_value",
    "compare_groups",
    "GroupComparison",
    "MGA_METHODS",
    "MGA_COLUMNS",
    "MGAResult",
    "multigroup_analysis",
    "henseler_p_value",
]

DEFAULT_PERMUTATIONS = 5000
CHUNK = 250
"""Permutations fitted per engine call (2 × CHUNK data sets)."""

PROBE_VALUES = (-1.0, 0.0, 1.0)
OUTPUT_COLUMNS = {
    "group_sizes": ["group", "n"],
    "level_sizes": ["level", "group", "n", "minimum_detectable_beta_one_tailed", "minimum_detectable_beta_two_tailed"],
    "micom_configural": ["group", "check", "met", "detail"],
    "micom_compositional": ["group_a", "group_b", "construct", "c", "critical_value", "p_value", "invariant", "n_permutations"],
    "micom_means_variances": ["group_a", "group_b", "construct", "statistic", "estimate", "permutation_lower", "permutation_upper", "p_value", "equal", "detectable_80", "n_permutations"],
    "micom_summary": ["group_a", "group_b", "construct", "n_a", "n_b", "configural", "compositional", "equal_mean", "equal_variance", "invariance", "mga_permitted", "pooling_permitted", "statement"],
    "mga": ["group_a", "group_b", "family", "parameter", "estimate_a", "estimate_b", "difference", "permutation_lower", "permutation_upper", "p_value", "p_adjusted", "significant", "family_size", "n_permutations"],
    "permutation_status": ["group_a", "group_b", "n_permutations", "valid", "failed"],
}
"""Columns of every table the ``groups`` verb writes (also when the step is skipped)."""

MGA_FAMILIES = ("path", "indirect_effect", "index_moderated_mediation", "conditional_indirect_effect", "custom")


# ---- which groups ------------------------------------------------------------------------------
@dataclass(frozen=True)
class GroupSettings:
    """The grouping of a study (config ``robustness.groups``).

    Attributes
    ----------
    column : str
        Categorical column of the analysis data whose values define the groups.
    clusters : dict of str to tuple of str, or None
        Group label -> the column's levels it merges; None uses the levels themselves.
    unassigned : {"error", "drop"}
        A level in no cluster stops the run, or its cases are left out (and counted).
    """

    column: str
    clusters: dict | None = None
    unassigned: str = "error"


_GROUP_KEYS = {"column", "clusters", "unassigned"}


def group_settings(value, *, key: str = "robustness.groups") -> GroupSettings | None:
    """Validate the ``robustness.groups`` config value.

    Accepted forms: absent / null / ``none`` / ``false`` (no groups: the step is skipped),
    a column name (its levels are the groups), or a mapping with ``column`` (required),
    ``clusters`` (optional: label -> list of levels, at least two labels) and
    ``unassigned`` (``error``, the default, or ``drop``).

    Raises
    ------
    SpecError
        Naming the key path (e.g. ``robustness.groups.clusters.Asia``) and what is allowed.
    """
    if value is None or value is False or (isinstance(value, str) and value.strip().lower() in ("none", "")):
        return None
    if isinstance(value, str):
        return GroupSettings(column=value)
    if not isinstance(value, Mapping):
        raise SpecError(f"{key}: expected a mapping with 'column' (and optionally 'clusters', 'unassigned'), a column name, or none")
    unknown = sorted(set(map(str, value)) - _GROUP_KEYS)
    if unknown:
        raise SpecError(f"{key}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_GROUP_KEYS))}")
    column = value.get("column")
    if not isinstance(column, str) or not column.strip():
        raise SpecError(f"{key}.column: expected the name of a categorical column of the analysis data")
    unassigned = value.get("unassigned", "error")
    if unassigned not in ("error", "drop"):
        raise SpecError(f"{key}.unassigned: expected 'error' or 'drop', got {unassigned!r}")
    clusters = value.get("clusters")
    return GroupSettings(column=column, clusters=level_clusters(clusters, key=f"{key}.clusters") if clusters is not None else None, unassigned=unassigned)


def level_clusters(mapping: Mapping | None, *, key: str = "robustness.groups.clusters") -> dict[str, tuple[str, ...]]:
    """Validate a cluster definition: label -> the group column's levels it merges.

    Raises
    ------
    SpecError
        ``<key>...`` naming the problem: not a mapping, an empty or non-list cluster, a
        level listed in two clusters, fewer than two clusters.
    """
    if not isinstance(mapping, Mapping) or not mapping:
        raise SpecError(f"{key}: expected a mapping of cluster labels to lists of levels of the group column")
    seen: dict[str, str] = {}
    out: dict[str, tuple[str, ...]] = {}
    for name, members in mapping.items():
        if isinstance(members, str) or not isinstance(members, Sequence) or not members:
            raise SpecError(f"{key}.{name}: expected a non-empty list of levels (values of the group column), got a {type(members).__name__}")
        for m in members:
            m = str(m)
            if m in seen:
                raise SpecError(f"{key}: the level {m} is listed in both {seen[m]} and {name}")
            seen[m] = str(name)
        out[str(name)] = tuple(str(m) for m in members)
    if len(out) < 2:
        raise SpecError(f"{key}: at least two clusters are needed for a comparison")
    return out


def assign_groups(levels, clusters: Mapping[str, Sequence[str]] | None = None, *, unassigned: str = "error", column: str = "group column") -> pd.Series:
    """Map each case's level of the group column to its cluster.

    Parameters
    ----------
    levels : Series or array-like
        One value of the group column per case (missing values stay missing).
    clusters : mapping, optional
        Cluster -> levels (see :func:`level_clusters`); None keeps the levels as groups.
    unassigned : {"error", "drop"}
        A level in no cluster raises :class:`DataError` naming it, or becomes a missing
        group ("drop"; such cases are left out of the comparison and counted).
    column : str
        Name of the group column, for messages.

    Returns
    -------
    Series of str (object) with the input's index, named "group".
    """
    s = levels if isinstance(levels, pd.Series) else pd.Series(list(levels))
    if unassigned not in ("error", "drop"):
        raise ValueError("unassigned must be 'error' or 'drop'")
    if clusters is None:
        return s.where(s.isna(), s.astype(str)).rename("group").astype(object)
    lookup = {m: name for name, members in level_clusters(clusters).items() for m in members}
    text = s.astype(object).where(s.isna(), s.astype(str))
    mapped = text.map(lookup)
    missing = sorted({str(v) for v in text[mapped.isna() & text.notna()]})
    if missing and unassigned == "error":
        raise DataError(
            f"{len(missing)} level(s) of {column} in no cluster: {', '.join(missing)}. Add them to "
            "robustness.groups.clusters, or leave their cases out explicitly (robustness.groups.unassigned: drop)."
        )
    return mapped.rename("group").astype(object)


def level_feasibility(levels, groups=None, *, alpha: float = 0.05, power: float = 0.80) -> pd.DataFrame:
    """Cases per level of the group column (and cluster) and the smallest path each could detect alone.

    Returns
    -------
    DataFrame
        level, group (when given), n, minimum_detectable_beta_one_tailed,
        minimum_detectable_beta_two_tailed (inverse square root method, Kock & Hadaya
        2018, at ``alpha`` and ``power``), sorted by n descending.
    """
    from leanlearn.robustness.power import minimum_detectable_effect

    frame = pd.DataFrame({"level": pd.Series(list(levels)).astype(object)})
    keys = ["level"]
    if groups is not None:
        frame["group"] = pd.Series(list(groups)).astype(object)
        keys.append("group")
    frame["level"] = frame["level"].where(frame["level"].isna(), frame["level"].astype(str))
    tab = frame.dropna(subset=["level"]).groupby(keys, dropna=False, sort=True).size().rename("n").reset_index()
    tab["minimum_detectable_beta_one_tailed"] = [minimum_detectable_effect(n, alpha=alpha, power=power, tails=1) for n in tab["n"]]
    tab["minimum_detectable_beta_two_tailed"] = [minimum_detectable_effect(n, alpha=alpha, power=power, tails=2) for n in tab["n"]]
    return tab.sort_values(["n", "level"], ascending=[False, True]).reset_index(drop=True)


def feasibility_note(table: pd.DataFrame, group_sizes: pd.DataFrame | None = None, *, column: str = "the group column", unit: str = "cases") -> str:
    """Plain-language statement of why the levels are compared in clusters, from :func:`level_feasibility`."""
    n = table["n"].to_numpy()
    text = (
        f"Per-level analysis of {column} is infeasible: {len(table)} levels with {int(n.min())} to {int(n.max())} {unit} "
        f"(median {float(np.median(n)):g}). With the median level size the smallest path detectable with 80% power "
        f"is |beta| = {float(np.median(table['minimum_detectable_beta_one_tailed'])):.2f} one-tailed "
        f"({float(np.median(table['minimum_detectable_beta_two_tailed'])):.2f} two-tailed; inverse square root method, "
        "Kock & Hadaya 2018). The levels are therefore compared in the configured clusters."
    )
    if group_sizes is not None and len(group_sizes):
        small = group_sizes[group_sizes["n"] < 100]
        if len(small):
            text += (
                f" Clusters with fewer than about 100 {unit} have little power for path differences: "
                + ", ".join(f"{g} (n = {int(k)})" for g, k in zip(small["group"], small["n"]))
                + "."
            )
    return text


def detectable_differences(n_a: int, n_b: int, *, alpha: float = 0.05, power: float = 0.80) -> dict[str, float]:
    r"""Approximate smallest differences a two-group comparison detects with ``power`` (two-sided α).

    Normal approximations, with :math:`k = z_{1-\alpha/2} + z_{power}`:

    * standardised mean difference (MICOM step 3, composites with unit pooled variance):
      :math:`k\sqrt{1/n_a + 1/n_b}`;
    * log variance ratio (step 3; normal scores): :math:`k\sqrt{2/(n_a-1) + 2/(n_b-1)}`;
    * path coefficient difference (MGA; standardised paths treated like correlations on
      Fisher's z scale, before any multiplicity adjustment): :math:`k\sqrt{1/(n_a-3) + 1/(n_b-3)}`.

    Checked by hand in tests/test_groups.py (n = 100 and 100: 0.396 for the mean
    difference). These are orientation values for the wording "no evidence against", not
    power analyses of the permutation tests themselves.
    """
    k = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    return {
        "mean_difference": float(k * np.sqrt(1 / n_a + 1 / n_b)),
        "log_variance_ratio": float(k * np.sqrt(2 / (n_a - 1) + 2 / (n_b - 1))),
        "path_difference": float(k * np.sqrt(1 / max(n_a - 3, 1) + 1 / max(n_b - 3, 1))),
    }


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
    r"""Adjusted p-values across one family (NaN entries are not members).

    Holm (1979): with the m p-values sorted, :math:`\tilde p_{(i)} = \max_{j \le i}
    \min\{1, (m - j + 1)\,p_{(j)}\}`; Benjamini–Hochberg ("fdr_bh"):
    :math:`\tilde p_{(i)} = \min_{j \ge i} \min\{1, m\,p_{(j)}/j\}`; Bonferroni
    :math:`\min(1, m p)`. Other ``statsmodels`` methods are passed on to
    :func:`statsmodels.stats.multitest.multipletests`. Checked against ``multipletests`` in
    tests/test_groups.py.
    """
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    m = int(ok.sum())
    if method == "none" or m == 0:
        out[ok] = p[ok]
        return out
    q = p[ok]
    order = np.argsort(q, kind="stable")
    ranked = q[order]
    i = np.arange(1, m + 1)
    if method == "holm":
        adj = np.maximum.accumulate(np.minimum(1.0, (m - i + 1) * ranked))
    elif method == "fdr_bh":
        adj = np.minimum.accumulate(np.minimum(1.0, m * ranked / i)[::-1])[::-1]
    elif method == "bonferroni":
        adj = np.minimum(1.0, m * ranked)
    else:
        multipletests = require("statsmodels.stats.multitest", "multiple-testing corrections").multipletests

        out[ok] = multipletests(q, method=method)[1]
        return out
    back = np.empty(m)
    back[order] = adj
    out[ok] = back
    return out


# ---- the result ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class GroupComparison:
    """MICOM and permutation MGA for every pair of groups.

    Attributes
    ----------
    group_sizes : DataFrame
        group, n (cases used), n_excluded_no_group is in ``status``.
    configural : DataFrame
        MICOM step 1: group ("all" or a group), check, met (bool), detail.
    compositional : DataFrame
        MICOM step 2: group_a, group_b, construct, c, critical_value (the α quantile of
        the permutation distribution of c), p_value (one-sided, Pr(c* ≤ c), unadjusted),
        invariant (c ≥ critical_value), n_permutations.
    means_variances : DataFrame
        MICOM step 3: group_a, group_b, construct, statistic ("mean_difference",
        "log_variance_ratio"), estimate, permutation_lower, permutation_upper (α/2 and 1 − α/2
        quantiles of the permutation distribution), p_value (two-sided, unadjusted),
        equal (permutation_lower ≤ estimate ≤ permutation_upper), detectable_80 (approximate smallest
        value detected with 80 % power at these group sizes, :func:`detectable_differences`),
        n_permutations.
    invariance : DataFrame
        group_a, group_b, construct, n_a, n_b, configural, compositional, equal_mean,
        equal_variance, invariance ("full", "partial" or "none": the outcome levels of
        Henseler et al. 2016), mga_permitted (partial or full), pooling_permitted (full),
        statement (the result in words: "no evidence against ..." or which step rejected).
    mga : DataFrame
        group_a, group_b, family ("path", "indirect_effect", "index_moderated_mediation",
        "conditional_indirect_effect", "custom"), parameter, estimate_a, estimate_b,
        difference (a − b), permutation_lower, permutation_upper (α/2 and 1 − α/2 quantiles of the
        permutation differences), p_value (two-sided), p_adjusted (across the whole
        family), significant (p_adjusted < α), family_size (tests in the family),
        n_permutations.
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
    family_size: int = 0
    redundant: tuple = ()


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
    from leanlearn.pls.engine import Settings, estimate

    spec = parse_model(model) if isinstance(model, str) else model
    settings = settings or Settings()
    data, spec, groups = _hoc_final_stage(data, spec, groups, hoc=hoc, settings=settings, source=source)
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
            + f"; at least {min_group_size} cases per group. Merge them into larger clusters."
        )

    lay = plan.final
    names = list(lay.constructs)
    composites = [k for k in range(lay.K) if not lay.is_interaction[k] and len(lay.cols(k)) > 1]
    funcs_all = _family(_functions(pooled, functions), parameters)
    keep, redundant = _distinct(funcs_all, lay.adjacency)
    funcs = [funcs_all[j] for j in keep]

    # observed fit of every group (configural check) on its own cases
    obs_counts = np.stack([(labels == g).astype(float) for g in group_names])
    obs_fit = fit_counts(plan, X, obs_counts)
    fits_ok = {g: bool(obs_fit.converged[i] and not obs_fit.failed[i]) for i, g in enumerate(group_names)}
    configural = _configural(plan, X, labels, group_names, settings, fits_ok)

    pairs = list(combinations(group_names, 2))
    comp_rows, mv_rows, mga_rows, status_rows = [], [], [], []
    for pair_index, (ga, gb) in enumerate(pairs):
        if not (fits_ok[ga] and fits_ok[gb]):
            status_rows.append({"group_a": ga, "group_b": gb, "n_permutations": 0, "valid": 0, "failed": 0})
            continue
        pos = np.concatenate([np.flatnonzero(labels == ga), np.flatnonzero(labels == gb)])
        Xp = X[pos]
        n_a, n = int((labels == ga).sum()), len(pos)
        first = np.zeros(n, dtype=bool)
        first[:n_a] = True
        base = np.stack([first, ~first, np.ones(n, dtype=bool)]).astype(float)
        feats = moments.case_features(Xp) if moments.product_form(plan) else None
        fit0 = _fit_counts(plan, Xp, base, feats)
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

        rng = generator(seed, "permutation", pair_index)
        c_perm, md_perm, lv_perm, th_perm, valid_all = [], [], [], [], []
        for start in range(0, permutations, CHUNK):
            m = min(CHUNK, permutations - start)
            order = np.argsort(rng.random((m, n)), axis=1)
            mask = np.zeros((m, n), dtype=bool)
            np.put_along_axis(mask, order[:, :n_a], True, axis=1)
            counts = np.empty((2 * m, n))
            counts[0::2] = mask
            counts[1::2] = ~mask
            fit = _fit_counts(plan, Xp, counts, feats)
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
        status_rows.append({"group_a": ga, "group_b": gb, "n_permutations": permutations, "valid": nv, "failed": permutations - nv})

        cv = c_perm[valid_all]
        crit = np.quantile(cv, alpha, axis=0, method="linear") if nv else np.full(len(blocks), np.nan)
        p_c = permutation_p_value(c_obs, cv, alternative="less")
        for j, (k, _, _) in enumerate(blocks):
            comp_rows.append(
                {"group_a": ga, "group_b": gb, "construct": names[k], "c": float(c_obs[j]), "critical_value": float(crit[j]), "p_value": float(p_c[j]), "n_permutations": nv}
            )
        detect = detectable_differences(n_a, n - n_a, alpha=alpha)
        for stat, o, d in (("mean_difference", md_obs, md_perm), ("log_variance_ratio", lv_obs, lv_perm)):
            lo, hi = np.quantile(d, [alpha / 2, 1 - alpha / 2], axis=0, method="linear")
            p = permutation_p_value(o, d)
            for j, (k, _, _) in enumerate(blocks):
                mv_rows.append(
                    {"group_a": ga, "group_b": gb, "construct": names[k], "statistic": stat, "estimate": float(o[j]), "permutation_lower": float(lo[j]), "permutation_upper": float(hi[j]), "p_value": float(p[j]), "detectable_80": detect[stat], "n_permutations": int(d.shape[0])}
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
                    "permutation_lower": float(lo[j]), "permutation_upper": float(hi[j]), "p_value": float(p_t[j]), "n_permutations": nv,
                }
            )  # fmt: skip

    comp = pd.DataFrame(comp_rows, columns=["group_a", "group_b", "construct", "c", "critical_value", "p_value", "n_permutations"])
    mv = pd.DataFrame(mv_rows, columns=["group_a", "group_b", "construct", "statistic", "estimate", "permutation_lower", "permutation_upper", "p_value", "detectable_80", "n_permutations"])
    mga = pd.DataFrame(mga_rows, columns=["group_a", "group_b", "family", "parameter", "estimate_a", "estimate_b", "difference", "permutation_lower", "permutation_upper", "p_value", "n_permutations"])
    # MICOM: raw p-values, decisions on the permutation quantiles (Henseler et al. 2016; no adjustment)
    comp.insert(comp.columns.get_loc("p_value") + 1, "invariant", comp["c"] >= comp["critical_value"])
    mv.insert(mv.columns.get_loc("p_value") + 1, "equal", (mv["estimate"] >= mv["permutation_lower"]) & (mv["estimate"] <= mv["permutation_upper"]))
    # MGA: one family = every tested parameter x every pair
    family_size = int(np.isfinite(mga["p_value"].to_numpy(dtype=float)).sum())
    mga.insert(mga.columns.get_loc("p_value") + 1, "p_adjusted", _adjust(mga["p_value"].to_numpy(dtype=float), p_adjust))
    mga.insert(mga.columns.get_loc("p_adjusted") + 1, "significant", mga["p_adjusted"] < alpha)
    mga.insert(mga.columns.get_loc("significant") + 1, "family_size", family_size)

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
    invariance = pd.DataFrame(inv_rows, columns=["group_a", "group_b", "construct", "n_a", "n_b", "configural", "compositional", "equal_mean", "equal_variance", "invariance", "mga_permitted", "pooling_permitted", "statement"])
    status = pd.DataFrame(status_rows, columns=["group_a", "group_b", "n_permutations", "valid", "failed"])
    notes = _notes(sizes, n_no_group, len(pairs), permutations, p_adjust, alpha, fits_ok, family_size=family_size, funcs=funcs, redundant=redundant, mv=mv, unit=unit)
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
        family_size=family_size,
        redundant=tuple(redundant),
    )


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



# ---- MGA by other methods: bootstrap (Henseler), parametric, Welch -----------------------------
MGA_METHODS = ("permutation", "bootstrap", "parametric", "welch")
MGA_COLUMNS = [
    "group_a", "group_b", "method", "family", "parameter", "estimate_a", "estimate_b", "difference",
    "std_error_a", "std_error_b", "statistic", "df", "null_lower", "null_upper", "p_value_one_sided", "p_value",
    "p_adjusted", "significant", "family_size", "n_a", "n_b", "draws_a", "draws_b",
]  # fmt: skip
"""Columns of :attr:`MGAResult.table` (``mga.csv`` of ``leanlearn mga``), for every method."""


@dataclass(frozen=True)
class MGAResult:
    """Multi-group analysis of every pair of groups by one method.

    Attributes
    ----------
    table : DataFrame
        :data:`MGA_COLUMNS`: group_a, group_b, method, family, parameter, estimate_a,
        estimate_b, difference (a − b), std_error_a, std_error_b (bootstrap SDs; NaN for
        permutation), statistic (t for parametric and Welch; the difference for
        permutation and bootstrap), df (t tests only), null_lower, null_upper (permutation
        only: the α/2 and 1 − α/2 quantiles of the permuted differences), p_value_one_sided
        (H₁: θ_a > θ_b; bootstrap, parametric, Welch), p_value (two-sided), p_adjusted
        (across the whole family), significant (p_adjusted < α), family_size, n_a, n_b
        (cases), draws_a, draws_b (valid resamples per group; for permutation the valid
        permutations of the pair, in both columns).
    group_sizes : DataFrame
        group, n.
    status : DataFrame
        group (or "A vs B" for permutation), resamples, valid, failed.
    notes : str
    method, resamples, seed, alpha, p_adjust, family_size :
        Settings of the run.
    """

    table: pd.DataFrame = field(repr=False)
    group_sizes: pd.DataFrame = field(repr=False)
    status: pd.DataFrame = field(repr=False)
    notes: str
    method: str
    resamples: int
    seed: int | None
    alpha: float
    p_adjust: str
    family_size: int


def henseler_p_value(estimate_a: float, draws_a, estimate_b: float, draws_b) -> float:
    r"""Henseler's PLS-MGA one-sided p-value for H₁: θ_a > θ_b (Henseler, Ringle & Sinkovics 2009).

    .. math::
        p = 1 - \frac{1}{J I} \sum_{j=1}^{J} \sum_{i=1}^{I}
            \Theta\big(2\bar\theta_a - \theta^*_{a,j} - 2\bar\theta_b + \theta^*_{b,i}\big)

    with :math:`\bar\theta_g` the mean of group g's bootstrap draws :math:`\theta^*_{g,\cdot}`
    (J and I valid draws) and Θ the unit step (Θ(0) = 1/2, so ties count half). Every pair
    of draws is compared (J·I comparisons) by sorting, in O((J + I) log I). ``estimate_a`` and
    ``estimate_b`` are not used by the formula (it centres on the bootstrap means); they are
    accepted so that a caller cannot pass the draws in the wrong order unnoticed (NaN
    estimates give NaN). p near 0 speaks for θ_a > θ_b, near 1 for θ_a < θ_b; the two-sided
    p-value is :math:`2\min(p, 1 - p)`. Checked against the double sum written out on small
    draws in tests/test_mga.py.
    """
    a = np.asarray(draws_a, dtype=float)
    b = np.asarray(draws_b, dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if not (np.isfinite(estimate_a) and np.isfinite(estimate_b)) or a.size == 0 or b.size == 0:
        return float("nan")
    x = 2 * a.mean() - a  # reflected draws of group a
    y = np.sort(2 * b.mean() - b)
    below = np.searchsorted(y, x, side="left")  # y_i < x_j: Θ = 1
    at = np.searchsorted(y, x, side="right") - below  # ties: Θ = 1/2
    return float(1.0 - (below.sum() + 0.5 * at.sum()) / (a.size * b.size))


def _t_test(method: str, est_a, est_b, se_a, se_b, n_a: int, n_b: int):
    r"""t statistic and degrees of freedom of the parametric and the Welch MGA tests.

    Parametric (Keil et al. 2000; pooled standard error, equal variances assumed):

    .. math:: t = \frac{\theta_a - \theta_b}{\sqrt{\frac{(n_a-1)^2}{n_a+n_b-2}\,se_a^2
              + \frac{(n_b-1)^2}{n_a+n_b-2}\,se_b^2}\;\sqrt{\frac{1}{n_a}+\frac{1}{n_b}}},
              \qquad df = n_a + n_b - 2

    Welch–Satterthwaite (unequal variances; the form of Sarstedt, Henseler & Ringle 2011
    used by SmartPLS):

    .. math:: t = \frac{\theta_a - \theta_b}{\sqrt{\frac{n_a-1}{n_a} se_a^2 + \frac{n_b-1}{n_b} se_b^2}},
              \qquad df = \frac{\big(\frac{n_a-1}{n_a} se_a^2 + \frac{n_b-1}{n_b} se_b^2\big)^2}
              {\frac{n_a-1}{n_a^2} se_a^4 + \frac{n_b-1}{n_b^2} se_b^4} - 2

    ``se`` are the bootstrap standard errors of each group. Worked by hand in tests/test_mga.py.
    """
    d = est_a - est_b
    if method == "parametric":
        df = float(n_a + n_b - 2)
        pooled = np.sqrt((n_a - 1) ** 2 / df * se_a**2 + (n_b - 1) ** 2 / df * se_b**2) * np.sqrt(1 / n_a + 1 / n_b)
        return d / pooled, np.full(np.shape(d), df)
    va, vb = (n_a - 1) / n_a * se_a**2, (n_b - 1) / n_b * se_b**2
    t = d / np.sqrt(va + vb)
    df = (va + vb) ** 2 / ((n_a - 1) / n_a**2 * se_a**4 + (n_b - 1) / n_b**2 * se_b**4) - 2
    return t, df


def multigroup_analysis(
    data: pd.DataFrame,
    model: ModelSpec | str,
    *,
    groups,
    method: str = "permutation",
    settings=None,
    resamples: int = DEFAULT_PERMUTATIONS,
    seed: int | None = None,
    alpha: float = 0.05,
    p_adjust: str = "holm",
    parameters: str | Sequence[str] = "all",
    min_group_size: int = 10,
    group_order: Sequence[str] | None = None,
    source: str | None = None,
    workers: int = 1,
    unit: str = "cases",
    hoc: str = "two_stage",
) -> MGAResult:
    """Multi-group analysis of any model and any grouping, by permutation or bootstrap.

    Parameters
    ----------
    data, model, groups, settings, seed, alpha, p_adjust, parameters, min_group_size, group_order, source, unit, hoc :
        As in :func:`compare_groups` (a higher-order model is compared on its final stage).
    method : {"permutation", "bootstrap", "parametric", "welch"}
        ``permutation``: Chin & Dibbern (2010), through :func:`compare_groups` (the same
        permutations as MICOM). ``bootstrap``: Henseler's PLS-MGA
        (:func:`henseler_p_value`). ``parametric``: Keil et al.'s (2000) t test with pooled
        standard errors. ``welch``: the Welch–Satterthwaite t test (:func:`_t_test`). The
        three bootstrap-based methods bootstrap every group separately.
    resamples : int
        Permutations per pair (permutation) or bootstrap resamples per group.
    workers : int
        Worker processes of each group's bootstrap (results do not depend on it).

    Returns
    -------
    MGAResult

    Notes
    -----
    **Multiplicity.** With G groups every one of the G(G − 1)/2 pairs is compared; the
    family is every tested parameter × every pair, and the two-sided p-values are adjusted
    across that whole family (Holm by default), as in the pipeline's ``groups`` step.
    Henseler's one-sided p-value is reported unadjusted beside it.

    **Random streams.** Permutation: pair j uses ``stream(seed, "permutation", j)``. The
    bootstrap methods: group g (in output order) resamples from
    ``stream(seed, "bootstrap", "mga", g)`` (its blocks are that stream's children), so the
    groups' draws are independent of each other and of the study bootstrap.

    Checked in tests/test_mga.py: a path that differs between populations is detected by
    every method and a path that does not is not; the Henseler p-value equals the double
    sum written out; the t statistics equal the formulas worked by hand; results are
    byte-identical for 1 and 2 workers.
    """
    from leanlearn.pls.bootstrap import bootstrap
    from leanlearn.pls.engine import Settings, estimate
    from leanlearn.random import stream

    if method not in MGA_METHODS:
        raise ValueError(f"MGA method must be one of {', '.join(MGA_METHODS)}, not {method!r}")
    spec = parse_model(model) if isinstance(model, str) else model
    settings = settings or Settings()
    data, spec, groups = _hoc_final_stage(data, spec, groups, hoc=hoc, settings=settings, source=source)
    if method == "permutation":
        cmp = compare_groups(
            data, spec, groups=groups, settings=settings, permutations=resamples, seed=seed, alpha=alpha, p_adjust=p_adjust,
            min_group_size=min_group_size, group_order=group_order, source=source, parameters=parameters, unit=unit,
        )  # fmt: skip
        m = cmp.mga
        n_of = dict(zip(cmp.group_sizes["group"], cmp.group_sizes["n"]))
        table = pd.DataFrame(
            {
                "group_a": m["group_a"], "group_b": m["group_b"], "method": "permutation", "family": m["family"],
                "parameter": m["parameter"], "estimate_a": m["estimate_a"], "estimate_b": m["estimate_b"],
                "difference": m["difference"], "std_error_a": np.nan, "std_error_b": np.nan, "statistic": m["difference"],
                "df": np.nan, "null_lower": m["permutation_lower"], "null_upper": m["permutation_upper"], "p_value_one_sided": np.nan,
                "p_value": m["p_value"], "p_adjusted": m["p_adjusted"], "significant": m["significant"],
                "family_size": m["family_size"], "n_a": [n_of[g] for g in m["group_a"]], "n_b": [n_of[g] for g in m["group_b"]],
                "draws_a": m["n_permutations"], "draws_b": m["n_permutations"],
            },
            columns=MGA_COLUMNS,
        )  # fmt: skip
        st = cmp.status
        status = pd.DataFrame(
            {"group": st["group_a"] + " vs " + st["group_b"], "resamples": st["n_permutations"], "valid": st["valid"], "failed": st["failed"]}
        )
        return MGAResult(table=table, group_sizes=cmp.group_sizes, status=status, notes=cmp.notes, method=method, resamples=int(resamples),
                         seed=seed, alpha=alpha, p_adjust=p_adjust, family_size=cmp.family_size)  # fmt: skip

    if int(resamples) < 10:
        raise ValueError("resamples must be at least 10")
    if p_adjust != "none":
        _adjust(np.array([0.01, 0.02]), p_adjust)
    labels_all = _labels_for(data, groups)
    has_group = labels_all.notna().to_numpy()
    n_no_group = int((~has_group).sum())
    sub = data.loc[has_group]
    labels = labels_all[has_group].astype(str)
    pooled = estimate(sub, spec, settings=settings, assess=False, source=source)
    present = set(labels.loc[pooled.prepared.index])
    order = [str(g) for g in (group_order or ()) if str(g) in present]
    group_names = order + sorted(present - set(order))
    if len(group_names) < 2:
        raise DataError(f"group comparison needs at least two groups; found {group_names}")
    lay = pooled.plan.final
    funcs_all = _family(_functions(pooled, None), parameters)
    keep, redundant = _distinct(funcs_all, lay.adjacency)
    funcs = [funcs_all[j] for j in keep]
    fits: dict[str, tuple] = {}
    size_rows, status_rows = [], []
    for gi, g in enumerate(group_names):
        part = sub.loc[(labels == g).to_numpy()]
        where = f"{source} (group {g})" if source else f"group {g}"
        res_g = estimate(part, spec, settings=settings, assess=False, source=where)
        if res_g.n < min_group_size:
            raise DataError(f"group {g} has {res_g.n} cases; at least {min_group_size} are needed. Merge it into a larger cluster.")
        boot_g = bootstrap(res_g, resamples=int(resamples), seed=stream(seed, "bootstrap", "mga", gi) if seed is not None else None, workers=workers)
        est = np.array([float(f(res_g.path_matrix)) for _, _, f in funcs])
        draws = np.stack([np.asarray(f(boot_g.path_draws), dtype=float) for _, _, f in funcs], axis=-1) if funcs else np.empty((boot_g.n_valid, 0))
        fits[g] = (res_g.n, est, draws)
        size_rows.append({"group": g, "n": int(res_g.n)})
        status_rows.append({"group": g, "resamples": int(resamples), "valid": int(boot_g.n_valid), "failed": int(boot_g.n_failed)})
    rows = []
    for ga, gb in combinations(group_names, 2):
        n_a, est_a, dr_a = fits[ga]
        n_b, est_b, dr_b = fits[gb]
        se_a, se_b = dr_a.std(axis=0, ddof=1), dr_b.std(axis=0, ddof=1)
        if method == "bootstrap":
            one = np.array([henseler_p_value(est_a[j], dr_a[:, j], est_b[j], dr_b[:, j]) for j in range(len(funcs))])
            stat, df = est_a - est_b, np.full(len(funcs), np.nan)
            two = np.minimum(1.0, 2 * np.minimum(one, 1 - one))
        else:
            stat, df = _t_test(method, est_a, est_b, se_a, se_b, n_a, n_b)
            one = stats.t.sf(stat, df)
            two = 2 * stats.t.sf(np.abs(stat), df)
        for j, (family, label, _) in enumerate(funcs):
            rows.append(
                {
                    "group_a": ga, "group_b": gb, "method": method, "family": family, "parameter": label,
                    "estimate_a": est_a[j], "estimate_b": est_b[j], "difference": est_a[j] - est_b[j],
                    "std_error_a": se_a[j], "std_error_b": se_b[j], "statistic": float(stat[j]), "df": float(df[j]),
                    "null_lower": np.nan, "null_upper": np.nan, "p_value_one_sided": float(one[j]), "p_value": float(two[j]),
                    "n_a": n_a, "n_b": n_b, "draws_a": dr_a.shape[0], "draws_b": dr_b.shape[0],
                }
            )  # fmt: skip
    table = pd.DataFrame(rows, columns=[c for c in MGA_COLUMNS if c not in ("p_adjusted", "significant", "family_size")])
    family_size = int(np.isfinite(table["p_value"].to_numpy(dtype=float)).sum())
    table["p_adjusted"] = _adjust(table["p_value"].to_numpy(dtype=float), p_adjust)
    table["significant"] = table["p_adjusted"] < alpha
    table["family_size"] = family_size
    table = table[MGA_COLUMNS]
    sizes = pd.DataFrame(size_rows, columns=["group", "n"])
    notes = _mga_notes(method, sizes, int(resamples), p_adjust, alpha, family_size, funcs, redundant, n_no_group, unit)
    return MGAResult(table=table, group_sizes=sizes, status=pd.DataFrame(status_rows, columns=["group", "resamples", "valid", "failed"]),
                     notes=notes, method=method, resamples=int(resamples), seed=seed, alpha=alpha, p_adjust=p_adjust, family_size=family_size)  # fmt: skip


def _mga_notes(method, sizes, resamples, p_adjust, alpha, family_size, funcs, redundant, n_no_group, unit) -> str:
    what = {
        "bootstrap": "Henseler's bootstrap PLS-MGA (Henseler, Ringle & Sinkovics 2009): the one-sided p-value compares every pair of "
        "the two groups' bootstrap draws reflected about their bootstrap means; the two-sided p-value is 2 min(p, 1 - p)",
        "parametric": "the parametric t test with pooled bootstrap standard errors (Keil et al. 2000; df = n_a + n_b - 2), which "
        "assumes equal variances in the groups",
        "welch": "the Welch-Satterthwaite t test with the groups' bootstrap standard errors (Sarstedt, Henseler & Ringle 2011), "
        "which does not assume equal variances",
    }[method]
    fams = list(dict.fromkeys(f[0] for f in funcs))
    n_pairs = len(sizes) * (len(sizes) - 1) // 2
    parts = [
        f"MGA by {what}; {resamples} bootstrap resamples in every group; group sizes: "
        + ", ".join(f"{g} n = {k}" for g, k in zip(sizes["group"], sizes["n"])) + ".",
        f"Multiplicity family: {len(funcs)} parameter(s) ({', '.join(fams) or 'none'}) x {n_pairs} pair(s) of groups = "
        f"{family_size} tests; two-sided p-values adjusted across the whole family with {p_adjust}; 'significant' means "
        f"adjusted p < {alpha:g}.",
        "Comparing paths presumes at least partial measurement invariance (MICOM steps 1-2; leanlearn micom). A difference "
        "that is not significant is no evidence that the groups are equal.",
    ]
    if redundant:
        parts.append("Tested once because they are the same quantity: " + "; ".join(f"{d} equals {k}" for d, k in redundant) + ".")
    if n_no_group:
        parts.append(f"{n_no_group} {unit} without a group were left out.")
    return " ".join(parts)
