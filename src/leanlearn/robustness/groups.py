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

The module is the public face of five parts, each re-exported here (import from
``leanlearn.robustness.groups``): :mod:`~leanlearn.robustness.groups_settings` (defaults,
which groups, feasibility), :mod:`~leanlearn.robustness.groups_pvalues` (permutation
p-values, adjustment), :mod:`~leanlearn.robustness.groups_result` (:class:`GroupComparison`),
:mod:`~leanlearn.robustness.groups_fitting` (labels, compared statistics, configural step) and
:mod:`~leanlearn.robustness.groups_permutation` (:func:`compare_groups`: MICOM and the
permutation MGA). This module adds the other MGA methods (:func:`multigroup_analysis`:
Henseler's bootstrap, parametric and Welch tests).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from leanlearn.errors import DataError
from leanlearn.robustness.groups_fitting import _distinct, _family, _functions, _hoc_final_stage, _labels_for
from leanlearn.robustness.groups_permutation import compare_groups  # noqa: F401  (re-exported)
from leanlearn.robustness.groups_pvalues import _adjust, permutation_p_value  # noqa: F401  (re-exported)
from leanlearn.robustness.groups_result import GroupComparison  # noqa: F401  (re-exported)
from leanlearn.robustness.groups_settings import (  # noqa: F401  (re-exported)
    _GROUP_KEYS,
    CHUNK,
    DEFAULT_PERMUTATIONS,
    MGA_FAMILIES,
    OUTPUT_COLUMNS,
    PROBE_VALUES,
    GroupSettings,
    assign_groups,
    detectable_differences,
    feasibility_note,
    group_settings,
    level_clusters,
    level_feasibility,
)
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
    from leanlearn.pls.engine import Settings

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
        return _permutation_result(cmp, int(resamples), seed, alpha, p_adjust)

    if int(resamples) < 10:
        raise ValueError("resamples must be at least 10")
    if p_adjust != "none":
        _adjust(np.array([0.01, 0.02]), p_adjust)
    labels_all = _labels_for(data, groups)
    has_group = labels_all.notna().to_numpy()
    n_no_group = int((~has_group).sum())
    fits, sizes, status, funcs, redundant = _group_bootstraps(
        data.loc[has_group], labels_all[has_group].astype(str), spec, settings, parameters=parameters, group_order=group_order,
        min_group_size=min_group_size, resamples=int(resamples), seed=seed, workers=workers, source=source,
    )  # fmt: skip
    table = pd.DataFrame(_pair_tests(method, fits, funcs), columns=[c for c in MGA_COLUMNS if c not in ("p_adjusted", "significant", "family_size")])
    family_size = int(np.isfinite(table["p_value"].to_numpy(dtype=float)).sum())
    table["p_adjusted"] = _adjust(table["p_value"].to_numpy(dtype=float), p_adjust)
    table["significant"] = table["p_adjusted"] < alpha
    table["family_size"] = family_size
    table = table[MGA_COLUMNS]
    notes = _mga_notes(method, sizes, int(resamples), p_adjust, alpha, family_size, funcs, redundant, n_no_group, unit)
    return MGAResult(table=table, group_sizes=sizes, status=status,
                     notes=notes, method=method, resamples=int(resamples), seed=seed, alpha=alpha, p_adjust=p_adjust, family_size=family_size)  # fmt: skip


def _permutation_result(cmp: GroupComparison, resamples: int, seed, alpha: float, p_adjust: str) -> MGAResult:
    """The permutation MGA of :func:`compare_groups` in the columns of :data:`MGA_COLUMNS`."""
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
    return MGAResult(table=table, group_sizes=cmp.group_sizes, status=status, notes=cmp.notes, method="permutation", resamples=resamples,
                     seed=seed, alpha=alpha, p_adjust=p_adjust, family_size=cmp.family_size)  # fmt: skip


def _group_bootstraps(sub: pd.DataFrame, labels: pd.Series, spec: ModelSpec, settings, *, parameters, group_order, min_group_size: int,
                      resamples: int, seed, workers: int, source: str | None):  # fmt: skip
    """Every group's own estimate and bootstrap: ({group: (n, estimates, draws)}, sizes, status, tested functions, redundant ones)."""
    from leanlearn.pls.bootstrap import bootstrap
    from leanlearn.pls.engine import estimate
    from leanlearn.random import stream

    pooled = estimate(sub, spec, settings=settings, assess=False, source=source)
    present = set(labels.loc[pooled.prepared.index])
    order = [str(g) for g in (group_order or ()) if str(g) in present]
    group_names = order + sorted(present - set(order))
    if len(group_names) < 2:
        raise DataError(f"group comparison needs at least two groups; found {group_names}")
    funcs_all = _family(_functions(pooled, None), parameters)
    keep, redundant = _distinct(funcs_all, pooled.plan.final.adjacency)
    funcs = [funcs_all[j] for j in keep]
    fits: dict[str, tuple] = {}
    size_rows, status_rows = [], []
    for gi, g in enumerate(group_names):
        part = sub.loc[(labels == g).to_numpy()]
        where = f"{source} (group {g})" if source else f"group {g}"
        res_g = estimate(part, spec, settings=settings, assess=False, source=where)
        if res_g.n < min_group_size:
            raise DataError(f"group {g} has {res_g.n} cases; at least {min_group_size} are needed. Merge it into a larger cluster.")
        boot_seed = stream(seed, "bootstrap", "mga", gi) if seed is not None else None
        boot_g = bootstrap(res_g, resamples=resamples, seed=boot_seed, workers=workers)
        est = np.array([float(f(res_g.path_matrix)) for _, _, f in funcs])
        draws = np.stack([np.asarray(f(boot_g.path_draws), dtype=float) for _, _, f in funcs], axis=-1) if funcs else np.empty((boot_g.n_valid, 0))
        fits[g] = (res_g.n, est, draws)
        size_rows.append({"group": g, "n": int(res_g.n)})
        status_rows.append({"group": g, "resamples": resamples, "valid": int(boot_g.n_valid), "failed": int(boot_g.n_failed)})
    sizes = pd.DataFrame(size_rows, columns=["group", "n"])
    status = pd.DataFrame(status_rows, columns=["group", "resamples", "valid", "failed"])
    return fits, sizes, status, funcs, redundant


def _pair_tests(method: str, fits: dict[str, tuple], funcs) -> list[dict]:
    """Rows of every pair of groups: Henseler's bootstrap p-value or the parametric / Welch–Satterthwaite t-test."""
    rows = []
    for ga, gb in combinations(list(fits), 2):
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
    return rows


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
