"""Non-response bias: early vs late respondents, respondents vs the sampling frame (docs/methods.md 2.1)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from leanlearn.errors import DataError
from leanlearn.random import generator

COMPARISON_COLUMNS = [
    "variable", "kind", "group_a", "group_b", "n_a", "n_b", "mean_a", "mean_b", "sd_a", "sd_b",
    "difference", "t_value", "t_df", "t_p_value", "u_value", "u_p_value", "hedges_g",
    "g_ci_lower", "g_ci_upper", "ci_level", "tost_margin_sd", "tost_margin", "tost_p_value",
    "equivalent", "chi2", "chi2_df", "chi2_p_value", "chi2_p_value_permutation", "cramers_v",
    "min_expected", "n_levels",
]  # fmt: skip


# =================================================================================================
# Early vs late respondents
# =================================================================================================
@dataclass(frozen=True)
class GroupSplit:
    """Early/late respondent groups.

    Attributes
    ----------
    groups : Series
        Indexed like the data: "early", "late", or NA (middle of the time distribution,
        other waves, missing time).
    method : {"wave", "quartile"}
    description : str
        How the groups were formed, for the output table.
    """

    groups: pd.Series
    method: str
    description: str


def early_late_split(
    data: pd.DataFrame,
    *,
    method: str = "auto",
    wave_column: str = "wave",
    time_column: str = "recorded",
    quantile: float = 0.25,
) -> GroupSplit:
    """Split respondents into early and late (Armstrong & Overton 1977).

    Parameters
    ----------
    data : DataFrame
    method : {"auto", "wave", "quartile"}
        "wave": early = the first wave (smallest value of ``wave_column``), late = the last
        wave (largest value); other waves are left out. "quartile": early = submission
        time at or below its ``quantile`` quantile, late = at or above its
        ``1 - quantile`` quantile (linear interpolation, ``Series.quantile``). "auto": wave
        when ``wave_column`` exists with two or more distinct values, else quartile.
    wave_column, time_column : str
        Columns of the wave (1, 2, ...) and of the submission time (parsed with
        ``pandas.to_datetime``; unparseable values are left out).
    quantile : float
        Share in each group for the time split (0.25: first vs last quartile).

    Returns
    -------
    GroupSplit

    Raises
    ------
    DataError
        The requested column is absent, has fewer than two waves, or too few times.
    """
    if method not in ("auto", "wave", "quartile"):
        raise ValueError(f"method must be 'auto', 'wave' or 'quartile', got {method!r}")
    if not 0 < quantile <= 0.5:
        raise ValueError(f"quantile must lie in (0, 0.5], got {quantile}")
    if method == "auto":
        has_waves = wave_column in data.columns and pd.to_numeric(data[wave_column], errors="coerce").nunique() >= 2
        method = "wave" if has_waves else "quartile"
    groups = pd.Series(pd.NA, index=data.index, dtype="string", name="group")
    if method == "wave":
        if wave_column not in data.columns:
            raise DataError(f"early vs late: the data have no wave column '{wave_column}'")
        wave = pd.to_numeric(data[wave_column], errors="coerce")
        values = sorted(wave.dropna().unique())
        if len(values) < 2:
            raise DataError(f"early vs late: column '{wave_column}' has fewer than two waves")
        first, last = values[0], values[-1]
        groups[wave == first] = "early"
        groups[wave == last] = "late"
        desc = f"{wave_column} = {_fmt(first)} (early) vs {wave_column} = {_fmt(last)} (late)"
        return GroupSplit(groups, "wave", desc)
    if time_column not in data.columns:
        raise DataError(f"early vs late: the data have no submission-time column '{time_column}' (and no usable wave)")
    t = pd.to_datetime(data[time_column], errors="coerce")
    if t.notna().sum() < 4:
        raise DataError(f"early vs late: fewer than 4 parseable times in '{time_column}'")
    tn = t.astype("int64").where(t.notna()).astype("float64")
    lo, hi = tn.quantile(quantile), tn.quantile(1 - quantile)
    groups[tn <= lo] = "early"
    groups[tn >= hi] = "late"
    pct = f"{quantile:.0%}"
    desc = f"{time_column}: first {pct} (early) vs last {pct} (late) of submission times"
    return GroupSplit(groups, "quartile", desc)


def _fmt(v) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


def compare_groups(
    data: pd.DataFrame,
    groups: pd.Series,
    *,
    continuous: Sequence[str] = (),
    categorical: Sequence[str] = (),
    labels: tuple[str, str] = ("early", "late"),
    margin_sd: float = 0.3,
    alpha: float = 0.05,
    ci_level: float = 0.95,
    permutations: int = 2000,
    seed: int | None = None,
) -> pd.DataFrame:
    """Compare two groups on continuous and categorical variables.

    Continuous variables get Welch's t-test (``scipy.stats.ttest_ind(equal_var=False)``),
    the Mann-Whitney U test (``scipy.stats.mannwhitneyu``, two-sided), Hedges' g with its
    confidence interval (``pingouin.compute_effsize`` / ``pingouin.compute_esci``) and a
    TOST equivalence test (``pingouin.tost`` with Welch's correction; Schuirmann 1987).
    Categorical variables get the chi-square test of independence
    (``scipy.stats.chi2_contingency``; Yates' correction for 2 x 2 tables), a permutation
    p-value of the same statistic (``scipy.stats.permutation_test``: with sparse tables,
    e.g. 12 countries at N = 209, the asymptotic p-value is unreliable) and Cramer's V.

    Parameters
    ----------
    data : DataFrame
    groups : Series
        Group label of each row (aligned on the index); rows with other labels or NA are
        left out.
    continuous, categorical : sequence of str
        Columns to compare.
    labels : (str, str)
        The reference group a and the focal group b; differences are b - a (late minus
        early; respondents minus non-respondents).
    margin_sd : float
        TOST equivalence margin in pooled-SD units: the groups are declared equivalent
        when the difference of means lies within :math:`\\pm` ``margin_sd`` x
        :math:`s_p` (both one-sided p-values < alpha), with
        :math:`s_p = \\sqrt{[(n_a-1)s_a^2 + (n_b-1)s_b^2]/(n_a+n_b-2)}`.
    alpha : float
        Level of the TOST decision (``equivalent``).
    ci_level : float
        Level of the Hedges' g interval.
    permutations : int
        Resamples for the chi-square permutation p-value (0: skip).
    seed : int, optional
        Seed of the permutations.

    Returns
    -------
    DataFrame
        One row per variable with :data:`COMPARISON_COLUMNS`:

        ===============================  ==========================================================
        ``variable``, ``kind``           column and ``continuous`` / ``categorical``
        ``group_a``, ``group_b``         the labels
        ``n_a``, ``n_b``                 non-missing values per group
        ``mean_a`` ... ``sd_b``          means and SDs (n - 1); NaN for categorical variables
        ``difference``                   mean_b - mean_a
        ``t_value, t_df, t_p_value``     Welch's t-test (b vs a)
        ``u_value, u_p_value``           Mann-Whitney U of group b, two-sided p
        ``hedges_g``                     :math:`J (\\bar x_b - \\bar x_a)/s_p`, :math:`J = 1 - 3/(4(n_a+n_b)-9)`
        ``g_ci_lower, g_ci_upper``       :math:`g \\pm t_{n_a+n_b-2} SE`, :math:`SE = \\sqrt{(n_a+n_b)/(n_a n_b) + g^2/(2(n_a+n_b))}`
                                         (pingouin ``compute_esci``; Hedges & Olkin 1985)
        ``ci_level``                     level of that CI
        ``tost_margin_sd, tost_margin``  margin in SD units and in the variable's units
        ``tost_p_value``                 max of the two one-sided Welch p-values
        ``equivalent``                   tost_p_value < alpha
        ``chi2, chi2_df, chi2_p_value``  chi-square test of group x category
        ``chi2_p_value_permutation``     permutation p-value of chi2 (NaN when skipped)
        ``cramers_v``                    :math:`\\sqrt{\\chi^2 / (n (\\min(r, c) - 1))}` (uncorrected chi2)
        ``min_expected``                 smallest expected cell count (< 5: the asymptotic p is suspect)
        ``n_levels``                     categories observed
        ===============================  ==========================================================

        Statistics that cannot be computed (fewer than 2 values per group, no variance)
        are NaN.

    Notes
    -----
    The TOST p-value agrees with ``pingouin.tost(x_b, x_a, bound=margin, correction=True)``
    and with two one-sided Welch tests computed by hand (tests/test_bias.py).
    """

    a_label, b_label = labels
    g = groups.reindex(data.index)
    in_a = (g == a_label).fillna(False).to_numpy(dtype=bool)
    in_b = (g == b_label).fillna(False).to_numpy(dtype=bool)
    rows = []
    for var in continuous:
        if var not in data.columns:
            raise DataError(f"group comparison: the data have no column '{var}'")
        rows.append(_compare_continuous(data, var, in_a, in_b, labels, margin_sd=margin_sd, alpha=alpha,
                                        ci_level=ci_level))
    rng = generator(seed, "permutation", "bias")
    for var in categorical:
        if var not in data.columns:
            raise DataError(f"group comparison: the data have no column '{var}'")
        rows.append(_compare_categorical(data, var, in_a, in_b, labels, permutations=permutations, rng=rng))
    out = pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
    out["equivalent"] = out["equivalent"].astype("boolean")
    return out


def _compare_continuous(data: pd.DataFrame, var: str, in_a: np.ndarray, in_b: np.ndarray, labels: tuple[str, str], *,
                        margin_sd: float, alpha: float, ci_level: float) -> dict:
    """One continuous variable: means, SDs, Welch's t, Mann-Whitney U, Hedges' g with its CI and TOST."""
    import pingouin as pg

    a_label, b_label = labels
    x = pd.to_numeric(data[var], errors="coerce").to_numpy(dtype=float)
    xa, xb = x[in_a & ~np.isnan(x)], x[in_b & ~np.isnan(x)]
    row = _empty_row(var, "continuous", a_label, b_label)
    row.update(n_a=xa.size, n_b=xb.size, ci_level=ci_level, tost_margin_sd=margin_sd)
    if xa.size:
        row["mean_a"] = float(xa.mean())
    if xb.size:
        row["mean_b"] = float(xb.mean())
    if xa.size > 1:
        row["sd_a"] = float(xa.std(ddof=1))
    if xb.size > 1:
        row["sd_b"] = float(xb.std(ddof=1))
    if xa.size and xb.size:
        row["difference"] = row["mean_b"] - row["mean_a"]
        u = stats.mannwhitneyu(xb, xa, alternative="two-sided")
        row.update(u_value=float(u.statistic), u_p_value=float(u.pvalue))
    if xa.size > 1 and xb.size > 1:
        sp = math.sqrt(((xa.size - 1) * xa.var(ddof=1) + (xb.size - 1) * xb.var(ddof=1)) / (xa.size + xb.size - 2))
        if sp > 0:
            t = stats.ttest_ind(xb, xa, equal_var=False)
            row.update(t_value=float(t.statistic), t_df=float(t.df), t_p_value=float(t.pvalue))
            gval = float(pg.compute_effsize(xb, xa, paired=False, eftype="hedges"))
            ci = pg.compute_esci(
                stat=gval, nx=xb.size, ny=xa.size, eftype="hedges", confidence=ci_level, decimals=15
            )
            margin = float(margin_sd * sp)
            tost = pg.tost(xb, xa, bound=margin, paired=False, correction=True)
            p_tost = float(tost["pval"].iloc[0]) if "pval" in tost else float(tost["p-val"].iloc[0])
            row.update(
                hedges_g=gval,
                g_ci_lower=float(ci[0]),
                g_ci_upper=float(ci[1]),
                tost_margin=margin,
                tost_p_value=p_tost,
                equivalent=bool(p_tost < alpha),
            )
    return row


def _compare_categorical(data: pd.DataFrame, var: str, in_a: np.ndarray, in_b: np.ndarray, labels: tuple[str, str], *,
                         permutations: int, rng) -> dict:
    """One categorical variable: chi-square test (and its permutation p-value) and Cramer's V."""
    a_label, b_label = labels
    values = data[var]
    keep = values.notna().to_numpy() & (in_a | in_b)
    cats = values[keep].astype(str).to_numpy()
    grp = np.where(in_b[keep], 1, 0)
    row = _empty_row(var, "categorical", a_label, b_label)
    row.update(n_a=int((grp == 0).sum()), n_b=int((grp == 1).sum()))
    levels, codes = np.unique(cats, return_inverse=True)
    row["n_levels"] = int(levels.size)
    if levels.size >= 2 and row["n_a"] and row["n_b"]:
        table = np.zeros((2, levels.size))
        np.add.at(table, (grp, codes), 1)
        res = stats.chi2_contingency(table)
        raw = stats.chi2_contingency(table, correction=False)
        n = table.sum()
        row.update(
            chi2=float(res.statistic),
            chi2_df=int(res.dof),
            chi2_p_value=float(res.pvalue),
            cramers_v=float(math.sqrt(raw.statistic / (n * (min(table.shape) - 1)))),
            min_expected=float(res.expected_freq.min()),
        )
        if permutations:
            row["chi2_p_value_permutation"] = _chi2_permutation_p(codes, grp, levels.size, permutations, rng)
    return row


def _empty_row(var: str, kind: str, a: str, b: str) -> dict:
    row: dict[str, object] = {c: np.nan for c in COMPARISON_COLUMNS}
    row.update(variable=var, kind=kind, group_a=a, group_b=b, equivalent=pd.NA)
    return row


def _chi2_permutation_p(codes: np.ndarray, grp: np.ndarray, k: int, n_resamples: int, rng) -> float:
    """Permutation p-value of the (uncorrected) chi-square statistic, group labels permuted."""

    def statistic(x, y):
        table = np.vstack([np.bincount(x, minlength=k), np.bincount(y, minlength=k)]).astype(float)
        expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / table.sum()
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(np.nansum(np.where(expected > 0, (table - expected) ** 2 / expected, 0.0)))

    res = stats.permutation_test(
        (codes[grp == 0], codes[grp == 1]),
        statistic,
        permutation_type="independent",
        n_resamples=n_resamples,
        alternative="greater",
        vectorized=False,
        rng=rng,
    )
    return float(res.pvalue)


# =================================================================================================
# Respondents vs non-respondents (sampling frame)
# =================================================================================================
def prepare_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Add the derived frame variables used by the comparisons.

    ``log_employees`` = ln(employees) (missing when employees <= 0) when the frame has
    ``employees`` but no ``log_employees``; ``industry`` = two-digit NACE division (text,
    :func:`leanlearn.data.merge.nace_division`) when it has ``nace2`` but no ``industry``.
    The input is not modified.
    """
    out = frame.copy()
    if "employees" in out.columns and "log_employees" not in out.columns:
        emp = pd.to_numeric(out["employees"], errors="coerce")
        out["log_employees"] = np.log(emp.where(emp > 0))
    if "nace2" in out.columns and "industry" not in out.columns:
        from leanlearn.data.merge import nace_division

        out["industry"] = out["nace2"].map(nace_division)
    return out


def frame_groups(frame: pd.DataFrame, respondent_ids: Iterable, *, id_column: str = "firm_id") -> pd.Series:
    """Label every frame unit "respondent" or "nonrespondent".

    Parameters
    ----------
    frame : DataFrame
        All invited units, with ``id_column``.
    respondent_ids : iterable
        Ids of the responding units (e.g. the analysis data's ``firm_id``). Ids are
        compared as stripped text.
    id_column : str

    Returns
    -------
    Series
        Indexed like ``frame``.

    Raises
    ------
    DataError
        No id column, duplicated frame ids, or respondents that are not in the frame.
    """
    if id_column not in frame.columns:
        raise DataError(f"sampling frame: no id column '{id_column}'")
    ids = frame[id_column].astype(str).str.strip()
    if ids.duplicated().any():
        dup = ids[ids.duplicated()].iloc[0]
        raise DataError(f"sampling frame: id {dup} appears more than once in '{id_column}'")
    resp = {str(r).strip() for r in respondent_ids if pd.notna(r)}
    unknown = sorted(resp - set(ids))
    if unknown:
        raise DataError(
            f"sampling frame: {len(unknown)} respondent id(s) are not in the frame (first: {unknown[0]}); "
            "the frame must list every invited unit"
        )
    return pd.Series(np.where(ids.isin(resp), "respondent", "nonrespondent"), index=frame.index, name="group")


def nonresponse_bias(
    frame: pd.DataFrame,
    groups: pd.Series,
    *,
    continuous: Sequence[str] = ("log_employees",),
    categorical: Sequence[str] = ("industry", "country"),
) -> pd.DataFrame:
    """Size of the non-response bias of the respondent mean on frame variables.

    .. math::

        \\text{bias}(\\bar y_r) = \\bar y_r - \\bar Y = \\frac{N_{nr}}{N}(\\bar y_r - \\bar y_{nr})

    with :math:`\\bar Y` the mean over the whole frame, :math:`\\bar y_r`,
    :math:`\\bar y_{nr}` the means of respondents and non-respondents and
    :math:`N_{nr}/N` the non-response share (Levy & Lemeshow). For a categorical
    variable the formula is applied to the share of each category.

    Parameters
    ----------
    frame : DataFrame
        Every invited unit.
    groups : Series
        "respondent" / "nonrespondent" per frame row (:func:`frame_groups`).
    continuous, categorical : sequence of str

    Returns
    -------
    DataFrame
        ``variable, level, n_frame, n_respondents, n_nonrespondents, nonresponse_share,
        mean_respondents, mean_nonrespondents, mean_frame, bias, relative_bias, bias_sd``:
        ``level`` is empty for continuous variables and the category for categorical ones
        (means are then shares); ``relative_bias`` = bias / mean_frame; ``bias_sd`` = bias /
        SD of the frame (n - 1). Units with a missing value are left out of that
        variable's row, so N counts the units with a value.
    """
    g = groups.reindex(frame.index)
    rows = []
    for var in continuous:
        if var not in frame.columns:
            raise DataError(f"sampling frame: no column '{var}'")
        rows.append(_bias_row(var, "", pd.to_numeric(frame[var], errors="coerce"), g))
    for var in categorical:
        if var not in frame.columns:
            raise DataError(f"sampling frame: no column '{var}'")
        values = frame[var]
        text = values.astype(str).where(values.notna())
        for level in sorted(text.dropna().unique()):
            rows.append(_bias_row(var, level, (text == level).astype(float).where(text.notna()), g))
    cols = [
        "variable", "level", "n_frame", "n_respondents", "n_nonrespondents", "nonresponse_share",
        "mean_respondents", "mean_nonrespondents", "mean_frame", "bias", "relative_bias", "bias_sd",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=cols)


def _bias_row(variable: str, level: str, y: pd.Series, g: pd.Series) -> dict:
    """One row of :func:`nonresponse_bias`: the bias of the respondent mean of ``y``."""
    ok = y.notna() & g.isin(["respondent", "nonrespondent"])
    y, gg = y[ok].astype(float), g[ok]
    yr, ynr = y[gg == "respondent"], y[gg == "nonrespondent"]
    n, n_nr = len(y), len(ynr)
    share = n_nr / n if n else np.nan
    mean_r = float(yr.mean()) if len(yr) else np.nan
    mean_nr = float(ynr.mean()) if n_nr else np.nan
    mf = float(y.mean()) if n else np.nan
    if len(yr) and n_nr:
        bias = share * (mean_r - mean_nr)
    elif len(yr):
        bias = 0.0
    else:
        bias = np.nan
    sdf = float(y.std(ddof=1)) if n > 1 else np.nan
    return {
        "variable": variable,
        "level": level,
        "n_frame": n,
        "n_respondents": len(yr),
        "n_nonrespondents": n_nr,
        "nonresponse_share": share,
        "mean_respondents": mean_r,
        "mean_nonrespondents": mean_nr,
        "mean_frame": mf,
        "bias": bias,
        "relative_bias": bias / mf if mf not in (0.0,) and np.isfinite(mf) else np.nan,
        "bias_sd": bias / sdf if np.isfinite(sdf) and sdf > 0 else np.nan,
    }
