"""Group comparison, part 1: defaults and which groups.

The defaults (permutations, block size, probe values, output columns, MGA families),
:class:`GroupSettings` from the config, the clustering of group levels, the assignment of
cases to groups and the feasibility of a comparison (sizes, detectable differences).
Re-exported by :mod:`leanlearn.robustness.groups`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from leanlearn.errors import DataError, SpecError

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
