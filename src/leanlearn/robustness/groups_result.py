"""Group comparison, part 3: :class:`GroupComparison`, the result of :func:`~leanlearn.robustness.groups.compare_groups`.

Re-exported by :mod:`leanlearn.robustness.groups`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


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
